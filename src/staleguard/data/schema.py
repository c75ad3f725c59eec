"""Validate raw and production frames against the bike-sharing schema, with one-line errors.

Every check names the file and says what was expected and what was got, so a bad file is fixed
at its source instead of surfacing as a NaN three stages later.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from staleguard.errors import DataError

TIMESTAMP = "timestamp"
RAW_COLUMNS = {
    "instant": "int", "dteday": "date", "season": "int", "yr": "int", "mnth": "int", "hr": "int",
    "holiday": "int", "weekday": "int", "workingday": "int", "weathersit": "int",
    "temp": "float", "atemp": "float", "hum": "float", "windspeed": "float",
    "casual": "int", "registered": "int", "cnt": "int",
}


def require_columns(df: pd.DataFrame, columns: list[str], source: str | Path) -> None:
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise DataError(f"{source}: missing column(s) {missing}; expected {columns}")


def coerce_numeric(df: pd.DataFrame, columns: list[str], source: str | Path) -> pd.DataFrame:
    """Check that `columns` hold numbers (no text, no all-NaN) and return them as float/int."""
    out = df.copy()
    for col in columns:
        s = out[col]
        if pd.api.types.is_bool_dtype(s) or not pd.api.types.is_numeric_dtype(s):
            bad = s[pd.to_numeric(s, errors="coerce").isna() & s.notna()]
            example = bad.iloc[0] if len(bad) else s.dtype
            raise DataError(f"{source}: column {col!r} must be numeric, got {example!r}")
        if len(s) and s.isna().all():
            raise DataError(f"{source}: column {col!r} is entirely empty (all NaN)")
    return out


def read_raw(path: Path) -> pd.DataFrame:
    """Read hour.csv, check its schema and add the hourly `timestamp` (dteday + hr)."""
    if not path.exists():
        raise DataError(f"{path}: not found; run `staleguard data fetch` or `dvc pull` first")
    try:
        df = pd.read_csv(path)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as err:
        raise DataError(f"{path}: not a readable CSV ({err})") from err
    require_columns(df, list(RAW_COLUMNS), path)
    numeric = [c for c, kind in RAW_COLUMNS.items() if kind != "date"]
    df = coerce_numeric(df, numeric, path)
    dates = pd.to_datetime(df["dteday"], format="%Y-%m-%d", errors="coerce")
    if dates.isna().any():
        bad = df.loc[dates.isna(), "dteday"].iloc[0]
        raise DataError(f"{path}: column 'dteday' must be YYYY-MM-DD dates, got {bad!r}")
    hours = df["hr"]
    if not hours.between(0, 23).all():
        raise DataError(f"{path}: column 'hr' must be in 0..23, got {hours[~hours.between(0, 23)].iloc[0]}")
    df.insert(0, TIMESTAMP, dates + pd.to_timedelta(hours, unit="h"))
    dup = df[TIMESTAMP].duplicated()
    if dup.any():
        raise DataError(f"{path}: duplicated timestamp {df.loc[dup, TIMESTAMP].iloc[0]}")
    return df
