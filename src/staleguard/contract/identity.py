"""Row identity (contract.key): which rows are the same row, so that a later one replaces it.

With `key: timestamp` (one row per period of contract.timestamp.freq) a batch row replaces the raw
or earlier row of its period; with a key column, the row of the same key; with `key: none` nothing
is the same row and every row is kept. Nothing else in the code de-duplicates.
"""

from __future__ import annotations

import pandas as pd

from staleguard.contract.frame import id_column
from staleguard.params import KEY_NONE, Params


def dedupe(frame: pd.DataFrame, params: Params) -> pd.DataFrame:
    """`frame` with one row per identity, the last one kept; every row when `contract.key: none`."""
    if params.contract.key == KEY_NONE:
        return frame
    key = id_column(params)
    return frame.drop_duplicates(key, keep="last") if key in frame else frame


def period_start(times: pd.Series, params: Params) -> pd.Series:
    """Naive timestamps as row identity reads them. With `key: timestamp` (one row per period)
    each is floored to the start of its contract.timestamp.freq period, so a prediction re-sent
    later in the same day (daily data) or hour (hourly data), and its label, are that period's one
    row. With a key column or `none` the time is kept as given: rows are told apart by their id."""
    if not params.contract.unique_timestamp:
        return times
    return times.dt.floor(pd.Timedelta(seconds=params.contract.timestamp.period_seconds))
