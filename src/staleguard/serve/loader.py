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
from sklearn.ensemble import ExtraTreesRegressor, RandomForestRegressor

from staleguard.errors import ModelError
from staleguard.model import load_meta, load_model
from staleguard.params import Params
from staleguard.registry import ResolvedModel, resolve


@dataclass(frozen=True)
class LoadedModel:
    """The estimator plus what /model reports about it."""

    estimator: Any
    source: ResolvedModel
    meta: dict[str, Any]
    columns: list[str]

    trees: list[Any] | None = None  # tree_ objects of a single-output forest: the fast path
    since: datetime = field(default_factory=lambda: datetime.now(UTC))  # when it began serving

    @property
    def model_version(self) -> str:
        return self.source.short_hash

    def predict(self, frame: pd.DataFrame) -> np.ndarray:
        return self.predict_array(frame[self.columns].to_numpy(dtype=np.float64))

    def predict_array(self, x: np.ndarray) -> np.ndarray:
        """Rows in `columns` order → predictions; forests skip sklearn's per-call overhead."""
        if self.trees is None:
            return np.asarray(self.estimator.predict(pd.DataFrame(x, columns=self.columns)))
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
    smoke_test(loaded)
    return loaded


def smoke_test(model: LoadedModel) -> None:
    """Two rows through both prediction paths: finite, one value per row, and the same values."""
    x = np.vstack([np.zeros(len(model.columns)), np.ones(len(model.columns))])
    try:
        fast = np.asarray(model.predict_array(x), dtype=float)
        plain = np.asarray(model.estimator.predict(pd.DataFrame(x, columns=model.columns)), dtype=float)
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
    if single_thread and hasattr(estimator, "n_jobs"):
        estimator.set_params(n_jobs=1)  # a request is a few rows: thread fan-out costs more than it saves
    return LoadedModel(estimator, source, meta, expected, forest_trees(estimator))


def forest_trees(estimator: Any) -> list[Any] | None:
    """The fitted trees of a single-output random/extra-trees forest (same sums, same order as
    sklearn's own predict with n_jobs=1), else None."""
    if not isinstance(estimator, RandomForestRegressor | ExtraTreesRegressor):
        return None
    if getattr(estimator, "n_outputs_", 1) != 1:
        return None
    return [tree.tree_ for tree in estimator.estimators_]
