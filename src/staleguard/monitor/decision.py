"""The monitor's decision: new production data → windows → drift per window → retrain or not.

One loop for every engine (`decide_windows`): the only engine-specific part is the window
summariser (monitor.engine), which cuts the new data on the week grid, summarises each window
and compares it with its reference through drift/compare.py `compare()`. pandas hands the rows
themselves (`Rows`, here: pure, the frames are passed in); DuckDB and Spark summarise where the
batch files live (monitor/sketch_summariser.py). The judge (`drift.decide`) and the conclusion
are the same on all of them, so the rule is testable on its own and the same on a laptop, in
the cron job and in the replay.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, Protocol

import pandas as pd

from staleguard.cadence import window_of
from staleguard.contract import TIMESTAMP, dedupe
from staleguard.data.windows import between, day_after, final_windows, grid_end, split_windows
from staleguard.params import Params, Window


@dataclass(frozen=True)
class WindowCheck:
    """One monitored window: its rows and, when it had enough, the drift decision."""

    start: datetime
    end: datetime
    rows: int
    drift: bool | None            # None: fewer than monitor.min_rows labeled rows, not decided
    reasons: list[str]
    result: Any = None            # the drift.check result, for the reports
    labeled: int | None = None    # rows whose actual had arrived (None: all of them)

    @property
    def label(self) -> str:
        return f"{self.start:%Y-%m-%d}"


@dataclass(frozen=True)
class Outcome:
    """What the monitor concluded, and the retraining plan that follows from it."""

    drift: bool | None            # None: no window was decided (and not forced): not "no drift"
    forced: bool
    windows: list[WindowCheck]
    trigger: WindowCheck | None   # the first drifted window (forced: the last decided one)
    data_end: datetime            # end of the newest labeled production day (exclusive)
    train: Window                 # the windows a retrain would use
    eval: Window
    reasons: list[str] = field(default_factory=list)

    @property
    def decided(self) -> list[WindowCheck]:
        return [w for w in self.windows if w.drift is not None]

    @property
    def report_window(self) -> WindowCheck | None:
        """The window whose drift report is published: the trigger, else the newest decided."""
        decided = [w for w in self.windows if w.drift is not None]
        return self.trigger or (decided[-1] if decided else None)


def new_rows(frames: list[pd.DataFrame], train_end: datetime, target: str, *, params: Params
             ) -> pd.DataFrame:
    """Labeled rows newer than the training window (a later batch wins per contract.key)."""
    frame = observed_rows(frames, train_end, target, params=params)
    return frame[frame[target].notna()].reset_index(drop=True) if not frame.empty else frame


def observed_rows(frames: list[pd.DataFrame], train_end: datetime, target: str, delay_days: int = 0,
                  now: datetime | None = None, *, params: Params) -> pd.DataFrame:
    """Every row newer than the training window (a later batch replaces a row only when
    contract.key makes them the same row: same period, or same key; `none`: all kept), with the
    actuals that would not have arrived by `now` blanked: a row's actual exists
    monitor.label_delay after its timestamp (default one contract.timestamp.freq period) and
    counts once timestamp + that + `delay_days` <= now (monitor.label_delay_days). `now` defaults
    to the end of the newest logged period: the store is as recent as serving's last prediction."""
    if not frames:
        return pd.DataFrame()
    frame = pd.concat(frames, ignore_index=True)
    frame = dedupe(frame[frame[TIMESTAMP] >= pd.Timestamp(train_end)], params)
    frame = frame.sort_values(TIMESTAMP, kind="stable").reset_index(drop=True)
    if not frame.empty:
        lag = params.monitor.label_lag(params.contract.timestamp.freq)
        period = timedelta(seconds=params.contract.timestamp.period_seconds)
        clock = pd.Timestamp(now) if now is not None else frame[TIMESTAMP].max() + period
        late = frame[TIMESTAMP] + lag + pd.Timedelta(days=delay_days) > clock
        if late.any():
            frame[target] = frame[target].astype(float).mask(late)
    return frame


