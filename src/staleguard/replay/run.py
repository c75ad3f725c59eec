"""`staleguard replay`: the held-back weeks, one after another, under each policy at once.

Start from the model of `windows.train` (trained here as `dvc repro` trains it), then for each
week of `monitor.window_days` from the training window's end to `replay.end`, every policy serves
the week and acts on it (replay/loop.py). Stores live in a temporary folder and vanish after.
"""

from __future__ import annotations

import sys
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pandas as pd

from staleguard.contract import TIMESTAMP, read_raw
from staleguard.errors import ConfigError, DataError
from staleguard.monitor import check
from staleguard.params import Params
from staleguard.replay import loop, report
from staleguard.replay.summary import PolicySummary, summarize
from staleguard.stages import prepare


@dataclass(frozen=True)
class Result:
    weeks: list[loop.Week]
    summaries: dict[str, PolicySummary]
    outputs: list[Path]
    fits: int          # distinct training runs (a run two policies share is fitted once)


def history(params: Params) -> pd.DataFrame:
    """Every labeled hour, as `prepare` builds it (raw data + accepted batches)."""
    columns = [*params.features.columns, params.features.target]
    return prepare.history(read_raw(params.data.raw, params),
                           prepare.read_batches(params.data.batches, columns), columns)


def span(params: Params) -> tuple[datetime, datetime]:
    """[windows.train.end, replay.end): checked before any data is read."""
    start, end = params.windows.train.end, params.replay.end
    if end <= start:
        raise ConfigError(f"replay.end {end:%Y-%m-%d} is not after windows.train.end {start:%Y-%m-%d}; "
                          "set replay.end (or --end) to a later date")
    return start, end


def weeks_of(frame: pd.DataFrame, params: Params) -> list[tuple[datetime, datetime, pd.DataFrame]]:
    """The replayed weeks: [train end + k·window_days, …) up to replay.end, those holding rows."""
    start, end = span(params)
    ts = frame[TIMESTAMP]
    part = frame[(ts >= pd.Timestamp(start)) & (ts < pd.Timestamp(end))]
    if part.empty:
        raise DataError(f"replay: no rows in [{start:%Y-%m-%d}, {end:%Y-%m-%d}); the data covers "
                        f"{ts.min():%Y-%m-%d} .. {ts.max():%Y-%m-%d}")
    return check.split_windows(part, start, params.monitor.window_days)


def replay(params: Params, out: Path | None = None, progress: bool | None = None) -> Result:
    """Run every policy over every week, then write freshness.{json,md,png} to `out`."""
    from tqdm import tqdm

    span(params)
    frame = history(params)
    weeks = weeks_of(frame, params)
    trainer = loop.Trainer()
    first = trainer.build(frame, params, "v1")
    base = frame[frame[TIMESTAMP] < pd.Timestamp(params.windows.train.end)]
    tolerance = params.drift.quality.tolerance
    results: list[loop.Week] = []
    with tempfile.TemporaryDirectory(prefix="staleguard-replay-") as tmp:
        policies = [loop.Policy(name, base, first, f"{tmp}/{name}", tolerance, trainer)
                    for name in params.replay.policies]
        bar = tqdm(weeks, unit="week", desc="replay", file=sys.stderr,
                   disable=not (sys.stderr.isatty() if progress is None else progress))
        try:
            for start, end, part in bar:
                bar.set_postfix_str(f"{start:%Y-%m-%d}")
                results += [p.week(part, start, end) for p in policies]
        finally:
            for p in policies:
                p.close()
    summaries: dict[str, PolicySummary] = {name: summarize(name, results)
                                           for name in params.replay.policies}
    outputs = report.write(out or params.replay.out, results, summaries, params)
    return Result(results, summaries, outputs, trainer.fits)
