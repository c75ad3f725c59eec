"""decide(): a DriftResult and the knobs in params.yaml → drift true/false, with reasons in words.

Each finding (data, target, prediction, quality) is checked on its own; drift.triggers says which
of them alone make `drift: true`. Findings that did not trigger are kept as notes, so a reviewer
still sees "7 of 12 features drifted" on a week where only the weather changed.
"""

from __future__ import annotations

from staleguard.drift.reliability import no_number
from staleguard.drift.result import ColumnDrift, Decision, DriftResult
from staleguard.params import Params

NAMES = {"wasserstein": "Wasserstein", "jensenshannon": "Jensen-Shannon", "psi": "PSI"}
SHORT = {"wasserstein": "W", "jensenshannon": "JS", "psi": "PSI"}
TOP = 3


def describe(col: ColumnDrift) -> str:
    """'<column>: Wasserstein 0.31 ≥ 0.20, beyond noise (0.12 at n = 168)': the distance against
    the effect-size threshold, and against what chance reaches at this window size."""
    sign = "≥" if col.score >= col.threshold else "<"
    text = f"{col.column}: {NAMES.get(col.method, col.method)} {col.score:.2f} {sign} {col.threshold:.2f}"
    if col.noise is None:
        return text
    where = "beyond noise" if col.beyond_noise else "within noise"
    return f"{text}, {where} ({col.noise:.2f} at n = {col.rows})"


def _data_finding(result: DriftResult, share: float) -> str | None:
    hits = result.drifted_features
    if result.share < share:
        return None
    shown = "; ".join(describe(c) for c in hits[:TOP]) + ("; …" if len(hits) > TOP else "")
    return (f"data drift: {len(hits)} of {len(result.features)} features drifted "
            f"(share {result.share:.2f} ≥ {share:.2f}): {shown}")


def _quality_finding(result: DriftResult, tolerance: float) -> str | None:
    qual = result.quality
    change = qual.change if qual else None
    if qual is None or change is None or change <= tolerance:
        return None
    if qual.current is None or qual.reference is None:  # change needs both: not reached
        return None
    name = qual.metric.upper()
    return (f"quality drop: {name} {qual.current[qual.metric]:.1f} vs {qual.reference[qual.metric]:.1f} "
            f"on the reference ({change:+.0%} > +{tolerance:.0%})")


def _estimate_finding(result: DriftResult, tolerance: float) -> str | None:
    """One-sided, and only while the window has no labels: measured quality then rules."""
    est = result.estimate
    if result.quality is not None or est is None or not est.reliable:
        return None
    if est.change is None or est.change <= tolerance:
        return None
    return (f"estimated quality drop (no labels yet): MAE ≈ {est.estimated:.1f} vs {est.reference:.1f} "
            f"on the reference ({est.change:+.0%} > +{tolerance:.0%})")


def decide(result: DriftResult, params: Params) -> Decision:
    """Drift is true when any finding whose trigger is on is present; the rest become notes."""
    d = params.drift
    findings = {
        "data": _data_finding(result, d.share),
        "target": result.target and result.target.drifted and f"target drift: {describe(result.target)}",
        "prediction": (result.prediction and result.prediction.drifted
                       and f"prediction drift: {describe(result.prediction)}"),
        "quality": _quality_finding(result, d.quality.tolerance),
        "estimate": _estimate_finding(result, d.quality.tolerance),
    }
    reasons, notes = [], []
    for name, text in findings.items():
        if not text:
            continue
        if getattr(d.triggers, name):
            reasons.append(text)
        else:
            notes.append(f"{text} (not a trigger: drift.triggers.{name} is false)")
    est = result.estimate
    if result.target is None:
        notes.append("the current window has no actuals: target drift and quality not measured"
                     + ("" if est is None else " (quality estimated)" if est.reliable else
                        f"; {no_number(est)}: decided on the drift triggers alone"))
    elif result.quality is None:
        notes.append("no model or predictions: prediction drift and quality not measured")
    return Decision(drift=bool(reasons), reasons=reasons, notes=notes)
