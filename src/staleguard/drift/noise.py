"""How far a drift score goes by chance at the window's size: its same-distribution null.

A normed Wasserstein of 0.5 is a large shift on 5 million rows and ordinary noise on 7. So each
score is compared with what the same statistic does when nothing changed: reference and current
both drawn from the reference's own distribution, at their real sizes (a two-sample bootstrap,
since the reference is a sample too), and the current drawn against the reference as it is (for
small windows of discrete columns that quantile can be the higher one). The larger (1 −
drift.false_alarm) quantile of the two is the score chance alone reaches at most that often; a
column drifts only when its score is beyond that *and* at or above its params threshold (the
effect size worth acting on).

Draws are multinomial over the reference's distinct values (coarsened to MAX_VALUES quantile
groups when it has more), so one draw costs the number of distinct values, not the window's rows:
the same at 7 rows and at 5 million. The quantile is cached per (reference, method, n), so the
monitor and the PR job compute it once per window size, not once per window.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from dataclasses import replace

import numpy as np
from scipy.spatial import distance

from staleguard.drift.count_scores import MAX_CATEGORIES, NORM_FLOOR, Counts, sturges_edges
from staleguard.drift.result import ColumnDrift
from staleguard.params import Params

MAX_VALUES = 128      # distinct reference values kept for the null (more: quantile groups of equal mass)
CACHE_SIZE = 4096
_cache: OrderedDict[tuple[object, ...], float] = OrderedDict()


def coarsen(ref: Counts, groups: int = MAX_VALUES) -> Counts:
    """At most `groups` values of about equal mass (each the mean of its values): a wide
    reference's null costs what a narrow one's does."""
    if len(ref.values) <= groups:
        return ref
    cum = np.cumsum(ref.counts) / ref.n
    group = np.minimum((cum * groups).astype(int), groups - 1)
    counts = np.bincount(group, weights=ref.counts, minlength=groups)
    sums = np.bincount(group, weights=ref.counts * ref.values, minlength=groups)
    keep = counts > 0
    return Counts(sums[keep] / counts[keep], counts[keep])


def _wasserstein(values: np.ndarray, r: np.ndarray, c: np.ndarray) -> np.ndarray:
    """Normed Wasserstein of each row pair (draws × values counts), as scores.wasserstein."""
    nr, nc = r.sum(axis=1, keepdims=True), c.sum(axis=1, keepdims=True)
    gap = np.abs(np.cumsum(r, axis=1) / nr - np.cumsum(c, axis=1) / nc)[:, :-1]
    centred = values - values.mean()
    mean = r @ centred / nr[:, 0]
    std = np.sqrt(np.clip(r @ centred**2 / nr[:, 0] - mean**2, 0, None))
    return np.asarray((gap @ np.diff(values)) / np.maximum(std, NORM_FLOOR), dtype=float)


def _binned(values: np.ndarray, r: np.ndarray, c: np.ndarray, numerical: bool
            ) -> tuple[np.ndarray, np.ndarray]:
    """Proportions per row, on Sturges bins for a wide numerical column (as scores._proportions)."""
    edges = (sturges_edges(values[0], values[-1], r[0].sum() + c[0].sum())
             if numerical and len(values) > MAX_CATEGORIES else None)
    if edges is not None:  # None: too narrow to cut, compared value by value as the score is
        bins = len(edges) - 1
        which = np.clip(np.searchsorted(edges, values, side="right") - 1, 0, bins - 1)
        onehot = np.zeros((len(values), bins))
        onehot[np.arange(len(values)), which] = 1
        r, c = r @ onehot, c @ onehot
    return r / r.sum(axis=1, keepdims=True), c / c.sum(axis=1, keepdims=True)


def _fill_zeroes(p: np.ndarray) -> np.ndarray:
    smallest = np.where(p > 0, p, np.inf).min(axis=1, keepdims=True)
    return np.where(p == 0, np.where(smallest <= 0.0001, smallest / 10**6, 0.0001), p)


def both_nulls(ref: Counts, n: int, method: str, numerical: bool, draws: int, seed: int
               ) -> tuple[np.ndarray, np.ndarray]:
    """The two-sample null and the fixed-reference null, from one set of current draws (both
    used to draw them alike from the same seed: a third of the cost for nothing)."""
    ref = coarsen(ref)
    p = ref.counts / ref.n
    rng = np.random.default_rng([seed, n])
    c = rng.multinomial(n, p, size=draws).astype(float)
    resampled = rng.multinomial(int(ref.n), p, size=draws).astype(float)
    fixed = np.broadcast_to(ref.counts, c.shape)
    return _scores(ref, resampled, c, method, numerical), _scores(ref, fixed, c, method, numerical)


def _scores(ref: Counts, r: np.ndarray, c: np.ndarray, method: str, numerical: bool) -> np.ndarray:
    if method == "wasserstein":
        return _wasserstein(ref.values, r, c)
    rp, cp = _binned(ref.values, r, c, numerical)
    if method == "jensenshannon":
        js: np.ndarray = np.nan_to_num(np.asarray(distance.jensenshannon(rp, cp, axis=1), dtype=float))
        return js
    rp, cp = _fill_zeroes(rp), _fill_zeroes(cp)
    return np.asarray(np.sum((rp - cp) * np.log(rp / cp), axis=1), dtype=float)


def _key(ref: Counts, n: int, method: str, numerical: bool, alpha: float, draws: int, seed: int
         ) -> tuple[object, ...]:
    digest = hashlib.blake2b(np.ascontiguousarray(ref.values).tobytes(), digest_size=16)
    digest.update(np.ascontiguousarray(ref.counts).tobytes())
    return digest.hexdigest(), n, method, numerical, alpha, draws, seed


def noise(ref: Counts, n: int, method: str, numerical: bool, *, alpha: float = 0.05,
          draws: int = 400, seed: int = 0) -> float:
    """The score that same-distribution windows of `n` rows exceed with probability `alpha`
    (the null's 1 − alpha quantile), cached per reference, method and n."""
    key = _key(ref, n, method, numerical, alpha, draws, seed)
    if key in _cache:
        _cache.move_to_end(key)
        return _cache[key]
    if n < 1 or ref.n < 1:
        value = float("inf")
    else:
        # "higher": a score the null reached, so ties of discrete columns stay below the bar;
        # both nulls: the bar holds whether the reference is taken as exact or as a sample
        value = max(float(np.quantile(null, 1 - alpha, method="higher"))
                    for null in both_nulls(ref, n, method, numerical, draws, seed))
    _cache[key] = value
    while len(_cache) > CACHE_SIZE:
        _cache.popitem(last=False)
    return value


def calibrate(col: ColumnDrift, ref: Counts, n: int, params: Params) -> ColumnDrift:
    """`col` with its noise bar at `n` current values (unchanged when drift.false_alarm is 0)."""
    d = params.drift
    if not d.false_alarm:
        return replace(col, rows=n)
    bar = noise(ref, n, col.method, col.kind == "numerical", alpha=d.false_alarm, draws=d.null_draws,
                seed=d.seed)
    return replace(col, noise=bar, rows=n)
