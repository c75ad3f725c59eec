"""The window policy, in one place: half-open windows [start, end), the grid of weeks, the
training window a retrain uses, the drift reference, and the recency weights.

The *reference* is what a week's drift is measured against (`windows.reference`); the *training
window* is what a retrain fits on (`windows.retrain`). Tied together, a long training window made
every week look drifted against a year of data (issue 14): they are separate questions, answered
here side by side so that the train stage, the monitor, the evidence, the PR backtest and the
replay all read the same rule.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd

from staleguard.contract import TIMESTAMP
from staleguard.errors import DataError
from staleguard.params import Params, Window

YEAR = timedelta(weeks=52)  # 364 days: the same weekday a year earlier
Part = tuple[datetime, datetime, pd.DataFrame]


def in_window(df: pd.DataFrame, window: Window) -> pd.Series:
    return between(df, window.start, window.end)


def between(df: pd.DataFrame, lo: datetime, hi: datetime) -> pd.Series:
    """Rows with lo <= timestamp < hi: the one half-open test every slice uses."""
    ts = df[TIMESTAMP]
    return (ts >= pd.Timestamp(lo)) & (ts < pd.Timestamp(hi))


def rows_in(df: pd.DataFrame, window: Window) -> pd.DataFrame:
    """The rows of `df` inside `window` (may be empty)."""
    return df.loc[in_window(df, window)]


def slice_window(df: pd.DataFrame, window: Window, name: str) -> pd.DataFrame:
    """Rows of `df` inside `window`; an empty window is an error, never a silent zero-row fit."""
    part = rows_in(df, window).reset_index(drop=True)
    if part.empty:
        first, last = df[TIMESTAMP].min(), df[TIMESTAMP].max()
        raise DataError(
            f"windows.{name} {window.label()} holds no rows; the data covers {first} .. {last}"
        )
    return part


def split_windows(frame: pd.DataFrame, start: datetime, days: int) -> list[Part]:
    """Consecutive [start + k·days, start + (k+1)·days) windows holding at least one row."""
    if frame.empty:
        return []
    step = pd.Timedelta(days=days)
    index = ((frame[TIMESTAMP] - pd.Timestamp(start)) // step).astype(int)
    out = []
    for k, part in frame.groupby(index, sort=True):
        lo = pd.Timestamp(start) + k * step
        out.append((lo.to_pydatetime(), (lo + step).to_pydatetime(), part.reset_index(drop=True)))
    return out


def day_after(newest: datetime) -> datetime:
    """Midnight after the time `newest`: "production data through <that day>"."""
    end: datetime = (pd.Timestamp(newest).normalize() + pd.Timedelta(days=1)).to_pydatetime()
    return end


def grid_end(newest: datetime, params: Params) -> datetime:
    """The end of the grid week holding the time `newest`.

    The one grid: weeks of `windows.week_days` from `windows.train.end`. The monitor checks
    these weeks, the replay serves them, and a retrain's windows end on them, so the retraining
    PR's evaluation week is one the monitor measured (and a retrained model's `windows.train.end`
    is again on the grid). The training window reaches past the newest labeled row.
    """
    anchor, step = _grid(params)
    end: datetime = (anchor + ((pd.Timestamp(newest) - anchor) // step + 1) * step).to_pydatetime()
    return end


def grid_ceil(t: datetime, params: Params) -> datetime:
    """The first grid boundary at or after `t` (the grid runs back before the anchor too)."""
    anchor, step = _grid(params)
    up: datetime = (anchor - ((anchor - pd.Timestamp(t)) // step) * step).to_pydatetime()
    return up


def _grid(params: Params) -> tuple[pd.Timestamp, pd.Timedelta]:
    return pd.Timestamp(params.windows.train.end), pd.Timedelta(days=params.windows.week_days)


def training_frame(params: Params, frame: pd.DataFrame) -> pd.DataFrame:
    """The deployed model's training window of `frame` (the history)."""
    return slice_window(frame, params.windows.train, "train")


