"""The dashboard's figures (matplotlib, Agg): error over the weeks, drift heatmap, rows, shadow.

About 900 px wide, so a page of them reads on a laptop; every figure shares the week axis.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.colors import TwoSlopeNorm

from staleguard.dashboard.life import METRIC, Life, Week
from staleguard.model_plots import save

WIDTH = 9.0
RETRAIN, DEPLOY = "tab:orange", "tab:green"


def _x(when: datetime) -> float:
    """A date as matplotlib's float day number (what its typed API takes)."""
    return float(mdates.date2num(when))


def _xs(whens: list[datetime]) -> list[float]:
    return [_x(w) for w in whens]


def _dates(ax: Axes, weeks: list[Week]) -> None:
    span = (weeks[-1].end - weeks[0].start).days
    locator = mdates.MonthLocator(bymonth=(1, 4, 7, 10)) if span > 200 else mdates.AutoDateLocator()
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    ax.set_xlim(_x(weeks[0].start - timedelta(days=1)), _x(weeks[-1].end))
    ax.xaxis_date()
    ax.grid(alpha=0.3)


def _events(ax: Axes, life: Life) -> None:
    """Retrain decisions (orange marks along the top) and deploys (thin green lines)."""
    if life.retrains:
        ax.scatter(_xs(life.retrains), [0.985] * len(life.retrains), transform=ax.get_xaxis_transform(),
                   marker="v", s=30, color=RETRAIN, clip_on=False, zorder=4, label="retrain decided")
    for i, (when, _) in enumerate(life.deploys):
        ax.axvline(_x(when), color=DEPLOY, ls="-", lw=0.8, alpha=0.45,
                   label="new model serving" if i == 0 else None)


def _series(weeks: list[Week], attr: str) -> tuple[list[float], list[float]]:
    pts = [(w.start, getattr(w, attr)) for w in weeks if getattr(w, attr) is not None]
    return [_x(p[0]) for p in pts], [float(p[1]) for p in pts]


def error(life: Life, path: Path, target: str = "target") -> None:
    """Measured and estimated weekly error, the tolerance line and the baseline, with events."""
    weeks = life.weeks
    fig, ax = plt.subplots(figsize=(WIDTH, 3.8))
    when, value = _series(weeks, "measured")
    ax.plot(when, value, color="tab:blue", marker="o", ms=3, lw=1.4, label=f"measured {METRIC.upper()}")
    when, value = _series(weeks, "estimated")
    if when:
        ax.plot(when, value, color="tab:purple", ls="--", marker="x", ms=4, lw=1,
                label=f"estimated {METRIC.upper()} (label-free)")
    for attr, style, label in (("baseline", ":", "baseline (out-of-sample)"),
                               ("bar", "-", "tolerance (quality trigger)")):
        when, value = _series(weeks, attr)
        if when:
            ax.step([*when, _x(weeks[-1].end)], [*value, value[-1]], where="post", color="grey" if
                    attr == "baseline" else "tab:red", ls=style, lw=1.1, label=label)
    drifted = [(_x(w.start), w.measured) for w in weeks if w.decision == "drift" and w.measured is not None]
    if drifted:
        ax.scatter([d[0] for d in drifted], [d[1] for d in drifted], marker="v", s=36,
                   color="tab:red", zorder=3, label="week decided: drift")
    _events(ax, life)
    ax.set_ylabel(f"weekly {METRIC.upper()} ({target})")
    highest = max((v for line in ax.get_lines() for v in np.asarray(line.get_ydata(), float)
                   if np.isfinite(v)), default=1.0)
    ax.set_ylim(0, highest * 1.45)   # headroom: the legend sits above the lines, not on them
    ax.set_title("Weekly error of the serving model", fontsize=11, loc="left")
    ax.legend(loc="upper left", bbox_to_anchor=(0, 0.94), fontsize=7, ncol=2, framealpha=0.9)
    _dates(ax, weeks)
    save(fig, path)


def heatmap(life: Life, path: Path) -> None:
    """Drift score / threshold per column (rows) and week (columns): red is past the threshold."""
    weeks = life.weeks
    names = list(dict.fromkeys(n for w in weeks for n in w.scores if not n.startswith("[")))
    names += [n for n in ("[target]", "[prediction]") if any(n in w.scores for w in weeks)]
    grid = np.full((len(names), len(weeks)), np.nan)
    for j, w in enumerate(weeks):
        for i, name in enumerate(names):
            grid[i, j] = w.scores.get(name, np.nan)
    fig, ax = plt.subplots(figsize=(WIDTH, 0.26 * len(names) + 1.6))
    left, right = _x(weeks[0].start), _x(weeks[-1].end)
    image = ax.imshow(np.clip(grid, 0, 3), aspect="auto", cmap="RdYlGn_r", interpolation="nearest",
                      norm=TwoSlopeNorm(vmin=0, vcenter=1, vmax=3),
                      extent=(left, right, len(names) - 0.5, -0.5))
    ax.set_yticks(range(len(names)), [n.strip("[]") for n in names], fontsize=7)
    if "[target]" in names:
        ax.axhline(names.index("[target]") - 0.5, color="black", lw=1)
    _dates(ax, weeks)
    ax.grid(False)
    for when, _ in life.deploys:
        ax.axvline(_x(when), color="black", ls=":", lw=0.6, alpha=0.6)
    bar = fig.colorbar(image, ax=ax, pad=0.01, fraction=0.04)
    bar.set_label("score / threshold", fontsize=7)
    bar.ax.tick_params(labelsize=7)
    ax.set_title("Drift per column and week (≥ 1: past its threshold; blank: not checked)",
                 fontsize=11, loc="left")
    save(fig, path)


def rows(life: Life, path: Path) -> None:
    """Rows per week: labeled (actuals arrived) and not yet labeled."""
    weeks = life.weeks
    fig, ax = plt.subplots(figsize=(WIDTH, 2.2))
    when = [_x(w.start + (w.end - w.start) / 2) for w in weeks]
    width = [(w.end - w.start).days * 0.8 for w in weeks]
    labeled = [w.labeled for w in weeks]
    ax.bar(when, labeled, width=width, color="tab:blue", label="labeled")
    ax.bar(when, [w.rows - w.labeled for w in weeks], width=width, bottom=labeled,
           color="tab:gray", alpha=0.5, label="awaiting labels")
    ax.set_ylabel("rows")
    ax.set_title("Rows per week", fontsize=11, loc="left")
    ax.legend(loc="lower left", fontsize=7)
    _dates(ax, weeks)
    save(fig, path)


def shadow(life: Life, path: Path) -> bool:
    """Served vs shadow MAE on the rows both predicted; False (nothing drawn) without a shadow."""
    pairs = [(_x(w.start), w.shadow) for w in life.weeks if w.shadow]
    if not pairs:
        return False
    fig, ax = plt.subplots(figsize=(WIDTH, 2.8))
    for key, color in (("mae_served", "tab:blue"), ("mae_shadow", "tab:olive")):
        label = "served" if key == "mae_served" else f"shadow {pairs[-1][1]['shadow']}"
        ax.plot([p[0] for p in pairs], [float(p[1][key]) for p in pairs], marker="o", ms=3,
                color=color, label=label)
    ax.set_ylabel("MAE, same rows")
    ax.set_ylim(bottom=0)
    ax.set_title("Shadow vs served, on the rows both predicted", fontsize=11, loc="left")
    ax.legend(loc="upper left", fontsize=7)
    _dates(ax, life.weeks)
    save(fig, path)
    return True
