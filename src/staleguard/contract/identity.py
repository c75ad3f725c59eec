"""Row identity (contract.key): which rows are the same row, so that a later one replaces it.

With `key: timestamp` (one row per period) a batch row replaces the raw or earlier
row of its hour; with a key column, the row of the same key; with `key: none` nothing is the same
row and every row is kept. Nothing else in the code de-duplicates.
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
