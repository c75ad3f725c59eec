"""The timestamp: built from the raw columns the contract names, parsed elsewhere, and the calendar
fields derived from it (checked against the columns that claim them)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from staleguard.errors import DataError
from staleguard.params import TIMESTAMP_COLUMN, Contract, Derived

TIMESTAMP = TIMESTAMP_COLUMN
FORMAT_WORDS = {"%Y": "YYYY", "%m": "MM", "%d": "DD", "%H": "HH", "%M": "MM", "%S": "SS"}


def _format_text(fmt: str | None) -> str:
    if fmt is None:
        return "date-times (ISO 8601)"
    for code, word in FORMAT_WORDS.items():
        fmt = fmt.replace(code, word)
    return f"{fmt} dates"


def parse(values: pd.Series, column: str, fmt: str | None, source: object) -> pd.Series:
    """Text or datetimes → naive UTC datetime64[ns]; the first unparseable value is the error."""
    if pd.api.types.is_datetime64_any_dtype(values):
        ts = values
    else:
        if pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
            raise DataError(f"{source}: column {column!r} must be {_format_text(fmt)}, got {values.dtype} "
                            "numbers")
        ts = pd.to_datetime(values, errors="coerce", format=fmt or "ISO8601", utc=True)
        bad = ts.isna() & values.notna()
        if bad.any():
            raise DataError(f"{source}: column {column!r} must be {_format_text(fmt)}, "
                            f"got {values[bad].iloc[0]!r}")
    if getattr(ts.dt, "tz", None) is not None:
        ts = ts.dt.tz_convert("UTC").dt.tz_localize(None)
    if ts.isna().any():
        raise DataError(f"{source}: column {column!r} has {int(ts.isna().sum())} empty value(s)")
    return ts if ts.dtype == "datetime64[ns]" else ts.astype("datetime64[ns]")


def build_timestamp(frame: pd.DataFrame, contract: Contract, source: object) -> pd.Series:
    """The raw data's timestamp as the contract builds it: one datetime column, or date + hour."""
    spec = contract.timestamp
    if spec.column is not None:
        return parse(frame[spec.column], spec.column, spec.format, source)
    assert spec.date is not None  # checked at load
    dates = parse(frame[spec.date], spec.date, spec.format or "%Y-%m-%d", source)
    if spec.hour is None:
        return dates
    hours = pd.to_numeric(frame[spec.hour], errors="coerce")
    bad = ~hours.between(0, 23) | (hours % 1 != 0)
    if bad.any():
        raise DataError(f"{source}: column {spec.hour!r} has value {frame[spec.hour][bad].iloc[0]} "
                        "outside its range [0, 23] (hour of day)")
    return dates + pd.to_timedelta(hours.astype("int64"), unit="h")


def source_columns(contract: Contract) -> list[str]:
    """The raw columns the timestamp is built from that are not contract columns themselves."""
    spec = contract.timestamp
    return [c for c in (spec.column, spec.date) if c is not None]


def calendar(index: pd.DatetimeIndex, derived: Derived) -> np.ndarray:
    """The field `derived` of every timestamp (vectorised; the scalar twin is values.calendar_of)."""
    if derived.source == "weekday":
        value = index.dayofweek.to_numpy()
        if derived.sunday is not None:
            value = (value + 1 + derived.sunday) % 7
    else:
        value = getattr(index, derived.source).to_numpy()
    return value.astype("int64") - derived.offset
