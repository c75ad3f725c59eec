"""When a monitor run opens a retraining PR (`monitor.retrain_when`): pure, shared by the monitor
and the replay, so what the replay measures is the rule that ships.

A retraining PR is work for a reviewer, and drift that does not hurt should not ask for it. Drift
and quality triggers start an evaluation: the retraining evidence (monitor/evidence.py, the
walk-forward of the shipped recipe against the deployed model on the weeks since deployment). The
PR opens when that evidence says `better` (beyond `report.margin`), or when quality breached
`drift.quality.tolerance` and no evidence can be had yet (`not enough data`). docs/replay.md shows
the alternatives measured.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from staleguard.cadence import window_name, window_of
from staleguard.monitor.decision import Outcome, WindowCheck
from staleguard.params import Params

RULES = ("drift", "evidence", "evidence_weekly")


@dataclass(frozen=True)
class Opening:
    """Whether this run opens (or updates) the retraining PR, and why, in one line."""

    open: bool
    why: str         # the summary's and the PR body's first line says it
    basis: str       # evidence | breach | drift | forced | none


def wants_evidence(rule: str, outcome: Outcome) -> bool:
    """Whether this run gathers the retraining evidence: on a trigger (every rule; `drift` only
    for the PR body), and every decided run under `evidence_weekly` (decay no drift test sees)."""
    if outcome.drift or outcome.forced:
        return True
    return rule == "evidence_weekly" and outcome.drift is False


def breached(window: WindowCheck, params: Params) -> bool:
    """The window's quality (measured, else estimated while its labels are late) is worse than the
    reference's by more than `drift.quality.tolerance`, and the quality trigger is on."""
    if not params.drift.triggers.quality or window.result is None:
        return False
    tolerance = params.drift.quality.tolerance
    quality = getattr(window.result, "quality", None)
    if quality is not None:
        return quality.change is not None and quality.change > tolerance
    est = getattr(window.result, "estimate", None)
    return est is not None and est.change is not None and est.change > tolerance


def better(evidence: Mapping[str, Any], days: int) -> str:
    """'better by 12.3 % on 6 week(s)' (the evidence, as the first line says it)."""
    return f"better by {-evidence['delta'] * 100:.1f} % on {_folds(evidence, days)}"


def _folds(evidence: Mapping[str, Any], days: int) -> str:
    return f"{evidence['folds']} {window_name(days)}(s)"


def opening(rule: str, outcome: Outcome, verdict: Mapping[str, Any] | None, params: Params) -> Opening:
    """The rule. `verdict`: the evidence's paired verdict as monitor.json keeps it (`verdict`,
    `delta`, `folds`: Evidence.to_dict), or None when it was not gathered."""
    days = params.windows.week_days

    def where(w: WindowCheck) -> str:
        return window_of(days, w.label)

    if outcome.forced:
        return Opening(True, "Retrain: forced (`--force`)", "forced")
    breach = next((w for w in outcome.windows if w.drift and breached(w, params)), None)
    trigger = next((w for w in outcome.windows if w.drift), None)
    if rule == "drift":
        if trigger is None:
            return Opening(False, _no_pr(outcome, "no drift", days), "none")
        return Opening(True, f"Retrain: drift detected in {where(trigger)}", "drift")
    name = None if verdict is None else verdict["verdict"]
    if verdict is not None and name == "better":
        cause = f"drift in {where(trigger)}" if trigger is not None else "evidence checked, no drift"
        return Opening(True, f"Retrain: the evidence says retraining is {better(verdict, days)} "
                       f"({cause})", "evidence")
    if breach is not None and (verdict is None or name == "not enough data"):
        return Opening(True, f"Retrain: quality breached the tolerance in {where(breach)}, "
                       "no evidence yet", "breach")
    if trigger is None:
        return Opening(False, _no_pr(outcome, "no drift", days, verdict), "none")
    return Opening(False, _no_pr(outcome, f"drift in {where(trigger)}", days, verdict), "none")


def _no_pr(outcome: Outcome, what: str, days: int, verdict: Mapping[str, Any] | None = None) -> str:
    if outcome.drift is None:
        return "Not decided: no retraining PR"
    if verdict is None:
        return f"No retraining PR: {what}"
    return (f"No retraining PR: {what}; the retraining evidence says {verdict['verdict']} on "
            f"{_folds(verdict, days)} (`monitor.retrain_when`)")
