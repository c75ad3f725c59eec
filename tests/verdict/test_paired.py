"""The paired verdict on synthetic hourly series: the three outcomes, determinism, too little data."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest

from staleguard.params import ReportParams
from staleguard.verdict import Verdict, paired_verdict, passes

SETTINGS = ReportParams()


def series(days: int = 28, seed: int = 0) -> tuple[np.ndarray, np.ndarray, pd.DatetimeIndex]:
    """Hourly counts with a daily shape and a day-level shock shared by every hour of a day."""
    rng = np.random.default_rng(seed)
    ts = pd.date_range("2011-03-01", periods=24 * days, freq="h")
    shape = 100 + 80 * np.sin(np.arange(len(ts)) * 2 * np.pi / 24)
    actual = shape + np.repeat(rng.normal(0, 30, days), 24) + rng.normal(0, 15, len(ts))
    return actual, shape, ts


def test_paired_verdict_identical_models_read_no_clear_difference():
    actual, pred, ts = series()
    v = paired_verdict(actual, pred, pred.copy(), ts, SETTINGS)
    assert isinstance(v, Verdict)
    assert v.verdict == "no clear difference" and v.delta == 0 and v.ci == (0.0, 0.0)
    assert v.rows == 24 * 28 and v.days == 28 and v.folds == 1
    assert "lies inside the margin" in v.note
    assert passes(v) and not passes(v, undecided="fail")


def test_paired_verdict_a_clearly_worse_model_reads_worse_with_the_whole_ci_above():
    actual, pred, ts = series()
    noisy = pred + np.random.default_rng(1).normal(0, 40, len(pred))
    v = paired_verdict(actual, pred, noisy, ts, SETTINGS, folds=4)
    assert v.verdict == "worse" and v.ci[0] > SETTINGS.tolerance and v.delta > 0
    assert v.champion < v.challenger and v.folds == 4
    assert not passes(v)


def test_paired_verdict_a_clearly_better_model_reads_better():
    actual, pred, ts = series()
    v = paired_verdict(actual, pred + 30, pred, ts, SETTINGS)
    assert v.verdict == "better" and v.ci[1] < -SETTINGS.margin and passes(v)


def test_paired_verdict_a_tiny_difference_is_no_clear_difference():
    """Half a percent better on every row is real, but inside the equivalence margin."""
    actual, pred, ts = series()
    v = paired_verdict(actual, pred, pred + 0.005 * (actual - pred), ts, SETTINGS)
    assert v.verdict == "no clear difference" and v.ci[1] < 0


def test_paired_verdict_r2_treats_higher_as_better():
    actual, pred, ts = series()
    v = paired_verdict(actual, pred + 30, pred, ts, ReportParams(metric="r2"))
    assert v.verdict == "better" and v.delta > 0


@pytest.mark.parametrize("metric", ["mae", "rmse", "mape", "r2"])
def test_paired_verdict_is_deterministic_and_reports_the_metric_values(metric):
    actual, pred, ts = series()
    other = pred + np.random.default_rng(2).normal(0, 10, len(pred))
    one, two = (paired_verdict(actual, pred, other, ts, ReportParams(metric=metric))
                for _ in range(2))
    assert one == two and one.to_dict()["metric"] == metric
    if metric == "mae":
        assert one.champion == pytest.approx(np.mean(np.abs(actual - pred)))


def test_paired_verdict_to_dict_has_the_gate_keys():
    actual, pred, ts = series()
    d = paired_verdict(actual, pred, pred + 1, ts, SETTINGS).to_dict()
    assert {"metric", "verdict", "delta", "ci", "confidence", "rows", "days", "folds",
            "method"} <= set(d)
    assert isinstance(d["ci"], list) and len(d["ci"]) == 2 and "day-block bootstrap" in d["method"]


def test_paired_verdict_too_few_days_is_not_enough_data():
    actual, pred, ts = series(days=3)
    v = paired_verdict(actual, pred, pred + 50, ts, SETTINGS)
    assert v.verdict == "not enough data" and v.ci is None and "report.min_days" in v.note
    assert v.to_dict()["ci"] is None


def test_paired_verdict_too_few_rows_is_not_enough_data():
    actual, pred, ts = series(days=10)
    keep = slice(None, None, 10)
    v = paired_verdict(actual[keep], pred[keep], pred[keep] + 50, ts[keep], SETTINGS)
    assert v.verdict == "not enough data" and "report.min_rows" in v.note


def test_paired_verdict_rejects_unpaired_inputs():
    actual, pred, ts = series()
    with pytest.raises(ValueError, match="one value per row"):
        paired_verdict(actual, pred[:-1], pred, ts, SETTINGS)


def test_paired_verdict_is_fast_on_a_year_of_hours():
    actual, pred, ts = series(days=365)
    start = time.perf_counter()
    paired_verdict(actual, pred, pred + 1, ts, SETTINGS)
    assert time.perf_counter() - start < 0.5


@pytest.mark.parametrize(("lo", "hi", "metric", "says"), [
    (-0.005, 0.004, "mae", "lies inside the margin (-1.0% to +2.0%"),
    (-0.019, 0.015, "mae", "crosses zero: the data cannot tell the two apart yet"),
    (-0.019, -0.001, "mae", "excludes zero on the better side but reaches inside the 1.0% margin"),
    (0.001, 0.05, "mae", "excludes zero on the worse side but reaches inside the 2.0% tolerance"),
    (0.001, 0.019, "r2", "excludes zero on the better side"),  # higher r2: better
])
def test_the_undecided_sentence_follows_the_interval(lo, hi, metric, says):
    """Issue 20: "[-1.9%, -0.1%] spans both sides" was said of an interval that excludes zero."""
    from staleguard.verdict.paired import explain, rule

    assert rule(lo, hi, metric, SETTINGS.margin, SETTINGS.tolerance) == "no clear difference"
    text = explain("no clear difference", lo, hi, metric, SETTINGS)
    assert says in text, text
    assert ("crosses zero" in text) == (lo < 0 < hi and "inside the margin" not in text)


def test_the_docs_quote_the_verdict_sentences_word_for_word():
    """docs/pr-workflow.md lists the sentence for each kind of undecided interval: each one is
    what `explain` prints for such an interval with the default settings."""
    from staleguard.verdict.paired import explain
    from tests.conftest import ROOT

    docs = (ROOT / "docs" / "pr-workflow.md").read_text()
    for lo, hi in ((-0.005, 0.004), (-0.019, 0.015), (-0.019, -0.001), (0.001, 0.05)):
        text = explain("no clear difference", lo, hi, "mae", SETTINGS)
        tail = text.split("] ", 1)[1]
        assert f"`{tail}`" in docs, tail