def reference_rows(frame: pd.DataFrame, params: Params, start: datetime | None = None
                   ) -> tuple[pd.DataFrame, dict[str, Any]]:
    """The reference for the week starting at `start`, and what chose it (drift.json `reference`).

    training: the whole training window. recent: its last `weeks`. last_year: the `weeks` centred
    on the same week 52 weeks earlier, from the history (seasonal); where the history does not
    reach back that far (or `start` is None), the recent weeks stand in, and the info says so.
    `frame` holds the history (or at least the training window, for training/recent).
    """
    ref, train = params.windows.reference, params.windows.train
    info: dict[str, Any] = {"policy": ref.policy, "weeks": ref.weeks}
    if ref.policy == "last_year":
        if start is not None:
            lo = pd.Timestamp(start) - YEAR - timedelta(weeks=ref.weeks // 2)
            part = frame.loc[between(frame, lo, lo + timedelta(weeks=ref.weeks))]
            if len(part) >= params.drift.min_rows:
                return part, {**info, "used": "last_year", **_span(part)}
        info["note"] = "no history a year earlier: the recent weeks stand in"
    lo = train.start if ref.policy == "training" else max(train.start, train.end - timedelta(weeks=ref.weeks))
    part = frame.loc[between(frame, lo, train.end)]
    return part, {**info, "used": "training" if ref.policy == "training" else "recent", **_span(part)}


def _span(part: pd.DataFrame) -> dict[str, Any]:
    ts = part[TIMESTAMP]
    return {"start": f"{ts.min():%Y-%m-%dT%H:%M}" if len(part) else None,
            "end": f"{ts.max():%Y-%m-%dT%H:%M}" if len(part) else None, "rows": len(part)}


def train_start(eval_start: datetime, params: Params) -> datetime:
    """Where a retrain's training window starts: `train_weeks` before the eval window (sliding),
    or where the current training window starts (all, weighted: it only grows)."""
    retrain = params.windows.retrain
    since = None if retrain.policy == "sliding" else params.windows.train.start
    return start_of(eval_start, timedelta(weeks=retrain.train_weeks), since)


def start_of(end: datetime, span: timedelta, since: datetime | None) -> datetime:
    """A training window's start: `span` before `end`, or `since` when that is earlier (a
    window that only grows from `since`: all, weighted)."""
    return end - span if since is None else min(since, end - span)


def floor_of(params: Params) -> datetime:
    """The earliest start of a retrain's training window: the first grid week that leaves a
    held-out week (`eval_weeks`) after the earliest data params name (all, weighted)."""
    held_out = timedelta(weeks=params.windows.retrain.eval_weeks)
    known = min(params.windows.train.start, params.windows.eval.start)
    return grid_ceil(known + held_out, params)


def final_windows(data_end: datetime, params: Params) -> tuple[Window, Window]:
    """A retrain's windows (the retraining PR's and the replay's): the model that ships trains on
    the last `train_weeks` up to `data_end` (`grid_end` of the newest labeled row: it has seen
    the newest week); `windows.eval` is the `eval_weeks` just before that, which it never fitted.
    Half-open, never overlapping. Whether retraining helps is judged by the walk-forward
    evidence (monitor.evidence), not by this one week."""
    held_out = timedelta(weeks=params.windows.retrain.eval_weeks)
    # all/weighted: the window only grows from its start; never so far back that `eval` has no data
    start = max(train_start(data_end, params), floor_of(params))
    if start >= data_end:
        raise DataError(retrain_floor_problem(data_end, params))
    return (Window(start=start, end=data_end), Window(start=start - held_out, end=start))


def retrain_floor_problem(data_end: datetime, params: Params) -> str | None:
    """Why a retrain at `data_end` has no training window left: the `eval_weeks` it holds out
    after the earliest window params name end at or after it (short data, long eval_weeks)."""
    floor = floor_of(params)
    if floor < data_end:
        return None
    weeks = params.windows.retrain.eval_weeks
    return (f"windows.retrain.eval_weeks={weeks} holds out the data up to {floor:%Y-%m-%d} (that "
            f"many weeks after windows.train.start, on the windows.week_days grid), at or after "
            f"the newest data's grid end {data_end:%Y-%m-%d}: a retrain would have no rows to "
            "train on; lower windows.retrain.eval_weeks or add data")


def recency_weights(timestamps: pd.Series, end: datetime, half_life_weeks: float) -> np.ndarray:
    """A row `half_life_weeks` older than the window's `end` counts half (`weighted`)."""
    age = (pd.Timestamp(end) - timestamps) / pd.Timedelta(weeks=1)
    weights: np.ndarray = np.power(0.5, age.to_numpy(dtype=float) / half_life_weeks)
    return weights
