"""Champion (the base's model) vs challenger (the PR's), on the same most recent labeled window."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from staleguard.model import load_meta, load_model
from staleguard.stages.evaluate import regression_metrics


@dataclass(frozen=True)
class Duel:
    """Both models' metrics and per-row predictions on one window (the gate is report.gate)."""

    champion: dict[str, float] | None
    challenger: dict[str, float]
    metric: str
    tolerance: float
    note: str = ""
    # Per-row predictions on the window, for the paired verdict (None when not scored here).
    champion_pred: np.ndarray | None = field(default=None, compare=False, repr=False)
    challenger_pred: np.ndarray | None = field(default=None, compare=False, repr=False)
    baseline: dict[str, float] | None = None   # the naive baseline on the same rows (baseline.py)
    baseline_name: str = ""

    def beats_baseline(self) -> bool | None:
        """Whether the PR's model is better than the baseline on the gate metric (None: no baseline)."""
        if self.baseline is None or self.metric not in self.baseline or self.metric not in self.challenger:
            return None
        sign = -1 if self.metric == "r2" else 1
        return sign * self.challenger[self.metric] < sign * self.baseline[self.metric]


def with_baseline(result: Duel, frame: pd.DataFrame, training: pd.DataFrame, kind: str, target: str
                  ) -> Duel:
    """The duel with the naive baseline (fitted on `training`) scored on the same rows."""
    from dataclasses import replace

    from staleguard.baseline import describe, fit_baseline, predict_baseline

    fitted = fit_baseline(kind, training, target)
    if fitted is None or frame.empty:
        return result
    metrics = regression_metrics(frame[target].to_numpy(), predict_baseline(fitted, frame))
    return replace(result, baseline=metrics, baseline_name=describe(fitted))


def predict(model_path: Path, frame: pd.DataFrame) -> np.ndarray:
    """A saved model's predictions on `frame`, with the feature columns it was trained on."""
    model = load_model(model_path)
    features = load_meta(model_path)["features"]
    columns = [*features["numerical"], *features["categorical"]]
    missing = sorted(set(columns) - set(frame.columns))
    if missing:
        raise KeyError(f"the window lacks the model's features {missing}")
    return np.asarray(model.predict(frame[columns]), dtype=np.float64)


def score(model_path: Path, frame: pd.DataFrame, target: str) -> dict[str, float]:
    """Metrics of a saved model on `frame`."""
    return regression_metrics(frame[target].to_numpy(), predict(model_path, frame))


def duel(champion: Path | None, challenger: Path, frame: pd.DataFrame,
         target: str, metric: str, tolerance: float, unavailable: str = "") -> Duel:
    """Score both models on `frame`, keeping their per-row predictions for the paired verdict;
    a champion that cannot be scored leaves a note, not an error."""
    actual = frame[target].to_numpy()
    new_pred = predict(challenger, frame)
    new = regression_metrics(actual, new_pred)
    if champion is None:
        return Duel(None, new, metric, tolerance, unavailable, challenger_pred=new_pred)
    try:
        old_pred = predict(champion, frame)
    except (KeyError, ValueError) as err:
        return Duel(None, new, metric, tolerance, f"cannot score the base model here: {err}",
                    challenger_pred=new_pred)
    return Duel(regression_metrics(actual, old_pred), new, metric, tolerance,
                champion_pred=old_pred, challenger_pred=new_pred)


def window_label(frame: pd.DataFrame, column: str = "timestamp") -> str:
    ts: Any = frame[column]
    return f"{ts.min():%Y-%m-%d %H:%M} → {ts.max():%Y-%m-%d %H:%M} ({len(frame)} rows)"
