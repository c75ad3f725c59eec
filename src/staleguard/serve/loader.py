"""Load the model to serve: resolve it through the registry, refuse unsafe files, smoke-test it.

Everything that can go wrong (no such stage, missing file, pickle, corrupt zip, other features, a
model that cannot predict) raises ModelError here, so `staleguard serve` fails before binding its
port rather than on the first request, and a followed registry (serve/follow.py) refuses such a
model with the same checks while the old one keeps serving.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import ExtraTreesRegressor, RandomForestRegressor
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, OrdinalEncoder

from staleguard.errors import ModelError
from staleguard.model import ENCODE, UNKNOWN_CODE, load_meta, load_model
from staleguard.params import Params
from staleguard.registry import ResolvedModel, resolve
from staleguard.serve.flat_forest import FLAT_ROWS, FlatForest


@dataclass(frozen=True)
class LoadedModel:
    """The estimator plus what /model reports about it."""

    estimator: Any
    source: ResolvedModel
    meta: dict[str, Any]
    columns: list[str]

    trees: list[Any] | None = None  # tree_ objects of a single-output forest: the fast path
    since: datetime = field(default_factory=lambda: datetime.now(UTC))  # when it began serving
    codes: dict[str, dict[str, float]] = field(default_factory=dict)  # fast path: text value → code
    order: list[str] | None = None  # fast path: the columns in the order the trees see them
    flat: FlatForest | None = field(default=None, repr=False)  # the trees flattened (few rows)

    def __post_init__(self) -> None:
        if self.trees and self.flat is None:
            object.__setattr__(self, "flat", FlatForest(self.trees))

    @property
    def model_version(self) -> str:
        return self.source.short_hash

    @property
    def layout(self) -> tuple[Any, ...]:
        """What `encode_records` produces: two models with the same layout share one array."""
        return (self.trees is not None, tuple(self.order or self.columns),
                tuple((c, tuple(m)) for c, m in self.codes.items()))

    def encode_records(self, records: list[dict[str, Any]]) -> np.ndarray:
        """Request rows (dicts; None = missing) → the array `predict_array` takes: floats in
        `order` with text coded on the fast path, else the raw values in `columns` order."""
        if self.trees is None:
            kind = object if self.meta.get("text") else float
            return np.array([[rec[c] for c in self.columns] for rec in records], dtype=kind)
        if not self.codes:
            return np.array([[rec[c] for c in self.order or self.columns] for rec in records], dtype=float)
        cols = self.order or self.columns
        return np.array([[self.codes[c].get(rec[c], UNKNOWN_CODE) if c in self.codes and rec[c] is not None
                          else rec[c] for c in cols] for rec in records], dtype=float)

    def encode_frame(self, frame: pd.DataFrame) -> np.ndarray:
        """A frame → the fast path's float array (text coded as the pipeline codes it)."""
        cols = self.order or self.columns
        out = np.empty((len(frame), len(cols)))
        for i, c in enumerate(cols):
            if c in self.codes:
                values = frame[c]
                code = pd.Categorical(values, categories=list(self.codes[c])).codes.astype(float)
                code[values.isna().to_numpy()] = np.nan
                out[:, i] = code
            else:
                out[:, i] = pd.to_numeric(frame[c]).to_numpy(dtype=np.float64, na_value=np.nan)
        return out

    def predict(self, frame: pd.DataFrame) -> np.ndarray:
        if self.trees is None:
            return np.asarray(self.estimator.predict(frame[self.columns]))
        return self.predict_array(self.encode_frame(frame))

    def predict_array(self, x: np.ndarray) -> np.ndarray:
        """`encode_records`' array → predictions; forests skip sklearn's per-call overhead."""
        if self.trees is None:
            return np.asarray(self.estimator.predict(pd.DataFrame(x, columns=self.columns)))
        if self.flat is not None and len(x) <= FLAT_ROWS:
            return self.flat.predict(x)
        x32 = np.ascontiguousarray(x, dtype=np.float32)  # what sklearn's trees compare against
        acc = np.zeros(len(x32))
        for tree in self.trees:
            acc += tree.predict(x32)[:, 0]
        return acc / len(self.trees)

    def info(self) -> dict[str, Any]:
        window = self.meta.get("window")
        return {"version": self.source.version, "model_version": self.model_version,
                "md5": self.source.md5, "estimator": self.meta.get("estimator"),
                "training_window": window, "features": self.columns, "metrics": self.source.metrics,
                "since": self.since}


