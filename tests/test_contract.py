"""The data contract: its settings checked at load, the calendar derivations, the batch rules."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from staleguard.contract import calendar, calendar_of, check_batch, validate_frame
from staleguard.errors import ConfigError, DataError
from staleguard.monitor import store
from staleguard.params import Derived, Params, load_params

ROOT = Path(__file__).resolve().parents[1]
PARAMS = load_params(ROOT / "params.yaml")


def write(tmp_path: Path, edit) -> Path:
    doc = yaml.safe_load((ROOT / "params.yaml").read_text())
    edit(doc)
    path = tmp_path / "params.yaml"
    path.write_text(yaml.safe_dump(doc))
    return path


@pytest.mark.parametrize(("edit", "message"), [
    (lambda d: d["features"]["numerical"].append("rain"),
     r"params\.yaml: features\.numerical names \['rain'\], which contract\.columns does not describe$"),
    (lambda d: d["features"].update(target="rentals"),
     r"features\.target names \['rentals'\], which contract\.columns does not describe$"),
    (lambda d: d["serve"].update(limits={"temp": [0, 0.5]}),
     r"serve: Value error, limits moved to contract\.columns\.<column>\.range"),
    (lambda d: d["drift"].update(categories={"season": [1, 2]}),
     r"drift: Value error, categories moved to contract\.columns\.<column>\.categories"),
    (lambda d: d["contract"]["columns"]["season"].update(drift={"method": "wasserstein"}),
     r"contract\.columns\.season\.drift\.method wasserstein is for numerical features"),
    (lambda d: d["contract"]["timestamp"].update(column="when"),
     r"contract\.timestamp: Value error, give either `column`"),
    (lambda d: d["contract"]["columns"]["hr"]["derived"].update(sunday=0),
     r"sunday applies to `from: dayofweek` only"),
    (lambda d: d["contract"]["columns"]["temp"].update(range=[1, 0]),
     r"contract\.columns\.temp: Value error, range \[1\.0, 0\.0\]: min is above max"),
    (lambda d: d["contract"]["columns"].update(casual={"type": "int"}),
     r"ignore lists \['casual'\], which columns also describes"),
], ids=["unknown-feature", "unknown-target", "serve-limits", "drift-categories", "wasserstein-category",
        "two-timestamp-sources", "sunday-on-hour", "range-upside-down", "ignored-and-described"])
def test_contract_settings_errors_are_one_line_at_load(tmp_path, edit, message):
    with pytest.raises(ConfigError, match=message) as err:
        load_params(write(tmp_path, edit))
    assert "\n" not in str(err.value)


def test_contract_describes_data_so_a_feature_list_without_mnth_loads(tmp_path):
    params = load_params(write(tmp_path, lambda d: d["features"]["numerical"].remove("mnth")))
    assert "mnth" not in params.features.columns and params.contract.columns["mnth"].drift is not None


@pytest.mark.parametrize("derived", [Derived(source="hour"), Derived(source="month"),
                                     Derived(source="year", offset=2011), Derived(source="dayofweek"),
                                     Derived(source="dayofweek", sunday=0), Derived(source="dayofyear")])
def test_calendar_vectorised_equals_the_scalar_twin(derived):
    ts = pd.Series(pd.date_range("1999-12-27 05:00", "2013-03-01", freq="37h"))
    expected = [calendar_of(derived, t.to_pydatetime()) for t in ts]
    np.testing.assert_array_equal(calendar(ts, derived), expected)


def test_bike_weekday_counts_from_sunday(hour):
    assert calendar_of(Derived(source="dayofweek", sunday=0), datetime(2011, 1, 2)) == 0  # a Sunday
    np.testing.assert_array_equal(calendar(hour["timestamp"], PARAMS.contract.columns["weekday"].derived),
                                  hour["weekday"])


@pytest.fixture
def week(hour) -> pd.DataFrame:
    ts = hour["timestamp"]
    part = hour[(ts >= "2011-02-15") & (ts < "2011-02-22")]
    frame = part[["timestamp", *PARAMS.features.columns, "cnt"]].copy()
    frame.insert(len(frame.columns) - 1, "prediction", 1.0)
    frame["model_version"] = "abcd1234"
    return frame.reset_index(drop=True)


def with_batches(**rules) -> Params:
    batches = PARAMS.contract.batches.model_copy(update=rules)
    return PARAMS.model_copy(update={"contract": PARAMS.contract.model_copy(update={"batches": batches})})


def test_batch_rules_min_rows_coverage_and_training_start(week):
    name = (datetime(2011, 2, 15), datetime(2011, 2, 21, 23))
    check_batch(week, PARAMS, "ok", name)
    with pytest.raises(DataError, match=r"b: holds \d+ row\(s\); a batch needs at least "
                                        r"contract\.batches\.min_rows=1000$"):
        check_batch(week, with_batches(min_rows=1000), "b", name)
    sparse = week.iloc[::4]
    with pytest.raises(DataError, match=r"b: 4\d row\(s\) for the 1\d\d periods of 1h its name "
                                        r"spans \(2\d%\); contract\.batches\.min_coverage is 50%$"):
        check_batch(sparse, PARAMS, "b", (sparse["timestamp"].min(), sparse["timestamp"].max()))
    old = week.assign(timestamp=week["timestamp"] - pd.Timedelta(days=70))
    with pytest.raises(DataError, match=r"b: timestamp 2010-12-07 00:00:00 is before the training "
                                        r"window's start 2011-01-01 00:00 "
                                        r"\(contract\.batches\.before_training: refuse\)"):
        check_batch(old, PARAMS, "b")
    check_batch(old, with_batches(before_training="allow"), "b")


def test_store_batch_name_must_match_its_rows(week):
    good = "20110215T0000_20110221T2300_x.parquet"
    assert len(store.parse_batch(store.to_bytes(week), good, PARAMS)) == len(week)
    with pytest.raises(DataError, match=r"_x\.parquet: its name says 2011-02-15 00:00 … 2011-02-22 23:00 but "
                                        r"its rows span 2011-02-15 00:00 … 2011-02-21 23:00$"):
        store.parse_batch(store.to_bytes(week), "20110215T0000_20110222T2300_x.parquet", PARAMS)


def test_extra_columns_are_dropped_when_the_contract_says_so(week):
    drop = PARAMS.model_copy(update={"contract": PARAMS.contract.model_copy(update={"extra": "drop"})})
    out = validate_frame(week.assign(note="x"), drop, "current", "w")
    assert "note" not in out
    with pytest.raises(DataError, match=r"w: unexpected column\(s\) \['note'\], which the contract"):
        validate_frame(week.assign(note="x"), PARAMS, "current", "w")


def test_raw_data_calendar_contradicting_its_date_is_refused(tmp_path, hour):
    from staleguard.contract import read_raw

    raw = hour.drop(columns="timestamp").head(100).copy()
    raw.loc[30, "mnth"] = 2
    raw.to_csv(tmp_path / "hour.csv", index=False)
    with pytest.raises(DataError, match=r"hour\.csv: column 'mnth' is 2 at 2011-01-02 07:00, but the "
                                        r"contract derives 1 from that timestamp \(mnth = month\)$"):
        read_raw(tmp_path / "hour.csv", PARAMS)


@pytest.mark.parametrize("name", ["when", "timestamp"])
def test_raw_data_with_one_datetime_column(tmp_path, hour, name):
    """Other data: `timestamp: {column: <name>}` (ISO text), any name, also `timestamp` itself."""
    from staleguard.contract import read_raw

    doc = PARAMS.model_dump(by_alias=True)
    doc["contract"]["timestamp"] = {"column": name}
    params = Params.model_validate(doc)
    raw = hour.head(48).drop(columns=["timestamp", "dteday"]).assign(
        **{name: hour["timestamp"].head(48).dt.strftime("%Y-%m-%dT%H:%M:%S")})
    raw.to_csv(tmp_path / "rows.csv", index=False)
    out = read_raw(tmp_path / "rows.csv", params)
    assert out.columns[0] == "timestamp" and out["timestamp"].equals(hour["timestamp"].head(48))
    raw.loc[3, name] = "soon"
    raw.to_csv(tmp_path / "rows.csv", index=False)
    with pytest.raises(DataError, match=rf"rows\.csv: column '{name}' must be date-times \(ISO 8601\), "
                                        r"got 'soon'$"):
        read_raw(tmp_path / "rows.csv", params)


def test_calendar_columns_absent_from_the_data_are_computed_from_its_timestamp(hour):
    """The data need not carry what its timestamp says: weekday, mnth and yr are derived fields."""
    raw = hour.drop(columns=["timestamp"]).head(500)
    whole = validate_frame(raw, PARAMS, "raw", "hour.csv")
    lean = validate_frame(raw.drop(columns=["weekday", "mnth", "yr"]), PARAMS, "raw", "hour.csv")
    for name in ("weekday", "mnth", "yr"):
        assert (lean[name].to_numpy() == whole[name].to_numpy()).all(), name


def test_label_arrival_follows_the_data_frequency_and_the_label_delay():
    from datetime import timedelta

    from staleguard.monitor.decision import observed_rows

    daily = load_params(ROOT / "tests" / "fixtures" / "seattle" / "params.yaml")
    days = pd.DataFrame({"timestamp": pd.date_range("2013-01-01", periods=10, freq="D"), "temp_max": 1.0})
    on_time = observed_rows([days], datetime(2013, 1, 1), "temp_max", params=daily)
    assert on_time["temp_max"].notna().all()   # a day's actual exists once the day is over: all in
    late = daily.model_copy(update={"monitor": daily.monitor.model_copy(update={"label_delay": "3d"})})
    got = observed_rows([days], datetime(2013, 1, 1), "temp_max", params=late)
    assert got["temp_max"].isna().sum() == 2   # three days after each day: the newest two are not in yet
    assert late.monitor.label_lag("1d") == timedelta(days=3)
    assert PARAMS.monitor.label_lag("1d") == timedelta(days=1) and PARAMS.monitor.label_lag("1h") == \
        timedelta(hours=1)


@pytest.mark.parametrize("case", ["numbers", "float gaps", "int gaps", "text", "one group", "index"])
def test_read_parquet_gives_what_pandas_gives(tmp_path, case):
    """The lean row-group reader (plain numeric columns, several row groups) and Arrow's path
    (anything else) both return pandas' own read_parquet frame: same dtypes, values, index."""
    from staleguard.contract.read import read_parquet

    rng = np.random.default_rng(0)
    n = 5_000
    frame = pd.DataFrame({"timestamp": pd.date_range("2012-01-01", periods=n, freq="h"),
                          "hr": rng.integers(0, 24, n), "temp": rng.random(n),
                          "flag": rng.random(n) > 0.5, "small": rng.integers(0, 9, n).astype("int8")})
    if case == "float gaps":
        frame.loc[::7, "temp"] = np.nan
    if case == "int gaps":
        frame["hr"] = frame["hr"].astype("Int64").mask(frame.index % 5 == 0)
    if case == "text":
        frame["station"] = rng.choice(["a", "b"], n)
    if case == "index":
        frame.index = frame.index * 2
    path = tmp_path / "w.parquet"
    frame.to_parquet(path, row_group_size=n if case == "one group" else 1_000,
                     index=True if case == "index" else None)
    got = read_parquet(path)
    pd.testing.assert_frame_equal(got, pd.read_parquet(path))
    assert all(got[c].to_numpy().flags.writeable for c in got.columns if got[c].dtype != object)
