"""Matplotlib figures for the model: predicted vs actual, residuals over time, importance.

Sized for a GitHub comment (about 640 px wide) and drawn with the Agg backend: no display needed.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.figure import Figure

from staleguard.io import write_with

SIZE = (6.4, 4.0)
DPI = 100


def save(fig: Figure, path: Path) -> None:
    fig.tight_layout()
    write_with(path, lambda tmp: fig.savefig(tmp, format="png", dpi=DPI))
    plt.close(fig)


def predicted_vs_actual(pred: pd.DataFrame, path: Path, title: str = "", target: str = "target") -> None:
    fig, ax = plt.subplots(figsize=SIZE)
    ax.scatter(pred["actual"], pred["predicted"], s=10, alpha=0.6, color="tab:blue")
    top = float(max(pred["actual"].max(), pred["predicted"].max(), 1))
    ax.plot([0, top], [0, top], color="grey", lw=1, ls="--", label="perfect")
    ax.set(xlabel=f"actual {target}", ylabel=f"predicted {target}", title=title or "Predicted vs actual")
    ax.legend(loc="upper left")
    save(fig, path)


def residuals_over_time(pred: pd.DataFrame, path: Path, title: str = "") -> None:
    fig, ax = plt.subplots(figsize=SIZE)
    ts = pd.to_datetime(pred["timestamp"])
    ax.bar(ts, pred["residual"], width=1 / 24, color=(pred["residual"] > 0).map(
        {True: "tab:red", False: "tab:blue"}))
    ax.axhline(0, color="black", lw=0.8)
    ax.set(xlabel="time", ylabel="actual − predicted", title=title or "Residuals over time")
    fig.autofmt_xdate()
    save(fig, path)


def importance(imp: pd.DataFrame, path: Path, title: str = "") -> None:
    imp = imp.sort_values("importance")
    fig, ax = plt.subplots(figsize=(SIZE[0], 0.3 * len(imp) + 1.2))
    ax.barh(imp["feature"], imp["importance"], color="tab:green")
    ax.set(xlabel="importance", title=title or "Feature importance")
    save(fig, path)
