"""evaluate: score the model on the evaluation window; metrics JSON, plot data and PNGs."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.inspection import permutation_importance
from sklearn.metrics import (
    mean_absolute_error,
    mean_absolute_percentage_error,
    mean_squared_error,
    r2_score,
)

from staleguard import artifacts, model_plots
from staleguard.contract import TIMESTAMP
from staleguard.io import write_json, write_with
from staleguard.model import load_model, mape_defined
from staleguard.params import Params


def regression_metrics(actual: np.ndarray, predicted: np.ndarray) -> dict[str, float]:
    """The metrics every report compares; rounded so diffs are not noise."""
    return {k: round(v, 4) for k, v in exact_metrics(actual, predicted).items()}


def exact_metrics(actual: np.ndarray, predicted: np.ndarray) -> dict[str, float]:
    """regression_metrics unrounded. MAPE only when every actual is above zero: a zero or
    negative target makes it meaningless (docs/metrics)."""
    out = {
        "mae": float(mean_absolute_error(actual, predicted)),
        "rmse": float(np.sqrt(mean_squared_error(actual, predicted))),
        "r2": float(r2_score(actual, predicted)),
    }
    if mape_defined(actual):
        out["mape"] = float(mean_absolute_percentage_error(actual, predicted))
    return out


def score(model: Any, frame: pd.DataFrame, params: Params) -> dict[str, float]:
    """Metrics of `model` on a labeled frame: used here, by champion/challenger and the replay."""
    return {k: round(v, 4) for k, v in exact_score(model, frame, params).items()}


def exact_score(model: Any, frame: pd.DataFrame, params: Params) -> dict[str, float]:
    """score unrounded: the numbers the monitor's window quality is checked against (tests)."""
    pred = model.predict(frame[params.features.columns])
    return exact_metrics(frame[params.features.target].to_numpy(), pred)


def predictions(model: Any, frame: pd.DataFrame, params: Params) -> pd.DataFrame:
    pred = model.predict(frame[params.features.columns])
    actual = frame[params.features.target].to_numpy()
    return pd.DataFrame({"timestamp": frame[TIMESTAMP].dt.strftime("%Y-%m-%d %H:%M"),
                         "actual": actual, "predicted": np.round(pred, 2),
                         "residual": np.round(actual - pred, 2)})


def importances(model: Any, frame: pd.DataFrame, params: Params) -> pd.DataFrame:
    """Impurity importance when the model has it, else permutation importance on the window."""
    cols = params.features.columns
    values = getattr(model, "feature_importances_", None)
    if values is None:
        values = permutation_importance(model, frame[cols], frame[params.features.target],
                                        n_repeats=5, random_state=params.train.seed).importances_mean
    return pd.DataFrame({"feature": cols, "importance": np.round(values, 5)})


def main(params: Params) -> None:
    frame = pd.read_parquet(artifacts.EVAL_SET)
    model = load_model(artifacts.MODEL)
    pred = predictions(model, frame, params)
    metrics = score(model, frame, params)
    imp = importances(model, frame, params)
    write_json(artifacts.METRICS, metrics)
    write_with(artifacts.PREDICTIONS, lambda tmp: pred.to_csv(tmp, index=False))
    write_with(artifacts.IMPORTANCE, lambda tmp: imp.to_csv(tmp, index=False))
    window = params.windows.eval.label()
    model_plots.predicted_vs_actual(pred, artifacts.PLOTS / "predicted_vs_actual.png",
                              f"Predicted vs actual, eval {window}", params.features.target)
    model_plots.residuals_over_time(pred, artifacts.PLOTS / "residuals.png", f"Residuals, eval {window}")
    model_plots.importance(imp, artifacts.PLOTS / "importance.png")
    print("evaluate: " + ", ".join(f"{k}={v}" for k, v in metrics.items()))

