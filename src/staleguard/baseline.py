"""The naive baseline every comparison shows beside the models (params.yaml report.baseline).

`median`: the training window's median target, predicted for every row; `hour_median`: the
training window's median per hour of day (a seasonal-naive for one calendar slot), else the
median. A model that does not beat it on the same rows is said so plainly (report/render.py).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from staleguard.contract import TIMESTAMP


def fit_baseline(kind: str, training: pd.DataFrame, target: str) -> dict[str, object] | None:
    """What the baseline predicts, learned from the training rows (None: no baseline)."""
    if kind == "none" or training.empty:
        return None
    y = training[target].astype(float)
    doc: dict[str, object] = {"kind": kind, "median": float(y.median())}
    if kind == "hour_median":
        hours = training[TIMESTAMP].dt.hour
        doc["by_hour"] = {int(h): float(v) for h, v in y.groupby(hours.to_numpy()).median().items()}
    return doc


def predict_baseline(baseline: dict[str, object], frame: pd.DataFrame) -> np.ndarray:
    """The baseline's prediction for every row of `frame`."""
    median = float(baseline["median"])  # type: ignore[arg-type]
    by_hour = baseline.get("by_hour")
    if isinstance(by_hour, dict) and TIMESTAMP in frame:
        out: np.ndarray = frame[TIMESTAMP].dt.hour.map(by_hour).fillna(median).to_numpy(dtype=float)
        return out
    return np.full(len(frame), median)


def describe(baseline: dict[str, object]) -> str:
    if baseline.get("kind") == "hour_median":
        return "the training window's median per hour of day"
    return f"the training window's median ({float(baseline['median']):g})"  # type: ignore[arg-type]
