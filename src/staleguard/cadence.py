"""The data's frequency (contract.timestamp.freq) → default window sizes, and the settings that
cannot work together at that frequency, found at load (docs/monitor.md, "Defaults that scale").

One row per period (contract.key: timestamp): a week holds 7 days ÷ freq rows at most, so
168 rows of hourly data and 7 of daily data. Params leave out a size (or write `auto`) → it is
derived from that:
- windows.week_days: 7, or the 7-day multiple holding ≥ 28 rows (28 days for daily data);
- monitor.min_rows and drift.min_rows: 100, or 60 % of a window's rows when a window holds fewer;
- windows.retrain.train_weeks: 12, or enough weeks for train.min_rows;
- drift.quality.folds: 4, or blocks of about a month (a season never held out whole).
Event-level data (several rows per timestamp) keeps the plain defaults: its rows per period are
not known from the frequency.
"""

from __future__ import annotations

import math
import re
from datetime import datetime, timedelta
from typing import Any

# The sections are params.py's models (Windows, Contract, TrainParams, MonitorParams, DriftParams),
# typed Any here: params.py calls these while it validates, and imports go one way (params → cadence).

FREQ = re.compile(r"^(\d+)\s*(s|min|h|d)$")
SECONDS = {"s": 1, "min": 60, "h": 3600, "d": 86400}
WEEK = 7 * 86400
AUTO = "auto"           # a size written as `auto` (DVC needs the key present) is derived too
MIN_WINDOW_ROWS = 28    # a derived window holds at least this many rows
MIN_ROWS = 100          # the plain default of monitor.min_rows, drift.min_rows, train.min_rows
PLAIN = {("windows", "week_days"): 7, ("monitor", "min_rows"): MIN_ROWS, ("drift", "min_rows"): MIN_ROWS,
         ("windows", "retrain", "train_weeks"): 12}
SEASON = timedelta(days=91)
FOLD = timedelta(days=30)


def window_name(days: int) -> str:
    """What one monitored window is called in titles and tables: a week, or an n-day window (the
    length windows.week_days has, set by the data's frequency when left out)."""
    return "week" if days == 7 else f"{days}-day window"


def window_of(days: int, start: object) -> str:
    """'week of 2011-02-14', or '28-day window from 2013-01-29'."""
    return f"{window_name(days)} {'of' if days == 7 else 'from'} {start}"


def period_seconds(freq: str) -> int | None:
    m = FREQ.match(freq.strip())
    return int(m[1]) * SECONDS[m[2]] if m else None


def rows_per_week(freq: str) -> float | None:
    """At most this many rows a week at `freq` (None when it does not parse)."""
    period = period_seconds(freq)
    return WEEK / period if period else None


def derived(raw: dict[str, Any]) -> dict[str, Any]:
    """params.yaml (as read) with the sizes it leaves out derived from its frequency."""
    out = dict(raw)
    ts = _get(raw, "contract", "timestamp")
    week = rows_per_week(str(ts.get("freq", "1h"))) if isinstance(ts, dict) else None
    if week is not None and _get(raw, "contract", "key") in (None, "timestamp"):  # one row per period
        week_days = 7 * max(1, math.ceil(MIN_WINDOW_ROWS / week)) if week < MIN_WINDOW_ROWS else 7
        _set_default(out, ("windows", "week_days"), week_days)
        window = _get(out, "windows", "week_days")  # after the default: an int, or bad input
        min_rows = min(MIN_ROWS, math.ceil(0.6 * window / 7 * week)) if isinstance(window, int) else MIN_ROWS
        _set_default(out, ("monitor", "min_rows"), min_rows)
        _set_default(out, ("drift", "min_rows"), max(2, min_rows))
        train_min = _get(raw, "train", "min_rows") or MIN_ROWS
        _set_default(out, ("windows", "retrain", "train_weeks"), max(12, math.ceil(train_min / week)))
    for path, plain in PLAIN.items():  # rows per period unknown: `auto` is the plain default
        _set_default(out, path, plain)
    train = _span(_get(raw, "windows", "train"))
    if train is not None:
        weeks = _get(out, "windows", "retrain", "train_weeks")
        longest = max(train, timedelta(weeks=weeks if isinstance(weeks, int) else 12))
        _set_default(out, ("drift", "quality", "folds"), max(4, math.ceil(longest / FOLD)))
    return out


