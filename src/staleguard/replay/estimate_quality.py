"""How well the label-free estimate did in the replay, and whether it knew its limits.

For every run whose labels arrive late (the weeks the monitor decided on the estimate), each week's
estimate (recalibrated, drift/reliability.py) is scored against the week's measured MAE once
known: the mean |error| on the weeks it was marked reliable, the share marked unreliable, and how
many weeks more than 50 % off were still marked reliable (the ones a reviewer would have misread).
"""

from __future__ import annotations

from statistics import fmean
from typing import Any

from staleguard.replay.loop import Week

BAD = 0.5   # a week whose estimate is this far off (relative) should never be marked reliable


def _error(week: Week, value: float) -> float:
    return abs(value / week.mae - 1)


def cell(week: Week) -> dict[str, Any]:
    """freshness.json's per-week reliability of the estimate (empty for a labeled week)."""
    est = week.estimated
    if est is None or est.actual is not None:
        return {}
    return {"estimate_reliable": est.reliable, "estimate_unreliable": est.unreliable,
            "estimate_raw": est.raw, "estimate_ratio": est.ratio, "estimate_outside": est.outside,
            "estimate_auc": est.auc, "estimate_recent_error": est.recent_error}


def run_figures(mine: list[Week]) -> dict[str, Any] | None:
    """The estimate's figures for one replayed run (None: it never estimated a week without labels)."""
    used = [w for w in mine if w.estimated is not None and w.estimated.actual is None and w.mae]
    if not used:
        return None
    reliable = [w for w in used if w.estimated.reliable]
    rel_err = [_error(w, w.estimated.estimated) for w in reliable]
    raw = [_error(w, w.estimated.raw if w.estimated.raw is not None else w.estimated.estimated) for w in used]
    return {"weeks": len(used), "reliable_weeks": len(reliable),
            "unreliable_share": round(1 - len(reliable) / len(used), 4),
            "error_reliable": round(fmean(rel_err), 4) if rel_err else None,
            "worst_reliable": round(max(rel_err), 4) if rel_err else None,
            "reliable_over_50pct": sum(e > BAD for e in rel_err),
            "error_all": round(fmean(_error(w, w.estimated.estimated) for w in used), 4),
            "error_raw": round(fmean(raw), 4)}


def section(weeks: list[Week], runs: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per run (name → its figures) for the runs that estimated; `runs`: name → run description."""
    out = {}
    for name, run in runs.items():
        figures = run_figures([w for w in weeks if w.policy == name])
        if figures is not None:
            out[name] = {"label_delay_weeks": run.get("label_delay_weeks", 0), **figures}
    return out


def markdown(figures: dict[str, dict[str, Any]]) -> list[str]:
    """The freshness.md section: one line per run that decided weeks on the estimate."""
    if not figures:
        return []
    lines = ["", "### The label-free estimate (weeks decided without labels)", "",
             "| run | labels late (weeks) | weeks estimated | marked unreliable | error on reliable weeks "
             "(worst) | reliable weeks > 50 % off | error, all weeks | error before recalibration |",
             "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for name, f in figures.items():
        err = ("–" if f["error_reliable"] is None
               else f"{f['error_reliable']:.1%} ({f['worst_reliable']:.0%})")
        lines.append(f"| {name} | {f['label_delay_weeks']} | {f['weeks']} | {f['unreliable_share']:.0%} | "
                     f"{err} | {f['reliable_over_50pct']} | {f['error_all']:.1%} | {f['error_raw']:.1%} |")
    lines += ["", "Error: mean |estimate − measured| / measured weekly MAE, the estimate as the monitor "
              "had it (recalibrated by the latest labeled weeks), the measured MAE once the labels "
              "arrived. Unreliable: outside the reference's support, told apart from it by a domain "
              "classifier, or a large recent error (`drift.estimate`, docs/drift.md); such a week shows "
              "no number and triggers nothing."]
    return lines
