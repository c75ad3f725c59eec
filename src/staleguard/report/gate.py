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

import numpy as np
import pandas as pd
from pydantic import ValidationError

from staleguard.contract import TIMESTAMP
from staleguard.data.history import history_frame
from staleguard.data.windows import rows_in
from staleguard.params import Params, ReportParams, Window
from staleguard.recipe import Recipe
from staleguard.report.champion import Duel
from staleguard.report.diff import params_diff
from staleguard.verdict import Verdict, paired_verdict, passes
from staleguard.verdict.backtest import Fitter, walk_forward, weekly_folds

WALK_FORWARD = "walk-forward"
SINGLE = "single window"
NOT_COMPARED = "not compared"   # neither the folds nor the two models on the eval window see the change


@dataclass(frozen=True)
class Gate:
    """The verdict, what it was computed on, and whether the gate passes."""

    verdict: Verdict
    basis: str                           # WALK_FORWARD, SINGLE or NOT_COMPARED
    passed: bool
    why: str = ""                        # why the single window, when it was the fallback
    weeks: list[Window] = field(default_factory=list)
    fits: int = 0
    seconds: float = 0.0
    unseen: str = ""                     # what the PR changed that the walk-forward did not compare

    def to_dict(self) -> dict[str, Any]:
        """reports/pr/gate.json."""
        return {**self.verdict.to_dict(), "passed": self.passed, "basis": self.basis,
                "why": self.why, "weeks": [[w.start.isoformat(), w.end.isoformat()]
                                           for w in self.weeks],
                "fits": self.fits, "seconds": round(self.seconds, 2), "unseen": self.unseen}


def recipe(params: Params) -> Recipe:
    """A params.yaml as a training recipe under the PR's backtest policy, with its own window, so
    that a moved `windows.train` is what the folds compare: `expanding` trains each fold on
    everything from its own windows.train.start up to the fold (a later first row clips it);
    `sliding` on its own windows.train length before the fold. The estimator, features and sample
    weights are those that ship."""
    train = params.windows.train
    if params.report.backtest.policy == "sliding":
        return replace(Recipe.shipped(params), span=train.end - train.start, since=None, floor=None)
    return replace(Recipe.shipped(params), span=None, since=None, floor=train.start)


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
    """Walk-forward over `report.backtest.folds` weeks when at least two fit and the folds see
    what the PR changed; else the duel's per-row predictions on the evaluation window; else, when
    neither can see the change, `not compared` and why (never a verdict on identical fits)."""
    cfg = params.report
    start = time.perf_counter()
    base, why = base_params(base_tree)
    if base is not None and cfg.backtest.folds >= 2:
        backtest = walk_forward_gate(params, base, duel, eval_frame, start)
        if isinstance(backtest, Gate):
            return backtest
        why = backtest
    elif base is not None:
        why = "report.backtest.folds is below 2"
    verdict = single_window(duel, eval_frame, params)
    return Gate(verdict, SINGLE, passes(verdict, cfg.undecided), why=why,
                seconds=time.perf_counter() - start)


def walk_forward_gate(params: Params, base: Params, duel: Duel | None,
                      eval_frame: pd.DataFrame | None, start: float) -> Gate | str:
    """The walk-forward's gate, or `not compared` when neither it nor the duel can see the
    change; else why the single window decides instead."""
    cfg = params.report
    frame = labeled_history(params, base)
    champion, challenger = recipe(base.model_copy(update={"report": cfg})), recipe(params)
    first = frame[TIMESTAMP].min().to_pydatetime()
    fit = weekly_folds(first, newest_end(params), cfg.backtest.folds, [champion, challenger])
    if len(fit) < 2:
        return (f"the labeled history ({first:%Y-%m-%d} → {newest_end(params):%Y-%m-%d}) holds "
                f"{len(fit)} week(s) whose training windows fit; a walk-forward needs 2 "
                f"(report.backtest.folds {cfg.backtest.folds})")
    weeks = [w for w in fit if not rows_in(frame, w).empty]
    if len(weeks) < 2:  # the weeks fit, but the data is coarser than weekly (monthly rows)
        return (f"only {len(weeks)} of the {len(fit)} weeks before {newest_end(params):%Y-%m-%d} "
                f"(report.backtest.folds {cfg.backtest.folds}) hold a labeled row; a walk-forward "
                "needs 2 (data coarser than weekly: set report.backtest.folds: 0)")
    sides = Sides(base, params, champion, challenger, weeks, first)
    if not sides.blind:
        fitter = Fitter(frame, params.compute.fit_cache_mb)
        paired = walk_forward(fitter, weeks, champion, challenger, progress="backtest")
        verdict = paired.verdict(cfg)
        if verdict.ci and identical(paired.champion, paired.challenger):
            verdict = replace(verdict, note="both sides predict every fold identically: what the PR "
                              "changed does not alter the fitted model on this data")
        return Gate(verdict, WALK_FORWARD, passes(verdict, cfg.undecided), weeks=paired.weeks,
                    fits=fitter.fits, seconds=time.perf_counter() - start,
                    unseen="; ".join(sides.unseen()))
    why, unscored = sides.blindness(), instead(duel, eval_frame)
    if unscored:
        verdict = not_compared(cfg, f"{why}; {unscored}", len(weeks))
        return Gate(verdict, NOT_COMPARED, passes(verdict, cfg.undecided), why=verdict.note,
                    weeks=weeks, seconds=time.perf_counter() - start)
    return (f"it cannot see this change: {why}; the two models' predictions differ on the "
            "evaluation window, so they are compared there")


