"""The monitor's window policies: the drift reference, the retraining window, recency weights,
and where the monitor writes (never onto a DVC stage's outputs)."""

from __future__ import annotations

import subprocess
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from staleguard import artifacts
from staleguard.data import windows as policy
from staleguard.monitor import monitor_job
from staleguard.params import Params, Window
from staleguard.recipe import Recipe

ROOT = Path(__file__).resolve().parents[2]


def _with(params: Params, train: tuple[str, str] = ("2011-01-01", "2011-02-01"), **policy: object) -> Params:
    """`params` with these windows.train/eval and `policy` (reference__weeks: windows.reference.weeks)."""
    win = params.windows.model_copy(update={
        "train": Window(start=train[0], end=train[1]),
        "eval": Window(start=train[1], end=pd.Timestamp(train[1]) + pd.Timedelta(days=7))})
    for key, value in policy.items():
        section, _, field = key.partition("__")
        win = win.model_copy(update={section: getattr(win, section).model_copy(update={field: value})}
                             if field else {section: value})
    return params.model_copy(update={"windows": win})


@pytest.fixture(scope="module")
def hourly() -> pd.DataFrame:
    ts = pd.date_range("2011-01-01", "2012-03-01", freq="h", inclusive="left")
    return pd.DataFrame({"timestamp": ts, "cnt": np.arange(len(ts), dtype=float)})


def test_policy_reference_training_is_the_whole_training_window(hourly, params):
    rows, info = policy.reference_rows(hourly, _with(params, reference__policy="training"))
    assert rows["timestamp"].min() == pd.Timestamp("2011-01-01") and len(rows) == 31 * 24
    assert info["policy"] == info["used"] == "training" and info["rows"] == 31 * 24


def test_policy_reference_recent_is_the_last_weeks_of_training(hourly, params):
    p = _with(params, ("2011-01-01", "2011-12-01"), reference__policy="recent", reference__weeks=2)
    rows, info = policy.reference_rows(hourly, p, datetime(2011, 12, 1))
    assert rows["timestamp"].min() == pd.Timestamp("2011-11-17") and len(rows) == 14 * 24
    assert info["used"] == "recent" and info["end"] == "2011-11-30T23:00"


def test_policy_reference_last_year_takes_the_same_weeks_a_year_earlier(hourly, params):
    p = _with(params, ("2011-01-01", "2012-02-01"), reference__policy="last_year", reference__weeks=3)
    rows, info = policy.reference_rows(hourly, p, datetime(2012, 2, 7))
    lo = pd.Timestamp("2012-02-07") - pd.Timedelta(weeks=52 + 1)
    assert rows["timestamp"].min() == lo and len(rows) == 21 * 24 and info["used"] == "last_year"


def test_policy_reference_last_year_without_history_falls_back_to_recent(hourly, params):
    p = _with(params, reference__policy="last_year", reference__weeks=2)
    rows, info = policy.reference_rows(hourly, p, datetime(2011, 2, 1))
    assert info["used"] == "recent" and "no history a year earlier" in info["note"]
    assert rows["timestamp"].min() == pd.Timestamp("2011-01-18")


def test_policy_retrain_window_sliding_moves_all_keeps_its_start(params):
    sliding = policy.final_windows(datetime(2011, 5, 31), _with(params, retrain__policy="sliding",
                                                               retrain__train_weeks=4))[0]
    grown = _with(params, ("2011-01-11", "2011-02-01"), retrain__policy="all")
    before = Window(start=datetime(2011, 1, 4), end=datetime(2011, 1, 11))
    grown = grown.model_copy(update={"windows": grown.windows.model_copy(update={"eval": before})})
    grown = policy.final_windows(datetime(2011, 5, 31), grown)[0]
    assert sliding.start == datetime(2011, 5, 3) and sliding.end == grown.end == datetime(2011, 5, 31)
    assert grown.start == datetime(2011, 1, 11)


def test_policy_sample_weight_halves_every_half_life(params):
    p = _with(params, ("2011-01-01", "2011-03-01"), retrain__policy="weighted", retrain__half_life_weeks=2.0)
    frame = pd.DataFrame({"timestamp": pd.to_datetime(["2011-03-01", "2011-02-15", "2011-02-01"])})
    end = p.windows.train.end
    assert np.allclose(Recipe.shipped(p).weights(frame, end), [1.0, 0.5, 0.25])
    assert Recipe.shipped(_with(params, retrain__policy="all")).weights(frame, end) is None


def test_monitor_writes_only_its_own_folder_never_a_dvc_stage_output():
    import inspect

    outs = []
    for stage in yaml.safe_load((ROOT / "dvc.yaml").read_text())["stages"].values():
        for key in ("outs", "metrics", "plots"):
            outs += [next(iter(o)) if isinstance(o, dict) else o for o in stage.get(key, [])]
    assert inspect.signature(monitor_job.monitor).parameters["out"].default == artifacts.MONITOR_REPORTS
    assert monitor_job.PLAN.parent == monitor_job.SUMMARY.parent == artifacts.MONITOR_REPORTS
    assert not [o for o in outs if Path(o).is_relative_to(artifacts.MONITOR_REPORTS)]
    ignored = subprocess.run(["git", "check-ignore", "-q", "reports/monitor/drift.json"], cwd=ROOT)
    assert ignored.returncode == 0, "reports/monitor/ must be gitignored: a local run leaves git clean"


def test_policy_final_windows_never_hold_out_a_week_before_the_data(params):
    """The retraining PR's eval week lies before its training window; early on (12 weeks back is
    before January 2011) the window starts at the first week of the grid (weeks from
    windows.train.end, 2011-02-01) that leaves a held-out week after the earliest data."""
    train, evaluation = policy.final_windows(datetime(2011, 3, 1), params)
    assert evaluation == Window(start=datetime(2011, 1, 4), end=datetime(2011, 1, 11))
    assert train == Window(start=datetime(2011, 1, 11), end=datetime(2011, 3, 1))
    grown = _with(params, ("2011-01-11", "2011-03-01"), retrain__policy="all")
    grown = grown.model_copy(update={"windows": grown.windows.model_copy(update={"eval": evaluation})})
    again = policy.final_windows(datetime(2011, 8, 30), grown)
    assert again[0].start == datetime(2011, 1, 11) and again[1] == evaluation  # all: no creeping start
