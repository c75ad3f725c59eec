"""The one way to fit: the train stage, the retraining evidence and the PR backtest all fit the
shipped recipe, sample weights included (issue 19: the evidence and the backtest used to fit
unweighted models whatever `windows.retrain.policy` said)."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from staleguard.data.windows import final_windows, rows_in
from staleguard.model import build_estimator
from staleguard.monitor import evidence
from staleguard.params import Params, TrainParams, Window, load_params
from staleguard.recipe import Recipe
from staleguard.report import gate
from staleguard.stages.train import train
from staleguard.verdict.backtest import Fitter

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def weighted() -> Params:
    """`windows.retrain.policy: weighted` (half-life 2 weeks), a 5-tree forest."""
    p = load_params(ROOT / "params.yaml")
    retrain = p.windows.retrain.model_copy(update={"policy": "weighted", "half_life_weeks": 2.0})
    return p.model_copy(update={"windows": p.windows.model_copy(update={"retrain": retrain}),
                                "train": TrainParams(n_est=5, seed=3)})


def by_hand(frame: pd.DataFrame, end: datetime, p: Params, weights: bool = True):
    """The reference fit, written out: 0.5 ** (age in weeks / half-life) as sklearn's sample_weight."""
    model = build_estimator(p.train, p.features)
    age = (pd.Timestamp(end) - frame["timestamp"]).dt.total_seconds() / (7 * 86400)
    extra = {"sample_weight": 0.5 ** (age.to_numpy() / 2.0)} if weights else {}
    return model.fit(frame[p.features.columns], frame[p.features.target], **extra)


def test_recipe_weighted_evidence_and_backtest_fit_with_the_shipped_weights(hour, weighted):
    history = hour[hour["timestamp"] < pd.Timestamp("2011-05-01")].reset_index(drop=True)
    first = history["timestamp"].min().to_pydatetime()
    week = Window(start=datetime(2011, 4, 19), end=datetime(2011, 4, 26))
    x = history[weighted.features.columns]
    recipes = {"evidence": evidence.retrain_recipe(weighted), "backtest": gate.recipe(weighted)}
    for name, recipe in recipes.items():
        fitter = Fitter(history)
        window = recipe.window(week.start, first)
        model = fitter.model(recipe, window)
        rows = fitter.rows(window)
        got = model.predict(x)
        assert np.array_equal(got, by_hand(rows, window.end, weighted).predict(x)), name
        assert not np.array_equal(got, by_hand(rows, window.end, weighted, False).predict(x)), name
    # weighted keeps growing from its start, exactly the window `staleguard retrain` trains on
    # with data up to that week (final_windows: its first week held out as windows.eval)
    shipped = evidence.retrain_recipe(weighted).window(week.start, first)
    assert shipped == final_windows(week.start, weighted)[0]
    assert shipped.start == datetime(2011, 1, 11)


def test_recipe_train_stage_fits_the_same_recipe(hour, weighted):
    windows = weighted.windows.model_copy(update={"train": Window(start="2011-02-01", end="2011-04-01"),
                                                  "eval": Window(start="2011-04-01", end="2011-04-08")})
    p = weighted.model_copy(update={"windows": windows})
    assert p.windows.retrain.policy == "weighted"
    frame = rows_in(hour, windows.train).reset_index(drop=True)
    x, end = frame[p.features.columns], datetime(2011, 4, 1)
    got = train(frame, p).predict(x)
    assert np.array_equal(got, by_hand(frame, end, p).predict(x))
    assert np.array_equal(got, Recipe.shipped(p).fit(frame, end).predict(x))


def test_recipe_describes_its_window_rule(weighted):
    sliding = weighted.windows.retrain.model_copy(update={"policy": "sliding"})
    p = weighted.model_copy(update={"windows": weighted.windows.model_copy(update={"retrain": sliding})})
    assert Recipe.shipped(p).describe() == "the 12 weeks before"
    assert Recipe.shipped(weighted).describe() == ("everything since 2011-01-01 (at least 12 weeks) before "
                                                  "(recent rows weighted, half-life 2 weeks)")
    assert Recipe.shipped(p).window(datetime(2011, 6, 7), datetime(2011, 1, 1)).start == \
        datetime(2011, 6, 7) - timedelta(weeks=12)
