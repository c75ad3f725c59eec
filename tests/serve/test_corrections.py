"""A logged prediction is never silently replaced (issue 34): over real HTTP, a /predict repeating an
id the prediction log holds (contract.key: the bike's period) is a 409 naming it, nothing written,
whether the earlier row is still in the journal or already in the store; `serve.corrections:
replace` lets the later one replace it. A row without its timestamp is refused when the contract
derives features from it (issue 31), and a number sent as text is refused (strict types)."""

from __future__ import annotations

import pytest

from staleguard.serve.predlog import read_predictions
from tests.serve.process import call, serving

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("serve-http")]


def test_a_repeated_id_is_409_naming_it_and_the_first_row_stays_logged(tmp_path, model_file, row, params):
    store, hour = str(tmp_path / "store"), row["timestamp"].replace("T", " ")
    five_pm = {**row, "hr": 17, "timestamp": row["timestamp"][:11] + "17:00:00"}
    half_past = {**row, "temp": 0.9, "timestamp": row["timestamp"][:14] + "30:00"}  # the same hour
    with serving(tmp_path, model_file) as (url, _):
        status, first = call(f"{url}/predict", row)
        assert status == 200
        status, again = call(f"{url}/predict", half_past)  # the first row is still in the journal
        assert status == 409
        assert again["message"].startswith(f"conflict: timestamp {hour} already logged by an earlier "
                                           "request; nothing written for this request")
        assert call(f"{url}/predict", [five_pm, row])[0] == 409  # all or nothing: 17:00 not logged
        assert call(f"{url}/health")[1]["pending_log_rows"] == 1
        status, twice = call(f"{url}/predict", [five_pm, five_pm])
        assert status == 422 and "appears twice in this request" in twice["message"]
    logged = read_predictions(store, None, None, params)
    assert len(logged) == 1 and logged["prediction"].tolist() == first["predictions"]
    assert logged["temp"].tolist() == [row["temp"]]
    with serving(tmp_path, model_file) as (url, _):  # restarted: the ids come from the store
        status, again = call(f"{url}/predict", row)
        assert status == 409 and hour in again["message"]
        assert call(f"{url}/predict", five_pm)[0] == 200
    logged = read_predictions(store, None, None, params)
    assert sorted(logged["timestamp"].dt.hour) == [row["hr"], 17]


def test_corrections_replace_lets_a_later_prediction_replace_the_logged_one(tmp_path, model_file, row,
                                                                            params):
    with serving(tmp_path, model_file, corrections="replace") as (url, _):
        assert call(f"{url}/predict", row)[0] == 200
        status, later = call(f"{url}/predict", {**row, "temp": 0.9})
        assert status == 200
    logged = read_predictions(str(tmp_path / "store"), None, None, params)
    assert logged["temp"].tolist() == [0.9] and logged["prediction"].tolist() == later["predictions"]


def test_a_row_without_timestamp_or_with_a_number_as_text_is_refused(tmp_path, model_file, row):
    bare = {k: v for k, v in row.items() if k != "timestamp"}
    with serving(tmp_path, model_file) as (url, _):
        status, body = call(f"{url}/predict", bare)
        assert status == 422
        assert body["message"] == ("invalid input: a row without a timestamp: the contract derives hr, mnth, "
                                   "weekday, yr from it, so each row must give the time it describes (it "
                                   "is not taken from the time it is logged)")
        assert len(body["detail"]) == 1
        status, body = call(f"{url}/predict", {**row, "temp": str(row["temp"])})
        assert status == 422
        assert body["message"] == f"invalid input: column 'temp' must be numeric, got {str(row['temp'])!r}"
        assert call(f"{url}/health")[1]["pending_log_rows"] == 0
    assert not (tmp_path / "store" / "predictions").exists()  # shut down: nothing was logged
