"""Drift scores from two summaries (reference, window), defined as Evidently 0.7 defines them.

- Both sides with exact value counts: the scores of drift/count_scores.py, exact (equal to Evidently's
  `ValueDrift` to rounding).
- Otherwise (a wide numerical column): Wasserstein from the frozen bins. Both CDFs are
  piecewise-linear between the shared edges, so ∫|F − G| has a closed form per bin (a bin where
  F − G changes sign contributes w·(d0² + d1²) / (2(|d0| + |d1|))); the tails beyond the
  reference range are exact from Σ(lo − x) and Σ(x − hi). Normed by max(std_ref, 0.001) with the
  reference's std from its moments. Jensen-Shannon/PSI there use the frozen bins plus the two
  tails as categories: stable across window sizes, but not Evidently's Sturges-binned numbers
  (prefer wasserstein for wide numerical columns, as params.yaml does).
"""

from __future__ import annotations

import numpy as np
from scipy.spatial import distance

from staleguard.drift import count_scores as exact
from staleguard.drift.sketch.window_summary import Bins, Column, ColumnLayout


def counts(col: Column) -> exact.Counts:
    assert col.values is not None and col.freq is not None
    return exact.Counts(col.values, col.freq.astype(float))


def _cdf_at_edges(b: Bins, n: int) -> np.ndarray:
    return np.concatenate([[b.below_n], b.below_n + np.cumsum(b.counts)]) / n


def binned_wasserstein(ref: Bins, n_ref: int, cur: Bins, n_cur: int, edges: np.ndarray) -> float:
    """∫|F_ref − F_cur| (not normed) for piecewise-linear CDFs on `edges` plus exact tails."""
    d = _cdf_at_edges(ref, n_ref) - _cdf_at_edges(cur, n_cur)
    w = np.diff(edges)
    d0, d1 = d[:-1], d[1:]
    a0, a1 = np.abs(d0), np.abs(d1)
    same = d0 * d1 >= 0
    with np.errstate(divide="ignore", invalid="ignore"):
        crossing = np.where(a0 + a1 > 0, (d0 ** 2 + d1 ** 2) / (2 * (a0 + a1)), 0.0)
    inner = float(np.dot(w, np.where(same, (a0 + a1) / 2, crossing)))
    tails = (abs(ref.below_sum / n_ref - cur.below_sum / n_cur)
             + abs(ref.above_sum / n_ref - cur.above_sum / n_cur))
    return inner + tails


def wasserstein(ref: Column, cur: Column, spec: ColumnLayout) -> float:
    """Normed Wasserstein: exact from value counts when both sides have them, else from the bins."""
    if ref.exact and cur.exact:
        return exact.wasserstein(counts(ref), counts(cur))
    assert spec.edges is not None
    raw = binned_wasserstein(ref.to_bins(spec.edges), ref.n, cur.to_bins(spec.edges), cur.n, spec.edges)
    return raw / max(ref.std(), exact.NORM_FLOOR)


def _binned_proportions(ref: Column, cur: Column, spec: ColumnLayout) -> tuple[np.ndarray, np.ndarray]:
    assert spec.edges is not None
    out = []
    for col in (ref, cur):
        b = col.to_bins(spec.edges)
        out.append(np.concatenate([[b.below_n], b.counts, [b.above_n]]) / col.n)
    return out[0], out[1]


def jensenshannon(ref: Column, cur: Column, spec: ColumnLayout) -> float:
    if ref.exact and cur.exact:
        return exact.jensenshannon(counts(ref), counts(cur), spec.kind == "numerical")
    r, c = _binned_proportions(ref, cur, spec)
    return float(distance.jensenshannon(r, c))


def psi(ref: Column, cur: Column, spec: ColumnLayout) -> float:
    if ref.exact and cur.exact:
        return exact.psi(counts(ref), counts(cur), spec.kind == "numerical")
    r, c = (exact._fill_zeroes(p) for p in _binned_proportions(ref, cur, spec))
    return float(np.sum((r - c) * np.log(r / c)))


def score(method: str, ref: Column, cur: Column, spec: ColumnLayout) -> float:
    """The distance named `method` (drift when score ≥ threshold); NaN when a side has no values."""
    if ref.n == 0 or cur.n == 0:
        return float("nan")
    if method == "wasserstein":
        return wasserstein(ref, cur, spec)
    if method == "jensenshannon":
        return jensenshannon(ref, cur, spec)
    return psi(ref, cur, spec)
