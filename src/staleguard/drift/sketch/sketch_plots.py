"""Reference vs current drawn from two summaries: the distribution PNG without raw rows.

Exact value counts draw as bars (few integer values) or a histogram weighted by the counts;
frozen bins draw through their piecewise-linear CDF, re-binned to 30 display bins spanning both
windows (tails included: a window beyond the reference range shows where it went).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from matplotlib.axes import Axes

from staleguard.drift.sketch.binned_scores import _cdf_at_edges
from staleguard.drift.sketch.window_summary import Column, ColumnLayout
from staleguard.model_plots import plt  # noqa: F401 (pyplot after the Agg backend is set)

COLORS = {"reference": "tab:blue", "current": "tab:orange"}
DISCRETE = 30
DISPLAY_BINS = 30


@dataclass(frozen=True)
class Dist:
    """One column of a summary with its layout: what a plot panel needs."""

    column: Column
    layout: ColumnLayout


def mass(d: Dist, edges: np.ndarray) -> np.ndarray:
    """Share of `d`'s values in each display bin [edges[k], edges[k+1]] (last closed)."""
    col = d.column
    if col.n == 0:
        return np.zeros(len(edges) - 1)
    if col.exact:
        assert col.values is not None and col.freq is not None
        return np.histogram(col.values, edges, weights=col.freq)[0] / col.n
    assert d.layout.edges is not None
    b = col.to_bins(d.layout.edges)
    xs, fs = d.layout.edges, _cdf_at_edges(b, col.n)
    # tails drawn uniform over a span with their exact mean excess (≤ to the observed min/max)
    if b.below_n:
        lo = max(col.min, xs[0] - 2 * b.below_sum / b.below_n)
        xs, fs = np.concatenate([[lo], xs]), np.concatenate([[0.0], fs])
    if b.above_n:
        hi = min(col.max, xs[-1] + 2 * b.above_sum / b.above_n)
        xs, fs = np.concatenate([xs, [hi]]), np.concatenate([fs, [1.0]])
    return np.diff(np.interp(edges, xs, fs, left=0.0, right=1.0))


def draw(ax: Axes, ref: Dist, cur: Dist) -> None:
    """Bars of shares for few integer values, else densities on 30 shared display bins."""
    r, c = ref.column, cur.column
    if r.exact and c.exact:
        assert r.values is not None and c.values is not None
        values = np.union1d(r.values, c.values)
        if len(values) <= DISCRETE and np.all(np.mod(values, 1) == 0):
            x = np.arange(len(values))
            for shift, (label, d) in zip((-0.2, 0.2), (("reference", r), ("current", c)), strict=True):
                share = np.zeros(len(values))
                assert d.values is not None and d.freq is not None
                share[np.searchsorted(values, d.values)] = d.freq / max(d.n, 1)
                ax.bar(x + shift, share, width=0.4, color=COLORS[label], label=label)
            step = max(1, len(values) // 8)
            ax.set_xticks(x[::step], [f"{v:g}" for v in values[::step]], fontsize=7)
            ax.set_yticks([])
            return
    lo, hi = min(r.min, c.min), max(r.max, c.max)
    if not np.isfinite(lo) or lo == hi:
        lo, hi = (0.0, 1.0) if not np.isfinite(lo) else (lo - 0.5, hi + 0.5)
    edges = np.linspace(lo, hi, DISPLAY_BINS + 1)
    width = np.diff(edges)
    for label, dist in (("reference", ref), ("current", cur)):
        ax.stairs(mass(dist, edges) / width, edges, fill=True, alpha=0.55, color=COLORS[label], label=label)
    ax.tick_params(labelsize=7)
    ax.set_yticks([])
