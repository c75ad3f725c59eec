from pathlib import Path

import pandas as pd
import pytest

from staleguard.contract import read_raw as read_with
from staleguard.data.windows import slice_window
from staleguard.errors import DataError
from staleguard.params import Window, load_params

PARAMS = load_params(Path(__file__).resolve().parents[1] / "params.yaml")


def read_raw(path: Path) -> pd.DataFrame:
    return read_with(path, PARAMS)


def raw_csv(tmp_path: Path, hour: pd.DataFrame, edit=None) -> Path:
    df = hour.drop(columns="timestamp").head(200).copy()
    if edit:
        df = edit(df)
    path = tmp_path / "hour.csv"
    df.to_csv(path, index=False)
    return path


def test_read_raw_builds_hourly_timestamp(hour):
    assert len(hour) == 17379
    first = hour.iloc[0]
    assert first["timestamp"] == pd.Timestamp("2011-01-01 00:00")
    assert hour["timestamp"].is_monotonic_increasing
    assert (hour["timestamp"].dt.hour == hour["hr"]).all()


def test_read_raw_missing_column_names_file_and_column(tmp_path, hour):
    path = raw_csv(tmp_path, hour, lambda d: d.drop(columns="temp"))
    with pytest.raises(DataError, match=rf"{path}: missing column\(s\) \['temp'\]"):
        read_raw(path)


def test_read_raw_wrong_type_shows_the_bad_value(tmp_path, hour):
    def text_in_hum(d):
        d["hum"] = d["hum"].astype(object)
        d.loc[5, "hum"] = "humid"
        return d

    path = raw_csv(tmp_path, hour, text_in_hum)
    with pytest.raises(DataError, match=rf"{path}: column 'hum' must be numeric, got 'humid'"):
        read_raw(path)


def test_read_raw_bad_date(tmp_path, hour):
    def bad_date(d):
        d.loc[3, "dteday"] = "01/02/2011"
        return d

    path = raw_csv(tmp_path, hour, bad_date)
    with pytest.raises(DataError, match=r"column 'dteday' must be YYYY-MM-DD dates, got '01/02/2011'"):
        read_raw(path)


def test_read_raw_hour_out_of_range(tmp_path, hour):
    path = raw_csv(tmp_path, hour, lambda d: d.assign(hr=d["hr"].where(d.index != 7, 24)))
    with pytest.raises(DataError, match=r"column 'hr' has value 24 outside its range \[0, 23\]"):
        read_raw(path)


def test_read_raw_all_nan_column(tmp_path, hour):
    path = raw_csv(tmp_path, hour, lambda d: d.assign(windspeed=float("nan")))
    with pytest.raises(DataError, match=r"column 'windspeed' is entirely empty"):
        read_raw(path)


def test_read_raw_missing_file_says_how_to_get_it(tmp_path):
    with pytest.raises(DataError, match=r"hour.csv: not found; run `staleguard data fetch`"):
        read_raw(tmp_path / "hour.csv")


def test_slice_window_is_half_open(hour):
    week = Window(start="2011-02-01", end="2011-02-08")
    part = slice_window(hour, week, "eval")
    assert part["timestamp"].min() >= pd.Timestamp("2011-02-01")
    assert part["timestamp"].max() < pd.Timestamp("2011-02-08")
    assert pd.Timestamp("2011-02-08 00:00") not in set(part["timestamp"])


def test_train_and_eval_windows_share_no_row(hour):
    train = slice_window(hour, Window(start="2011-01-01", end="2011-02-01"), "train")
    ev = slice_window(hour, Window(start="2011-02-01", end="2011-02-08"), "eval")
    assert set(train["timestamp"]).isdisjoint(ev["timestamp"])
    assert len(train) + len(ev) == len(hour[hour["timestamp"] < "2011-02-08"])


def test_slice_window_refuses_an_empty_window(hour):
    with pytest.raises(DataError, match=r"windows.eval \[2013-01-01 00:00, 2013-02-01 00:00\) holds no "
                                        r"rows; the data covers 2011-01-01 00:00:00 .. 2012-12-31 23:00:00"):
        slice_window(hour, Window(start="2013-01-01", end="2013-02-01"), "eval")
