"""The replay's three outputs: freshness.json (for code), .md (tables), .png (the story at a glance).

Nothing here depends on the clock or on the temporary store, so a fixed seed gives the same files.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from staleguard.io import write_json, write_text
from staleguard.params import Params
from staleguard.replay import estimate_quality
from staleguard.replay.figures import HORIZON, PolicySummary, best_every_week, ratio
from staleguard.replay.loop import Week

NAMES = {"never": "never retrain (stale)", "weekly": "retrain every week",
         "monitor": "retrain when the monitor says it pays"}
WINDOWS = {"sliding": "last {n} weeks", "all": "all history", "weighted": "all history, recency-weighted"}


def title(s: PolicySummary) -> str:
    """'retrain every week, all history' for a variant; the plain policy names for the defaults."""
    run = s.run
    if not run or run.get("variant") in NAMES:
        return NAMES.get(run.get("variant", s.policy), s.policy)
    parts = [NAMES[run["policy"]]]
    if run.get("window"):
        parts.append(WINDOWS[run["window"]].format(n=run.get("train_weeks")))
    if run.get("reference"):
        parts.append(f"reference {run['reference']}")
    return ", ".join(parts)


def on_time(summaries: dict[str, PolicySummary]) -> dict[str, PolicySummary]:
    return {n: s for n, s in summaries.items() if not s.run.get("label_delay_weeks")}


def _day(value: Any) -> str:
    return f"{value:%Y-%m-%d}"


def _retrain(week: Week) -> dict[str, Any] | None:
    new = week.retrained
    if new is None:
        return None
    return {"version": new.version, "model_id": new.model_id,
            "train": {"start": _day(new.train.start), "end": _day(new.train.end)},
            "eval": {"start": _day(new.eval.start), "end": _day(new.eval.end)},
            "eval_mae": new.metrics["mae"]}


def _cell(week: Week) -> dict[str, Any]:
    out: dict[str, Any] = {"mae": week.mae, "version": week.version, "above_tolerance": week.mae > week.bar}
    if week.drift is not None:
        out.update(drift=week.drift, reasons=week.reasons, pr=week.opened, why=week.why,
                   evidence=week.evidence)
    if week.estimate is not None:
        out["estimate"] = week.estimate
        out.update(estimate_quality.cell(week))
    if week.previous_mae is not None:
        out["previous_mae"] = week.previous_mae
    out["retrained"] = _retrain(week)
    return out


def by_week(weeks: list[Week]) -> list[list[Week]]:
    """Weeks grouped by start, each group in policy order."""
    groups: dict[Any, list[Week]] = {}
    for w in weeks:
        groups.setdefault(w.start, []).append(w)
    return list(groups.values())


def ratios(summaries: dict[str, PolicySummary]) -> dict[str, float | str | None]:
    best = best_every_week(summaries)
    return {"monitor/never": ratio(summaries, "monitor", "never"),
            "monitor/weekly": ratio(summaries, "monitor", "weekly"),
            "weekly/never": ratio(summaries, "weekly", "never"),
            "monitor/best_every_week": None if best is None else ratio(summaries, "monitor", best.policy),
            "best_every_week": None if best is None else best.policy}


def to_json(weeks: list[Week], summaries: dict[str, PolicySummary], params: Params) -> dict[str, Any]:
    groups = by_week(weeks)
    return {
        "schema_version": 2,
        "window": {"start": _day(groups[0][0].start), "end": _day(groups[-1][0].end)},
        "week_days": params.windows.week_days,
        "label_delays_weeks": params.replay.label_delays_weeks,
        "tolerance": {"metric": "mae", "relative": params.drift.quality.tolerance,
                      "of": "the serving model's MAE on its own evaluation window"},
        "detector": {"horizon_weeks": HORIZON,
                     "detection_delay": "weeks from a breach onset to the first retraining decision",
                     "missed": f"breach onsets without a retrain within {HORIZON} weeks",
                     "false_alarm": "a retrain whose model was not better than the replaced one on "
                                    "the (at most 2) weeks it served",
                     "estimate_error": "mean |estimated - actual| / actual weekly MAE"},
        "policies": {name: s.to_dict() for name, s in summaries.items()},
        "estimate": estimate_quality.section(weeks, {n: s.run for n, s in summaries.items()}),
        "ratios": ratios(summaries),
        "weeks": [{"start": _day(g[0].start), "end": _day(g[0].end), "rows": g[0].rows,
                   "policies": {w.policy: _cell(w) for w in g}} for g in groups],
    }


def _decision(week: Week) -> str:
    if week.drift is None:
        return "–"
    pr = f" → PR ({week.opened})" if week.opened else ""
    if not week.drift:
        return "no drift" + pr
    kinds = sorted({r.split(": ", 2)[1].split(" ")[0] for r in week.reasons if ": " in r})
    return "**drift** (" + ", ".join(kinds) + ")" + (pr or " · no PR")


def _num(value: float | None, fmt: str = ".1f") -> str:
    return "–" if value is None else format(value, fmt)


def _headline(summaries: dict[str, PolicySummary], tol: float) -> list[str]:
    lines = ["| policy | mean weekly MAE | worst weekly MAE (week of) | retrains | PRs | "
             f"weeks above tolerance (+{tol:.0%}) | detection delay (weeks) | missed breaches | "
             "false alarms / 52 weeks |", "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for s in on_time(summaries).values():
        lines.append(f"| {title(s)} | {s.mean_mae:.1f} | {s.worst_mae:.1f} ({s.worst_week}) | "
                     f"{s.retrains} | {s.prs} | "
                     f"{s.weeks_above} | {_num(s.detection_delay, '.2f')} | {s.missed} of {s.onsets} | "
                     f"{s.false_alarms_per_52:.1f} |")
    return lines


def _delays(summaries: dict[str, PolicySummary]) -> list[str]:
    """Each retraining run per label delay, next to its on-time run."""
    late = [s for s in summaries.values() if s.run.get("label_delay_weeks")]
    if not late:
        return []
    lines = ["", "### Labels arriving late", "",
             "| policy | labels late (weeks) | mean weekly MAE | vs on time | retrains | PRs | "
             "detection delay | missed breaches | false alarms / 52 weeks | estimate error (bias) |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    runs = sorted(summaries.values(),
                  key=lambda s: (s.run.get("variant", ""), s.run.get("label_delay_weeks", 0)))
    for s in runs:
        if s.run.get("policy") == "never":
            continue
        base = summaries.get(s.run.get("variant", ""))
        vs = f"{s.mean_mae / base.mean_mae:.3f}×" if base and base.mean_mae else "–"
        est = "–" if s.estimate_error is None else f"{s.estimate_error:.0%} ({s.estimate_bias:+.0%})"
        lines.append(f"| {title(s)} | {s.run.get('label_delay_weeks', 0)} | {s.mean_mae:.1f} | {vs} | "
                     f"{s.retrains} | {s.prs} | {_num(s.detection_delay, '.2f')} | "
                     f"{s.missed} of {s.onsets} | {s.false_alarms_per_52:.1f} | {est} |")
    return lines


def markdown(weeks: list[Week], summaries: dict[str, PolicySummary], params: Params,
             baseline: dict[str, Any] | None = None) -> str:
    groups = by_week(weeks)
    tol = params.drift.quality.tolerance
    last = groups[-1][0].end - timedelta(days=1)
    shown = on_time(summaries)
    lines = [f"# Freshness: {len(groups)} weeks replayed, {_day(groups[0][0].start)} to {_day(last)}", "",
             *_headline(summaries, tol)]
    r = ratios(summaries)
    if r["monitor/never"] is not None:
        lines += ["", f"Mean weekly MAE, guarded / stale (monitor / never): **{r['monitor/never']:.2f}**."]
    top = best_every_week(summaries)
    if top is not None and "monitor" in summaries and top.mean_mae:
        mon = summaries["monitor"]
        lines.append(f"Monitor / the best every-week policy ({title(top)}): "
                     f"{mon.mean_mae / top.mean_mae:.3f}, with {mon.retrains} of {top.retrains} "
                     f"retrains ({mon.retrains / max(top.retrains, 1):.0%}).")
    if baseline is not None:
        best = min(s.mean_mae for s in shown.values())
        lines += ["", f"Naive baseline ({baseline['name']}, `report.baseline`) on the same weeks: mean "
                      f"weekly MAE {baseline['mean_mae']:.1f}."
                  + (" **No policy's model beats it.**" if best >= baseline["mean_mae"] else "")]
    lines += _delays(summaries)
    lines += estimate_quality.markdown(estimate_quality.section(weeks, {n: s.run for n, s in
                                                                        summaries.items()}))
    lines += ["", f"A week is above tolerance (a breach) when its MAE is more than {tol:.0%} "
              "(`drift.quality.tolerance`) above the serving model's MAE on its own evaluation "
              "window. Detection delay: weeks from a breach onset to the retraining decision (0: right "
              f"after the breach week); missed: no retrain within {HORIZON} weeks; false alarm: a retrain "
              "whose model did not beat the replaced one on the weeks it served. Estimate error: the "
              "monitor's label-free weekly MAE estimate vs the real weekly MAE. The monitor policy "
              "retrains after the week it flags; the new model serves from the next week. "
              "Details: docs/replay.md.", "", "![weekly MAE per policy](freshness.png)",
              "", "| week of | rows | " + " | ".join(f"{n} MAE" for n in shown)
              + (" | monitor decision | serving → deployed |" if "monitor" in shown else " |"),
              "|---|---:|" + "---:|" * len(shown) + ("---|---|" if "monitor" in shown else "")]
    for g in groups:
        cells = {w.policy: w for w in g}
        row = [_day(g[0].start), str(g[0].rows)] + [
            f"{cells[n].mae:.1f}" + (" ⚠" if cells[n].mae > cells[n].bar else "") for n in shown]
        if "monitor" in shown:
            m = cells["monitor"]
            row += [_decision(m), m.version + (f" → {m.retrained.version}" if m.retrained else "")]
        lines.append("| " + " | ".join(row) + " |")
    lines += ["", "⚠: above tolerance."]
    return "\n".join(lines) + "\n"


def write(out: Path, weeks: list[Week], summaries: dict[str, PolicySummary], params: Params,
          baseline: dict[str, Any] | None = None) -> list[Path]:
    """freshness.json, .md and .png in `out` (atomic writes); returns their paths. `baseline`:
    the naive baseline's mean weekly MAE on the same weeks (replay_job.baseline_mae)."""
    from staleguard.replay.plot import freshness

    paths = [out / "freshness.json", out / "freshness.md", out / "freshness.png"]
    doc = to_json(weeks, summaries, params)
    write_json(paths[0], {**doc, "baseline": baseline} if baseline else doc)
    write_text(paths[1], markdown(weeks, summaries, params, baseline))
    freshness(weeks, summaries, params, paths[2])
    return paths