def _span(window: Any) -> timedelta | None:
    """end − start of a window as params.yaml writes it (None when it does not parse: the
    window's own validation names the problem)."""
    try:
        return datetime.fromisoformat(str(window["end"])) - datetime.fromisoformat(str(window["start"]))
    except (TypeError, KeyError, ValueError):
        return None


def _get(raw: dict[str, Any], *path: str) -> Any:
    node: Any = raw
    for key in path:
        node = node.get(key) if isinstance(node, dict) else None
    return node


def _set_default(raw: dict[str, Any], path: tuple[str, ...], value: Any) -> None:
    node = raw
    for key in path[:-1]:
        child = node.get(key)
        if child is None:
            child = {}
        if not isinstance(child, dict):
            return  # a malformed section: the section's own validation names it
        node[key] = child = dict(child)
        node = child
    if node.get(path[-1], AUTO) == AUTO:
        node[path[-1]] = value


def default_folds(windows: Any) -> int:
    """drift.quality.folds when params leave it out: 4, or blocks of about a month over the
    longest training window (windows.train, or a sliding retrain's train_weeks)."""
    return max(4, math.ceil(_longest(windows) / FOLD))


def fewest_folds(windows: Any) -> int:
    """The fewest drift.quality.folds whose blocks are shorter than a season (the bound
    `problems` enforces; the default, blocks of about a month, asks for more)."""
    return math.floor(_longest(windows) / SEASON) + 1


def _longest(windows: Any) -> timedelta:
    w = windows.train
    span: timedelta = w.end - w.start
    return max(span, timedelta(weeks=windows.retrain.train_weeks))


def _at_most(span: timedelta, week: float) -> int:
    return int(span.total_seconds() / WEEK * week)


def problems(windows: Any, contract: Any, train: Any, monitor: Any, drift: Any) -> list[str]:
    """Settings that cannot work together at the data's frequency, each one line naming them.
    Sections, not Params: these checks run while params.yaml is validated."""
    ts, w, mon, d, t = contract.timestamp, windows, monitor, drift, train
    week = rows_per_week(ts.freq) if contract.unique_timestamp else None
    out = []
    if week is not None:
        freq = f"at contract.timestamp.freq {ts.freq}"
        checks = [
            (w.train.end - w.train.start, t.min_rows, f"windows.train {w.train.label()}", "train.min_rows",
             "widen windows.train or lower train.min_rows"),
            (timedelta(weeks=w.retrain.train_weeks), t.min_rows,
             f"windows.retrain.train_weeks={w.retrain.train_weeks}", "train.min_rows",
             f"set train_weeks ≥ {math.ceil(t.min_rows / week)} or lower train.min_rows"),
            (w.eval.end - w.eval.start, d.min_rows, f"windows.eval {w.eval.label()}", "drift.min_rows",
             "widen windows.eval or lower drift.min_rows"),
            (timedelta(days=w.week_days), mon.min_rows, f"windows.week_days={w.week_days}",
             "monitor.min_rows", "every window would be 'not decided'; lengthen the window or lower "
             "monitor.min_rows"),
            (timedelta(weeks=w.reference.weeks), d.min_rows,
             f"windows.reference.weeks={w.reference.weeks}", "drift.min_rows",
             "lengthen the reference or lower drift.min_rows"),
        ]
        for span, need, what, setting, fix in checks:
            if (got := _at_most(span, week)) < need:
                out.append(f"{what} holds at most {got} rows {freq}, below {setting}={need}: {fix}")
    longest, folds = _longest(w), d.quality.folds
    block = longest / folds
    if block >= SEASON:
        out.append(f"drift.quality.folds={folds} cuts a {longest.days}-day training window into "
                   f"{block.days}-day blocks: each held-out block is a season the "
                   f"model never saw; use ≥ {fewest_folds(w)} folds or leave folds out")
    return out
