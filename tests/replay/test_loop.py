"""The in-memory `dvc repro` of a retraining PR: ids, reuse of identical training runs."""

from __future__ import annotations

from datetime import datetime

import pandas as pd
import pytest

from staleguard.data.history import history_frame as history
from staleguard.params import TrainParams, Window
from staleguard.replay.trainer import Trainer
from tests.replay.conftest import with_replay


@pytest.fixture(scope="module")
def small(params, raw_csv, tmp_path_factory):
    """Params with a 5-tree forest (the arithmetic, not the model, is under test) and its history."""
    p = with_replay(params, raw_csv, tmp_path_factory.mktemp("loop"), "2011-03-01", ["weekly"])
    p = p.model_copy(update={"train": TrainParams(n_est=5, seed=1)})
    return p, history(p)


def moved(params, train_start: str, train_end: str, eval_end: str):
    start, end, stop = (datetime.fromisoformat(d) for d in (train_start, train_end, eval_end))
    windows = params.windows.model_copy(update={"train": Window(start=start, end=end),
                                                "eval": Window(start=end, end=stop)})
    return params.model_copy(update={"windows": windows})


def test_trainer_fits_an_identical_training_run_once(small):
    params, frame = small
    trainer = Trainer()
    a = trainer.build(frame, moved(params, "2011-01-18", "2011-02-15", "2011-02-22"), "v2")
    b = trainer.build(frame.copy(), moved(params, "2011-01-18", "2011-02-15", "2011-02-22"), "v5")
    assert trainer.fits == 1 and a.estimator is b.estimator and a.model_id == b.model_id
    assert (a.version, b.version) == ("v2", "v5")


def test_trainer_new_rows_or_windows_mean_a_new_model(small):
    params, frame = small
    trainer = Trainer()
    a = trainer.build(frame, moved(params, "2011-01-18", "2011-02-15", "2011-02-22"), "v2")
    b = trainer.build(frame, moved(params, "2011-01-25", "2011-02-22", "2011-03-01"), "v3")
    changed = frame.assign(cnt=frame["cnt"] + (frame["timestamp"] == pd.Timestamp("2011-02-01 08:00")))
    c = trainer.build(changed, moved(params, "2011-01-18", "2011-02-15", "2011-02-22"), "v4")
    assert trainer.fits == 3 and len({a.model_id, b.model_id, c.model_id}) == 3


def test_trainer_deployment_carries_its_reference_and_pr_metrics(small):
    params, frame = small
    dep = Trainer().build(frame, moved(params, "2011-01-18", "2011-02-15", "2011-02-22"), "v2")
    assert dep.reference["timestamp"].min() >= pd.Timestamp("2011-01-18")
    assert dep.reference["timestamp"].max() < pd.Timestamp("2011-02-15")
    assert set(dep.eval) == {"mae", "rmse", "r2", "mape"} and dep.eval["mae"] > 0
