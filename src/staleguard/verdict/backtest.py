"""Walk-forward (rolling-origin) backtest of two training recipes on the same weeks.

For each weekly origin, each recipe is fitted on its own window before the origin (never on what
it scores) and predicts the week after it; the two predictions are paired per row, and all folds'
rows feed one day-block bootstrap (`paired_verdict`). A champion may also be a fitted model that
is kept as it is ("keep the deployed model"), scored on the same weeks.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd

from staleguard.contract import TIMESTAMP
from staleguard.model import build_estimator
from staleguard.params import Contract, Features, TrainParams, Window
from staleguard.verdict.paired import Settings, Verdict, paired_verdict

WEEK = timedelta(days=7)


@dataclass(frozen=True)
class Recipe:
    """How a model is trained, apart from the data: estimator params, features, window length.

    `span` None means expanding: all labeled history before the origin.
    """

    train: TrainParams
    features: Features
    span: timedelta | None
    contract: Contract | None = None   # text categories, for the encoding step (model.build_estimator)

    def window(self, origin: datetime, first: datetime) -> Window:
        start = first if self.span is None else origin - self.span
        return Window(start=start, end=origin)

    def key(self) -> str:
        text = f"{self.train.model_dump_json()}|{self.features.model_dump_json()}"
        return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()


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
    """The last `k` weeks ending at `end` whose training windows fit inside the history.

    A sliding recipe needs its whole span after `first`; an expanding one `min_train` of history.
    Oldest first.
    """
    out = []
    for i in range(k):
        week = Window(start=end - (i + 1) * WEEK, end=end - i * WEEK)
        need = max((r.span or min_train) for r in recipes)
        if week.start - need < first:
            break
        out.append(week)
    return out[::-1]


class Fitter:
    """Fits recipes on windows of one history, each (recipe, window, rows) once per process.

    A PR that changes nothing a recipe depends on, or a champion recipe shared by several
    comparisons, costs one fit per fold instead of two.
    """

    def __init__(self, history: pd.DataFrame) -> None:
        self.history = history
        self.cache: dict[tuple[str, datetime, datetime, int], Any] = {}
        self.fits = 0

    def rows(self, window: Window) -> pd.DataFrame:
        return between(self.history, window)

    def model(self, recipe: Recipe, window: Window) -> Any:
        frame = self.rows(window)
        key = (recipe.key(), window.start, window.end, len(frame))
        if key not in self.cache:
            model = build_estimator(recipe.train, recipe.features, recipe.contract)
            model.fit(frame[recipe.features.columns], frame[recipe.features.target])
            self.cache[key] = model
            self.fits += 1
        return self.cache[key]


def between(frame: pd.DataFrame, window: Window) -> pd.DataFrame:
    ts = frame[TIMESTAMP]
    return frame[(ts >= pd.Timestamp(window.start)) & (ts < pd.Timestamp(window.end))]


def predict(model: Any, frame: pd.DataFrame, features: Features) -> np.ndarray:
    return np.asarray(model.predict(frame[features.columns]), dtype=np.float64)


def walk_forward(fitter: Fitter, weeks: Sequence[Window], champion: Recipe | Any,
                 challenger: Recipe, champion_features: Features | None = None,
                 scored: pd.DataFrame | None = None) -> Paired:
    """Score both sides on every week; a champion that is not a Recipe is a fitted model kept as
    is (then `champion_features` names its columns). The scored rows come from `scored` when
    given (e.g. only the production rows), else from the fitter's history."""
    first = fitter.history[TIMESTAMP].min().to_pydatetime()
    parts: list[tuple[np.ndarray, ...]] = []
    kept = []
    for week in weeks:
        rows = fitter.rows(week) if scored is None else between(scored, week)
        if rows.empty:
            continue
        if isinstance(champion, Recipe):
            a = predict(fitter.model(champion, champion.window(week.start, first)), rows,
                        champion.features)
        else:
            a = predict(champion, rows, champion_features or challenger.features)
        b = predict(fitter.model(challenger, challenger.window(week.start, first)), rows,
                    challenger.features)
        parts.append((rows[challenger.features.target].to_numpy(np.float64), a, b,
                      rows[TIMESTAMP].to_numpy()))
        kept.append(week)
    if not parts:
        empty = np.empty(0)
        return Paired(empty, empty, empty, np.empty(0, dtype="datetime64[ns]"), [])
    actual, champ, chal, stamps = (np.concatenate(c) for c in zip(*parts, strict=True))
    return Paired(actual, champ, chal, stamps, weeks=kept)
