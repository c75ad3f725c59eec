"""Drift distances computed exactly from value counts, equal to Evidently 0.7's definitions.

Counting values (a hash pass) instead of sorting samples makes a 5M-row window cost about as much
as reading it: every column of the example data has at most a few hundred distinct values. The scores
are the ones Evidently reports (tests/drift/test_scores.py checks them against `ValueDrift`):
- wasserstein: scipy's 1-D Wasserstein distance divided by max(std(reference), 0.001);
- jensenshannon: scipy's Jensen-Shannon distance (natural log) of the proportions;
- psi: population stability index with Evidently's zero fill.
For numerical columns with more than 20 distinct reference values, jensenshannon and psi use
Evidently's Sturges bins over reference + current (these two depend on the window size; prefer
wasserstein for numerical columns).
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.spatial import distance

from staleguard.contract.codes import is_text, text_codes

NORM_FLOOR = 0.001
ARROW_ROWS = 65_536   # columns at least this long are counted by Arrow (same counts, less time)
MAX_CATEGORIES = 20


@dataclass(frozen=True)
class Counts:
    """Distinct values (sorted) and how often each occurs, NaN dropped."""

    values: np.ndarray
    counts: np.ndarray

    @classmethod
    def of(cls, series: pd.Series) -> Counts:
        if is_text(series):  # text categories: their proportions, by stable codes
            series = pd.Series(text_codes(series))
        if len(series) >= ARROW_ROWS and isinstance(series.dtype, np.dtype) and series.dtype.kind in "iuf":
            counted = _arrow_counts(series.to_numpy())
            if counted is not None:
                return cls(*counted)
        vc = series.value_counts(dropna=True, sort=False)
        order = np.argsort(vc.index.to_numpy(dtype=float))
        return cls(vc.index.to_numpy(dtype=float)[order], vc.to_numpy(dtype=float)[order])

    @property
    def n(self) -> float:
        return float(self.counts.sum())

    def std(self) -> float:
        """Population std (ddof=0), as np.std."""
        mean = float(np.dot(self.values, self.counts) / self.n)
        return float(np.sqrt(np.dot(self.counts, (self.values - mean) ** 2) / self.n))


def _arrow_counts(values: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """Sorted distinct values and counts by Arrow's hash kernel, NaN dropped, as value_counts
    gives them; None when -0.0 and 0.0 were counted apart (then pandas counts them as one)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    counted = pc.value_counts(pa.array(values))
    distinct = counted.field("values").to_numpy(zero_copy_only=False).astype(float) + 0.0  # -0.0 → 0.0
    counts = counted.field("counts").to_numpy(zero_copy_only=False).astype(float)
    keep = ~np.isnan(distinct)
    order = np.argsort(distinct[keep])
    distinct, counts = distinct[keep][order], counts[keep][order]
    return (distinct, counts) if np.all(np.diff(distinct) > 0) else None


def counts_of(columns: list[pd.Series]) -> list[Counts]:
    """Counts of each column; large columns on every core: Arrow's kernel releases the GIL
    (16 columns of 5M rows: 0.25 s by pandas, one at a time; 0.15 s on two cores)."""
    if sum(len(c) for c in columns) < ARROW_ROWS or len(columns) < 2:
        return [Counts.of(c) for c in columns]
    with ThreadPoolExecutor(max_workers=min(len(columns), os.cpu_count() or 1, 8)) as pool:
        return list(pool.map(Counts.of, columns))


def _aligned(ref: Counts, cur: Counts) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    grid = np.union1d(ref.values, cur.values)
    r = np.zeros(len(grid))
    c = np.zeros(len(grid))
    r[np.searchsorted(grid, ref.values)] = ref.counts
    c[np.searchsorted(grid, cur.values)] = cur.counts
    return grid, r, c


def wasserstein(ref: Counts, cur: Counts) -> float:
    """Normed Wasserstein: ∫|F_ref − F_cur| (exact from the two step CDFs) / max(std_ref, 0.001)."""
    grid, r, c = _aligned(ref, cur)
    gap = np.abs(np.cumsum(r) / ref.n - np.cumsum(c) / cur.n)[:-1]
    return float(np.dot(gap, np.diff(grid)) / max(ref.std(), NORM_FLOOR))


def equal_edges(lo: float, hi: float, bins: int) -> np.ndarray | None:
    """`bins` equal-width edges over [lo, hi], as np.histogram_bin_edges draws them (lo == hi:
    a unit-wide span around the value); None when the range is too narrow to cut (values a few
    ulps apart: a near-constant model's predictions), where numpy raises "Too many bins for data
    range" (issue 31): such values are then compared, or drawn, as they are."""
    if lo == hi:
        return np.linspace(lo - 0.5, hi + 0.5, bins + 1)
    edges = np.linspace(lo, hi, bins + 1)
    return edges if np.all(np.diff(edges) > 0) else None


def sturges_edges(lo: float, hi: float, n: float) -> np.ndarray | None:
    """Evidently's Sturges bins over [lo, hi] for `n` values in all (equal_edges)."""
    return equal_edges(lo, hi, int(np.ceil(np.log2(n) + 1)))  # numpy's Sturges rule


def _proportions(ref: Counts, cur: Counts, numerical: bool) -> tuple[np.ndarray, np.ndarray]:
    edges = None
    if numerical and len(ref.values) > MAX_CATEGORIES:
        lo = min(ref.values[0], cur.values[0])
        hi = max(ref.values[-1], cur.values[-1])
        edges = sturges_edges(lo, hi, ref.n + cur.n)
    if edges is not None:
        r = np.histogram(ref.values, edges, weights=ref.counts)[0]
        c = np.histogram(cur.values, edges, weights=cur.counts)[0]
    else:
        _, r, c = _aligned(ref, cur)
    return r / ref.n, c / cur.n


def _fill_zeroes(p: np.ndarray) -> np.ndarray:
    smallest = p[p > 0].min()
    return np.where(p == 0, smallest / 10**6 if smallest <= 0.0001 else 0.0001, p)


def jensenshannon(ref: Counts, cur: Counts, numerical: bool = False) -> float:
    r, c = _proportions(ref, cur, numerical)
    return float(distance.jensenshannon(r, c))


def psi(ref: Counts, cur: Counts, numerical: bool = False) -> float:
    r, c = (_fill_zeroes(p) for p in _proportions(ref, cur, numerical))
    return float(np.sum((r - c) * np.log(r / c)))


def score(method: str, ref: Counts, cur: Counts, numerical: bool) -> float:
    """The distance named `method` between two columns' counts (drift when score >= threshold);
    NaN (not decided) when a side has no values, as for summaries (sketch/binned_scores.py)."""
    if ref.n == 0 or cur.n == 0:
        return float("nan")
    if method == "wasserstein":
        return wasserstein(ref, cur)
    if method == "jensenshannon":
        return jensenshannon(ref, cur, numerical)
    return psi(ref, cur, numerical)
