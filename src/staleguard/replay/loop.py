"""One policy's life in the replay: what is deployed, what it served, when and how it retrained.

Every step is the real code path, called in-process: predictions and actuals through the FastAPI
app (replay/service.py) into a production store; the decision by the monitor (monitor.run's batch
reading and drift checker, monitor.decision.decide with drift.check/drift.decide); the retrain as the
retraining PR does it (monitor.retrain.labeled batches appended to the history, the windows the PR
ships, data.windows.final_windows on the week grid, then prepare → train → evaluate as `dvc repro`
runs them, fitting through recipe.Recipe).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd

from staleguard.contract import TIMESTAMP
from staleguard.data import windows
from staleguard.data.history import with_rows
from staleguard.errors import DataError
from staleguard.monitor import decision, evidence, monitor_job, retrain, retrain_rule
from staleguard.monitor import store as store_mod
from staleguard.params import Params, Window
from staleguard.registry import ResolvedModel
from staleguard.replay.record import Journal
from staleguard.replay.service import Service
from staleguard.replay.trainer import Deployment, Trainer
from staleguard.serve.loader import wrap
from staleguard.stages import evaluate

POLICIES = ("never", "weekly", "monitor")


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

    policy: str                 # the run's name: variant, and @<d>w with labels d weeks late
    start: datetime
    end: datetime
    rows: int
    mae: float
    version: str                # the model that served the week
    bar: float                  # the quality tolerance for that model (see replay.summary)
    drift: bool | None = None   # the monitor's decision (monitor policy), None when not decided
    reasons: list[str] = field(default_factory=list)
    retrained: Retrained | None = None   # deployed for the next week
    estimate: float | None = None        # the monitor's label-free MAE estimate of this week
    estimated: Any = None                # ...the whole Estimate: raw, reliability (estimate_quality.py)
    previous_mae: float | None = None    # the replaced model's MAE on this week (≤ 2 weeks after a retrain)
    opened: str | None = None            # monitor: a retraining PR opened on evidence | breach | drift
    why: str | None = None               # monitor: the run's first line (monitor/retrain_rule.py)
    evidence: str | None = None          # monitor: the evidence's verdict when gathered


@dataclass(frozen=True)
class Spec:
    """One replayed policy: its name, what it does, its params (windows), its label delay."""

    name: str
    kind: str                   # never | weekly | monitor
    params: Params
    delay_weeks: int = 0
    variant: str = ""           # the policy/variant name without the delay

    def describe(self) -> dict[str, Any]:
        win = self.params.windows
        return {"variant": self.variant or self.name, "policy": self.kind,
                "label_delay_weeks": self.delay_weeks,
                "window": None if self.kind == "never" else win.retrain.policy,
                "train_weeks": None if self.kind == "never" else win.retrain.train_weeks,
                "reference": win.reference.policy if self.kind == "monitor" else None,
                "retrain_when": self.params.monitor.retrain_when if self.kind == "monitor" else None}


def memo(checker: Callable[..., Any]) -> Callable[..., Any]:
    """The monitor re-checks every window since the training window on each run (stateless);
    for one deployment and an append-only store the answer per window never changes: keep it."""
    seen: dict[tuple[Any, ...], Any] = {}

    def run_check(reference: pd.DataFrame, current: pd.DataFrame, params: Params, model: Any = None,
                  **extra: Any) -> Any:
        target = params.features.target
        labeled = int(current[target].notna().sum()) if target in current else 0
        key = (current[TIMESTAMP].iloc[0], current[TIMESTAMP].iloc[-1], len(current), labeled)
        if key not in seen:
            seen[key] = checker(reference, current, params, model=model, **extra)
        return seen[key]

    return run_check


class Policy:
    """One simulated production: its own store, deployment and accepted batches."""

    def __init__(self, spec: Spec, base: pd.DataFrame, history: pd.DataFrame, store: str,
                 tolerance: float, trainer: Trainer) -> None:
        self.spec, self.name, self.base, self.store = spec, spec.name, base, store
        self.tolerance, self.trainer = tolerance, trainer
        self.batches: dict[str, pd.DataFrame] = {}
        self.frames: dict[str, pd.DataFrame] = {}   # parsed batches by file (the store only grows)
        self.count = 0
        self.previous: tuple[Any, int] | None = None
        self.deployed: Deployment
        self.live: Any = None          # the deployed model as served (single-threaded)
        self.journal: Journal | None = None   # the monitor history, when the replay keeps one
        first = trainer.build(history, spec.params, "v1")
        self.service = Service(first.params, store, self.served(first))
        self.deploy(first)

    def served(self, dep: Deployment) -> Any:
        """The model as serving loads it: single-threaded, on a shallow copy, so the fitted model
        the trainer keeps stays byte for byte what the retrain fitted (same model id)."""
        source = ResolvedModel(Path(f"replay/{self.name}/{dep.version}"), dep.model_id, dep.version)
        self.live = copy.copy(dep.estimator)
        return wrap(self.live, source, {}, dep.params, single_thread=True)

    def deploy(self, dep: Deployment) -> None:
        """'Merge and deploy': serving switches to the new model; a fresh monitor checks it."""
        if self.count:
            self.previous = (self.live, 2)  # scored beside it for two weeks
        self.deployed, self.count = dep, self.count + 1
        self.estimator = None
        if self.spec.kind == "monitor":
            self.estimator, quality = self.trainer.assess(dep)
            self.checker = memo(monitor_job.drift_checker(quality=quality))
        self.service.deploy(self.served(dep))

    def week(self, frame: pd.DataFrame, start: datetime, end: datetime) -> Week:
        """Serve the week, record its actuals, decide, and retrain + deploy when the policy says so."""
        dep = self.deployed
        target = dep.params.features.target
        pred = self.service.week(frame)
        mae = evaluate.regression_metrics(frame[target].to_numpy(), pred)["mae"]
        week = Week(self.name, start, end, len(frame), mae, dep.version, self.bar(dep),
                    previous_mae=self.shadow(frame))
        if self.spec.kind == "never":
            return week
        refs, frames = self.read(dep.params)
        delay = timedelta(weeks=self.spec.delay_weeks)
        current = decision.observed_rows(frames, dep.params.windows.train.end, target,
                                         delay.days, now=end, params=dep.params)
        if not current[target].notna().any():
            return week  # no label has arrived yet: nothing to retrain on
        if self.spec.kind == "monitor":
            week = self.decide(week, dep, current, frames, end - delay)
            if week.opened is None:
                return week
        try:
            new = self.retrain(refs, frames, current, end - delay)
        except DataError as err:  # `staleguard train` would refuse it: the retraining PR fails
            return replace(week, reasons=[*week.reasons, f"retrain refused: {err}"])
        if new.model_id == dep.model_id:
            return week  # no new labels since the last fit: the same training run, not a retrain
        if self.journal is not None:
            self.journal.retrained(dep, new)
        self.deploy(new)
        return replace(week, retrained=Retrained.of(new))

    def decide(self, week: Week, dep: Deployment, current: pd.DataFrame, frames: list[pd.DataFrame],
               arrived: datetime) -> Week:
        """The monitor's decision on everything since the training window, as `staleguard monitor`."""
        from staleguard import drift

        seasonal = dep.params.windows.reference.policy == "last_year"
        history = self.history(frames, arrived, dep.params) if seasonal else dep.reference
        outcome = decision.decide(lambda s: windows.reference_rows(history, dep.params, s), current,
                                  dep.params,
                               self.checker, drift.decide, model=self.live, version=dep.model_id,
                               estimator=self.estimator)
        if self.journal is not None:
            self.journal.decided(outcome, dep, self.store, week.end)
        mine = next((w for w in outcome.windows if w.start == week.start and w.result is not None), None)
        guess = getattr(mine.result, "estimate", None) if mine is not None else None
        found = self.evidence(outcome, current, frames, arrived, dep)
        pr = retrain_rule.opening(dep.params.monitor.retrain_when, outcome, found, dep.params)
        return replace(week, drift=outcome.drift, reasons=outcome.reasons, why=pr.why,
                       estimate=None if guess is None else guess.estimated, estimated=guess,
                       opened=pr.basis if pr.open else None,
                       evidence=None if found is None else found["verdict"])

    def evidence(self, outcome: decision.Outcome, current: pd.DataFrame, frames: list[pd.DataFrame],
                 arrived: datetime, dep: Deployment) -> dict[str, Any] | None:
        """The retraining evidence, when the monitor would gather it (monitor/findings.py), on the
        labels arrived by `arrived`; predictions kept across weeks (each fold's never change)."""
        if not retrain_rule.wants_evidence(dep.params.monitor.retrain_when, outcome):
            return None
        target = dep.params.features.target
        labeled = current[current[target].notna()]
        history = self.history(frames, arrived, dep.params)
        found = evidence.weigh(dep.params, history, labeled, self.live, self.trainer.memo, dep.model_id)
        return found.to_dict()

    def read(self, params: Params) -> tuple[list[Any], list[pd.DataFrame]]:
        """The store's batches since the training window, each file validated once (they never
        change once written; `monitor.run.read_new_batches` does the same for every file)."""
        end = params.windows.train.end
        refs = [r for r in store_mod.list_batches(self.store) if r.last >= end]
        for ref in refs:
            if ref.url not in self.frames:
                self.frames[ref.url] = store_mod.read_batch(ref, params)
        return refs, [self.frames[r.url] for r in refs]

    def history(self, frames: list[pd.DataFrame], arrived: datetime, params: Params) -> pd.DataFrame:
        """The raw history, the accepted batches and every production label arrived by `arrived`."""
        rows = [*self.batches.values(), *(_arrived(f, params, arrived) for f in frames)]
        return with_rows(self.base, pd.concat(rows, ignore_index=True) if rows else None, params)

    def retrain(self, refs: list[Any], frames: list[pd.DataFrame], current: pd.DataFrame,
                arrived: datetime) -> Deployment:
        """The retraining PR: accepted batches into the data, windows moved, prepare/train/evaluate."""
        params = self.deployed.params
        for ref, frame in zip(refs, frames, strict=True):
            self.batches[ref.name] = retrain.labeled(_arrived(frame, params, arrived), params)
        history = with_rows(self.base, pd.concat(self.batches.values(), ignore_index=True), params)
        labeled = current[current[params.features.target].notna()]
        newest = labeled[TIMESTAMP].max().to_pydatetime()
        train_window, eval_window = windows.final_windows(windows.grid_end(newest, params), params)
        moved = params.model_copy(update={"windows": params.windows.model_copy(
            update={"train": train_window, "eval": eval_window})})
        return self.trainer.build(history, moved, f"v{self.count + 1}")

    def shadow(self, frame: pd.DataFrame) -> float | None:
        """The replaced model's MAE on this week, for two weeks after a retrain (false alarms)."""
        if self.previous is None:
            return None
        model, left = self.previous
        self.previous = (model, left - 1) if left > 1 else None
        params = self.deployed.params
        pred = model.predict(frame[params.features.columns])
        return evaluate.regression_metrics(frame[params.features.target].to_numpy(), pred)["mae"]

    def bar(self, dep: Deployment) -> float:
        """The MAE above which a week counts against the policy (replay.summary explains)."""
        return dep.eval["mae"] * (1 + self.tolerance)

    def close(self) -> None:
        self.service.close()


def _lag(params: Params) -> timedelta:
    return params.monitor.label_lag(params.contract.timestamp.freq)


def _arrived(frame: pd.DataFrame, params: Params, arrived: datetime) -> pd.DataFrame:
    """The batch's rows whose label has arrived: timestamp + label lag <= `arrived` (= now - delay)."""
    target = params.features.target
    return frame[(frame[TIMESTAMP] + _lag(params) <= pd.Timestamp(arrived))
                 & frame[target].notna()]
