"""Degenerate data never crashes a decision (issue 31.3): a constant column, a near-constant one
(values a few ulps apart), all-null, one category and a one-row window give every drift method,
the decision, drift.json/.md, the plots and the summary engine a number or "not decided" (NaN,
None), never an exception; ±inf is refused at the contract in one line."""

from __future__ import annotations

import json
import math
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from staleguard.contract import validate_frame
from staleguard.drift import count_scores, decide, noise, write_outputs
from staleguard.drift.compare import compare
from staleguard.drift.evidently_adapter import save_html, settled
from staleguard.drift.sketch.compare_sketches import reference_summary
from staleguard.errors import DataError
from staleguard.model import build_estimator, fit_in_order
from staleguard.params import Params
from tests.drift.conftest import window, with_drift, with_train

METHODS = ["wasserstein", "jensenshannon", "psi"]
BASE = 187.3   # a prediction-sized value: its ulp is 2.8e-14


def degenerate(shape: str, n: int, rng: np.random.Generator, like: pd.Series) -> pd.Series:
    """A column of `n` values of one degenerate `shape` (one category: `like`'s first value)."""
    if shape == "constant":
        return pd.Series(np.full(n, BASE))
    if shape == "near-constant":   # 40 values a few ulps apart: > 20 distinct, the binned path
        return pd.Series(BASE + rng.integers(0, 40, n) * np.spacing(BASE))
    if shape == "all-null":
        return pd.Series(np.full(n, np.nan))
    return pd.Series(np.full(n, like.iloc[0]), dtype=like.dtype)   # one category


SHAPES = ["constant", "near-constant", "all-null", "one category"]


@pytest.fixture(scope="module")
def sides(hour: pd.DataFrame, params: Params) -> tuple[pd.DataFrame, pd.DataFrame]:
    return (window(hour, params, "2011-01-04", "2011-02-01"),
            window(hour, params, "2011-02-01", "2011-02-08"))


@pytest.fixture(scope="module")
def weak(sides: tuple[pd.DataFrame, pd.DataFrame], params: Params):
    """The issue's near-constant model: 3 trees, min_split 2000 (every tree a single leaf)."""
    p = with_train(params, n_est=3, min_split=2000)
    ref = sides[0]
    return fit_in_order(build_estimator(p.train, p.features), ref[p.features.columns], ref["cnt"])


def refuse(literal: str) -> None:
    raise AssertionError(f"drift.json holds {literal}, which is not JSON")


@pytest.fixture(scope="module")
def estimator(sides: tuple[pd.DataFrame, pd.DataFrame], weak, params: Params):
    """The label-free estimator of the weak model (out-of-fold errors on the real reference)."""
    from staleguard.drift.estimate import fit_from_model

    return fit_from_model(weak, sides[0], with_train(params, n_est=3, min_split=2000))[0]


def finite_or_undecided(value: float | None) -> bool:
    return value is None or math.isnan(value) or math.isfinite(value)


@settings(max_examples=30, deadline=None, phases=[Phase.explicit, Phase.reuse, Phase.generate],
          suppress_health_check=[HealthCheck.function_scoped_fixture])  # no shrinking: each case is ~1 s
@given(column=st.sampled_from(["temp", "hum", "hr", "season", "weathersit", "cnt"]),
       shape=st.sampled_from(SHAPES), where=st.sampled_from(["reference", "current", "both"]),
       method=st.sampled_from(METHODS), one_row=st.sampled_from(["no", "current", "reference"]),
       summary=st.booleans(), seed=st.integers(0, 2**16))
def test_drift_check_on_degenerate_columns_gives_a_number_or_not_decided(
        sides, weak, estimator, params, tmp_path, column, shape, where, method, one_row, summary, seed):
    rng = np.random.default_rng(seed)
    categorical = "psi" if method == "wasserstein" else method   # wasserstein is numerical only
    p = with_drift(params, columns={"temp": {"method": method}, "hum": {"method": method},
                                    "hr": {"method": method}, "season": {"method": categorical},
                                    "weathersit": {"method": categorical}},
                   target={"method": method}, prediction={"method": method})
    ref, cur = (frame.copy() for frame in sides)
    if one_row == "current":
        cur = cur.iloc[[int(rng.integers(len(cur)))]].reset_index(drop=True)
    elif one_row == "reference":
        ref = ref.iloc[[int(rng.integers(len(ref)))]].reset_index(drop=True)
    for side, frame in (("reference", ref), ("current", cur)):
        if where in (side, "both"):
            frame[column] = degenerate(shape, len(frame), rng, frame[column]).to_numpy()
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)   # no 0/0 on the way to a number either
        try:
            reference = reference_summary(ref, p, weak) if summary else ref
            result = compare(reference, cur, p, weak, baseline={"mae": 40.0, "rmse": 50.0, "r2": 0.0},
                             **({} if summary else {"estimator": estimator}))
        except DataError as err:   # a refusal is an answer too, if it is one line
            assert "\n" not in str(err) and str(err), err
            return
        decision = decide(result, p)
    scores = [*result.features.values(), result.target, result.prediction]
    for col in filter(None, scores):
        assert finite_or_undecided(col.score) and (col.noise is None or col.noise >= 0), col
        assert not (math.isnan(col.score) and col.drifted), col
    assert isinstance(decision.drift, bool)
    if result.estimate is not None:
        assert math.isfinite(result.estimate.estimated), result.estimate
    write_outputs(tmp_path, result, decision, p)
    doc = json.loads((tmp_path / "drift.json").read_text(), parse_constant=refuse)  # no NaN/Infinity
    assert doc["drift"] == decision.drift
    assert (tmp_path / "plots" / "drift_distributions.png").stat().st_size > 0


