import time
from datetime import datetime

import numpy as np
import pandas as pd
import pytest

from staleguard.monitor import store
from staleguard.params import load_params
from staleguard.serve.predlog import PredictionLog, as_batch, predictions_url, read_predictions, stamps
from tests.flights.conftest import PARAMS as EVENTS
from tests.seattle.conftest import PARAMS as DAILY


def records(row, n, start="2011-02-01T00:00:00"):
    base = pd.Timestamp(start)
    return [{**row, "timestamp": (base + pd.Timedelta(hours=i)).to_pydatetime()} for i in range(n)]


def test_stamps_convert_to_utc_and_key_a_row_by_the_period_of_its_frequency(params):
    tz = datetime.fromisoformat("2011-02-01T09:45:00+01:00")
    out = stamps([tz, None], params)  # the bike data: one row an hour
    assert out[0] == pd.Timestamp("2011-02-01 08:00")
    assert out[1] == pd.Timestamp.now(tz="UTC").tz_localize(None).floor("h")


@pytest.mark.parametrize(("source", "expected"), [
    (DAILY, "2011-02-01 00:00"),      # freq 1d, key: timestamp: the day
    (EVENTS, "2011-02-01 08:45:00"),  # key: flight_id: the time as given (ids tell rows apart)
])
def test_stamps_follow_the_contract_frequency_and_key(source, expected):
    out = stamps([datetime.fromisoformat("2011-02-01T09:45:00+01:00")], load_params(source))
    assert out[0] == pd.Timestamp(expected)


def test_as_batch_keeps_the_latest_prediction_per_hour_in_store_order(params, row):
    recs = records(row, 3)
    items = [(recs, np.array([1.0, 2.0, 3.0]), "aaaa1111"), (recs[:1], np.array([9.0]), "bbbb2222")]
    batch = as_batch(items, params)
    assert list(batch.columns) == store.columns(params)
    assert batch["prediction"].tolist() == [9.0, 2.0, 3.0]
    assert batch["model_version"].tolist() == ["bbbb2222", "aaaa1111", "aaaa1111"]
    assert batch[params.features.target].isna().all()


def test_prediction_log_flushes_by_rows_and_on_close(tmp_path, params, row):
    log = PredictionLog(str(tmp_path), params, flush_rows=4, flush_seconds=60).start()
    log.put(records(row, 4), np.arange(4.0), "aaaa1111")
    deadline = time.monotonic() + 10
    while not log.written and time.monotonic() < deadline:
        time.sleep(0.02)
    assert len(log.written) == 1
    log.put(records(row, 2, "2011-03-01"), np.arange(2.0), "aaaa1111")
    log.close()
    names = [r.name for r in store.list_batches(predictions_url(str(tmp_path)))]
    assert len(names) == 2 and names[0].startswith("20110201T0000_20110201T0300_serve-")
    got = read_predictions(str(tmp_path), datetime(2011, 2, 1), datetime(2011, 3, 2), params)
    assert len(got) == 6


def test_prediction_log_keeps_rows_when_the_store_is_unwritable(tmp_path, params, row, capsys):
    blocker = tmp_path / "store"
    blocker.write_text("a file where the store folder should be")
    log = PredictionLog(str(blocker), params, flush_rows=1000, flush_seconds=60).start()
    log.put(records(row, 2), np.arange(2.0), "aaaa1111")
    log.flush()
    assert log.pending_rows == 2 and log.written == []
    log.close()
    assert "2 rows not yet written" in capsys.readouterr().err


def test_read_predictions_without_a_store_is_none(tmp_path, params):
    assert read_predictions(str(tmp_path / "nothing"), datetime(2011, 1, 1), datetime(2011, 2, 1),
                            params) is None


@pytest.mark.parametrize("flush_seconds", [0.05])
def test_prediction_log_flushes_on_time(tmp_path, params, row, flush_seconds):
    log = PredictionLog(str(tmp_path), params, flush_rows=1000, flush_seconds=flush_seconds).start()
    log.put(records(row, 1), np.array([1.0]), "aaaa1111")
    deadline = time.monotonic() + 10
    while not log.written and time.monotonic() < deadline:
        time.sleep(0.02)
    log.close()
    assert len(log.written) == 1
