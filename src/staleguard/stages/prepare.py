"""prepare: validate the raw data (plus accepted production batches) and split it by time windows."""

from __future__ import annotations

from functools import partial
from pathlib import Path

import pandas as pd

from staleguard import artifacts
from staleguard.contract import TIMESTAMP, read_raw
from staleguard.data.windows import slice_window
from staleguard.io import write_with
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


def split(frame: pd.DataFrame, params: Params) -> tuple[pd.DataFrame, pd.DataFrame]:
    return (slice_window(frame, params.windows.train, "train"),
            slice_window(frame, params.windows.eval, "eval"))


def main(params: Params) -> None:
    columns = [*params.features.columns, params.features.target]
    frame = history(read_raw(params.data.raw, params), read_batches(params.data.batches, columns), columns)
    train, evaluation = split(frame, params)
    for df, out in ((train, artifacts.TRAIN_SET), (evaluation, artifacts.EVAL_SET)):
        write_with(out, partial(df.to_parquet, index=False))
    print(f"prepare: {len(train)} train rows {params.windows.train.label()}, "
          f"{len(evaluation)} eval rows {params.windows.eval.label()}")
