from datetime import datetime, timedelta

import pytest
from pydantic import ValidationError

from staleguard.serve.schema import actual_model, row_model


def test_row_model_accepts_a_real_row(params, row):
    parsed = row_model(params).model_validate(row)
    assert parsed.hr == row["hr"] and parsed.timestamp is not None


@pytest.mark.parametrize(("field", "value"), [("temp", 1.5), ("hr", 24), ("season", 0), ("weathersit", 5),
                                              ("hum", -0.1)])
def test_row_model_out_of_range_names_the_field(params, row, field, value):
    with pytest.raises(ValidationError, match=field):
        row_model(params).model_validate({**row, field: value})


def test_row_model_refuses_unknown_and_missing_fields(params, row):
    model = row_model(params)
    with pytest.raises(ValidationError, match="casual"):
        model.model_validate({**row, "casual": 3})
    with pytest.raises(ValidationError, match="windspeed"):
        model.model_validate({k: v for k, v in row.items() if k != "windspeed"})


def test_row_model_ranges_come_from_the_contract(params, row):
    columns = dict(params.contract.columns)
    columns["temp"] = columns["temp"].model_copy(update={"range": (0, 0.2)})
    strict = params.model_copy(update={"contract": params.contract.model_copy(update={"columns": columns})})
    row_model(params).model_validate({**row, "temp": 0.3})
    with pytest.raises(ValidationError, match=r"column 'temp' has value 0.3 outside its range \[0, 0.2\]"):
        row_model(strict).model_validate({**row, "temp": 0.3})


def test_actual_model_is_named_after_the_target(params):
    parsed = actual_model(params).model_validate({"timestamp": "2011-02-01T08:00:00", "cnt": 12})
    assert parsed.cnt == 12
    with pytest.raises(ValidationError, match="cnt"):
        actual_model(params).model_validate({"timestamp": "2011-02-01T08:00:00", "cnt": -1})


def test_timestamps_become_naive_utc_within_storable_years(params, row):
    model = row_model(params)
    hour = datetime.fromisoformat(row["timestamp"])
    local = (hour + timedelta(hours=1, minutes=45)).isoformat() + "+01:00"
    parsed = model.model_validate({**row, "timestamp": local})
    assert parsed.timestamp == hour + timedelta(minutes=45)  # the period is keyed by the log (predlog.stamps)
    with pytest.raises(ValidationError, match=r"timestamp year must be in \[1900, 2200\), got 1248"):
        model.model_validate({**row, "timestamp": "1248-01-08T13:34:07+19:38"})
    with pytest.raises(ValidationError, match="timestamp year"):
        actual_model(params).model_validate({"timestamp": "9999-01-01T00:00:00", "cnt": 1})
