"""The monitor's two window policies, kept apart on purpose (docs/monitor.md).

The *reference* is what a week's drift is measured against (`monitor.reference`); the *training
window* is what a retrain fits on (`monitor.retrain`). Tied together, a long training window made
every week look drifted against a year of data (issue 14): they are separate questions.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd

from staleguard.contract import TIMESTAMP, read_raw
from staleguard.data.windows import slice_window
from staleguard.params import Params
from staleguard.stages.prepare import history, read_batches

YEAR = timedelta(weeks=52)  # 364 days: the same weekday a year earlier


def history_frame(params: Params) -> pd.DataFrame:
    """Every labeled hour, built as `prepare` builds it (raw data + accepted batches)."""
    cols = [*params.features.columns, params.features.target]
    return history(read_raw(params.data.raw, params), read_batches(params.data.batches, cols), cols, params)


def training_frame(params: Params, frame: pd.DataFrame | None = None) -> pd.DataFrame:
    """The deployed model's training window (of `frame`, else of the history)."""
    return slice_window(history_frame(params) if frame is None else frame, params.windows.train, "train")


def _rows(frame: pd.DataFrame, lo: datetime, hi: datetime) -> pd.DataFrame:
    ts = frame[TIMESTAMP]
    return frame[(ts >= pd.Timestamp(lo)) & (ts < pd.Timestamp(hi))]


def reference_rows(frame: pd.DataFrame, params: Params, start: datetime | None = None
                   ) -> tuple[pd.DataFrame, dict[str, Any]]:
    """The reference for the week starting at `start`, and what chose it (drift.json `reference`).

    training: the whole training window. recent: its last `weeks`. last_year: the `weeks` centred
    on the same week 52 weeks earlier, from the history (seasonal); where the history does not
    reach back that far (or `start` is None), the recent weeks stand in, and the info says so.
    `frame` holds the history (or at least the training window, for training/recent).
    """
    ref, train = params.monitor.reference, params.windows.train
    info: dict[str, Any] = {"policy": ref.policy, "weeks": ref.weeks}
    if ref.policy == "last_year":
        if start is not None:
            lo = pd.Timestamp(start) - YEAR - timedelta(weeks=ref.weeks // 2)
            part = _rows(frame, lo, lo + timedelta(weeks=ref.weeks))
            if len(part) >= params.drift.min_rows:
                return part, {**info, "used": "last_year", **_span(part)}
        info["note"] = "no history a year earlier: the recent weeks stand in"
    lo = train.start if ref.policy == "training" else max(train.start, train.end - timedelta(weeks=ref.weeks))
    part = _rows(frame, lo, train.end)
    return part, {**info, "used": "training" if ref.policy == "training" else "recent", **_span(part)}


def _span(part: pd.DataFrame) -> dict[str, Any]:
    ts = part[TIMESTAMP]
    return {"start": f"{ts.min():%Y-%m-%dT%H:%M}" if len(part) else None,
            "end": f"{ts.max():%Y-%m-%dT%H:%M}" if len(part) else None, "rows": len(part)}


def train_start(eval_start: datetime, params: Params) -> datetime:
    """Where a retrain's training window starts: `train_weeks` before the eval window (sliding),
    or where the current training window starts (all, weighted: it only grows)."""
    retrain = params.monitor.retrain
    if retrain.policy == "sliding":
        return eval_start - timedelta(weeks=retrain.train_weeks)
    return min(params.windows.train.start, eval_start - timedelta(weeks=retrain.train_weeks))


def sample_weight(frame: pd.DataFrame, params: Params) -> np.ndarray | None:
    """Recency weights for `monitor.retrain.policy: weighted`: an hour `half_life_weeks` older than
    the window's end counts half (None: every hour counts the same)."""
    retrain = params.monitor.retrain
    if retrain.policy != "weighted" or TIMESTAMP not in frame:
        return None
    age = (pd.Timestamp(params.windows.train.end) - frame[TIMESTAMP]) / pd.Timedelta(weeks=1)
    return np.power(0.5, age.to_numpy(dtype=float) / retrain.half_life_weeks)
