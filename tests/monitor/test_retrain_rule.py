"""When a monitor run opens a retraining PR (monitor.retrain_when, issue 21): evidence `better`
opens; drift the evidence cannot confirm opens nothing and says so; a quality breach with no
evidence yet opens, saying it was the breach. The summary's first line (so the PR body's) says why."""

from __future__ import annotations

from datetime import datetime
from types import SimpleNamespace

import pytest

from staleguard.data import windows as grid
from staleguard.monitor import decision, findings, job_summary, retrain_rule


def window(i: int, drift: bool | None, change: float | None = None) -> decision.WindowCheck:
    """A checked week; `change`: its measured quality change against the reference (+0.8: 80 % worse)."""
    quality = None if change is None else SimpleNamespace(change=change, current={"mae": 1.0}, reference=None)
    reasons = ["target drift: cnt: Wasserstein 0.59 ≥ 0.30"] if drift else []
    return decision.WindowCheck(datetime(2011, 2, 1 + 7 * i), datetime(2011, 2, 8 + 7 * i), 160, drift,
                                reasons, SimpleNamespace(quality=quality, estimate=None))


def outcome(checks: list[decision.WindowCheck], params, force: bool = False) -> decision.Outcome:
    trigger = next((w for w in checks if w.drift), None)
    train, ev = grid.final_windows(datetime(2011, 2, 22), params)
    drift = True if trigger or force else (False if any(w.drift is not None for w in checks) else None)
    reasons = [f"week of {trigger.label}: {r}" for r in trigger.reasons] if trigger else []
    return decision.Outcome(drift, force, checks, trigger, datetime(2011, 2, 22), train, ev, reasons)


def evidence(verdict: str, delta: float | None = -0.123, folds: int = 3) -> dict:
    return {"verdict": verdict, "delta": delta, "folds": folds}


@pytest.mark.parametrize("rule", ["evidence", "evidence_weekly"])
def test_rule_evidence_better_opens_and_says_by_how_much(params, rule):
    run = outcome([window(0, False), window(1, True, 0.2)], params)
    pr = retrain_rule.opening(rule, run, evidence("better"), params)
    assert pr.open and pr.basis == "evidence"
    assert pr.why == ("Retrain: the evidence says retraining is better by 12.3 % on 3 week(s) "
                      "(drift in week of 2011-02-08)")


def test_rule_drift_without_clear_evidence_opens_no_pr_and_reports_it(params):
    run = outcome([window(0, False), window(1, True, 0.2)], params)
    pr = retrain_rule.opening("evidence", run, evidence("no clear difference", -0.004), params)
    assert not pr.open and pr.basis == "none"
    assert pr.why == ("No retraining PR: drift in week of 2011-02-08; the retraining evidence says "
                      "no clear difference on 3 week(s) (`monitor.retrain_when`)")
    # the summary leads with it, the drift still named below it
    text = job_summary.markdown(run, params, "abcd1234", "prod", 320, pr=pr)
    assert text.startswith(f"## {pr.why}\n\nDrift: week of 2011-02-08: target drift")
    assert "Retraining moves" not in text


def test_rule_breach_without_evidence_opens_with_the_breach_as_reason(params):
    run = outcome([window(0, True, 0.9)], params)   # 90 % worse than the reference, tolerance 50 %
    for found in (None, evidence("not enough data", None, 1)):
        pr = retrain_rule.opening("evidence", run, found, params)
        assert pr.open and pr.basis == "breach"
        assert pr.why == "Retrain: quality breached the tolerance in week of 2011-02-01, no evidence yet"
    # once evidence exists, it gates the breach too
    assert not retrain_rule.opening("evidence", run, evidence("no clear difference"), params).open
    # within the tolerance it is no breach: drift alone waits for the evidence
    calm = outcome([window(0, True, 0.3)], params)
    assert not retrain_rule.opening("evidence", calm, evidence("not enough data", None, 1), params).open


def test_rule_weekly_check_gathers_evidence_without_drift_and_can_open(params):
    quiet = outcome([window(0, False), window(1, False)], params)
    assert not retrain_rule.wants_evidence("evidence", quiet)
    assert retrain_rule.wants_evidence("evidence_weekly", quiet)
    pr = retrain_rule.opening("evidence_weekly", quiet, evidence("better", -0.08, 2), params)
    assert pr.open and pr.why.endswith("better by 8.0 % on 2 week(s) (evidence checked, no drift)")
    assert not retrain_rule.opening("evidence_weekly", quiet, evidence("no clear difference"), params).open


def test_rule_drift_opens_on_any_drift_and_force_always_opens(params):
    run = outcome([window(0, True, 0.1)], params)
    pr = retrain_rule.opening("drift", run, evidence("worse", 0.2), params)
    assert pr.open and pr.why == "Retrain: drift detected in week of 2011-02-01"
    forced = outcome([window(0, False)], params, force=True)
    assert retrain_rule.opening("evidence", forced, evidence("worse", 0.2), params).open


def test_rule_is_written_into_the_plan_for_retrain_and_the_workflow(params):
    run = outcome([window(0, True, 0.2)], params)
    plan = job_summary.plan(run, params, "abcd1234", "prod", [])
    plan["evidence"] = evidence("better", -0.05, 2)
    pr = findings.open_pr(run, plan, params.model_copy(update={"monitor": params.monitor.model_copy(
        update={"retrain_when": "evidence"})}))
    assert plan["retrain"]["open"] is True and plan["retrain"]["basis"] == "evidence"
    assert plan["retrain"]["title"] == pr.why
    assert plan["retrain"]["message"].startswith(f"{pr.why}: retrain on production data through 2011-02-21")
