"""A retrain's training rows on event-level data (issue 18): the rows `prepare` trains on after
a retrain are the rows before plus the accepted batch's, nothing de-duplicated by time.

Through the functions the retrain runs (monitor/retrain.py: `copy_batches` re-reads the accepted
batch from the store into data/batches, `move_windows` rewrites params.yaml) and the history
`prepare` assembles (data/history.history_frame, stages/prepare.split) — not a `dvc repro` in a
scratch clone, which takes minutes on this fixture (tests/flights/test_loop.py runs one)."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from staleguard.data import history as hist
from staleguard.model import load_model
from staleguard.monitor import retrain, simulate, store
from staleguard.params import Params, load_params
from staleguard.stages import prepare
from tests.flights.conftest import PARAMS, SLICE
from tests.flights.data import flights


def test_training_rows_after_a_retrain_are_before_plus_the_batch(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, events: pd.DataFrame, fparams: Params, fmodel):
    raw = flights(**SLICE)
    hours = pd.to_datetime(raw["time"], utc=True).dt.tz_localize(None)
    # the batch: LaGuardia's flights of the week after the evaluation week; Newark's flights of
    # the same hours stay in the raw data, so de-duplicating by time would drop rows
    held = ((hours >= "2013-01-22") & (hours < "2013-01-29") & (raw["origin"] == "LGA")).to_numpy()
    monkeypatch.chdir(tmp_path)
    Path("data").mkdir()
    raw[~held].to_csv("data/flights.csv", index=False)
    shutil.copy2(PARAMS, "params.yaml")
    retrain.move_windows(Path("params.yaml"), {"start": "2013-01-01", "end": "2013-01-29"},
                         {"start": "2013-01-29", "end": "2013-02-05"})
    params = load_params(Path("params.yaml"))
    before, _ = prepare.split(hist.history_frame(params), params)

    production = events[events["flight_id"].isin(raw.loc[held, "flight_id"])]
    week = [w for w in simulate.labeled_batches(production, load_model(fmodel), "v1", fparams,
                                                date(2013, 1, 28)) if len(w)]
    assert len(week) == 1 and len(week[0]) == held.sum()  # as serving logged it, with predictions
    url = store.write_batch(str(tmp_path / "store"), week[0], params, "test")
    copied = retrain.copy_batches({"batches": [{"url": url, "name": Path(url).name}]}, params)
    assert len(copied) == 1

    after, evaluation = prepare.split(hist.history_frame(params), params)
    assert len(after) == len(before) + held.sum()  # before + the accepted batch's rows
    shared = set(week[0]["timestamp"]) & set(before["timestamp"])
    assert len(shared) > 100  # the batch's hours are in the raw data too, and nothing was dropped
    assert len(evaluation) > 0