POLICY_SEES = {
    "expanding": ("with `report.backtest.policy: expanding` every fold trains from each side's "
                  "windows.train.start (or the first labeled row, when later) up to the fold's "
                  "week, and those are the same here (`sliding` compares window lengths)"),
    "sliding": ("with `report.backtest.policy: sliding` every fold trains on each side's "
                "windows.train length just before the fold's week, and those lengths are the same "
                "here (`expanding` compares window starts)"),
}


@dataclass(frozen=True)
class Sides:
    """main's recipe and the PR's on the folds: what the walk-forward can and cannot compare."""

    base: Params
    params: Params
    champion: Recipe
    challenger: Recipe
    weeks: list[Window]
    first: datetime

    @property
    def same_windows(self) -> bool:
        return all(self.champion.window(w.start, self.first)
                   == self.challenger.window(w.start, self.first) for w in self.weeks)

    @property
    def blind(self) -> bool:
        """Both sides fit the same recipe (what a fit depends on: `Recipe.key`) on the same window
        in every fold: the walk-forward would compare a recipe with itself (a zero-width CI),
        whatever the PR changed."""
        return self.same_windows and self.champion.key() == self.challenger.key()

    def unseen(self) -> list[str]:
        """The PR's changes to how a model trains that the folds do not compare, one clause each."""
        old, new = self.base.windows, self.params.windows
        out = []
        if old.train != new.train and self.same_windows:
            out.append(f"this backtest cannot compare training windows: windows.train "
                       f"{old.train.label()} → {new.train.label()}, but "
                       f"{POLICY_SEES[self.params.report.backtest.policy]}")
        if old.retrain != new.retrain and self.champion.half_life_weeks == self.challenger.half_life_weeks:
            out.append("this backtest cannot compare retrain policies: windows.retrain decides what "
                       "later retrains fit, which the monitor's retraining evidence replays")
        return out

    def blindness(self) -> str:
        """Why the walk-forward would compare a recipe with itself."""
        head = (f"both sides fit the same recipe on the same window in each of the "
                f"{len(self.weeks)} folds ({self.weeks[0].start:%Y-%m-%d} → "
                f"{self.weeks[-1].end:%Y-%m-%d})")
        unseen = self.unseen()
        if unseen:
            return f"{head}; {'; '.join(unseen)}"
        changed = [k for k, _, _ in params_diff(self.base.model_dump(mode="json"),
                                                 self.params.model_dump(mode="json"))]
        if not changed:
            return (f"{head}: the params are the same, and both sides read this PR's data and run "
                    "its code, so a data or code change shows on both")
        shown = ", ".join(f"`{k}`" for k in changed[:5]) + (
            f" and {len(changed) - 5} more" if len(changed) > 5 else "")
        return f"{head}: the params this PR changes ({shown}) do not change how a model trains"


def instead(duel: Duel | None, frame: pd.DataFrame | None) -> str:
    """Why the two models on the evaluation window cannot stand in for a walk-forward that cannot
    see the change; '' when they can (both scored, with different predictions)."""
    if frame is None or duel is None or duel.champion_pred is None or duel.challenger_pred is None:
        return "the base's model was not scored on the evaluation window" + (
            f" ({duel.note})" if duel is not None and duel.note else "")
    if identical(duel.champion_pred, duel.challenger_pred):
        return "the base's model and the PR's predict the evaluation window identically"
    return ""


def identical(a: np.ndarray, b: np.ndarray) -> bool:
    """The same predictions, up to the last bits a forest's threaded sum may change between two
    calls on one model."""
    return a.shape == b.shape and bool(np.allclose(a, b, rtol=1e-9, atol=1e-12, equal_nan=True))


def not_compared(cfg: ReportParams, why: str, folds: int) -> Verdict:
    """No verdict: what was changed is invisible to every comparison this gate can make."""
    return Verdict(cfg.metric, "not compared", None, None, cfg.confidence, 0, 0, folds,
                   "no comparison", margin=cfg.margin, tolerance=cfg.tolerance, note=why)


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
