"""The one way to fit a model: a `Recipe` is the estimator, the features, the window rule and
the sample weights, apart from the rows it is fitted on.

The train stage (and so `staleguard retrain` and the replay's retrain, which run it), the PR
backtest and the retraining evidence all fit through `Recipe.fit`: what is measured is what ships.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd

from staleguard.contract import TIMESTAMP
from staleguard.data.windows import floor_of, recency_weights, start_of
from staleguard.fit_cache import FitCache
from staleguard.model import build_estimator, fit_in_order
from staleguard.params import Contract, Features, Params, TrainParams, Window


@dataclass(frozen=True)
class Recipe:
    """How a model is trained, apart from the data.

    `span`: the training window's length before its end; None means expanding (all labeled
    history since the first row). `since`: the window only grows from here (retrain policies
    all, weighted). `half_life_weeks`: recency weights (weighted); None: every row counts the same.
    `floor`: no window starts before it (a retrain keeps its first week held out: final_windows).
    """

    train: TrainParams
    features: Features
    span: timedelta | None = None
    since: datetime | None = None
    half_life_weeks: float | None = None
    contract: Contract | None = None   # text categories, for the encoding step (model.build_estimator)
    floor: datetime | None = None

    @classmethod
    def shipped(cls, params: Params) -> Recipe:
        """What a retraining PR ships (`windows.retrain`): the deployed params on the last
        `train_weeks` (sliding) or everything since `windows.train.start` (all, weighted)."""
        retrain = params.windows.retrain
        return cls(params.train, params.features, timedelta(weeks=retrain.train_weeks),
                   None if retrain.policy == "sliding" else params.windows.train.start,
                   retrain.half_life_weeks if retrain.policy == "weighted" else None, params.contract,
                   floor_of(params))

    def window(self, end: datetime, first: datetime) -> Window:
        """The training window ending at `end` (`first`: the history's first row): for the shipped
        recipe, the window `staleguard retrain` would train on with data up to `end`."""
        start = first if self.span is None else start_of(end, self.span, self.since)
        return Window(start=start if self.floor is None else max(start, self.floor), end=end)

    def weights(self, frame: pd.DataFrame, end: datetime) -> np.ndarray | None:
        if self.half_life_weeks is None or TIMESTAMP not in frame:
            return None
        return recency_weights(frame[TIMESTAMP], end, self.half_life_weeks)

    def fit(self, frame: pd.DataFrame, end: datetime, keep: bool = True) -> Any:
        """The estimator fitted on `frame` (a training window ending at `end`), weighted as the
        recipe says; leak columns never reach here (params validation). The same recipe on the
        same rows is one seeded fit: recent fits are kept and shared under a byte budget
        (`compute.fit_cache_mb`: the replay's every-week retrain, the monitor policies' retrains
        and their evidence folds fit the same windows). `keep=False`: a fit only this caller
        needs (a backtest fold) is looked up but not kept."""
        key = (self.key(), end, self.fingerprint(frame))
        if (kept := FITS.get(key)) is not None:
            return kept
        model = build_estimator(self.train, self.features, self.contract)
        weight = self.weights(frame, end)
        extra = {} if weight is None else {_weight_arg(model): weight}
        fit_in_order(model, frame[self.features.columns], frame[self.features.target], **extra)
        FITS.fits += 1
        if keep:
            FITS.put(key, model)
        return model

    def fingerprint(self, frame: pd.DataFrame) -> str:
        """md5 of the rows a fit reads (features, target, and the timestamps weights read)."""
        cols = [*self.features.columns, self.features.target]
        if self.half_life_weeks is not None and TIMESTAMP in frame:
            cols.append(TIMESTAMP)
        digest = pd.util.hash_pandas_object(frame[cols], index=False).to_numpy().tobytes()
        return hashlib.md5(digest, usedforsecurity=False).hexdigest()

    def describe(self) -> str:
        """'the 12 weeks before', 'all history since 2011-01-01 before', with the weights."""
        if self.span is None:
            where = "all labeled history before"
        elif self.since is None:
            where = f"the {self.span.days // 7} weeks before"
        else:
            where = f"everything since {self.since:%Y-%m-%d} (at least {self.span.days // 7} weeks) before"
        if self.half_life_weeks is not None:
            where = f"{where} (recent rows weighted, half-life {self.half_life_weeks:g} weeks)"
        return where

    def key(self) -> str:
        """What a fit on given rows depends on (the window rule does not: it picks the rows)."""
        text = (f"{self.train.model_dump_json()}|{self.features.model_dump_json()}"
                f"|{self.half_life_weeks}")
        return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()


FITS = FitCache()   # recent fits, bounded in bytes (compute.fit_cache_mb; fit_cache.py)


def _weight_arg(model: Any) -> str:
    """`sample_weight`, routed to the last step when the estimator is a pipeline (ridge)."""
    steps = getattr(model, "steps", None)
    return f"{steps[-1][0]}__sample_weight" if steps else "sample_weight"
