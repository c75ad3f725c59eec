"""Bad current windows: one DataError naming the file and the problem, and nothing written."""

from pathlib import Path

import pandas as pd
import pytest

from staleguard import artifacts
from staleguard.errors import DataError
from staleguard.model import build_estimator, save_model
from staleguard.stages import drift as stage
from tests.drift.conftest import window, with_train


@pytest.fixture(scope="module")
def workdir(hour, params, tmp_path_factory) -> Path:
    """A project folder with the drift stage's inputs: train.parquet and a small model."""
    root = tmp_path_factory.mktemp("drift-stage")
    p = with_train(params, n_est=5)
    ref = window(hour, p, "2011-01-01", "2011-02-01")
    (root / artifacts.PREPARED).mkdir(parents=True)
    ref.to_parquet(root / artifacts.TRAIN_SET, index=False)
    model = build_estimator(p.train, p.features).fit(ref[p.features.columns], ref["cnt"])
    save_model(model, root / artifacts.MODEL, {"rows": len(ref)})
    return root


@pytest.fixture
def good(hour, params) -> pd.DataFrame:
    return window(hour, params, "2011-02-01", "2011-02-08")


def run_bad(workdir: Path, params, monkeypatch, frame_or_path, match: str, name: str = "batch.parquet"):
    """Run the stage on a bad window and check the message and that no output appeared."""
    monkeypatch.chdir(workdir)
    out = workdir / "reports"
    if isinstance(frame_or_path, pd.DataFrame):
        path = workdir / "in" / name
        path.parent.mkdir(exist_ok=True)
        for old in path.parent.iterdir():
            old.unlink()
        if name.endswith(".csv"):
            frame_or_path.to_csv(path, index=False)
        else:
            frame_or_path.to_parquet(path, index=False)
    else:
        path = frame_or_path
    with pytest.raises(DataError, match=match) as err:
        stage.run(params, current=path, out=out)
    assert "\n" not in str(err.value)
    assert not out.exists(), sorted(out.rglob("*"))
    return err


def test_validate_missing_column(workdir, params, good, monkeypatch):
    run_bad(workdir, params, monkeypatch, good.drop(columns="hum"),
            r"batch\.parquet: missing column\(s\) \['hum'\]; expected \['timestamp'")


def test_validate_extra_column(workdir, params, good, monkeypatch):
    run_bad(workdir, params, monkeypatch, good.assign(casual=1),
            r"batch\.parquet: unexpected column\(s\) \['casual'\]")


def test_validate_wrong_dtype_text_in_numeric_column(workdir, params, good, monkeypatch):
    bad = good.astype({"temp": object})
    bad.loc[3, "temp"] = "warm"
    run_bad(workdir, params, monkeypatch, bad, r"batch\.csv: column 'temp' must be numeric, got 'warm'",
            name="batch.csv")


def test_validate_wrong_dtype_boolean(workdir, params, good, monkeypatch):
    run_bad(workdir, params, monkeypatch, good.assign(holiday=good["holiday"] > 0),
            r"batch\.parquet: column 'holiday' must be numeric, got False")


def test_validate_all_nan_column(workdir, params, good, monkeypatch):
    run_bad(workdir, params, monkeypatch, good.assign(windspeed=None),
            r"batch\.parquet: column 'windspeed' is entirely empty \(all NaN\)")


def test_validate_empty_file(workdir, params, good, monkeypatch):
    run_bad(workdir, params, monkeypatch, good.iloc[:0], r"batch\.parquet: holds no rows")


def test_validate_too_small_window(workdir, params, good, monkeypatch):
    run_bad(workdir, params, monkeypatch, good.iloc[:50],
            r"batch\.parquet: the window holds 50 rows; a drift decision needs at least drift\.min_rows=100")


def test_validate_unseen_category(workdir, params, good, monkeypatch):
    bad = good.copy()
    bad.loc[7, "weathersit"] = 5
    run_bad(workdir, params, monkeypatch, bad,
            r"batch\.parquet: column 'weathersit' has unseen category 5; known values are \[1, 2, 3, 4\]")


def test_validate_duplicated_timestamp(workdir, params, good, monkeypatch):
    bad = good.copy()
    bad.loc[10, "timestamp"] = bad.loc[9, "timestamp"]
    run_bad(workdir, params, monkeypatch, bad,
            rf"batch\.parquet: duplicated timestamp {bad.loc[9, 'timestamp']}")


def test_validate_duplicated_timestamp_across_batches_names_the_second_file(workdir, params, good,
                                                                              monkeypatch, tmp_path):
    folder = tmp_path / "batches"
    folder.mkdir()
    good.iloc[:120].to_parquet(folder / "a.parquet", index=False)
    good.iloc[100:].to_parquet(folder / "b.parquet", index=False)
    run_bad(workdir, params, monkeypatch, folder,
            rf"b\.parquet: duplicated timestamp {good.loc[100, 'timestamp']} \(also in another batch")


def test_validate_future_timestamp(workdir, params, good, monkeypatch):
    bad = good.copy()
    bad.loc[5, "timestamp"] = pd.Timestamp("2100-01-01")
    run_bad(workdir, params, monkeypatch, bad,
            r"batch\.parquet: timestamp 2100-01-01 00:00:00 is in the future \(now ")


def test_validate_unparseable_timestamp(workdir, params, good, monkeypatch):
    bad = good.astype({"timestamp": str})
    bad.loc[2, "timestamp"] = "yesterday"
    run_bad(workdir, params, monkeypatch, bad,
            r"batch\.csv: column 'timestamp' must be date-times \(ISO 8601\), got 'yesterday'",
            name="batch.csv")


def test_validate_missing_path(workdir, params, monkeypatch):
    run_bad(workdir, params, monkeypatch, workdir / "nowhere.parquet",
            r"nowhere\.parquet: not found; give a \.parquet/\.csv file or a folder")


def test_validate_folder_without_batches(workdir, params, monkeypatch, tmp_path):
    run_bad(workdir, params, monkeypatch, tmp_path, r": no \.parquet or \.csv batches in the folder")


def test_validate_unsupported_suffix(workdir, params, monkeypatch, tmp_path):
    (tmp_path / "week.json").write_text("{}")
    run_bad(workdir, params, monkeypatch, tmp_path / "week.json",
            r"week\.json: unsupported file type '\.json'; expected \.parquet or \.csv")


def test_validate_corrupt_parquet(workdir, params, monkeypatch, tmp_path):
    (tmp_path / "week.parquet").write_bytes(b"not parquet")
    run_bad(workdir, params, monkeypatch, tmp_path / "week.parquet",
            r"week\.parquet: not a readable Parquet file \(")
