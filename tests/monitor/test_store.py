"""The production store: batch names, validation of each batch, listing, local and S3 round trips."""

from __future__ import annotations

import pandas as pd
import pytest

from staleguard.errors import DataError
from staleguard.monitor import store
from staleguard.monitor.monitor_job import read_new_batches


def test_store_batch_name_holds_first_and_last_timestamp(make_batch):
    frame = make_batch("2011-02-01", "2011-02-08")
    assert store.batch_name(frame, "serve-1") == "20110201T0000_20110207T2300_serve-1.parquet"


def test_store_batch_name_refuses_source_outside_file_name_alphabet(make_batch):
    with pytest.raises(DataError, match=r"batch source 'a/b' must match"):
        store.batch_name(make_batch("2011-02-01", "2011-02-02"), "a/b")


def test_store_write_then_list_and_read_round_trip(tmp_path, make_batch, params):
    frame = make_batch("2011-02-01", "2011-02-08")
    url = store.write_batch(str(tmp_path / "prod"), frame, params, "serve")
    refs = store.list_batches(str(tmp_path / "prod"))
    assert [r.url for r in refs] == [url]
    assert refs[0].first == frame["timestamp"].min() and refs[0].last == frame["timestamp"].max()
    back = store.read_batch(refs[0], params)
    pd.testing.assert_frame_equal(back, frame[store.columns(params)])


def test_store_resolve_prefers_flag_then_env_then_params(monkeypatch, params):
    monkeypatch.delenv(store.STORE_ENV, raising=False)
    assert store.resolve(None, params) == params.monitor.store
    monkeypatch.setenv(store.STORE_ENV, "s3://bucket/env")
    assert store.resolve(None, params) == "s3://bucket/env"
    assert store.resolve("flag", params) == "flag"


def test_store_list_missing_folder_says_not_found(tmp_path):
    with pytest.raises(store.StoreError, match=r"store .*nowhere: not found"):
        store.list_batches(str(tmp_path / "nowhere"))


def test_store_list_refuses_parquet_file_with_unknown_name(tmp_path):
    (tmp_path / "notes.txt").write_text("ignored")
    (tmp_path / "latest.parquet").write_bytes(b"x")
    with pytest.raises(DataError, match=r"\['latest.parquet'\] refused: names must be"):
        store.list_batches(str(tmp_path))


@pytest.mark.parametrize(("mutate", "message"), [
    (lambda f: f.drop(columns=["temp"]), r"b\.parquet: missing column\(s\) \['temp'\]"),
    (lambda f: f.assign(hum=f["hum"].astype(str)), r"b\.parquet: column 'hum' must be numeric"),
    (lambda f: f.assign(timestamp=f["timestamp"].astype(str).str.replace("2011-", "11/")),
     r"b\.parquet: column 'timestamp' must be date-times \(ISO 8601\), got '11/02-01 00:00:00'"),
    (lambda f: f.iloc[:0], r"b\.parquet: holds no rows"),
    (lambda f: f.assign(prediction=None).astype({"prediction": float}),
     r"b\.parquet: column 'prediction' is entirely empty"),
    (lambda f: f.assign(model_version=None),
     r"b\.parquet: column 'model_version' has 23 missing value\(s\)"),
    (lambda f: pd.concat([f, f.iloc[:1]]), r"b\.parquet: duplicated timestamp 2011-02-01 00:00:00"),
], ids=["missing-column", "wrong-dtype", "text-timestamp", "no-rows", "all-nan", "missing-value",
        "duplicate"])
def test_store_parse_batch_refuses_malformed_batch(make_batch, params, mutate, message):
    data = store.to_bytes(mutate(make_batch("2011-02-01", "2011-02-02")))
    with pytest.raises(DataError, match=message):
        store.parse_batch(data, "b.parquet", params)


def test_store_parse_batch_refuses_empty_file(params):
    with pytest.raises(DataError, match=r"b\.parquet: empty file \(0 bytes\)"):
        store.parse_batch(b"", "b.parquet", params)


def test_store_parse_batch_refuses_bytes_that_are_not_parquet(params):
    with pytest.raises(DataError, match=r"b\.parquet: not a readable Parquet file"):
        store.parse_batch(b"timestamp,temp\n1,2\n", "b.parquet", params)


def test_store_unlabeled_rows_are_valid(make_batch, params):
    frame = make_batch("2011-02-01", "2011-02-02").assign(cnt=float("nan"))
    assert store.parse_batch(store.to_bytes(frame), "b", params)["cnt"].isna().all()


def test_store_tz_aware_timestamps_become_naive_utc(make_batch, params):
    frame = make_batch("2011-02-01", "2011-02-02")
    frame["timestamp"] = frame["timestamp"].dt.tz_localize("Europe/Lisbon")
    assert store.parse_batch(store.to_bytes(frame), "b", params)["timestamp"].dt.tz is None


def test_monitor_reads_only_batches_past_training_window_and_names_every_bad_one(
        tmp_path, make_batch, params):
    root = str(tmp_path)
    store.write_batch(root, make_batch("2011-01-20", "2011-01-27"), params, "old")
    good = store.write_batch(root, make_batch("2011-02-01", "2011-02-08"), params, "ok")
    refs, frames = read_new_batches(root, params)
    assert [r.url for r in refs] == [good] and len(frames[0]) > 0
    for name in ("20110208T0000_20110214T2300_x.parquet", "20110215T0000_20110221T2300_y.parquet"):
        (tmp_path / name).write_bytes(b"")
    with pytest.raises(DataError, match=r"2 bad batch\(es\) refused, nothing merged: .*_x\.parquet: "
                       r"empty file.*_y\.parquet: empty file"):
        read_new_batches(root, params)


@pytest.fixture
def s3_env(moto_s3, monkeypatch):
    from s3fs import S3FileSystem

    for key, value in moto_s3.items():
        monkeypatch.setenv(key, value)
    S3FileSystem.clear_instance_cache()
    yield moto_s3
    S3FileSystem.clear_instance_cache()


@pytest.mark.s3
def test_store_s3_round_trip_against_moto(s3_env, make_batch, params):
    url = "s3://staleguard-test/prod-roundtrip"
    frame = make_batch("2011-02-01", "2011-02-08")
    written = store.write_batch(url, frame, params, "serve")
    assert written == f"{url}/20110201T0000_20110207T2300_serve.parquet"
    refs, frames = read_new_batches(url, params)
    assert [r.url for r in refs] == [written]
    pd.testing.assert_frame_equal(frames[0], frame[store.columns(params)])


@pytest.mark.s3
def test_store_s3_unreachable_endpoint_is_a_clear_error(s3_env, monkeypatch):
    from tests.conftest import free_port

    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{free_port()}")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    with pytest.raises(store.StoreError, match=r"store s3://staleguard-test/prod: cannot list"):
        store.list_batches("s3://staleguard-test/prod")
