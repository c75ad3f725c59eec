"""drift.json (schema_version 1) and drift.md: the decision and its evidence as data and as text."""

from __future__ import annotations

import math
from typing import Any

from staleguard.drift.decide import NAMES
from staleguard.drift.reliability import no_number
from staleguard.drift.result import ColumnDrift, Decision, DriftResult
from staleguard.params import Params

SCHEMA_VERSION = 1
TOP_ROWS = 12


def _column(c: ColumnDrift | None) -> dict[str, Any] | None:
    return None if c is None else {"column": c.column, **c.to_dict()}


def to_json(result: DriftResult, decision: Decision, params: Params,
            model: dict[str, Any] | None = None) -> dict[str, Any]:
    """The documented drift.json (docs/drift.md): stable keys, plain types."""
    q = result.quality
    d = params.drift
    doc: dict[str, Any] = plain({
        "schema_version": SCHEMA_VERSION,
        "drift": decision.drift,
        "share": round(result.share, 6),
        "reasons": decision.reasons,
        "notes": decision.notes,
        "features": {name: c.to_dict() for name, c in result.features.items()},
        "data_drift": result.share >= d.share,
        "target": _column(result.target),
        "prediction": _column(result.prediction),
        "quality": None if q is None else {
            "metric": q.metric, "reference": q.reference, "current": q.current,
            "change": None if q.change is None else round(q.change, 6),
            "tolerance": d.quality.tolerance, "reference_source": q.reference_source},
        "estimate": None if result.estimate is None else result.estimate.to_dict(d.quality.tolerance),
        "reference": result.reference or {"policy": "training"},
        "rows": result.rows,
        "windows": result.windows,
        "model": model or {},
        "settings": {"share": d.share, "min_rows": d.min_rows, "triggers": d.triggers.model_dump(),
                     "false_alarm": d.false_alarm, "null_draws": d.null_draws},
        "engine": result.engine,
        "sampled": result.sampled,
    })
    return doc


def plain(doc: Any) -> Any:
    """`doc` with every NaN or infinite float as null: a column with no values scores NaN (not
    decided) and its noise bar is infinite, and JSON has no literal for either (Python would write
    `NaN`, which jq, JavaScript and the dashboard refuse)."""
    if isinstance(doc, dict):
        return {key: plain(value) for key, value in doc.items()}
    if isinstance(doc, list | tuple):
        return [plain(value) for value in doc]
    if isinstance(doc, float) and not math.isfinite(doc):
        return None
    return doc


def _row(c: ColumnDrift, label: str = "") -> str:
    mark = "**drifted**" if c.drifted else "within noise" if c.score >= c.threshold else "ok"
    noise = "–" if c.noise is None or not math.isfinite(c.noise) else f"{c.noise:.3g} (n = {c.rows})"
    score = f"{c.score:.3g}" if math.isfinite(c.score) else "– (no values)"
    return (f"| {c.column}{label} | {NAMES.get(c.method, c.method)} | {score} | "
            f"{c.threshold:g} | {noise} | {mark} |")


def to_markdown(result: DriftResult, decision: Decision, params: Params) -> str:
    """A short summary for a PR comment or job summary: verdict, reasons, table of top scores."""
    verdict = "🔴 **drift**" if decision.drift else "🟢 **no drift**"
    w = result.windows
    lines = [f"### Drift check: {verdict}", "",
             f"Reference {w['reference'].get('start', '?')} … {w['reference'].get('end', '?')} "
             f"({result.rows['reference']} rows; {reference_label(result.reference)}) vs current "
             f"{w['current'].get('start', '?')} … {w['current'].get('end', '?')} "
             f"({result.rows['current']} rows).", ""]
    lines += [f"- {r}" for r in decision.reasons] or ["- no trigger fired"]
    lines += [f"- _{n}_" for n in decision.notes]
    lines += ["", "| column | method | score | threshold | noise (at n) | |", "|---|---|---|---|---|---|"]
    special = [(c, " (target)") for c in [result.target] if c] + [(c, "") for c in [result.prediction] if c]
    lines += [_row(c, label) for c, label in special]
    ranked = sorted(result.features.values(), key=lambda c: c.score / c.threshold, reverse=True)
    lines += [_row(c) for c in ranked[:TOP_ROWS]]
    bar = (" A column drifts when its score is at or above its threshold and beyond noise: above "
           f"what same-distribution windows of its size reach {params.drift.false_alarm:.0%} of the "
           "time (docs/drift.md)." if params.drift.false_alarm else "")
    lines.append(f"\n{len(result.drifted_features)} of {len(result.features)} features drifted "
                 f"(share {result.share:.2f}; data drift at ≥ {params.drift.share:g}).{bar}")
    q = result.quality
    if q and q.reference and q.current:
        lines += ["", "| quality | reference | current |", "|---|---|---|"]
        lines += [f"| {k.upper()} | {q.reference[k]:.4g} | {q.current[k]:.4g} |" for k in q.current
                  if k in q.reference]  # MAPE only where every actual > 0: it may be on one side only
        lines.append(f"\nReference quality: {q.reference_source}.")
    e = result.estimate
    if e is not None and not e.reliable:
        lines.append(f"\nEstimated MAE (label-free): {no_number(e)}.")
    elif e is not None:
        actual = f"; measured {e.actual:.4g} ({e.error:+.0%})" if e.actual and e.error is not None else \
            "; no labels yet"
        lines.append(f"\nEstimated MAE (label-free, direct loss estimation): **{e.estimated:.4g}** vs "
                     f"{e.reference or float('nan'):.4g} on the reference{actual}.")
    return "\n".join(lines) + "\n"


def reference_label(info: dict[str, Any]) -> str:
    """'reference policy recent: the last 4 weeks of the training window' (drift.json `reference`)."""
    policy = info.get("policy", "training")
    used = info.get("used", policy)
    text = {"training": "the whole training window",
            "recent": f"the last {info.get('weeks', '?')} weeks of the training window",
            "last_year": f"{info.get('weeks', '?')} weeks around the same week a year earlier"}[used]
    note = f", {info['note']}" if info.get("note") else ""
    return f"reference policy {policy}: {text}{note}"
