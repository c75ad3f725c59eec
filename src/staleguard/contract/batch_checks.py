"""Checks of one production batch as a whole, beyond its columns (contract.batches, docs/monitor.md).

A batch's file name declares its first and last timestamp; the rows must span exactly that, be enough
(contract.batches.min_rows) and cover enough of it (min_coverage, in contract.timestamp.freq
periods), and not start before the deployed model's training window (before_training).
"""

from __future__ import annotations

from datetime import datetime

import pandas as pd

from staleguard.contract.timestamp import TIMESTAMP
from staleguard.errors import DataError
from staleguard.params import Params

STAMP = "%Y-%m-%d %H:%M"


def check_batch(frame: pd.DataFrame, params: Params, source: object,
                named: tuple[datetime, datetime] | None = None) -> None:
    """`frame` (already validated as a batch) against the batch rules; `named`: (first, last) from
    its file name, when it has one."""
    rules, ts = params.contract.batches, frame[TIMESTAMP]
    first, last = ts.min(), ts.max()
    if len(frame) < rules.min_rows:
        raise DataError(f"{source}: holds {len(frame)} row(s); a batch needs at least "
                        f"contract.batches.min_rows={rules.min_rows}")
    if named is not None:
        lo, hi = (pd.Timestamp(t).floor("min") for t in named)
        if (first.floor("min"), last.floor("min")) != (lo, hi):
            raise DataError(f"{source}: its name says {lo:{STAMP}} … {hi:{STAMP}} but its rows span "
                            f"{first:{STAMP}} … {last:{STAMP}}")
        period = params.contract.timestamp.period_seconds
        periods = int((hi - lo).total_seconds() // period) + 1
        share = len(frame) / periods
        if share < rules.min_coverage:
            raise DataError(f"{source}: {len(frame)} row(s) for the {periods} periods of "
                            f"{params.contract.timestamp.freq} its name spans ({share:.0%}); "
                            f"contract.batches.min_coverage is {rules.min_coverage:.0%}")
    start = pd.Timestamp(params.windows.train.start)
    if rules.before_training == "refuse" and first < start:
        raise DataError(f"{source}: timestamp {first} is before the training window's start "
                        f"{start:{STAMP}} (contract.batches.before_training: refuse)")
