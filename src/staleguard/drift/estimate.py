"""Quality before the labels: direct loss estimation (DLE) with scikit-learn.

On the reference, where the labels are known, a second model learns the deployed model's absolute
error from the features and the model's prediction. It learns from out-of-fold residuals
(drift/quality.py), i.e. errors on rows the model had not seen, not its flattering in-sample
fit. On a week whose actuals have not arrived, the estimated MAE is the mean predicted absolute
error. The method assumes the error given the inputs stays the same (no concept drift) and that
the week stays in regions the reference covers; the replay measures how well it tracks the real
MAE once the labels arrive (docs/replay.md).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingRegressor
from threadpoolctl import threadpool_limits

from staleguard.drift.result import Estimate
from staleguard.params import Params

PREDICTION = "prediction"


def design(frame: pd.DataFrame, predictions: np.ndarray, params: Params) -> pd.DataFrame:
    """The estimator's inputs: the model's features (text categories as their index in the
    contract's values, NaN when missing or unseen: ordinal codes, since the estimator's native
    categorical mode saves a functools.partial the skops allow-list refuses) and its prediction."""
    cols = params.features.columns
    text = params.contract.text(cols)
    out = pd.DataFrame({c: _codes(frame[c], params.contract.columns[c].categories or [])
                        if c in text else frame[c].astype(float) for c in cols}, index=frame.index)
    return out.assign(**{PREDICTION: np.asarray(predictions, float)})


def _codes(values: pd.Series, categories: list[Any]) -> np.ndarray:
    code: np.ndarray = pd.Categorical(values, categories=categories).codes.astype(float)
    code[code < 0] = np.nan
    return code


def fit(reference: pd.DataFrame, oof: np.ndarray, params: Params) -> HistGradientBoostingRegressor:
    """|actual - out-of-fold prediction| learned from the features and the prediction (seeded)."""
    actual = reference[params.features.target].to_numpy(dtype=float)
    estimator = HistGradientBoostingRegressor(max_iter=100, learning_rate=0.05, max_leaf_nodes=15,
                                              min_samples_leaf=20, early_stopping=False,
                                              random_state=params.train.seed)
    with threadpool_limits(1):  # ~700 rows: OpenMP threads cost more than they save (10x on busy cores)
        return estimator.fit(design(reference, oof, params), np.abs(actual - oof))


def fit_from_model(model: Any, reference: pd.DataFrame, params: Params) -> tuple[Any, dict[str, float]]:
    """The estimator and the reference's out-of-sample quality, from one set of out-of-fold fits."""
    from staleguard.drift.quality import out_of_fold, regression_metrics

    ordered, oof = out_of_fold(model, reference, params)
    quality = regression_metrics(ordered[params.features.target].to_numpy(dtype=float), oof)
    return fit(ordered, oof, params), quality


def estimate(estimator: Any, frame: pd.DataFrame, predictions: np.ndarray, params: Params,
             reference_mae: float | None,
             reference: tuple[pd.DataFrame, np.ndarray] | None = None) -> Estimate:
    """The estimated MAE of `frame` (mean predicted |error|), and the measured one where the rows
    carry actuals, so a report can show how well the estimate tracked. A window without actuals
    also gets its support against `reference` (rows, predictions; drift/reliability.py)."""
    inputs = design(frame, predictions, params)
    with threadpool_limits(1):
        errors = np.clip(estimator.predict(inputs), 0, None)
    target = params.features.target
    actual = None
    if target in frame:
        y = frame[target].to_numpy(dtype=float)
        known = ~np.isnan(y)
        if known.sum() >= 2:
            actual = round(float(np.mean(np.abs(y[known] - np.asarray(predictions, float)[known]))), 4)
    out = Estimate(metric="mae", estimated=round(float(errors.mean()), 4), reference=reference_mae,
                   actual=actual, rows=len(frame))
    if actual is not None or reference is None:
        return out
    from staleguard.drift.reliability import with_support

    cfg = params.drift.estimate
    calendar = {c for c in params.features.columns if params.contract.columns[c].derived is not None}
    kept = [c for c in params.features.columns if c not in calendar and c not in cfg.ignore] + [PREDICTION]
    ref_inputs = design(reference[0], reference[1], params)[kept]
    return with_support(out, ref_inputs, inputs[kept], set(params.features.categorical), cfg,
                        params.drift.seed)
