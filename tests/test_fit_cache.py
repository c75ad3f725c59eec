"""Fitted models held in memory are bounded by design (issue 34): the cache counts bytes, a walk
forward keeps at most its fold's two models alive, and the evidence scores a bounded number of
windows whatever the deployment's age."""

from __future__ import annotations

import gc
import pickle
import weakref
from datetime import datetime, timedelta

import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import RandomForestRegressor

from staleguard import model as model_module
from staleguard import recipe as recipe_module
from staleguard.fit_cache import MB, FitCache, model_bytes
from staleguard.monitor import evidence
from staleguard.params import Params, TrainParams, Window, load_params
from staleguard.verdict.backtest import Fitter, walk_forward
from tests.conftest import ROOT


@pytest.fixture(scope="module")
def bike_params() -> Params:
    return load_params(ROOT / "params.yaml")


def forest(rows: int, trees: int = 5, seed: int = 0) -> RandomForestRegressor:
    rng = np.random.default_rng(seed)
    x = rng.random((rows, 4))
    return RandomForestRegressor(trees, random_state=seed).fit(x, x[:, 0] + rng.random(rows))


def test_model_bytes_is_the_size_of_the_models_arrays():
    for m in (forest(2000), forest(8000, trees=3)):
        size, pickled = model_bytes(m), len(pickle.dumps(m))
        assert 0.95 * pickled < size < 1.05 * pickled


def test_cache_evicts_by_bytes_and_never_keeps_a_model_above_its_budget():
    small, big = forest(2000), forest(20000)
    cache = FitCache(budget_mb=1.5 * model_bytes(small) / MB)
    cache.put("a", small)
    cache.put("b", forest(2000, seed=1))        # two small ones exceed 1.5 of them: "a" goes
    assert list(cache.items) == ["b"] and cache.held <= cache.budget
    cache.put("c", big)                         # alone above the budget: scored and dropped
    assert cache.get("c") is None and list(cache.items) == ["b"]
    cache.resize(0)
    assert not cache.items and cache.held == 0


@pytest.fixture
def history(hour: pd.DataFrame) -> pd.DataFrame:
    return hour[hour["timestamp"] < pd.Timestamp("2011-04-01")].reset_index(drop=True)


def test_walk_forward_keeps_at_most_two_fitted_models_alive(history, bike_params, monkeypatch):
    """Six weekly folds of two different recipes with no cache: never more than the fold's two
    models exist at once (the last fold's are dropped before the next fits), so memory does not
    grow with the folds."""
    alive: weakref.WeakSet[object] = weakref.WeakSet()
    most = [0]
    build = model_module.build_estimator

    def counted(*args, **kwargs):
        gc.collect()
        most[0] = max(most[0], len(alive) + 1)
        made = build(*args, **kwargs)
        alive.add(made)
        return made

    monkeypatch.setattr(recipe_module, "build_estimator", counted)
    p = bike_params.model_copy(update={"train": TrainParams(n_est=3, seed=1)})
    champion = evidence.retrain_recipe(p)
    challenger = evidence.retrain_recipe(bike_params.model_copy(
        update={"train": TrainParams(n_est=4, seed=2)}))
    end = datetime(2011, 4, 1)
    weeks = [Window(start=end - (i + 1) * timedelta(days=7), end=end - i * timedelta(days=7))
             for i in range(6)][::-1]
    fitter = Fitter(history, cache_mb=0)
    paired = walk_forward(fitter, weeks, champion, challenger)
    assert paired.folds == 6 and fitter.fits == 12
    assert most[0] <= 2, f"{most[0]} fitted models alive at once"


def test_the_evidence_scores_the_latest_windows_only(hour, bike_params):
    current = hour[(hour["timestamp"] >= pd.Timestamp("2011-02-01"))
                   & (hour["timestamp"] < pd.Timestamp("2011-06-01"))]
    every = evidence.weeks_since(bike_params.model_copy(update={"monitor": bike_params.monitor.model_copy(
        update={"evidence_windows": 1000})}), current)
    bounded = evidence.weeks_since(bike_params, current)
    assert len(every) == 18 and len(bounded) == bike_params.monitor.evidence_windows == 8
    assert bounded == every[-8:]
