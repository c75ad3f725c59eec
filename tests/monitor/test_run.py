"""The monitor's I/O edges: the deployed model's version, empty stores, simulate's date check."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from staleguard.errors import ConfigError, DataError, ModelError
from staleguard.monitor import monitor_job, simulate, store

LOCK = """schema: '2.0'
stages:
  train:
    outs:
    - path: artifacts/model.json
      md5: 11111111111111111111111111111111
    - path: artifacts/model.skops
      md5: a1f7141d6bdab95dbf44a357a294bf2e
"""


def test_run_deployed_version_is_model_md5_prefix_from_lock(tmp_path: Path):
    (tmp_path / "dvc.lock").write_text(LOCK)
    assert monitor_job.deployed_version(tmp_path / "dvc.lock") == "a1f7141d"


def test_run_deployed_version_without_model_entry_says_run_repro(tmp_path: Path):
    (tmp_path / "dvc.lock").write_text("schema: '2.0'\nstages: {}\n")
    with pytest.raises(ModelError, match=r"dvc.lock: no output 'artifacts/model.skops' with an md5"):
        monitor_job.deployed_version(tmp_path / "dvc.lock")


def test_run_deployed_version_missing_lock_is_a_model_error(tmp_path: Path):
    with pytest.raises(ModelError, match=r"dvc.lock: not found; run `dvc repro` first"):
        monitor_job.deployed_version(tmp_path / "dvc.lock")


def test_monitor_store_with_only_old_batches_is_an_error(tmp_path, monkeypatch, make_batch, params):
    (tmp_path / "dvc.lock").write_text(LOCK)
    monkeypatch.chdir(tmp_path)
    store.write_batch(str(tmp_path / "prod"), make_batch("2011-01-10", "2011-01-17"), params, "old")
    with pytest.raises(DataError, match=r"store .*prod: no labeled production rows at or after "
                       r"2011-02-01 00:00 \(the training window's end\)"):
        monitor_job.monitor(params, str(tmp_path / "prod"))


def test_simulate_through_before_training_end_is_refused(hour, params):
    with pytest.raises(ConfigError, match=r"--through 2011-01-15 is before the training window's end"):
        simulate.labeled_batches(hour, None, "v", params, date(2011, 1, 15))


def test_simulate_cuts_weekly_labeled_batches_with_predictions(hour, params):
    class Mean:
        def predict(self, x):
            return [42.0] * len(x)

    frames = simulate.labeled_batches(hour, Mean(), "abcd1234", params, date(2011, 2, 20))
    assert [f["timestamp"].min().day for f in frames] == [1, 8, 15]
    assert frames[-1]["timestamp"].max() < params.windows.train.end.replace(day=21)
    for f in frames:
        assert list(f.columns) == store.columns(params)
        assert (f["prediction"] == 42.0).all() and (f["model_version"] == "abcd1234").all()
        store.validate(f, "simulated", params)
