"""Regression quality, and the reference quality measured out of sample.

A model scored on its own training rows looks far better than it will on any new week (a random
forest's in-sample MAE on January 2011 is a third of its out-of-sample MAE). So the reference
quality is measured by time-blocked cross-validation: the reference is cut into
drift.quality.folds contiguous blocks, a clone of the model is fitted on the others and predicts
each block. That is the error to expect on unseen rows that look like the reference.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import clone

from staleguard.errors import DataError
from staleguard.model import fit_in_order, mape_defined, numbers
from staleguard.params import Params


def regression_metrics(actual: np.ndarray, predicted: np.ndarray) -> dict[str, float]:
    """The evaluate stage's metrics (mae, rmse, r2, mape where every actual > 0), rounded alike."""
    return {k: round(v, 4) if np.isfinite(v) else v for k, v in exact_metrics(actual, predicted).items()}


def exact_metrics(actual: np.ndarray, predicted: np.ndarray) -> dict[str, float]:
    """regression_metrics unrounded (tests compare them with evaluate's to 1e-9).

    Written out in numpy (sklearn's definitions, checked against them in tests/drift): sklearn's
    input validation cost a tenth of the whole drift decision on a 1M-row window. One scratch
    array, reused in place: on a 5M-row window each fresh temporary cost ~50 ms of page faults."""
    actual, predicted = numbers(actual), numbers(predicted)  # integer counts stay integers: no copy
    n = len(actual)
    work = np.subtract(actual, predicted, dtype=float)  # float even when both are integers
    sq = float(np.dot(work, work))
    np.abs(work, out=work)
    out = {"mae": float(work.mean()), "rmse": float(np.sqrt(sq / n))}
    if mape_defined(actual):
        out["mape"] = float(np.divide(work, actual, out=work).mean())  # every actual > 0
    if n > 1:
        np.subtract(actual, actual.mean(), out=work)
        total = float(np.dot(work, work))
        out["r2"] = 1.0 - sq / total if total > 0 else (1.0 if sq == 0 else 0.0)
    else:
        out["r2"] = float("nan")
    return {k: out[k] for k in ("mae", "rmse", "r2", "mape") if k in out}


def source(model: Any, params: Params) -> str:
    if model is None:
        return "the reference window's logged predictions"
    return f"time-blocked cross-validation on the reference ({params.drift.quality.folds} folds)"


def out_of_fold(model: Any, reference: pd.DataFrame, params: Params) -> tuple[pd.DataFrame, np.ndarray]:
    """The reference in time order and a clone of `model`'s predictions for each of its
    drift.quality.folds contiguous blocks, fitted on the other blocks: errors on unseen rows.
    The reference quality and the label-free estimator (drift/estimate.py) both learn from them."""
    cols, target = params.features.columns, params.features.target
    folds = params.drift.quality.folds
    if len(reference) < max(folds, 2):  # a fold without rows to predict, or to fit on
        raise DataError(f"the reference has {len(reference)} row(s), fewer than drift.quality.folds "
                        f"({folds}): no out-of-fold quality; give it more rows or fewer folds")
    ordered = reference.sort_values("timestamp") if "timestamp" in reference else reference
    blocks = np.array_split(np.arange(len(ordered)), folds)
    x, y = ordered[cols], ordered[target].to_numpy(dtype=float)
    oof = np.empty(len(ordered))
    for block in blocks:
        keep = np.ones(len(ordered), dtype=bool)
        keep[block] = False
        oof[block] = fit_in_order(clone(model), x[keep], y[keep]).predict(x.iloc[block])
    return ordered, oof


def reference_quality(model: Any, reference: pd.DataFrame, params: Params,
                      logged: np.ndarray | None) -> dict[str, float] | None:
    """Out-of-fold metrics of a clone of `model` on `reference`; logged predictions without a model."""
    target = params.features.target
    if target not in reference:
        return None
    if model is None:
        return None if logged is None else regression_metrics(reference[target].to_numpy(float), logged)
    if len(reference) < max(params.drift.quality.folds, 2):
        return None   # too few rows to measure out of sample: the quality change is not decided
    ordered, oof = out_of_fold(model, reference, params)
    return regression_metrics(ordered[target].to_numpy(dtype=float), oof)
