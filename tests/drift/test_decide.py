"""The decision: which findings trigger, and the reasons in words."""

import pytest

from staleguard.drift import ColumnDrift, DriftResult, Quality, decide
from tests.drift.conftest import with_drift


def result(temp=0.05, hum=0.05, season=0.0, target=0.1, prediction=0.1, mae=(10.0, 11.0),
           with_quality=True) -> DriftResult:
    features = {c.column: c for c in (
        ColumnDrift("temp", "numerical", "wasserstein", temp, 0.2),
        ColumnDrift("hum", "numerical", "wasserstein", hum, 0.2),
        ColumnDrift("season", "categorical", "jensenshannon", season, 0.1))}
    quality = Quality("mae", {"mae": mae[0]}, {"mae": mae[1]}, "cv") if with_quality else None
    return DriftResult(
        features=features, share=sum(c.drifted for c in features.values()) / 3,
        target=ColumnDrift("cnt", "numerical", "wasserstein", target, 0.3) if target is not None else None,
        prediction=ColumnDrift("prediction", "numerical", "wasserstein", prediction, 0.3),
        quality=quality, rows={"reference": 700, "current": 168}, windows={})


def test_decide_no_finding_is_no_drift(params):
    decision = decide(result(), params)
    assert not decision.drift and decision.reasons == [] and decision.notes == []


def test_decide_target_drift_triggers_with_its_score_in_words(params):
    decision = decide(result(target=0.58), params)
    assert decision.drift
    assert decision.reasons == ["target drift: cnt: Wasserstein 0.58 ≥ 0.30"]


def test_decide_prediction_drift_triggers(params):
    assert decide(result(prediction=0.31), params).reasons == [
        "prediction drift: prediction: Wasserstein 0.31 ≥ 0.30"]


def test_decide_quality_drop_beyond_tolerance_triggers(params):
    decision = decide(result(mae=(10.0, 18.4)), params)
    assert decision.reasons == ["quality drop: MAE 18.4 vs 10.0 on the reference (+84% > +50%)"]


@pytest.mark.parametrize("current", [10.0, 12.5, 8.0])
def test_decide_quality_within_tolerance_is_no_drift(params, current):
    assert not decide(result(mae=(10.0, current)), params).drift


def test_decide_data_drift_alone_is_a_note_by_default(params):
    decision = decide(result(temp=0.31, hum=0.9), params)
    assert not decision.drift
    assert decision.notes == ["data drift: 2 of 3 features drifted (share 0.67 ≥ 0.50): "
                              "hum: Wasserstein 0.90 ≥ 0.20; temp: Wasserstein 0.31 ≥ 0.20 "
                              "(not a trigger: drift.triggers.data is false)"]


def test_decide_data_drift_triggers_when_enabled(params):
    p = with_drift(params, triggers={"data": True})
    decision = decide(result(temp=0.31, hum=0.9), p)
    assert decision.drift and decision.reasons[0].startswith("data drift: 2 of 3 features drifted")


def test_decide_share_below_setting_is_not_data_drift(params):
    p = with_drift(params, triggers={"data": True}, share=0.7)
    assert not decide(result(temp=0.31, hum=0.9), p).drift


def test_decide_target_trigger_off_keeps_finding_as_note(params):
    p = with_drift(params, triggers={"target": False})
    decision = decide(result(target=0.58), p)
    assert not decision.drift
    assert decision.notes == ["target drift: cnt: Wasserstein 0.58 ≥ 0.30 "
                              "(not a trigger: drift.triggers.target is false)"]


def test_decide_without_actuals_says_what_was_not_measured(params):
    decision = decide(result(target=None, with_quality=False), params)
    assert decision.notes == ["the current window has no actuals: target drift and quality not measured"]