def own_predictions(part: pd.DataFrame, version: str | None) -> pd.DataFrame:
    """The window as the deployed model answers it: rows logged by another model (the one before
    a retrain, whose eval week the next run re-checks) lose their `prediction`, so the check
    predicts them with the deployed model instead of blaming it for its predecessor's errors."""
    if version is None or "model_version" not in part or "prediction" not in part:
        return part
    if (part["model_version"] == version).all():
        return part
    return part.drop(columns=["prediction"])


Reference = Callable[[datetime], tuple[pd.DataFrame, dict[str, Any]]]


@dataclass(frozen=True)
class Summarised:
    """One window as an engine summarised it: what `compare()` takes, or why it is not decided."""

    rows: int                     # the window's rows (a summary engine counts labeled rows only)
    data: Any = None              # its rows (pandas) or its Summary (DuckDB, Spark); None: not decided
    why: str = ""                 # why it is not decided ("12 rows < monitor.min_rows 100")
    labeled: int | None = None    # rows whose actual had arrived (None: all of them)


class WindowSummariser(Protocol):
    """The engine-specific part of the monitor (monitor.engine): everything else is one loop."""

    engine: str

    def spans(self) -> list[tuple[datetime, datetime]]:
        """The grid weeks [start, end) from windows.train.end that hold new rows, oldest first."""
        ...

    def summarise(self, start: datetime, end: datetime) -> Summarised:
        """The week [start, end) for `compare()`, or why it cannot be decided."""
        ...

    def compare(self, start: datetime, window: Any) -> Any:
        """`compare()` of the reference for the week starting at `start` with `window`: a DriftResult."""
        ...

    def newest(self) -> datetime:
        """The newest labeled timestamp seen (once every window was summarised)."""
        ...

    def rows(self, window: WindowCheck) -> tuple[pd.DataFrame, pd.DataFrame] | None:
        """(reference, window) as rows for Evidently's HTML; None when the window is too large."""
        ...

    def summary(self, start: datetime) -> Any:
        """The window's mergeable summary (reports' summary.json), None when it is rows."""
        ...


def decide_windows(summariser: WindowSummariser, params: Params, judge: Callable[[Any, Params], Any],
                   force: bool = False) -> Outcome:
    """The monitor's loop, whatever the engine: every grid week of new data summarised, compared
    with its reference and judged; drift if any decided week drifted.

    Every week newer than the training window is re-checked on each run (stateless, so a rerun
    reaches the same answer). `force` turns the outcome into a retrain whatever the weeks say.
    """
    checks = []
    for start, end in summariser.spans():
        got = summariser.summarise(start, end)
        if got.data is None:
            checks.append(WindowCheck(start, end, got.rows, None, [got.why], labeled=got.labeled))
            continue
        result = _recalibrated(summariser.compare(start, got.data), [c.result for c in checks], params)
        verdict = judge(result, params)
        checks.append(WindowCheck(start, end, got.rows, bool(verdict.drift), list(verdict.reasons), result,
                                  labeled=got.labeled))
    return conclude(checks, force, summariser.newest(), params)