def load(spec: str, params: Params, repo: Path | str = ".", single_thread: bool = True,
         describe: bool = True) -> LoadedModel:
    """Resolve `spec` (stage, version or path), load it safely and check it expects our features."""
    return load_resolved(resolve(spec, repo, describe=describe), params, single_thread)


def load_resolved(source: ResolvedModel, params: Params, single_thread: bool = True) -> LoadedModel:
    """Files already on disk → a checked model: safe skops load, our features, a smoke prediction."""
    loaded = wrap(load_model(source.path), source, load_meta(source.path), params, single_thread)
    smoke_test(loaded, params)
    return loaded


def smoke_test(model: LoadedModel, params: Params) -> None:
    """Two rows through both prediction paths: finite, one value per row, and the same values."""
    text = {c: (params.contract.columns[c].categories or [""])[0]
            for c in params.contract.text(model.columns)}
    records = [{c: text.get(c, float(v)) for c in model.columns} for v in (0, 1)]
    try:
        fast = np.asarray(model.predict_array(model.encode_records(records)), dtype=float)
        plain = np.asarray(model.estimator.predict(pd.DataFrame(records, columns=model.columns)), dtype=float)
    except Exception as err:  # whatever a broken estimator raises
        raise ModelError(f"{model.source.path}: smoke prediction failed "
                         f"({type(err).__name__}: {err})") from err
    if fast.shape != (2,) or not np.isfinite(fast).all() or not np.allclose(fast, plain.ravel()):
        raise ModelError(f"{model.source.path}: smoke prediction gave {fast.tolist()} (sklearn: "
                         f"{plain.ravel().tolist()}); expected two equal, finite values")


def wrap(estimator: Any, source: ResolvedModel, meta: dict[str, Any], params: Params,
         single_thread: bool = True) -> LoadedModel:
    """An estimator already in memory → the served model (the replay deploys this way)."""
    columns = params.features.columns
    expected = [str(c) for c in getattr(estimator, "feature_names_in_", columns)]
    if sorted(expected) != sorted(columns):
        raise ModelError(f"{source.path}: model expects features {expected}, params.yaml lists {columns}")
    last = estimator.steps[-1][1] if isinstance(estimator, Pipeline) else estimator
    if single_thread and hasattr(last, "n_jobs"):
        last.set_params(n_jobs=1)  # a request is a few rows: thread fan-out costs more than it saves
    meta = {**meta, "text": params.contract.text(expected)}
    if not isinstance(estimator, Pipeline):
        return LoadedModel(estimator, source, meta, expected, forest_trees(estimator))
    order, codes = encoding(estimator)
    trees = forest_trees(last) if order is not None else None
    return LoadedModel(estimator, source, meta, expected, trees, codes=codes if trees else {},
                       order=order if trees else None)


def encoding(pipeline: Pipeline) -> tuple[list[str] | None, dict[str, dict[str, float]]]:
    """The columns' order and text codes of model.build_estimator's encoding step, when it only
    codes text ordinally and passes the rest through (then the trees can be called directly);
    (None, {}) for anything else (imputation, one-hot, a pipeline of your own)."""
    step = pipeline.steps[0][1] if len(pipeline.steps) == 2 else None
    if pipeline.steps[0][0] != ENCODE or not isinstance(step, ColumnTransformer):
        return None, {}
    order: list[str] = []
    codes: dict[str, dict[str, float]] = {}
    for name, how, cols in step.transformers_:
        if name == "remainder" and how == "drop" and len(cols) == 0:
            continue
        if isinstance(how, OrdinalEncoder) and how.unknown_value == UNKNOWN_CODE \
                and isinstance(how.encoded_missing_value, float) and np.isnan(how.encoded_missing_value):
            for col, cats in zip(cols, how.categories_, strict=True):
                codes[str(col)] = {str(v): float(i) for i, v in enumerate(cats)}
        elif not (how == "passthrough" or (isinstance(how, FunctionTransformer) and how.func is None)):
            return None, {}  # fitted, "passthrough" is an identity FunctionTransformer
        order += [str(c) for c in cols]
    return order, codes


def forest_trees(estimator: Any) -> list[Any] | None:
    """The fitted trees of a single-output random/extra-trees forest (same sums, same order as
    sklearn's own predict with n_jobs=1), else None."""
    if not isinstance(estimator, RandomForestRegressor | ExtraTreesRegressor):
        return None
    if getattr(estimator, "n_outputs_", 1) != 1:
        return None
    return [tree.tree_ for tree in estimator.estimators_]
