"""Half-open time windows [start, end) over the timestamp."""

from __future__ import annotations

import pandas as pd

from staleguard.contract import TIMESTAMP
from staleguard.errors import DataError
from staleguard.params import Window


def in_window(df: pd.DataFrame, window: Window) -> pd.Series:
    ts = df[TIMESTAMP]
    return (ts >= pd.Timestamp(window.start)) & (ts < pd.Timestamp(window.end))


def slice_window(df: pd.DataFrame, window: Window, name: str) -> pd.DataFrame:
    """Rows of `df` inside `window`; an empty window is an error, never a silent zero-row fit."""
    part = df.loc[in_window(df, window)].reset_index(drop=True)
    if part.empty:
        first, last = df[TIMESTAMP].min(), df[TIMESTAMP].max()
        raise DataError(
            f"windows.{name} {window.label()} holds no rows; the data covers {first} .. {last}"
        )
    return part
