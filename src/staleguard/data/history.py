"""The labeled history: raw data plus accepted production batches, each row once (contract.key).

Written once here for every reader: `prepare`, the monitor's reference, the retraining
evidence, the PR backtest and the replay all assemble their history the same way.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from staleguard.contract import TIMESTAMP, dedupe, read_raw
from staleguard.errors import DataError
from staleguard.params import Params


def read_batches(folder: Path, columns: list[str]) -> pd.DataFrame | None:
    """Accepted production batches (Parquet) appended by the monitor, or None if there are none;
    `columns` plus whatever else they carry (the key column contract.key names, row ids)."""
    files = sorted(folder.glob("*.parquet")) if folder.is_dir() else []
    if not files:
        return None
    frames = [pd.read_parquet(f) for f in files]
    missing = [c for c in [TIMESTAMP, *columns] if c not in frames[0]]
    if missing:
        raise DataError(f"{files[0]}: missing column(s) {missing} of an accepted batch")
    return pd.concat(frames, ignore_index=True)


def history(raw: pd.DataFrame, batches: pd.DataFrame | None, columns: list[str],
            params: Params) -> pd.DataFrame:
    """Raw history plus batches, every row kept unless contract.key says two rows are the same
    row (the same period, or the same key): then a batch row replaces the one it repeats."""
    key = params.contract.key_column
    cols = [TIMESTAMP, *columns]
    frame = raw[[*cols, key] if key and key in raw and key not in cols else cols]
    if batches is not None:
        frame = pd.concat([frame, batches[[c for c in frame.columns if c in batches]]], ignore_index=True)
        frame = dedupe(frame, params)
    return frame.sort_values(TIMESTAMP, kind="stable")[cols].reset_index(drop=True)


def columns_of(params: Params, *more: Params) -> list[str]:
    """The feature columns (of every params given, in order) and the target."""
    names = [c for p in (params, *more) for c in p.features.columns]
    return list(dict.fromkeys([*names, params.features.target]))


def history_frame(params: Params, *more: Params) -> pd.DataFrame:
    """Every labeled row, as `prepare` builds it (raw data + accepted batches); with the
    columns of `more` params too (the PR backtest reads main's features beside the PR's)."""
    cols = columns_of(params, *more)
    return history(read_raw(params.data.raw, params), read_batches(params.data.batches, cols), cols, params)


def with_rows(past: pd.DataFrame, rows: pd.DataFrame | None, params: Params) -> pd.DataFrame:
    """`past` plus newer labeled `rows` (production), a row replacing the one it repeats."""
    return history(past, rows, columns_of(params), params)
