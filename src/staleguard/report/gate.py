"""The PR's verdict: main's recipe vs the PR's, walk-forward when the history allows, else the
two models on the evaluation window; both paired per row with a day-block bootstrap CI.

Main's recipe is main's params (train, features, training-window length, sample weights) run with the PR's
code: main's code cannot run in this process (docs/pr-workflow.md says what that means).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

import pandas as pd
from pydantic import ValidationError

from staleguard.contract import TIMESTAMP
from staleguard.data.history import history_frame
from staleguard.data.windows import rows_in
from staleguard.params import Params, Window
from staleguard.recipe import Recipe
from staleguard.report.champion import Duel
from staleguard.verdict import Verdict, paired_verdict, passes
from staleguard.verdict.backtest import Fitter, walk_forward, weekly_folds

WALK_FORWARD = "walk-forward"
SINGLE = "single window"


@dataclass(frozen=True)
class Gate:
    """The verdict, what it was computed on, and whether the gate passes."""

    verdict: Verdict
    basis: str                           # WALK_FORWARD or SINGLE
    passed: bool
    why: str = ""                        # why the single window, when it was the fallback
    weeks: list[Window] = field(default_factory=list)
    fits: int = 0
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        """reports/pr/gate.json."""
        return {**self.verdict.to_dict(), "passed": self.passed, "basis": self.basis,
                "why": self.why, "weeks": [[w.start.isoformat(), w.end.isoformat()]
                                           for w in self.weeks],
                "fits": self.fits, "seconds": round(self.seconds, 2)}


def recipe(params: Params) -> Recipe:
    """A params.yaml as a training recipe under the PR's backtest policy: the window rule of
    `report.backtest.policy`, the estimator, features and sample weights that ship."""
    span = (params.windows.train.end - params.windows.train.start
            if params.report.backtest.policy == "sliding" else None)
    return replace(Recipe.shipped(params), span=span, since=None, floor=None)


def base_params(tree: dict[str, Any] | None) -> tuple[Params | None, str]:
    """main's params.yaml as settings, or None and why it cannot be used."""
    if tree is None:
        return None, "the base has no params.yaml"
    try:
        return Params.model_validate(tree), ""
    except ValidationError as err:
        first = err.errors()[0]
        return None, (f"the base's params.yaml is not valid for this PR's code "
                      f"({'.'.join(str(p) for p in first['loc'])}: {first['msg']})")


def labeled_history(params: Params, base: Params) -> pd.DataFrame:
    """The PR's labeled data (raw + accepted batches) up to its newest window's end."""
    frame = history_frame(params, base)
    return frame[frame[TIMESTAMP] < pd.Timestamp(newest_end(params))].reset_index(drop=True)


def newest_end(params: Params) -> datetime:
    return max(params.windows.train.end, params.windows.eval.end)


def decide(params: Params, base_tree: dict[str, Any] | None, duel: Duel | None,
           eval_frame: pd.DataFrame | None) -> Gate:
    """Walk-forward over `report.backtest.folds` weeks when at least two fit; else the duel's
    per-row predictions on the evaluation window."""
    cfg = params.report
    start = time.perf_counter()
    base, why = base_params(base_tree)
    if base is not None and cfg.backtest.folds >= 2:
        frame = labeled_history(params, base)
        champion, challenger = recipe(base.model_copy(update={"report": cfg})), recipe(params)
        first = frame[TIMESTAMP].min().to_pydatetime()
        weeks = weekly_folds(first, newest_end(params), cfg.backtest.folds, [champion, challenger])
        held = [w for w in weeks if not rows_in(frame, w).empty]
        if len(held) >= 2:
            fitter = Fitter(frame, params.compute.fit_cache_mb)
            paired = walk_forward(fitter, held, champion, challenger, progress="backtest")
            verdict = paired.verdict(cfg)
            return Gate(verdict, WALK_FORWARD, passes(verdict, cfg.undecided), weeks=paired.weeks,
                        fits=fitter.fits, seconds=time.perf_counter() - start)
        why = (f"the labeled history ({first:%Y-%m-%d} → {newest_end(params):%Y-%m-%d}) holds "
               f"{len(weeks)} week(s) whose training windows fit; a walk-forward needs 2 "
               f"(report.backtest.folds {cfg.backtest.folds})")
        if len(weeks) >= 2:  # the weeks fit, but the data is coarser than weekly (monthly rows)
            why = (f"only {len(held)} of the {len(weeks)} weeks before {newest_end(params):%Y-%m-%d} "
                   f"(report.backtest.folds {cfg.backtest.folds}) hold a labeled row; a walk-forward "
                   "needs 2 (data coarser than weekly: set report.backtest.folds: 0)")
    elif base is not None:
        why = "report.backtest.folds is below 2"
    verdict = single_window(duel, eval_frame, params)
    return Gate(verdict, SINGLE, passes(verdict, cfg.undecided), why=why,
                seconds=time.perf_counter() - start)


def single_window(duel: Duel | None, frame: pd.DataFrame | None, params: Params) -> Verdict:
    """main's model vs the PR's on the evaluation window, paired per row."""
    cfg = params.report
    if frame is None or duel is None or duel.champion_pred is None or duel.challenger_pred is None:
        frame = frame if frame is not None else pd.DataFrame()
        note = (duel.note if duel and duel.note else "the base model was not scored")
        return Verdict(cfg.metric, "not enough data", None, None, cfg.confidence, len(frame), 0,
                       1, "no comparison", margin=cfg.margin, tolerance=cfg.tolerance, note=note)
    return paired_verdict(frame[params.features.target].to_numpy(), duel.champion_pred,
                          duel.challenger_pred, frame[TIMESTAMP].to_numpy(), cfg, folds=1)
