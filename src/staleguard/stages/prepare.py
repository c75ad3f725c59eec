"""prepare: validate the raw data (plus accepted production batches) and split it by time windows."""

from __future__ import annotations

from functools import partial
from pathlib import Path

import pandas as pd

from staleguard import artifacts
from staleguard.contract import TIMESTAMP, dedupe, read_raw
from staleguard.data.windows import slice_window
from staleguard.errors import DataError
from staleguard.io import write_with
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
    row (the same hour, or the same key): then a batch row replaces the one it repeats."""
    key = params.contract.key_column
    cols = [TIMESTAMP, *columns]
    frame = raw[[*cols, key] if key and key in raw and key not in cols else cols]
    if batches is not None:
        frame = pd.concat([frame, batches[[c for c in frame.columns if c in batches]]], ignore_index=True)
        frame = dedupe(frame, params)
    return frame.sort_values(TIMESTAMP, kind="stable")[cols].reset_index(drop=True)


def split(frame: pd.DataFrame, params: Params) -> tuple[pd.DataFrame, pd.DataFrame]:
    return (slice_window(frame, params.windows.train, "train"),
            slice_window(frame, params.windows.eval, "eval"))


def main(params: Params) -> None:
    columns = [*params.features.columns, params.features.target]
    frame = history(read_raw(params.data.raw, params), read_batches(params.data.batches, columns), columns,
                    params)
    train, evaluation = split(frame, params)
    for df, out in ((train, artifacts.TRAIN_SET), (evaluation, artifacts.EVAL_SET)):
        write_with(out, partial(df.to_parquet, index=False))
    print(f"prepare: {len(train)} train rows {params.windows.train.label()}, "
          f"{len(evaluation)} eval rows {params.windows.eval.label()}")