class Rows:
    """The pandas summariser: a window is its rows, compared exactly (drift/compare_rows.py).

    `reference`: a frame, or a function of the week's start giving (frame, policy info)
    (data/windows.py). `check`: `compare()` (monitor_job.drift_checker measures the reference's
    out-of-sample quality once). `version`: the deployed model's id; rows logged by another model
    are re-predicted. A week whose labels have not arrived is decided without them when an
    `estimator` (drift/estimate.py) can estimate its error; otherwise it is not decided.
    """

    engine = "pandas"

    def __init__(self, reference: pd.DataFrame | Reference, current: pd.DataFrame, params: Params,
                 check: Callable[..., Any], model: Any = None, version: str | None = None,
                 estimator: Any = None) -> None:
        self.reference, self.current, self.params, self.check = reference, current, params, check
        self.model, self.version, self.estimator = model, version, estimator
        self._parts = {start: part for start, _, part in
                       split_windows(current, params.windows.train.end, params.windows.week_days)}
        self._step = timedelta(days=params.windows.week_days)

    def spans(self) -> list[tuple[datetime, datetime]]:
        return [(start, start + self._step) for start in self._parts]

    def summarise(self, start: datetime, end: datetime) -> Summarised:
        part, min_rows = self._parts[start], self.params.monitor.min_rows
        use, labeled = _decidable(part, self.params.features.target, min_rows, self.estimator is not None)
        if use is None:
            return Summarised(len(part), None, f"{labeled}{'' if labeled == len(part) else ' labeled'} rows"
                                               f" < monitor.min_rows {min_rows}", labeled)
        return Summarised(len(part), own_predictions(use, self.version if self.model is not None else None),
                          labeled=labeled)

    def _reference_of(self, start: datetime) -> tuple[pd.DataFrame, dict[str, Any] | None]:
        return self.reference(start) if callable(self.reference) else (self.reference, None)

    def compare(self, start: datetime, window: Any) -> Any:
        ref, info = self._reference_of(start)
        extra = {k: v for k, v in (("estimator", self.estimator), ("reference_info", info)) if v is not None}
        return self.check(ref, window, self.params, model=self.model, **extra)

    def newest(self) -> datetime:
        current, target = self.current, self.params.features.target
        labeled = current[current[target].notna()] if target in current else current
        newest: datetime = (labeled if len(labeled) else current)[TIMESTAMP].max().to_pydatetime()
        return newest

    def rows(self, window: WindowCheck) -> tuple[pd.DataFrame, pd.DataFrame] | None:
        part = self.current[between(self.current, window.start, window.end)]
        return self._reference_of(window.start)[0], own_predictions(part, self.version)

    def summary(self, start: datetime) -> Any:
        return None


def decide(reference: pd.DataFrame | Reference, current: pd.DataFrame, params: Params,
           check: Callable[..., Any], judge: Callable[[Any, Params], Any],
           model: Any = None, force: bool = False, version: str | None = None,
           estimator: Any = None) -> Outcome:
    """`decide_windows` on rows held in memory (the pandas engine, the replay): see `Rows`."""
    return decide_windows(Rows(reference, current, params, check, model, version, estimator), params,
                          judge, force)


def _recalibrated(result: Any, before: list[Any], params: Params) -> Any:
    """A window decided without labels: its estimate recalibrated and judged by the earlier
    windows whose labels arrived (drift/reliability.py); any other result as it is."""
    est = getattr(result, "estimate", None)
    if est is None or est.actual is not None:
        return result
    from staleguard.drift.reliability import calibrated

    labeled = [r.estimate for r in before if getattr(r, "estimate", None) is not None
               and r.estimate.actual is not None]
    return replace(result, estimate=calibrated(est, labeled, params.drift.estimate))


def _decidable(part: pd.DataFrame, target: str, min_rows: int, estimate: bool
               ) -> tuple[pd.DataFrame | None, int]:
    """The rows a window is decided on: its labeled rows when enough labels arrived, else (with an
    estimator) all its rows without actuals; None when neither is enough."""
    known = part[target].notna() if target in part else pd.Series(True, index=part.index)
    labeled = int(known.sum())
    if labeled >= min_rows:
        return part[known].reset_index(drop=True), labeled
    if estimate and len(part) >= min_rows:
        return part.drop(columns=[target], errors="ignore"), labeled
    return None, labeled


def conclude(windows: list[WindowCheck], force: bool, newest: datetime, params: Params) -> Outcome:
    """The run's outcome from its checked windows, whatever engine checked them: the first
    drifted window triggers (or the last decided one when forced) and the windows move to the end
    of the grid week holding `newest`, the newest labeled row's time (data.windows.grid_end)."""
    trigger = next((w for w in windows if w.drift), None)
    decided = [w for w in windows if w.drift is not None]
    where = window_of(params.windows.week_days, trigger.label) if trigger else ""
    reasons = [f"{where}: {r}" for r in trigger.reasons] if trigger else []
    if force:
        reasons.insert(0, "retraining forced (--force)")
        trigger = trigger or (decided[-1] if decided else None)
    train, evaluation = final_windows(grid_end(newest, params), params)
    drift = True if force or trigger else (False if decided else None)
    return Outcome(drift=drift, forced=force,
                   windows=windows, trigger=trigger, data_end=day_after(newest), train=train,
                   eval=evaluation, reasons=reasons)
