"""prepare: validate the raw data (plus accepted production batches) and split it by time windows."""

from __future__ import annotations

from functools import partial

import pandas as pd

from staleguard import artifacts
from staleguard.data.history import history_frame
from staleguard.data.sizes import history_problems
from staleguard.data.windows import slice_window
from staleguard.errors import DataError
from staleguard.io import write_with
from staleguard.params import Params


def split(frame: pd.DataFrame, params: Params) -> tuple[pd.DataFrame, pd.DataFrame]:
    return (slice_window(frame, params.windows.train, "train"),
            slice_window(frame, params.windows.eval, "eval"))


def main(params: Params) -> None:
    history = history_frame(params)
    train, evaluation = split(history, params)
    problems = history_problems(history, params, params.monitor.min_rows)  # before anything is written
    if problems:
        raise DataError(f"{params.data.raw}: {problems[0]}")
    for df, out in ((train, artifacts.TRAIN_SET), (evaluation, artifacts.EVAL_SET)):
        write_with(out, partial(df.to_parquet, index=False))
    print(f"prepare: {len(train)} train rows {params.windows.train.label()}, "
          f"{len(evaluation)} eval rows {params.windows.eval.label()}")

