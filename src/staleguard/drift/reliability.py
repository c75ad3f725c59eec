"""When the label-free estimate can be trusted, and the estimate recalibrated by arrived labels.

Direct loss estimation (drift/estimate.py) assumes the error given the inputs stays what it was on
the reference and that the window stays where the reference has rows. Three signals say when it
does not (each with its bar in `drift.estimate`):

- support: the share of the window's rows outside the reference's range on some feature (beyond
  the numerical range, or a category held by at most `rare_category` of the reference's rows); trees
  cannot extrapolate, so their predicted error there is the edge of the reference's, whatever the
  truth, and a category seen on a few rows (a holiday) leaves too few rows to learn its error.
  Calendar features derived from the timestamp (and `drift.estimate.ignore`) are left out: every
  future week holds a month the reference never had, which says nothing about the error;
- a domain classifier: the cross-validated AUC of a shallow tree telling the reference's rows from
  the window's on the same inputs (1.0: every row is told apart, jointly far from the reference);
- the estimate's own recent error: on the latest weeks whose labels arrived, the estimate scored
  against the measured MAE, after the same recalibration as below (a one-step-ahead error).

Recalibration: the estimate times the median measured/estimated ratio of the latest labeled
weeks (the same deployed model and estimator), so a level the estimator gets wrong for this season
is fixed by the labels that did arrive. A correction beyond ×`max_ratio` (or ÷) says the estimator
does not model this error at all: the window is then unreliable too. A window failing a bar gets
no number in the reports, and its estimate triggers nothing: the decision falls back to the drift
triggers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from statistics import fmean

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold
from sklearn.tree import DecisionTreeClassifier

from staleguard.drift.result import Estimate
from staleguard.params import DriftEstimate


def outside_support(reference: pd.DataFrame, current: pd.DataFrame, categorical: set[str],
                    rare: float = 0.0) -> tuple[float, dict[str, float]]:
    """The share of `current`'s rows outside the reference on any column, and per column:
    beyond [min, max] (numerical) or a value held by at most `rare` of the reference's rows
    (categorical; 0: a value the reference never had)."""
    outside = np.zeros(len(current), dtype=bool)
    per: dict[str, float] = {}
    for col in reference.columns:
        ref = reference[col].to_numpy(dtype=float)
        cur = current[col].to_numpy(dtype=float)
        ref = ref[~np.isnan(ref)]
        known = ~np.isnan(cur)
        if not len(ref):
            out = known
        elif col in categorical:
            values, counts = np.unique(ref, return_counts=True)
            out = known & ~np.isin(cur, values[counts > rare * len(ref)])
        else:
            out = known & ((cur < ref.min()) | (cur > ref.max()))
        per[col] = float(out.mean()) if len(cur) else 0.0
        outside |= out
    return (float(outside.mean()) if len(current) else 0.0), per


def domain_auc(reference: pd.DataFrame, current: pd.DataFrame, seed: int, rows: int) -> float | None:
    """Cross-validated AUC of a depth-3 tree telling `current` rows from `reference` rows, on at
    most `rows` rows of each (seeded); None when either side has too few rows for 3 folds."""
    rng = np.random.default_rng(seed)
    parts = [frame.iloc[rng.choice(len(frame), rows, replace=False)] if len(frame) > rows else frame
             for frame in (reference, current)]
    if min(len(p) for p in parts) < 6:
        return None
    x = pd.concat(parts, ignore_index=True).to_numpy(dtype=float)
    y = np.r_[np.zeros(len(parts[0])), np.ones(len(parts[1]))]
    score = np.empty(len(y))
    for fit_rows, test_rows in StratifiedKFold(3, shuffle=True, random_state=seed).split(x, y):
        tree = DecisionTreeClassifier(max_depth=3, min_samples_leaf=10, random_state=seed)
        score[test_rows] = tree.fit(x[fit_rows], y[fit_rows]).predict_proba(x[test_rows])[:, 1]
    return float(roc_auc_score(y, score))


def with_support(est: Estimate, reference: pd.DataFrame, current: pd.DataFrame, categorical: set[str],
                 cfg: DriftEstimate, seed: int) -> Estimate:
    """`est` with the window's support figures (the estimator's inputs, reference vs current)."""
    share, per = outside_support(reference, current, categorical, cfg.rare_category)
    worst = {c: round(s, 4) for c, s in sorted(per.items(), key=lambda kv: -kv[1]) if s > 0}
    auc = domain_auc(reference, current, seed, cfg.sample_rows) if cfg.max_auc < 1 else None
    return replace(est, outside=round(share, 4), outside_columns=worst,
                   auc=None if auc is None else round(auc, 4))


def calibrated(est: Estimate, labeled: Sequence[Estimate], cfg: DriftEstimate) -> Estimate:
    """`est` (a window without labels) recalibrated by the latest labeled windows `labeled` (time
    order, same model and estimator) and judged: `unreliable` names why it cannot be trusted."""
    pairs = [(e.estimated, e.actual) for e in labeled if e.actual and e.estimated > 0][-cfg.weeks:]
    ratio = _ratio(pairs)
    value = est.estimated * ratio if ratio is not None else est.estimated
    recent = recent_error(labeled, cfg.weeks)
    why = []
    if est.outside is not None and est.outside > cfg.max_outside:
        top = next(iter(est.outside_columns or {}), "")
        why.append(f"{est.outside:.0%} of rows outside the reference's range"
                   + (f", {top} first" if top else ""))
    if est.auc is not None and est.auc > cfg.max_auc:
        why.append(f"window told apart from the reference, AUC {est.auc:.2f}")
    if ratio is not None and not 1 / cfg.max_ratio <= ratio <= cfg.max_ratio:
        why.append(f"estimator off by ×{ratio:.2g} on the latest labeled weeks")
    if recent is not None and recent > cfg.max_recent_error:
        why.append(f"recent estimate error {recent:.0%}")
    if cfg.require_labels and ratio is None:
        why.append("no labeled week yet to check it against")
    return replace(est, raw=est.estimated, estimated=round(value, 4),
                   ratio=None if ratio is None else round(ratio, 4),
                   recent_error=None if recent is None else round(recent, 4),
                   unreliable="; ".join(why) or None)


def recent_error(labeled: Sequence[Estimate], weeks: int) -> float | None:
    """Mean one-step-ahead |error| of the recalibrated estimate on the latest labeled windows:
    each scored with the ratio of the `weeks` windows before it (None: fewer than two windows)."""
    pairs = [(e.estimated, e.actual) for e in labeled if e.actual and e.estimated > 0]
    errors = []
    for i in range(1, len(pairs)):
        ratio = _ratio(pairs[max(0, i - weeks):i]) or 1.0   # never None: at least one pair before
        errors.append(abs(pairs[i][0] * ratio / pairs[i][1] - 1))
    return fmean(errors[-weeks:]) if errors else None


def _ratio(pairs: Sequence[tuple[float, float]]) -> float | None:
    """The median measured/estimated ratio of (estimated, measured) pairs: one odd week (a holiday,
    a storm) among three does not move it."""
    return float(np.median([a / e for e, a in pairs])) if pairs else None


def no_number(est: Estimate) -> str:
    """What the reports show instead of an unreliable estimate."""
    return f"no reliable estimate ({est.unreliable})"
