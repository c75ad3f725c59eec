"""`staleguard replay`: the held-back weeks, one after another, under each policy at once.

Start from the model of `windows.train` (trained here as `dvc repro` trains it), then for each
week of `windows.week_days` from the training window's end to `replay.end`, every policy serves
the week and acts on it (replay/loop.py). Stores live in a temporary folder and vanish after.
"""

from __future__ import annotations

import contextlib
import functools
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd

from staleguard import cadence
from staleguard.contract import TIMESTAMP
from staleguard.data.history import history_frame
from staleguard.data.windows import between, split_windows
from staleguard.errors import ConfigError, DataError
from staleguard.monitor import logbook
from staleguard.params import Params
from staleguard.params import ReplayVariant as ParamsVariant
from staleguard.replay import freshness, loop, parallel, record
from staleguard.replay.figures import PolicySummary, summarize


@dataclass(frozen=True)
class Result:
    weeks: list[loop.Week]
    summaries: dict[str, PolicySummary]
    outputs: list[Path]
    fits: int          # distinct training runs (a run two policies share is fitted once)
    assessments: int = 0  # distinct monitored deployments' out-of-fold fits (estimator + quality)
    trainer: loop.Trainer | None = None  # its recent fitted models, by training run (tests)


def span(params: Params) -> tuple[datetime, datetime]:
    """[windows.train.end, replay.end): checked before any data is read."""
    start, end = params.windows.train.end, params.replay.end
    if end <= start:
        raise ConfigError(f"replay.end {end:%Y-%m-%d} is not after windows.train.end {start:%Y-%m-%d}; "
                          "set replay.end (or --end) to a later date")
    return start, end


def weeks_of(frame: pd.DataFrame, params: Params) -> list[tuple[datetime, datetime, pd.DataFrame]]:
    """The replayed weeks: [train end + k·week_days, …) up to replay.end, those holding rows."""
    start, end = span(params)
    part = frame[between(frame, start, end)]
    if part.empty:
        ts = frame[TIMESTAMP]
        raise DataError(f"replay: no rows in [{start:%Y-%m-%d}, {end:%Y-%m-%d}); the data covers "
                        f"{ts.min():%Y-%m-%d} .. {ts.max():%Y-%m-%d}")
    return split_windows(part, start, params.windows.week_days)


def specs(params: Params) -> list[loop.Spec]:
    """Every replayed run: each policy and variant, a retraining one once per label delay
    (`never` once: it reads no labels). A variant's window settings override `monitor:`."""
    named: list[tuple[str, ParamsVariant]] = [(n, ParamsVariant(policy=n)) for n in params.replay.policies]
    named += list(params.replay.variants.items())
    out = []
    for name, variant in named:
        for delay in ([0] if variant.policy == "never" else params.replay.label_delays_weeks):
            run = variant_params(params, variant, delay)
            checked = (run.windows, run.contract, run.train, run.monitor, run.drift)
            if problems := cadence.problems(*checked):  # the checks params.yaml passed at load
                raise ConfigError(f"replay.variants.{name}: {problems[0]}")
            out.append(loop.Spec(name if not delay else f"{name}@{delay}w", variant.policy, run, delay, name))
    return out


def variant_params(params: Params, variant: ParamsVariant, delay_weeks: int) -> Params:
    """params.yaml as this run's deployments carry it: its window policy and label delay."""
    win = params.windows
    retrain = win.retrain.model_copy(update={k: v for k, v in (("policy", variant.window),
                                                               ("train_weeks", variant.train_weeks))
                                             if v is not None})
    reference = win.reference.model_copy(update={"policy": variant.reference} if variant.reference else {})
    rule = {"retrain_when": variant.retrain_when} if variant.retrain_when else {}
    mon = params.monitor.model_copy(update={"label_delay_days": 7 * delay_weeks, **rule})
    return params.model_copy(update={"monitor": mon, "windows": win.model_copy(
        update={"retrain": retrain, "reference": reference})})


