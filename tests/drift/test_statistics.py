"""The decision on real data: rare false alarms on same-distribution windows, and the tutorial's
third week of February 2011 flagged for the right reasons."""

import numpy as np
import pytest

from staleguard.drift import check, decide
from staleguard.model import build_estimator
from tests.drift.conftest import window, with_drift, with_train

SPLITS = 200
MAX_FALSE_ALARMS = 0.05


def test_decision_false_alarm_rate_on_same_distribution_splits_at_most_5_percent(hour, params):
    """5 weeks of summer 2011, shuffled: 4 weeks of rows as the reference (model trained on them),
    the other week's worth as the current window. Same distribution, so any drift is a false alarm."""
    p = with_drift(with_train(params, n_est=5), quality={"folds": 3})
    period = window(hour, p, "2011-07-01", "2011-08-05")
    rng = np.random.default_rng(20110701)
    cols = p.features.columns
    alarms, reasons = 0, []
    for _ in range(SPLITS):
        order = rng.permutation(len(period))
        ref, cur = period.iloc[order[:672]], period.iloc[order[672:]]
        model = build_estimator(p.train, p.features).set_params(n_jobs=1).fit(ref[cols], ref["cnt"])
        decision = decide(check(ref, cur, p, model), p)
        alarms += decision.drift
        reasons += decision.reasons
    rate = alarms / SPLITS
    print(f"false-alarm rate: {alarms}/{SPLITS} = {rate:.3f}; reasons: {reasons[:5]}")
    assert len(cur) >= p.drift.min_rows
    assert rate <= MAX_FALSE_ALARMS, reasons


TUTORIAL_WEEKS = {1: ("2011-01-29", "2011-02-07"), 2: ("2011-02-07", "2011-02-14"),
                  3: ("2011-02-15", "2011-02-22")}


@pytest.fixture(scope="module")
def tutorial(hour, params):
    """Evidently's "How to break a model in 20 days": RF(50 trees, seed 0) on 2011-01-01..01-28."""
    p = with_train(params, n_est=50, seed=0)
    ref = window(hour, p, "2011-01-01", "2011-01-29")
    model = build_estimator(p.train, p.features).fit(ref[p.features.columns], ref["cnt"])
    return p, ref, model


def test_decision_flags_third_week_of_february_2011_by_target_or_quality(hour, tutorial):
    p, ref, model = tutorial
    cur = window(hour, p, *TUTORIAL_WEEKS[3])
    decision = decide(check(ref, cur, p, model), p)
    print(decision)
    assert decision.drift
    assert any(r.startswith(("target drift: cnt", "quality drop: MAE")) for r in decision.reasons)


def test_decision_does_not_flag_first_week_after_training_despite_weather(hour, tutorial):
    """Week 1: most weather features moved (a note), but demand and error did not (no drift)."""
    p, ref, model = tutorial
    cur = window(hour, p, *TUTORIAL_WEEKS[1])
    result = check(ref, cur, p, model)
    decision = decide(result, p)
    assert not decision.drift, decision.reasons
    assert len(result.drifted_features) >= 4
    assert decision.notes and decision.notes[0].startswith("data drift:")
