"""Sizes that scale with the data's frequency, and plans that cannot run refused at load
(staleguard/cadence.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from staleguard.errors import ConfigError
from staleguard.params import load_params
from tests.conftest import ROOT


def daily(tmp_path: Path, drop: tuple[tuple[str, ...], ...] = (), **set_: Any) -> Path:
    """The example's params as a daily data set would write them: freq 1d, a year of training,
    the sizes in `drop` left out, `set_` ('section.key' with '__' for dots) overriding."""
    doc = yaml.safe_load((ROOT / "params.yaml").read_text())
    doc["contract"]["timestamp"] = {"date": "dteday", "format": "%Y-%m-%d", "freq": "1d"}
    doc["windows"].update({"train": {"start": "2011-01-01", "end": "2012-01-01"},
                           "eval": {"start": "2012-01-01", "end": "2012-03-01"}})
    for path in (("windows", "week_days"), ("monitor", "min_rows"), ("drift", "min_rows"),
                 ("windows", "retrain", "train_weeks"), ("drift", "quality", "folds"), *drop):
        node = doc
        for key in path[:-1]:
            node = node[key]
        node.pop(path[-1], None)
    for dotted, value in set_.items():
        *parents, key = dotted.split("__")
        node = doc
        for part in parents:
            node = node.setdefault(part, {})
        node[key] = value
    out = tmp_path / "params.yaml"
    out.write_text(yaml.safe_dump(doc))
    return out


def test_daily_data_gets_sizes_derived_from_its_frequency(tmp_path):
    p = load_params(daily(tmp_path))
    assert p.windows.week_days == 28                      # 28 rows a window, not 7
    assert p.monitor.min_rows == p.drift.min_rows == 17   # 60 % of a window's rows
    assert p.windows.retrain.train_weeks == 15            # ≥ train.min_rows (100) daily rows
    assert p.drift.quality.folds == 13                    # a year in blocks of about a month


def test_hourly_example_keeps_its_sizes():
    p = load_params(ROOT / "params.yaml")
    assert (p.windows.week_days, p.monitor.min_rows, p.drift.min_rows) == (7, 100, 100)
    assert (p.windows.retrain.train_weeks, p.drift.quality.folds) == (12, 4)


def test_a_training_window_below_train_min_rows_at_the_frequency_is_refused(tmp_path):
    path = daily(tmp_path, windows__retrain__train_weeks=12)
    with pytest.raises(ConfigError, match=r"params\.yaml: windows\.retrain\.train_weeks=12 holds at most 84 "
                                          r"rows at contract\.timestamp\.freq 1d, below train\.min_rows=100: "
                                          r"set train_weeks ≥ 15 or lower train\.min_rows$"):
        load_params(path)


def test_a_monitor_window_below_its_min_rows_is_refused_not_left_undecided(tmp_path):
    path = daily(tmp_path, windows__week_days=7, monitor__min_rows=100)
    with pytest.raises(ConfigError, match=r"windows\.week_days=7 holds at most 7 rows at contract\."
                                          r"timestamp\.freq 1d, below monitor\.min_rows=100: every window "
                                          r"would be 'not decided'"):
        load_params(path)


def test_an_eval_window_below_drift_min_rows_is_refused(tmp_path):
    path = daily(tmp_path, drift__min_rows=100)
    with pytest.raises(ConfigError, match=r"windows\.eval \[2012-01-01 00:00, 2012-03-01 00:00\) holds "
                                          r"at most 60 rows at contract\.timestamp\.freq 1d, below "
                                          r"drift\.min_rows=100"):
        load_params(path)


def test_quality_folds_as_long_as_a_season_are_refused(tmp_path):
    path = daily(tmp_path, drift__quality__folds=4)
    with pytest.raises(ConfigError, match=r"drift\.quality\.folds=4 cuts a 365-day training window into "
                                          r"91-day blocks: each held-out block is a season the model never "
                                          r"saw; use ≥ 5 folds"):
        load_params(path)


def test_quality_folds_refusal_states_the_bound_it_enforces(tmp_path):
    """The message's bound is the fewest folds accepted (issue 31: it asked for 74 where 25 pass)."""
    load_params(daily(tmp_path, drift__quality__folds=5))   # 73-day blocks: accepted
    path = daily(tmp_path, windows__train={"start": "2006-01-01", "end": "2012-01-01"},
                 drift__quality__folds=24)                  # 2191 days: 24 folds are 91-day blocks
    with pytest.raises(ConfigError, match=r"drift\.quality\.folds=24 .*; use ≥ 25 folds or leave folds out$"):
        load_params(path)
    load_params(daily(tmp_path, windows__train={"start": "2006-01-01", "end": "2012-01-01"},
                      drift__quality__folds=25))


def test_event_level_data_keeps_the_plain_defaults(tmp_path):
    path = daily(tmp_path, contract__key="none")
    p = load_params(path)
    assert (p.windows.week_days, p.monitor.min_rows) == (7, 100)
