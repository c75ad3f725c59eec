"""The retraining PR's evidence: keep the deployed model, or retrain? Scored walk-forward.

For the latest `monitor.evidence_windows` weeks since the deployed model's training window, the
deployed model (as it is) and the
retraining recipe (what `staleguard retrain` ships: the deployed params, the `windows.retrain`
window rule and weights, trained before that week, never on the week itself) predict the same
rows; the errors are paired and judged by `staleguard.verdict` with the `report:` settings. Data
selection (which rows a fold may train on) is in `training_history` and `retrain_recipe`, apart
from the scoring.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from staleguard.data.history import history_frame, with_rows
from staleguard.data.windows import floor_of, split_windows
from staleguard.params import Params, Window
from staleguard.recipe import Recipe
from staleguard.verdict import Verdict
from staleguard.verdict.backtest import Fitter, Memo, walk_forward
from staleguard.verdict.text import verdict_line

METHOD = "walk-forward: deployed model vs the retraining recipe refitted before each week"


@dataclass(frozen=True)
class Evidence:
    verdict: Verdict
    weeks: list[Window] = field(default_factory=list)
    fits: int = 0
    seconds: float = 0.0
    baseline: dict[str, Any] | None = None   # the naive baseline on the same rows (report.baseline)

    def to_dict(self) -> dict[str, Any]:
        """The block of reports/monitor/monitor.json (the same keys as reports/pr/gate.json)."""
        return {**self.verdict.to_dict(), "basis": METHOD, "champion_is": "the deployed model",
                "challenger_is": "the retraining recipe, refitted before each week",
                "weeks": [[w.start.isoformat(), w.end.isoformat()] for w in self.weeks],
                "fits": self.fits, "seconds": round(self.seconds, 2),
                **({"baseline": self.baseline} if self.baseline else {})}


def training_history(params: Params, current: pd.DataFrame) -> pd.DataFrame:
    """Every labeled row a fold may train on: raw + accepted batches + the new production rows
    (a production row replaces the row it repeats)."""
    return with_rows(history_frame(params), current, params)


def retrain_recipe(params: Params) -> Recipe:
    """What `staleguard retrain` fits: the deployed params, window rule and sample weights."""
    return Recipe.shipped(params)


def weeks_since(params: Params, current: pd.DataFrame) -> list[Window]:
    """The monitor's latest `monitor.evidence_windows` windows after the deployed model's training
    window: one fit each, so the evidence's time and memory do not grow with the deployment's age.
    A window starting at or before the recipe's floor (the `windows.retrain.eval_weeks` a retrain
    holds out after windows.train.start) is left out: the recipe has no training window there."""
    floor = floor_of(params)
    every = [Window(start=lo, end=hi) for lo, hi, _ in
             split_windows(current, params.windows.train.end, params.windows.week_days) if lo > floor]
    return every[-params.monitor.evidence_windows:]


def gather(params: Params, current: pd.DataFrame, model: Any) -> Evidence:
    """Deployed model vs retraining recipe on the latest windows since the training window
    (weeks_since), paired."""
    return weigh(params, training_history(params, current), current, model)


def weigh(params: Params, history: pd.DataFrame, current: pd.DataFrame, model: Any,
          memo: Memo | None = None, model_id: str | None = None) -> Evidence:
    """`gather` on a given history (the replay's); `memo` keeps predictions across runs."""
    start = time.perf_counter()
    fitter = Fitter(history, params.compute.fit_cache_mb)
    paired = walk_forward(fitter, weeks_since(params, current), model, retrain_recipe(params),
                          champion_features=params.features, scored=current, memo=memo,
                          champion_id=model_id, progress="evidence")
    return Evidence(paired.verdict(params.report), paired.weeks, fitter.fits,
                    time.perf_counter() - start, naive(params, history, paired))


def naive(params: Params, history: pd.DataFrame, paired: Any) -> dict[str, Any] | None:
    """The naive baseline (fitted on the deployed model's training window) on the paired rows,
    beside the deployed model's and the recipe's MAE on them."""
    import numpy as np

    from staleguard.baseline import describe, fit_baseline, predict_baseline
    from staleguard.contract import TIMESTAMP

    w = params.windows.train
    ts = history[TIMESTAMP]
    train = history[(ts >= pd.Timestamp(w.start)) & (ts < pd.Timestamp(w.end))]
    fitted = fit_baseline(params.report.baseline, train, params.features.target)
    if fitted is None or not len(paired.actual):
        return None
    pred = predict_baseline(fitted, pd.DataFrame({TIMESTAMP: pd.to_datetime(paired.timestamps)}))

    def mae(p: Any) -> float:
        return round(float(np.mean(np.abs(paired.actual - p))), 4)

    return {"name": describe(fitted), "mae": mae(pred), "deployed_mae": mae(paired.champion),
            "recipe_mae": mae(paired.challenger)}


PLAIN = {
    "better": "**Retraining helps**: on the latest weeks since the deployed model's training window, "
              "the retraining recipe beat keeping the deployed model by more than the margin.",
    "worse": "**The evidence argues against merging**: the retraining recipe did worse than "
             "keeping the deployed model on these weeks; the drift alone triggered this PR.",
    "no clear difference": "**Inconclusive**: on these weeks the retraining recipe and keeping "
                           "the deployed model differ by no more than the margin can confirm "
                           "(the CI below says whether they are equivalent or the data cannot "
                           "tell yet; often so right after the first drifted week). Merging is "
                           "a judgement call; a later monitor run updates this evidence.",
    "not enough data": "**Inconclusive: not enough data** to judge retraining yet.",
}


def markdown(ev: Evidence, version: str, params: Params) -> str:
    """The evidence section of the monitor summary and the retraining PR body."""
    v = ev.verdict
    weeks = (f"{ev.weeks[0].start:%Y-%m-%d} → {ev.weeks[-1].end:%Y-%m-%d}" if ev.weeks else "none")
    return "\n".join([
        "### Evidence: keep the deployed model, or retrain?", "",
        f"{verdict_line(v, f'keeping `{version}`')}", "",
        PLAIN[v.verdict], "",
        f"_Each of {v.folds} weeks ({weeks}) was scored by the deployed model and by the "
        f"retraining recipe fitted on {retrain_recipe(params).describe()} that week only; the "
        f"{v.confidence:.0%} CI is a day-block bootstrap of the paired "
        f"{v.metric} ratio ({v.note}). The model this PR ships is refitted on everything up to "
        "the newest labeled row; it is not one of these fold models._",
        *_baseline_lines(ev.baseline)])


def _baseline_lines(b: dict[str, Any] | None) -> list[str]:
    if not b:
        return []
    beaten = [who for who, key in (("the deployed model", "deployed_mae"), ("the retraining recipe",
              "recipe_mae")) if b[key] >= b["mae"]]
    line = (f"Naive baseline ({b['name']}, `report.baseline`) on the same rows: MAE {b['mae']:g}; "
            f"deployed {b['deployed_mae']:g}, retraining recipe {b['recipe_mae']:g}.")
    if beaten:
        line += f" **The baseline beats {' and '.join(beaten)}.**"
    return ["", line]
