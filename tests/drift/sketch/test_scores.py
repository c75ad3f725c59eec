"""Scores from summaries: equal to Evidently's exact ones on the bike data, within 0.5 % on wide data."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from staleguard.drift import check
from staleguard.drift.sketch.binned_scores import score
from staleguard.drift.sketch.compare_sketches import check_summaries, reference_summary
from staleguard.drift.sketch.window_summary import ColumnLayout, freeze, summarise
from staleguard.model import build_estimator
from tests.drift.sketch.conftest import window, with_drift, with_train

OVERRIDES = {"temp": {"method": "jensenshannon"}, "hum": {"method": "psi"},
             "hr": {"method": "jensenshannon"}, "season": {"method": "psi", "threshold": 0.2}}


@pytest.fixture(scope="module")
def bike(hour, params):
    """2011 as reference (model fitted on it), 2012 windows as current, with every method in use."""
    p = with_train(with_drift(params, columns=OVERRIDES), n_est=10)
    ref = window(hour, p, "2011-01-01", "2012-01-01")
    model = build_estimator(p.train, p.features).fit(ref[p.features.columns], ref["cnt"])
    return p, ref, model


@pytest.mark.parametrize("start,end", [("2012-06-01", "2012-07-01"), ("2012-01-01", "2013-01-01")])
def test_scores_equal_evidently_value_drift_on_bike_windows(bike, hour, start, end):
    p, ref, model = bike
    cur = window(hour, p, start, end)
    baseline = {"mae": 1.0, "rmse": 1.0, "r2": 0.0, "mape": 0.0}
    theirs = check(ref, cur, p, model, baseline=baseline, engine="evidently")
    ref_s = reference_summary(ref, p, model)
    cur_s = summarise(cur, ref_s.layout, model, p.features.columns)
    ours = check_summaries(ref_s, cur_s, p, baseline=baseline)
    pairs = [*zip(ours.features.values(), theirs.features.values(), strict=True),
             (ours.target, theirs.target), (ours.prediction, theirs.prediction)]
    for a, b in pairs[:-1]:  # features and target: exact value counts
        assert (a.column, a.method, a.threshold) == (b.column, b.method, b.threshold)
        assert a.score == pytest.approx(b.score, abs=1e-6), a.column
    # the model's predictions take > 1000 distinct values on the 2011 reference: frozen bins
    assert ours.prediction.score == pytest.approx(theirs.prediction.score, rel=0.005)
    assert {c.method for c in ours.features.values()} == {"wasserstein", "jensenshannon", "psi"}
    assert ours.quality.current == check(ref, cur, p, model, baseline=baseline).quality.current


def _case(name, rng):
    ref = rng.normal(0, 1, 20_000)
    cur = {
        "normal": lambda: rng.normal(0, 1, 300_000),
        "shifted": lambda: rng.normal(0.3, 1.2, 300_000),
        "lognormal": lambda: rng.lognormal(0.1, 1.1, 300_000),
        "outliers": lambda: np.where(rng.random(300_000) < 0.01, 40.0, rng.normal(0, 1, 300_000)),
        "beyond-range": lambda: rng.normal(3.5, 1.5, 300_000),
    }[name]()
    if name == "lognormal":
        ref = rng.lognormal(0, 1, 20_000)
    return ref, cur


@pytest.mark.parametrize("name", ["normal", "shifted", "lognormal", "outliers", "beyond-range"])
def test_scores_wasserstein_within_half_percent_on_wide_synthetic_columns(name):
    ref, cur = _case(name, np.random.default_rng(7))
    layout = freeze(pd.DataFrame({"x": ref}), {"x": "numerical"})
    assert not layout.columns["x"].exact  # 20k distinct values: frozen bins, not value counts
    r = summarise(pd.DataFrame({"x": ref}), layout).columns["x"]
    c = summarise(pd.DataFrame({"x": cur}), layout).columns["x"]
    assert c.bins is not None
    expected = stats.wasserstein_distance(ref, cur) / np.std(ref)
    assert score("wasserstein", r, c, layout.columns["x"]) == pytest.approx(expected, rel=0.005)


def test_scores_constant_reference_uses_the_norm_floor():
    spec = ColumnLayout("numerical", False, np.array([1.0, 1.0]))
    layout = freeze(pd.DataFrame({"x": [1.0] * 5}), {"x": "numerical"})
    r = summarise(pd.DataFrame({"x": [1.0] * 5}), layout).columns["x"]
    x = np.linspace(0, 2, 30_001)
    c = summarise(pd.DataFrame({"x": x}), layout).columns["x"]
    assert c.bins is not None  # 30k distinct values overflow the exact counts: all of it in the tails
    assert score("wasserstein", r, c, spec) == pytest.approx(np.mean(np.abs(x - 1)) / 0.001, rel=1e-9)
