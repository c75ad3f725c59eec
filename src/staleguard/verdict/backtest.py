"""Walk-forward (rolling-origin) backtest of two training recipes on the same weeks.

For each weekly origin, each recipe is fitted on its own window before the origin (never on what
it scores) and predicts the week after it; the two predictions are paired per row, and all folds'
rows feed one day-block bootstrap (`paired_verdict`). A champion may also be a fitted model that
is kept as it is ("keep the deployed model"), scored on the same weeks.
"""

from __future__ import annotations

import sys
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd
from tqdm import tqdm

from staleguard.contract import TIMESTAMP
from staleguard.data.windows import rows_in
from staleguard.params import Features, Window
from staleguard.recipe import FITS, Recipe
from staleguard.verdict.paired import Settings, Verdict, paired_verdict

WEEK = timedelta(days=7)


@dataclass
class Paired:
    """Every fold's scored rows, both sides' predictions aligned."""

    actual: np.ndarray
    champion: np.ndarray
    challenger: np.ndarray
    timestamps: np.ndarray
    weeks: list[Window] = field(default_factory=list)

    @property
    def folds(self) -> int:
        return len(self.weeks)

    def verdict(self, settings: Settings) -> Verdict:
        return paired_verdict(self.actual, self.champion, self.challenger, self.timestamps,
                              settings, folds=self.folds)


def weekly_folds(first: datetime, end: datetime, k: int, recipes: Sequence[Recipe],
                 min_train: timedelta = WEEK) -> list[Window]:
    """The last `k` weeks ending at `end` whose every recipe's training window fits inside the
    history, so that every fold compares both sides on their own windows.

    A sliding recipe needs its whole span after `first`; an expanding one `min_train` of history
    after `first` and after its `floor` (in the PR backtest, its own windows.train.start). Oldest
    first.
    """
    earliest = max(max(first, r.floor or first) + (r.span or min_train) for r in recipes)
    out = []
    for i in range(k):
        week = Window(start=end - (i + 1) * WEEK, end=end - i * WEEK)
        if week.start < earliest:
            break
        out.append(week)
    return out[::-1]


class Fitter:
    """Fits recipes on windows of one history, each (recipe, window, rows) once while it is needed.

    A PR that changes nothing a recipe depends on, or a champion recipe shared by several
    comparisons, costs one fit per fold instead of two. Memory does not grow with the folds: the
    fold at hand keeps its (at most two) models and drops them after (its predictions are kept
    instead, a memo); a fit the replay already made is taken from `recipe.FITS`, a fold's own
    fits are not added to it (no later fold trains on the same window).
    """

    def __init__(self, history: pd.DataFrame, cache_mb: float | None = None) -> None:
        self.history = history
        self.recent: OrderedDict[tuple[str, datetime, datetime, int], Any] = OrderedDict()
        self.fits = 0
        if cache_mb is not None:
            FITS.resize(cache_mb)

    def rows(self, window: Window) -> pd.DataFrame:
        return rows_in(self.history, window)

    def model(self, recipe: Recipe, window: Window) -> Any:
        frame = self.rows(window)
        key = (recipe.key(), window.start, window.end, len(frame))
        if key not in self.recent:
            if any(end != window.end for _, _, end, _ in self.recent):
                self.recent.clear()  # a new fold: the last fold's models go before this one fits
            before = FITS.fits
            self.recent[key] = recipe.fit(frame, window.end, keep=False)
            self.fits += FITS.fits - before
            while len(self.recent) > KEEP:
                self.recent.popitem(last=False)
        return self.recent[key]


KEEP = 2   # models a fold needs at once: the champion's and the challenger's


def _fold(fitter: Fitter, recipe: Recipe, window: Window, rows: pd.DataFrame, memo: Memo,
          scored_key: tuple[Any, ...]) -> np.ndarray:
    """A recipe's predictions of a week, fitted on its window before it (memoised)."""
    key = (recipe.key(), window.start, window.end, len(fitter.rows(window)), *scored_key)
    if key not in memo:
        memo[key] = predict(fitter.model(recipe, window), rows, recipe.features)
    return memo[key]


def predict(model: Any, frame: pd.DataFrame, features: Features) -> np.ndarray:
    return np.asarray(model.predict(frame[features.columns]), dtype=np.float64)


Memo = dict[tuple[Any, ...], np.ndarray]


def walk_forward(fitter: Fitter, weeks: Sequence[Window], champion: Recipe | Any,
                 challenger: Recipe, champion_features: Features | None = None,
                 scored: pd.DataFrame | None = None, memo: Memo | None = None,
                 champion_id: str | None = None, progress: str | None = None) -> Paired:
    """Score both sides on every week; a champion that is not a Recipe is a fitted model kept as
    is (then `champion_features` names its columns). The scored rows come from `scored` when
    given (e.g. only the production rows), else from the fitter's history. `memo`: predictions
    kept across calls (the replay re-gathers the evidence every week; a week's rows and a fold's
    training rows never change once labeled), the kept champion named by `champion_id`.
    `progress`: a bar of that name on stderr (a terminal only): one fit a week."""
    first = fitter.history[TIMESTAMP].min().to_pydatetime()
    parts: list[tuple[np.ndarray, ...]] = []
    kept = []
    seen: Memo = {} if memo is None else memo
    for week in tqdm(weeks, desc=progress, unit="window", file=sys.stderr, leave=False,
                     disable=progress is None or not sys.stderr.isatty()):
        rows = fitter.rows(week) if scored is None else rows_in(scored, week)
        if rows.empty:
            continue
        scored_key = (week.start, week.end, len(rows))
        if isinstance(champion, Recipe):
            a = _fold(fitter, champion, champion.window(week.start, first), rows, seen, scored_key)
        elif champion_id is not None and (key := ("kept", champion_id, *scored_key)) in seen:
            a = seen[key]
        else:
            a = predict(champion, rows, champion_features or challenger.features)
            if champion_id is not None:
                seen[("kept", champion_id, *scored_key)] = a
        b = _fold(fitter, challenger, challenger.window(week.start, first), rows, seen, scored_key)
        parts.append((rows[challenger.features.target].to_numpy(np.float64), a, b,
                      rows[TIMESTAMP].to_numpy()))
        kept.append(week)
    if not parts:
        empty = np.empty(0)
        return Paired(empty, empty, empty, np.empty(0, dtype="datetime64[ns]"), [])
    actual, champ, chal, stamps = (np.concatenate(c) for c in zip(*parts, strict=True))
    return Paired(actual, champ, chal, stamps, weeks=kept)
