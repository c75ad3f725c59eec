"""Matplotlib evidence for the PR comment: scores against thresholds, and the moved distributions.

640 px wide (GitHub comment width) at 100 dpi. Scores are drawn as score ÷ threshold on a log
axis, so a Wasserstein 1000 (a month the reference never saw) and a Jensen-Shannon 0.12 fit on
one chart and "drifted" is simply "right of the line".
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes

from staleguard.drift.count_scores import equal_edges
from staleguard.drift.decide import SHORT
from staleguard.drift.result import ColumnDrift, DriftResult
from staleguard.model_plots import plt, save

WIDTH = 6.4
COLORS = {"reference": "tab:blue", "current": "tab:orange"}
MAX_PANELS = 6
DISCRETE = 30


CAP = 100  # bars stop at 100× their bar: a calendar column with std 0 (W 11,000) must not hide the rest


def bar(c: ColumnDrift) -> float:
    """What a score has to beat: its threshold, or the noise at this window size when higher."""
    return max(c.threshold, c.noise or 0.0) or c.threshold


def ratio(c: ColumnDrift) -> float:
    """score ÷ bar for the chart, 0 for a column with no values to score (NaN: not decided)."""
    value = c.score / bar(c)
    return 0.0 if np.isnan(value) else min(value, CAP)


def _rows(result: DriftResult) -> list[tuple[str, ColumnDrift]]:
    rows = [(c.column, c) for c in result.features.values()]
    rows += [(f"{c.column} (target)", c) for c in [result.target] if c]
    rows += [("prediction", c) for c in [result.prediction] if c]
    return sorted(rows, key=lambda r: ratio(r[1]))


def scores_chart(result: DriftResult, path: Path) -> None:
    """Horizontal bars of score ÷ its bar (threshold, or noise at this n when higher) per column,
    capped at CAP, red when drifted, labelled with the score."""
    rows = _rows(result)
    ratios = np.clip(np.array([ratio(c) for _, c in rows]), 0.01, CAP)
    fig, ax = plt.subplots(figsize=(WIDTH, 0.32 * len(rows) + 1.3))
    colors = ["tab:red" if c.drifted else "tab:gray" for _, c in rows]
    ax.barh([name for name, _ in rows], ratios, color=colors)
    ax.axvline(1, color="black", lw=1, ls="--")
    ax.set_xscale("log")
    ax.set_xlim(0.007, max(ratios.max(), 10) * 12)
    for y, (_, c) in enumerate(rows):
        noise = "" if c.noise is None or np.isinf(c.noise) else f", noise {c.noise:.2g} at n = {c.rows}"
        capped = "≥ 100× " if ratios[y] >= CAP else ""
        text = (f"{capped}{SHORT[c.method]} {c.score:.3g} (≥ {c.threshold:g}{noise})"
                if not np.isnan(c.score) else f"{SHORT[c.method]}: no values, not decided")
        ax.text(max(ratios[y], 1) * 1.2, y, text, va="center", fontsize=7)
    n = len(result.drifted_features)
    ax.set(xlabel="score ÷ max(threshold, noise at this n) (log; > 1 = drifted)",
           title=f"Drift scores: {n} of {len(result.features)} features drifted")
    ax.tick_params(axis="y", labelsize=8)
    save(fig, path)


def _panel(ax: Axes, name: str, ref: Any, cur: Any, score: ColumnDrift) -> None:
    if isinstance(ref, pd.Series):
        _rows_panel(ax, ref, cur)
    else:  # summaries (staleguard.drift.sketch): drawn from counts, no raw rows
        from staleguard.drift.sketch.sketch_plots import draw

        draw(ax, ref, cur)
    flag = " drifted" if score.drifted else ""
    ax.set_title(f"{name}: {SHORT[score.method]} {score.score:.3g}{flag}", fontsize=9,
                 color="tab:red" if score.drifted else "black")


def _rows_panel(ax: Axes, ref: pd.Series, cur: pd.Series) -> None:
    """Bars of shares for a text category or a few whole numbers, else overlaid histograms."""
    ref, cur = ref.dropna(), cur.dropna()
    text = not (pd.api.types.is_numeric_dtype(ref) and pd.api.types.is_numeric_dtype(cur))
    if text:
        ref, cur = ref.astype(str), cur.astype(str)
    values = np.union1d(ref.unique(), cur.unique())
    if text or (len(values) <= DISCRETE and np.all(np.mod(values, 1) == 0)):
        x = np.arange(len(values))
        for shift, (label, s) in zip((-0.2, 0.2), (("reference", ref), ("current", cur)), strict=True):
            share = s.value_counts(normalize=True).reindex(values, fill_value=0)
            ax.bar(x + shift, share.to_numpy(), width=0.4, color=COLORS[label], label=label)
        step = max(1, len(values) // 8)
        ax.set_xticks(x[::step], [str(v) if text else f"{v:g}" for v in values[::step]], fontsize=7)
    else:
        both = np.concatenate([ref, cur])
        lo, hi = (float(both.min()), float(both.max())) if len(both) else (0.0, 1.0)
        bins = equal_edges(lo, hi, 30)
        if bins is None:  # values a few ulps apart (a near-constant model): one bin around them
            bins = np.array([lo - 0.5, hi + 0.5])
        for label, s in (("reference", ref), ("current", cur)):
            ax.hist(s, bins=bins, density=True, alpha=0.55, color=COLORS[label],  # type: ignore[arg-type]
                    label=label)  # (matplotlib takes an edges array; its stubs say Sequence)
        ax.tick_params(labelsize=7)
    ax.set_yticks([])


def distributions_chart(result: DriftResult, path: Path) -> None:
    """Reference vs current for target, prediction and the most drifted features (≤ 6 panels)."""
    reference, current = result.data["reference"], result.data["current"]
    picks = [c for c in (result.target, result.prediction) if c]
    ranked = sorted(result.features.values(), key=lambda c: -ratio(c))
    picks += result.drifted_features or ranked
    picks = picks[:MAX_PANELS]
    cols = 2 if len(picks) > 1 else 1
    rows = -(-len(picks) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(WIDTH, 2.0 * rows + 0.6), squeeze=False)
    for ax, c in zip(axes.flat, picks, strict=False):
        _panel(ax, c.column, reference[c.column], current[c.column], c)
    for ax in axes.flat[len(picks):]:
        ax.axis("off")
    axes.flat[0].legend(fontsize=7, loc="upper right")
    fig.suptitle("Reference (training window) vs current window", fontsize=10)
    save(fig, path)
