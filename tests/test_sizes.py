"""Window sizes counted on the data before any fit (staleguard/data/sizes.py), for every key mode:
a monthly panel keyed by an id (issue 31), where the frequency alone says nothing of the rows."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml

from staleguard import artifacts
from staleguard.cli import main
from staleguard.data.sizes import history_problems, training_problems
from staleguard.params import load_params

PARAMS: dict[str, Any] = {
    "data": {"raw": "data/panel.csv", "batches": "data/batches"},
    "windows": {"train": {"start": "2000-01-01", "end": "2004-01-01"},
                "eval": {"start": "2004-01-01", "end": "2005-01-01"},
                "reference": {"policy": "training", "weeks": 4}},
    "contract": {"timestamp": {"column": "date", "format": "%Y-%m-%d", "freq": "1d"},
                 "key": "id",
                 "columns": {"id": {"type": "str"}, "unit": {"type": "int", "range": [0, 9]},
                             "x": {"type": "float", "range": [-10, 10]},
                             "y": {"type": "float", "range": [-1000, 1000]}}},
    "features": {"numerical": ["x"], "categorical": ["unit"], "target": "y"},
    "train": {"seed": 0, "n_est": 5, "min_split": 2, "min_rows": 100},
    "drift": {"min_rows": 100, "quality": {"folds": 20}},
    "monitor": {"min_rows": 10},    # a week holds one month's rows at most: the 10 units
}


def panel(ids: int = 10, months: int = 72) -> pd.DataFrame:
    """`ids` units observed on the 1st of each month from 2000-01."""
    rng = np.random.default_rng(0)
    dates = pd.date_range("2000-01-01", periods=months, freq="MS")
    rows = [{"id": f"u{i}-{d:%Y%m}", "unit": i, "date": f"{d:%Y-%m-%d}", "x": round(rng.normal(), 4),
             "y": round(10 * i + rng.normal(), 3)} for i in range(ids) for d in dates]
    return pd.DataFrame(rows)


def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, **sections: Any) -> Path:
    """A working folder holding the panel and params (PARAMS with `sections` merged in)."""
    doc = yaml.safe_load(yaml.safe_dump(PARAMS))
    for name, values in sections.items():
        doc[name] = {**doc.get(name, {}), **values}
    (tmp_path / "data").mkdir(exist_ok=True)
    panel().to_csv(tmp_path / "data" / "panel.csv", index=False)
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(doc))
    monkeypatch.chdir(tmp_path)
    return tmp_path / "params.yaml"


def refused(capsys: pytest.CaptureFixture[str], argv: list[str], message: str) -> None:
    """`staleguard <argv>` exits 1 with `message` on one line, no traceback."""
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    assert message in err, err


def test_prepare_refuses_a_reference_holding_no_row_of_monthly_data(tmp_path, monkeypatch, capsys):
    """The default 4-week reference of monthly rows: a one-line refusal, not a fit that dies."""
    project(tmp_path, monkeypatch, windows={"reference": {"policy": "recent", "weeks": 4}})
    refused(capsys, ["prepare"], "data/panel.csv: windows.reference.weeks=4 selects 0 row(s) of the "
            "data ([2003-12-04 00:00, 2004-01-01 00:00), the end of windows.train), below "
            "drift.min_rows=100")
    assert not artifacts.TRAIN_SET.exists()


def test_train_refuses_a_reference_of_no_rows_before_fitting(tmp_path, monkeypatch, capsys):
    """A reference changed after `prepare` ran (DVC reruns train alone): refused before the fit."""
    project(tmp_path, monkeypatch, windows={"retrain": {"train_weeks": 52}})
    assert main(["prepare"]) == 0
    capsys.readouterr()
    project(tmp_path, monkeypatch, windows={"retrain": {"train_weeks": 52},
                                            "reference": {"policy": "recent", "weeks": 8}})
    refused(capsys, ["train"], "artifacts/prepared/train.parquet: windows.reference.weeks=8 selects 10 "
            "row(s) of the data")
    assert not artifacts.MODEL.exists()


def test_prepare_refuses_an_eval_window_below_drift_min_rows(tmp_path, monkeypatch, capsys):
    project(tmp_path, monkeypatch, windows={"eval": {"start": "2004-01-01", "end": "2004-06-01"}})
    refused(capsys, ["prepare"], "windows.eval [2004-01-01 00:00, 2004-06-01 00:00) holds 50 row(s) of "
            "the data, below drift.min_rows=100: widen windows.eval or lower drift.min_rows")


def test_prepare_refuses_a_retrain_window_below_train_min_rows(tmp_path, monkeypatch, capsys):
    """12 weeks of a 10-unit monthly panel hold 30 rows: a retrain could never fit."""
    project(tmp_path, monkeypatch)
    refused(capsys, ["prepare"], "windows.retrain.train_weeks=12 holds 30 row(s) at the newest data")


def test_prepare_refuses_more_quality_folds_than_training_rows(tmp_path, monkeypatch, capsys):
    project(tmp_path, monkeypatch, windows={"retrain": {"train_weeks": 104}},
            train={"min_rows": 20}, drift={"min_rows": 20, "quality": {"folds": 30}})
    doc = yaml.safe_load(Path("params.yaml").read_text())
    doc["windows"]["train"] = {"start": "2003-01-01", "end": "2003-03-01"}   # 20 rows
    doc["windows"]["eval"] = {"start": "2003-03-01", "end": "2004-01-01"}
    Path("params.yaml").write_text(yaml.safe_dump(doc))
    refused(capsys, ["prepare"], "drift.quality.folds=30 cuts windows.train's 20 row(s) into blocks "
            "some of which hold none: use at most 20 folds")


def test_prepare_refuses_monitor_windows_that_could_never_be_decided(tmp_path, monkeypatch, capsys):
    """Weekly windows of a monthly panel hold 10 rows at most: every window 'not decided'."""
    project(tmp_path, monkeypatch, windows={"retrain": {"train_weeks": 52}}, monitor={"min_rows": 100})
    refused(capsys, ["prepare"], "windows.week_days=7 holds at most 10 row(s) of the data in any "
            "window, below monitor.min_rows=100: every window would be 'not decided'")


def test_sizes_that_fit_the_data_pass_for_every_key_mode(tmp_path, monkeypatch):
    """The same checks, counted on the rows, for an id key, `none` and the timestamp."""
    project(tmp_path, monkeypatch, windows={"retrain": {"train_weeks": 52}})
    params = load_params("params.yaml")
    from staleguard.data.history import history_frame

    history = history_frame(params)
    for key in ("id", "none"):
        keyed = params.model_copy(update={"contract": params.contract.model_copy(update={"key": key})})
        assert history_problems(history, keyed, params.monitor.min_rows) == []
    one_unit = history[history["unit"] == 0]
    assert training_problems(one_unit[one_unit["timestamp"] < "2004-01-01"], params)[0].startswith(
        "windows.train [2000-01-01 00:00, 2004-01-01 00:00) holds 48 row(s) of the data, below "
        "train.min_rows=100")


def test_prepare_refuses_retrain_eval_weeks_that_reach_past_the_data(tmp_path, monkeypatch, capsys):
    """A retrain holds out `eval_weeks` after windows.train.start; beyond the newest data it would
    have no training window at all (the fuzz bar found a pydantic traceback here)."""
    project(tmp_path, monkeypatch, windows={"retrain": {"policy": "all", "eval_weeks": 400}})
    refused(capsys, ["prepare"], "windows.retrain.eval_weeks=400 holds out the data up to "
            "2007-09-06 (that many weeks after windows.train.start, on the windows.week_days grid), "
            "at or after the newest data's grid end 2005-12-08")


def test_final_windows_refuses_in_one_line_where_no_training_window_is_left(tmp_path, monkeypatch):
    """The monitor and the replay call final_windows on their own newest data: the same line."""
    from datetime import datetime

    from staleguard.data.windows import final_windows
    from staleguard.errors import DataError

    project(tmp_path, monkeypatch, windows={"retrain": {"policy": "all", "eval_weeks": 400}})
    with pytest.raises(DataError, match=r"^windows.retrain.eval_weeks=400 holds out the data up to"):
        final_windows(datetime(2006, 1, 5), load_params("params.yaml"))
