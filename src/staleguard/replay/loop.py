"""One policy's life in the replay: what is deployed, what it served, when and how it retrained.

Every step is the real code path, called in-process: predictions and actuals through the FastAPI
app (replay/service.py) into a production store; the decision by the monitor (monitor.run's batch
reading and drift checker, monitor.check.decide with drift.check/drift.decide); the retrain as the
retraining PR does it (monitor.retrain.labeled batches appended to the history, the window policy
monitor.check.next_windows, then prepare → train → evaluate as `dvc repro` runs them).
"""

from __future__ import annotations

import hashlib
import json
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd

from staleguard.contract import TIMESTAMP
from staleguard.monitor import check, retrain, run
from staleguard.params import Params, Window, Windows
from staleguard.registry import ResolvedModel
from staleguard.replay.service import Service
from staleguard.serve.loader import wrap
from staleguard.stages import evaluate, prepare, train

POLICIES = ("never", "weekly", "monitor")


@dataclass(frozen=True)
class Deployment:
    """A model as the retraining PR would merge it: its params (windows), metrics and reference."""

    version: str                # in-process counter per policy: v1 is the model of windows.train
    model_id: str               # 8 hex: md5 of the training run (data, windows, train params)
    params: Params              # params.yaml as the PR leaves it
    estimator: Any
    reference: pd.DataFrame     # its training window: the monitor's reference
    eval: dict[str, float]      # its metrics on its evaluation window (the PR's metrics.json)


@dataclass(frozen=True)
class Retrained:
    """What the reports keep of a retrain (not the model: a hundred forests would not fit)."""

    version: str
    model_id: str
    train: Window
    eval: Window
    metrics: dict[str, float]

    @classmethod
    def of(cls, dep: Deployment) -> Retrained:
        w = dep.params.windows
        return cls(dep.version, dep.model_id, w.train, w.eval, dep.eval)


@dataclass(frozen=True)
class Week:
    """What one policy did in one week."""

    policy: str
    start: datetime
    end: datetime
    rows: int
    mae: float
    version: str                # the model that served the week
    bar: float                  # the quality tolerance for that model (see replay.summary)
    drift: bool | None = None   # the monitor's decision (monitor policy), None when not decided
    reasons: list[str] = field(default_factory=list)
    retrained: Retrained | None = None   # deployed for the next week


def run_id(train_frame: pd.DataFrame, eval_frame: pd.DataFrame, params: Params) -> str:
    """md5 of everything a training run depends on: same inputs, same (seeded) model."""
    digest = hashlib.md5(usedforsecurity=False)
    for frame in (train_frame, eval_frame):
        digest.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    digest.update(json.dumps({"windows": params.windows.model_dump(mode="json"),
                              "features": params.features.model_dump(mode="json"),
                              "train": params.train.model_dump(mode="json")}, sort_keys=True).encode())
    return digest.hexdigest()


class Trainer:
    """What `dvc repro` does for a retraining PR (prepare → train → evaluate), in memory.

    Two policies retraining on the same week train on the same rows with the same seeded
    params: the second fit would be bit-identical, so the last few runs are kept and reused.
    """

    def __init__(self, keep: int = 4) -> None:
        self.runs: OrderedDict[str, tuple[Any, dict[str, float]]] = OrderedDict()
        self.keep, self.fits = keep, 0

    def build(self, history: pd.DataFrame, params: Params, version: str) -> Deployment:
        train_frame, eval_frame = prepare.split(history, params)
        key = run_id(train_frame, eval_frame, params)
        if key not in self.runs:
            estimator = train.train(train_frame, params)
            self.runs[key] = (estimator, evaluate.score(estimator, eval_frame, params))
            self.fits += 1
            while len(self.runs) > self.keep:
                self.runs.popitem(last=False)
        estimator, metrics = self.runs[key]
        return Deployment(version, key[:8], params, estimator, train_frame, metrics)


def memo(checker: Callable[..., Any]) -> Callable[..., Any]:
    """The monitor re-checks every window since the training window on each run (stateless);
    for one deployment and an append-only store the answer per window never changes: keep it."""
    seen: dict[tuple[Any, ...], Any] = {}

    def run_check(reference: pd.DataFrame, current: pd.DataFrame, params: Params, model: Any = None) -> Any:
        key = (current[TIMESTAMP].iloc[0], current[TIMESTAMP].iloc[-1], len(current))
        if key not in seen:
            seen[key] = checker(reference, current, params, model=model)
        return seen[key]

    return run_check


class Policy:
    """One simulated production: its own store, deployment and accepted batches."""

    def __init__(self, name: str, base: pd.DataFrame, first: Deployment, store: str,
                 tolerance: float, trainer: Trainer) -> None:
        self.name, self.base, self.store, self.tolerance = name, base, store, tolerance
        self.trainer = trainer
        self.batches: dict[str, pd.DataFrame] = {}
        self.count = 0
        self.service = Service(first.params, store, self.served(first))
        self.deploy(first)

    def served(self, dep: Deployment) -> Any:
        source = ResolvedModel(Path(f"replay/{self.name}/{dep.version}"), dep.model_id, dep.version)
        return wrap(dep.estimator, source, {}, dep.params, single_thread=False)

    def deploy(self, dep: Deployment) -> None:
        """'Merge and deploy': serving switches to the new model; a fresh monitor checks it."""
        self.deployed, self.count = dep, self.count + 1
        self.checker = memo(run.drift_checker())
        self.service.deploy(self.served(dep))

    def week(self, frame: pd.DataFrame, start: datetime, end: datetime) -> Week:
        """Serve the week, record its actuals, decide, and retrain + deploy when the policy says so."""
        from staleguard import drift

        dep = self.deployed
        pred = self.service.week(frame)
        mae = evaluate.regression_metrics(frame[dep.params.features.target].to_numpy(), pred)["mae"]
        week = Week(self.name, start, end, len(frame), mae, dep.version, self.bar(dep))
        if self.name == "never":
            return week
        refs, frames = run.read_new_batches(self.store, dep.params)
        current = check.new_rows(frames, dep.params.windows.train.end, dep.params.features.target)
        if self.name == "monitor":
            outcome = check.decide(dep.reference, current, dep.params, self.checker, drift.decide,
                                   model=dep.estimator, version=dep.model_id)
            week = replace(week, drift=outcome.drift, reasons=outcome.reasons)
            if not outcome.drift:
                return week
        new = self.retrain(refs, frames, current)
        self.deploy(new)
        return replace(week, retrained=Retrained.of(new))

    def retrain(self, refs: list[Any], frames: list[pd.DataFrame], current: pd.DataFrame) -> Deployment:
        """The retraining PR: accepted batches into the data, windows moved, prepare/train/evaluate."""
        params = self.deployed.params
        for ref, frame in zip(refs, frames, strict=True):
            self.batches[ref.name] = retrain.labeled(frame, params)
        columns = [*params.features.columns, params.features.target]
        history = prepare.history(self.base, pd.concat(self.batches.values(), ignore_index=True), columns)
        train_window, eval_window = check.next_windows(check.data_end_of(current), params)
        moved = params.model_copy(update={"windows": Windows(train=train_window, eval=eval_window)})
        return self.trainer.build(history, moved, f"v{self.count + 1}")

    def bar(self, dep: Deployment) -> float:
        """The MAE above which a week counts against the policy (replay.summary explains)."""
        return dep.eval["mae"] * (1 + self.tolerance)

    def close(self) -> None:
        self.service.close()