def baseline_mae(frame: pd.DataFrame, weeks: list[tuple[datetime, datetime, pd.DataFrame]],
                 params: Params) -> dict[str, Any] | None:
    """The naive baseline (report.baseline), fitted on windows.train, scored on the replayed weeks:
    its mean weekly MAE, beside the policies' (None with `report.baseline: none`)."""
    from staleguard.baseline import describe, fit_baseline, predict_baseline

    target = params.features.target
    train = frame[(frame[TIMESTAMP] >= pd.Timestamp(params.windows.train.start))
                  & (frame[TIMESTAMP] < pd.Timestamp(params.windows.train.end))]
    fitted = fit_baseline(params.report.baseline, train, target)
    if fitted is None:
        return None
    labeled = [part[part[target].notna()] for _, _, part in weeks]
    maes = [float((part[target] - predict_baseline(fitted, part)).abs().mean())
            for part in labeled if len(part)]
    if not maes:
        return None
    return {"name": describe(fitted), "mean_mae": round(sum(maes) / len(maes), 4)}


def replay(params: Params, out: Path | None = None, progress: bool | None = None,
           workers: int | None = None) -> Result:
    """Run every policy over every week, then write freshness.{json,md,png} to `out`; the runs
    split over `workers` processes (default: the cores, at most 2) by the fits they share."""
    from tqdm import tqdm

    span(params)
    frame = history_frame(params)
    weeks = weeks_of(frame, params)
    runs = specs(params)
    parts = parallel.groups(runs, parallel.default_workers() if workers is None else workers)
    bar = tqdm(total=len(weeks), unit="week", desc="replay", file=sys.stderr,
               disable=not (sys.stderr.isatty() if progress is None else progress))

    def tick(k: int) -> None:
        bar.set_postfix_str(f"{weeks[k][0]:%Y-%m-%d}", refresh=False)
        bar.update()

    with bar, tempfile.TemporaryDirectory(prefix="staleguard-replay-") as tmp:
        job = functools.partial(play, runs, frame, weeks, params, tmp)
        played = [job(parts[0], tick)] if len(parts) == 1 else parallel.run(job, parts, tick)
    by_run = {name: got for p in played for name, got in p.weeks.items()}
    results = [by_run[spec.name][k] for k in range(len(weeks)) for spec in runs]
    summaries: dict[str, PolicySummary] = {spec.name: summarize(spec.name, results, spec.describe())
                                           for spec in runs}
    naive = baseline_mae(frame, weeks, params)
    outputs = freshness.write(out or params.replay.out, results, summaries, params, naive)
    journal = next((p.journal for p in played if p.journal), None)
    if journal is not None:
        outputs.append((out or params.replay.out) / record.NAME)
        logbook.write(str(outputs[-1]), journal)
    fits = sum(len(p.fitted) for p in played) - _across([p.fitted for p in played])
    assessments = sum(len(p.assessed) for p in played) - _across([p.assessed for p in played])
    return Result(results, summaries, outputs, fits, assessments, played[0].trainer)


def play(runs: list[loop.Spec], frame: pd.DataFrame, weeks: list[tuple[datetime, datetime, pd.DataFrame]],
         params: Params, tmp: str, part: list[int], tick: Callable[[int], None],
         pace: parallel.Pace = contextlib.nullcontext) -> parallel.Played:
    """The runs `part` (indexes into `runs`) over `weeks` (weeks_of), stores under `tmp`; `tick(k)` after
    week k, each week inside `pace()` (how many threads fit). One Trainer for them all: a delayed
    run refits what an on-time one fitted 1-2 weeks ago."""
    trainer = loop.Trainer(params.compute.fit_cache_mb)  # fits shared by the runs, bounded in bytes
    base = frame[frame[TIMESTAMP] < pd.Timestamp(params.windows.train.end)]
    tolerance = params.drift.quality.tolerance
    mine = [runs[i] for i in part]
    with pace():  # each policy fits (or reuses) the model of windows.train
        policies = [loop.Policy(spec, base, frame, f"{tmp}/{spec.name}", tolerance, trainer) for spec in mine]
    for p in policies:  # the on-time monitor run keeps a monitor history (the dashboard's input)
        p.journal = record.Journal() if p.spec.kind == "monitor" and p.name == "monitor" else None
    out: dict[str, list[loop.Week]] = {spec.name: [] for spec in mine}
    try:
        for k, (start, end, part_frame) in enumerate(weeks):
            with pace():
                for p in policies:
                    out[p.name].append(p.week(part_frame, start, end))
            tick(k)
    finally:
        for p in policies:
            p.close()
    journal = next((p.journal.rows for p in policies if p.journal is not None and p.journal.rows), None)
    return parallel.Played(out, journal, trainer.fitted, trainer.assessed_ids, trainer)


def _across(keys: list[list[str]]) -> int:
    """How many were done again in another process (the v1 model, fitted in each)."""
    return sum(len(set(k)) for k in keys) - len(set().union(*keys))