def test_a_near_constant_model_predicts_one_value_on_every_call(sides, weak, params):
    """fit_in_order: the trees' outputs are summed in tree order, so the weak model's predictions
    are one value, the same bits on every call (threads summed them in finishing order)."""
    rows = sides[1][params.features.columns]
    first = weak.predict(rows)
    assert len(np.unique(first)) == 1
    assert all(np.array_equal(first, weak.predict(rows)) for _ in range(20))


@pytest.mark.parametrize("method", METHODS)
def test_scores_of_values_a_few_ulps_apart_are_numbers_not_a_bins_error(method):
    """26 Sturges bins over 25 representable values: numpy raised "Too many bins"."""
    values = BASE + np.arange(25) * np.spacing(BASE)
    ref = count_scores.Counts(values, np.full(25, 2e6))
    cur = count_scores.Counts(values[:22], np.full(22, 3.0))
    assert count_scores.sturges_edges(values[0], values[-1], ref.n + cur.n) is None
    assert math.isfinite(count_scores.score(method, ref, cur, True))
    assert math.isfinite(noise.noise(ref, 66, method, True))


@pytest.mark.parametrize("method", METHODS)
def test_a_column_without_values_scores_not_decided(method):
    empty = count_scores.Counts(np.array([]), np.array([]))
    full = count_scores.Counts.of(pd.Series([1.0, 2.0, 3.0]))
    assert math.isnan(count_scores.score(method, full, empty, True))
    assert math.isnan(count_scores.score(method, empty, full, False))


def test_evidently_html_of_a_near_constant_prediction_is_written(sides, params, tmp_path):
    """Evidently cuts every numerical column into histogram bins; a column a few ulps wide made
    numpy raise "Too many bins for data range" (the issue's drift-stage crash)."""
    rng = np.random.default_rng(0)
    ref, cur = (f.assign(prediction=degenerate("near-constant", len(f), rng, f["cnt"])) for f in sides)
    save_html(ref, cur, params, None, tmp_path / "drift.html")
    assert (tmp_path / "drift.html").stat().st_size > 0
    a, b = settled(ref, cur, ["prediction", "temp"])
    assert a["prediction"].nunique() == b["prediction"].nunique() == 1
    assert a["temp"].equals(ref["temp"])   # a real spread is left alone


@pytest.mark.parametrize("value", [np.inf, -np.inf])
def test_infinite_values_are_refused_at_the_contract_in_one_line(sides, params, value):
    frame = sides[1].copy()
    frame.loc[3, "temp"] = value
    with pytest.raises(DataError, match=r"temp") as err:
        validate_frame(frame, params, "current", Path("week.parquet"))
    assert "\n" not in str(err.value)


def test_out_of_fold_quality_needs_a_row_per_fold_and_says_so_in_one_line(sides, weak, params):
    """A one-row reference cut into 4 folds fitted a clone on 0 rows (sklearn's 'Found array
    with 0 sample(s)'): refused by out_of_fold, "not decided" for the drift check."""
    from staleguard.drift.quality import out_of_fold, reference_quality

    three = sides[0].head(3)
    with pytest.raises(DataError, match=r"^the reference has 3 row\(s\), fewer than drift\.quality\.folds "
                                        r"\(4\): no out-of-fold quality; give it more rows or fewer folds$"):
        out_of_fold(weak, three, params)
    assert reference_quality(weak, three, params, None) is None
    assert reference_quality(weak, sides[0].head(8), params, None)["mae"] >= 0


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(actual=st.sampled_from(["constant", "near-constant", "zeros", "counts"]),
       predicted=st.sampled_from(["constant", "near-constant", "zeros", "counts"]),
       rows=st.sampled_from([1, 2, 50]), seed=st.integers(0, 2**16))
def test_metrics_and_model_plots_of_degenerate_predictions_are_numbers_and_pictures(
        tmp_path, actual, predicted, rows, seed):
    """The evaluate stage's metrics and figures for a near-constant model on any window."""
    from staleguard import model_plots
    from staleguard.drift.quality import regression_metrics

    rng = np.random.default_rng(seed)

    def values(shape: str) -> np.ndarray:
        if shape == "counts":
            return rng.integers(0, 500, rows).astype(float)
        if shape == "zeros":
            return np.zeros(rows)
        return degenerate(shape, rows, rng, pd.Series([0])).to_numpy()

    y, p = values(actual), values(predicted)
    metrics = regression_metrics(y, p)
    assert {"mae", "rmse", "r2"} <= set(metrics) and all(finite_or_undecided(v) for v in metrics.values())
    assert math.isnan(metrics["r2"]) == (rows == 1), metrics   # one row has no variance to explain
    frame = pd.DataFrame({"timestamp": pd.date_range("2011-02-01", periods=rows, freq="h"),
                          "actual": y, "predicted": p, "residual": y - p})
    model_plots.predicted_vs_actual(frame, tmp_path / "pva.png")
    model_plots.residuals_over_time(frame, tmp_path / "res.png")
    assert (tmp_path / "pva.png").stat().st_size > 0 and (tmp_path / "res.png").stat().st_size > 0
