"""The monitor's decision, pure: new production rows → windows → drift per window → retrain or not.

No I/O here. The caller passes the frames and the two drift functions (`staleguard.drift.check`
and `.decide`), so the rule is testable on its own and the same on a laptop and in the cron job.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

import pandas as pd

from staleguard.cadence import window_of
from staleguard.contract import TIMESTAMP, dedupe
from staleguard.data.windows import day_after, final_windows, grid_end, split_windows
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


def decide(reference: pd.DataFrame | Reference, current: pd.DataFrame, params: Params,
           check: Callable[..., Any], judge: Callable[[Any, Params], Any],
           model: Any = None, force: bool = False, version: str | None = None,
           estimator: Any = None) -> Outcome:
    """Check every window of `current` against the reference; drift if any decided window drifted.

    Every window newer than the training window is re-checked on each run (stateless, so a rerun
    reaches the same answer). `force` turns the outcome into a retrain whatever the windows say.
    `version`: the deployed model's id; windows logged by another model are re-predicted.
    `reference`: a frame, or a function of the window's start giving (frame, policy info)
    (data/windows.py). A window whose labels have not arrived is decided without them when an
    `estimator` (drift/estimate.py) can estimate its error; otherwise it is not decided.
    """
    mon, target = params.monitor, params.features.target
    windows = []
    for start, end, part in split_windows(current, params.windows.train.end, params.windows.week_days):
        use, labeled = _decidable(part, target, mon.min_rows, estimator is not None)
        if use is None:
            windows.append(WindowCheck(start, end, len(part), None,
                                       [f"{labeled}{'' if labeled == len(part) else ' labeled'} rows"
                                        f" < monitor.min_rows {mon.min_rows}"],
                                       labeled=labeled))
            continue
        ref, info = reference(start) if callable(reference) else (reference, None)
        extra = {k: v for k, v in (("estimator", estimator), ("reference_info", info)) if v is not None}
        result = check(ref, own_predictions(use, version if model is not None else None),
                       params, model=model, **extra)
        result = _recalibrated(result, [w.result for w in windows], params)
        verdict = judge(result, params)
        windows.append(WindowCheck(start, end, len(part), bool(verdict.drift),
                                   list(verdict.reasons), result, labeled=labeled))
    labeled_rows = current[current[target].notna()] if target in current else current
    newest = (labeled_rows if len(labeled_rows) else current)[TIMESTAMP].max().to_pydatetime()
    return conclude(windows, force, newest, params)


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
