"""Scores from value counts equal Evidently's own, and mean the same at any window size."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from staleguard.drift import check
from staleguard.drift.count_scores import Counts, wasserstein
from staleguard.model import build_estimator
from tests.drift.conftest import window, with_drift, with_train

OVERRIDES = {"temp": {"method": "jensenshannon"}, "hum": {"method": "psi"},
             "hr": {"method": "jensenshannon"}, "season": {"method": "psi", "threshold": 0.2}}


def test_scores_equal_evidently_value_drift_on_real_windows(hour, params):
    """Every method (both column types, ≤20 and >20 distinct values, unseen values) against Evidently."""
    p = with_train(with_drift(params, columns=OVERRIDES), n_est=10)
    ref = window(hour, p, "2011-01-01", "2011-01-29")
    model = build_estimator(p.train, p.features).fit(ref[p.features.columns], ref["cnt"])
    cur = window(hour, p, "2011-06-01", "2011-07-01")  # season, mnth, temp range unseen in January
    baseline = {"mae": 1.0, "rmse": 1.0, "r2": 0.0, "mape": 0.0}
    ours = check(ref, cur, p, model, baseline=baseline)
    theirs = check(ref, cur, p, model, baseline=baseline, engine="evidently")
    pairs = [*zip(ours.features.values(), theirs.features.values(), strict=True),
             (ours.target, theirs.target), (ours.prediction, theirs.prediction)]
    for a, b in pairs:
        assert (a.column, a.method, a.threshold) == (b.column, b.method, b.threshold)
        assert a.score == pytest.approx(b.score, rel=1e-9, abs=1e-12), a.column
    assert {c.method for c in ours.features.values()} == {"wasserstein", "jensenshannon", "psi"}
    assert sum(c.drifted for c in ours.features.values()) >= 4  # not a trivial all-zero comparison


def test_scores_wasserstein_equals_scipy_on_continuous_values():
    rng = np.random.default_rng(1)
    ref, cur = rng.normal(0, 2, 3000), rng.lognormal(0, 1, 500)
    expected = stats.wasserstein_distance(ref, cur) / np.std(ref)
    assert wasserstein(Counts.of(pd.Series(ref)), Counts.of(pd.Series(cur))) == pytest.approx(expected)


def test_scores_wasserstein_same_at_17k_and_1m_rows_where_p_values_collapse(hour):
    """The same +0.05 temp shift scores the same on 17k and 1M rows; the KS p-value does not."""
    rng = np.random.default_rng(0)
    ref = hour["temp"]
    scores, pvalues = [], []
    for n in (17_379, 1_000_000):
        cur = pd.Series(rng.choice(ref.to_numpy(), n) + 0.05)
        scores.append(wasserstein(Counts.of(ref), Counts.of(cur)))
        pvalues.append(stats.ks_2samp(ref, cur).pvalue)
    assert scores[0] == pytest.approx(scores[1], abs=0.02)
    assert scores[1] > 0.2
    assert pvalues[1] < pvalues[0] * 1e-3


def test_counts_of_a_long_column_by_arrow_equal_pandas_value_counts():
    """Columns of ARROW_ROWS or more are counted by Arrow, on every core: the same counts."""
    from staleguard.drift.count_scores import ARROW_ROWS, counts_of

    rng = np.random.default_rng(0)
    n = ARROW_ROWS + 10
    floats = rng.integers(0, 50, n) / 50.0
    floats[:7] = np.nan
    floats[7:9] = -0.0  # counted with 0.0, as pandas does
    columns = [pd.Series(floats), pd.Series(rng.integers(-3, 900, n)), pd.Series(rng.normal(size=n))]
    for series, got in zip(columns, counts_of(columns), strict=True):
        vc = series.value_counts(dropna=True).sort_index()
        np.testing.assert_array_equal(got.values, vc.index.to_numpy(dtype=float))
        np.testing.assert_array_equal(got.counts, vc.to_numpy(dtype=float))
