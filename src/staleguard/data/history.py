"""The labeled history: raw data plus accepted production batches, one row per hour.

Written once here for every reader: `prepare`, the monitor's reference, the retraining
evidence, the PR backtest and the replay all assemble their history the same way.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from staleguard.contract import TIMESTAMP, read_raw
from staleguard.params import Params


def read_batches(folder: Path, columns: list[str]) -> pd.DataFrame | None:
    """Accepted production batches (Parquet) appended by the monitor, or None if there are none."""
    files = sorted(folder.glob("*.parquet")) if folder.is_dir() else []
    if not files:
        return None
    frames = [pd.read_parquet(f, columns=[TIMESTAMP, *columns]) for f in files]
    return pd.concat(frames, ignore_index=True)


def history(raw: pd.DataFrame, batches: pd.DataFrame | None, columns: list[str]) -> pd.DataFrame:
    """Raw history plus batches, one row per hour; a batch row replaces the raw row it repeats."""
    frame = raw[[TIMESTAMP, *columns]]
    if batches is not None:
        frame = pd.concat([frame, batches[[TIMESTAMP, *columns]]], ignore_index=True)
        frame = frame.drop_duplicates(TIMESTAMP, keep="last")
    return frame.sort_values(TIMESTAMP).reset_index(drop=True)


def columns_of(params: Params, *more: Params) -> list[str]:
    """The feature columns (of every params given, in order) and the target."""
    names = [c for p in (params, *more) for c in p.features.columns]
    return list(dict.fromkeys([*names, params.features.target]))


def history_frame(params: Params, *more: Params) -> pd.DataFrame:
    """Every labeled hour, as `prepare` builds it (raw data + accepted batches); with the
    columns of `more` params too (the PR backtest reads main's features beside the PR's)."""
    cols = columns_of(params, *more)
    return history(read_raw(params.data.raw, params), read_batches(params.data.batches, cols), cols)


def with_rows(past: pd.DataFrame, rows: pd.DataFrame | None, params: Params) -> pd.DataFrame:
    """`past` plus newer labeled `rows` (production), a row replacing the one it repeats."""
    return history(past, rows, columns_of(params))
