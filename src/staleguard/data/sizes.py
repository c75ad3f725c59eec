"""The window sizes params.yaml asks for, counted on the data itself, before any fit.

params.py refuses at load what the frequency alone rules out, but only when one row per period
is known (contract.key: timestamp). Monthly rows under `freq: 1d`, a panel keyed by an id, or
events: the rows a window holds are only known from the data. These checks count them, for
every key mode, so a setting no data can satisfy is one line at `prepare` (and, for what the
train stage reads alone, at `train`) instead of sklearn's "Found array with 0 sample(s)"
minutes into a fit.
"""

from __future__ import annotations

from datetime import timedelta

import pandas as pd

from staleguard.contract import TIMESTAMP
from staleguard.data.windows import (
    final_windows,
    grid_end,
    reference_rows,
    retrain_floor_problem,
    rows_in,
)
from staleguard.params import Params, Window


def training_problems(train: pd.DataFrame, params: Params) -> list[str]:
    """What the train stage needs of the training window's rows: enough to fit, a reference
    the drift check can compare with, and a row in every quality fold."""
    out = []
    w, min_rows, d_min = params.windows, params.train.min_rows, params.drift.min_rows
    folds = params.drift.quality.folds
    if len(train) < min_rows:
        out.append(f"windows.train {w.train.label()} holds {len(train)} row(s) of the data, below "
                   f"train.min_rows={min_rows}: widen windows.train or lower train.min_rows")
    ref, info = reference_rows(train, params)
    if info["used"] != "training" and len(ref) < d_min:
        lo = max(w.train.start, w.train.end - timedelta(weeks=w.reference.weeks))
        out.append(f"windows.reference.weeks={w.reference.weeks} selects {len(ref)} row(s) of the "
                   f"data ({Window(start=lo, end=w.train.end).label()}, the end of windows.train), "
                   f"below drift.min_rows={d_min}: lengthen windows.reference.weeks, set "
                   "windows.reference.policy: training, or lower drift.min_rows")
    elif len(ref) < d_min:
        out.append(f"windows.reference.policy training selects {len(ref)} row(s) of the data, below "
                   f"drift.min_rows={d_min}: widen windows.train or lower drift.min_rows")
    if len(train) < folds:
        out.append(f"drift.quality.folds={folds} cuts windows.train's {len(train)} row(s) "
                   "into blocks some of which hold none: use at most "
                   f"{max(2, len(train))} folds or widen windows.train")
    return out


def fullest_window(history: pd.DataFrame, params: Params) -> int:
    """The most rows any window of the monitor's grid (windows.week_days from windows.train.end)
    holds in `history`."""
    if history.empty:
        return 0
    step = pd.Timedelta(days=params.windows.week_days)
    index = (history[TIMESTAMP] - pd.Timestamp(params.windows.train.end)) // step
    return int(index.value_counts().max())


def history_problems(history: pd.DataFrame, params: Params, monitor_min_rows: int) -> list[str]:
    """What `prepare` can count on the whole labeled history: the training window's needs,
    the evaluation window's rows, the fullest window the monitor could check against
    `monitor_min_rows` (monitor.min_rows, passed in: the train stage, which imports this module,
    does not track the monitor's settings), and the rows of a retrain's training window at the
    newest data (windows.retrain.train_weeks)."""
    w, d_min, min_rows = params.windows, params.drift.min_rows, params.train.min_rows
    out = training_problems(rows_in(history, w.train), params)
    got = len(rows_in(history, w.eval))
    if got < d_min:
        out.append(f"windows.eval {w.eval.label()} holds {got} row(s) of the data, below "
                   f"drift.min_rows={d_min}: widen windows.eval or lower drift.min_rows")
    fullest = fullest_window(history, params)
    if fullest < monitor_min_rows:
        out.append(f"windows.week_days={w.week_days} holds at most {fullest} row(s) of the data in "
                   f"any window, below monitor.min_rows={monitor_min_rows}: every window would "
                   "be 'not decided'; lengthen windows.week_days or lower monitor.min_rows")
    if not history.empty:
        newest = history[TIMESTAMP].max().to_pydatetime()
        problem = retrain_floor_problem(grid_end(newest, params), params)
        if problem:
            return [*out, problem]
        retrain, _ = final_windows(grid_end(newest, params), params)
        got = len(rows_in(history, retrain))
        if got < min_rows:
            out.append(f"windows.retrain.train_weeks={w.retrain.train_weeks} holds {got} row(s) at "
                       f"the newest data ({retrain.label()}), below train.min_rows={min_rows}: "
                       "a retrain could not fit; raise train_weeks or lower train.min_rows")
    return out
