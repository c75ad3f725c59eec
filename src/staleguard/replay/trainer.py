"""The in-memory `dvc repro` of a retraining PR (prepare → train → evaluate), fitted once per
distinct training run, and each monitored model's out-of-fold assessment, made once per model."""

from __future__ import annotations

import hashlib
import json
import weakref
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import pandas as pd

from staleguard.params import Params
from staleguard.recipe import FITS
from staleguard.stages import evaluate, prepare, train


@dataclass(frozen=True)
class Deployment:
    """A model as the retraining PR would merge it: its params (windows), metrics and reference."""

    version: str                # in-process counter per policy: v1 is the model of windows.train
    model_id: str               # 8 hex: md5 of the training run (data, windows, train params)
    params: Params              # params.yaml as the PR leaves it
    estimator: Any
    reference: pd.DataFrame     # its training window: the monitor's reference
    eval: dict[str, float]      # its metrics on its evaluation window (the PR's metrics.json)


def run_id(train_frame: pd.DataFrame, eval_frame: pd.DataFrame, params: Params) -> str:
    """md5 of everything a training run depends on: same inputs, same (seeded) model."""
    digest = hashlib.md5(usedforsecurity=False)
    for frame in (train_frame, eval_frame):
        digest.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    retrain = params.windows.retrain
    weights = retrain.model_dump(mode="json") if retrain.policy == "weighted" else None
    digest.update(json.dumps({"windows": params.windows.model_dump(mode="json", include={"train", "eval"}),
                              "features": params.features.model_dump(mode="json"),
                              "train": params.train.model_dump(mode="json"), "weights": weights},
                             sort_keys=True).encode())
    return digest.hexdigest()


class Trainer:
    """What `dvc repro` does for a retraining PR (prepare → train → evaluate), in memory.

    Two policies retraining on the same week train on the same rows with the same seeded
    params: the second fit would be bit-identical, so fits are shared through `recipe.FITS`
    (bounded in bytes: `compute.fit_cache_mb`); a run's metrics are kept here (small), its model
    only while a policy or the cache holds it.
    """

    def __init__(self, cache_mb: float | None = None, keep: int = 4) -> None:
        self.metrics: dict[str, dict[str, float]] = {}
        self.models: weakref.WeakValueDictionary[str, Any] = weakref.WeakValueDictionary()
        self.assessed: OrderedDict[str, tuple[Any, dict[str, float]]] = OrderedDict()
        self.keep = keep                   # label-free estimators kept (small: fitted on errors)
        self.fitted: list[str] = []        # training run ids, once per fit (replays in parts add them up)
        self.assessed_ids: list[str] = []  # model ids, once per assessment
        self.memo: dict[tuple[Any, ...], Any] = {}  # evidence fold predictions, shared by policies
        FITS.clear()   # a replay starts from nothing: its fit counts are its own
        if cache_mb is not None:
            FITS.resize(cache_mb)

    @property
    def fits(self) -> int:
        return len(self.fitted)

    @property
    def assessments(self) -> int:
        return len(self.assessed_ids)

    def assess(self, dep: Deployment) -> tuple[Any, dict[str, float]]:
        """The deployment's label-free estimator and out-of-sample reference quality, from one set
        of out-of-fold fits (what `train` saves beside the model), shared like the fits."""
        from staleguard.drift.estimate import fit_from_model

        if dep.model_id not in self.assessed:
            self.assessed[dep.model_id] = fit_from_model(dep.estimator, dep.reference, dep.params)
            self.assessed_ids.append(dep.model_id)
            while len(self.assessed) > self.keep:
                self.assessed.popitem(last=False)
        return self.assessed[dep.model_id]

    def model(self, model_id: str) -> Any:
        """The fitted model of a training run still in use, by its id (`Deployment.model_id`)."""
        return self.models[model_id]

    def build(self, history: pd.DataFrame, params: Params, version: str) -> Deployment:
        train_frame, eval_frame = prepare.split(history, params)
        train.check_rows(train_frame, params)  # what `staleguard train` refuses, the replay refuses
        key = run_id(train_frame, eval_frame, params)
        before = FITS.fits
        estimator = train.train(train_frame, params)   # from FITS when fitted lately (same bytes)
        if FITS.fits > before:
            self.fitted.append(key)
        if key not in self.metrics:
            self.metrics[key] = evaluate.score(estimator, eval_frame, params)
        self.models[key[:8]] = estimator
        return Deployment(version, key[:8], params, estimator, train_frame, self.metrics[key])
