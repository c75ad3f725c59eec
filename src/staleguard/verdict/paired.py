"""The paired comparison of two models on the same rows: day-block bootstrap CI and a verdict.

Pure numpy, no I/O. Both models' errors are paired per row, summed per calendar day (hours of
one day share weather and demand, so days, not hours, are the independent units), and whole days
are resampled with replacement. Each resample recomputes the metric's relative change
challenger vs champion directly as a ratio of sums, so the interval is for the ratio itself,
not two intervals divided. Seeded: the same rows and settings always give the same verdict.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, Protocol

import numpy as np
import pandas as pd

VerdictName = Literal["better", "worse", "no clear difference", "not enough data",
                      "not compared"]   # not compared: the PR gate's backtest cannot see the change
HIGHER_IS_BETTER = frozenset({"r2"})
EPS = np.finfo(np.float64).eps


class Settings(Protocol):
    """What the verdict reads from params `report:` (staleguard.params.ReportParams)."""

    @property
    def metric(self) -> str: ...
    @property
    def confidence(self) -> float: ...
    @property
    def margin(self) -> float: ...
    @property
    def tolerance(self) -> float: ...
    @property
    def min_rows(self) -> int: ...
    @property
    def min_days(self) -> int: ...
    @property
    def n_boot(self) -> int: ...
    @property
    def seed(self) -> int: ...


@dataclass(frozen=True)
class Verdict:
    """The outcome of one paired comparison; `delta` < 0 means a lower value of the metric."""

    metric: str
    verdict: VerdictName
    delta: float | None            # relative change of the metric, challenger vs champion
    ci: tuple[float, float] | None
    confidence: float
    rows: int
    days: int
    folds: int
    method: str
    champion: float | None = None  # the metric of each model over all paired rows
    challenger: float | None = None
    margin: float = 0.0
    tolerance: float = 0.0
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        """The machine-readable block of gate.json and monitor.json."""
        return {"metric": self.metric, "verdict": self.verdict, "delta": _round(self.delta),
                "ci": None if self.ci is None else [_round(self.ci[0]), _round(self.ci[1])],
                "confidence": self.confidence, "rows": self.rows, "days": self.days,
                "folds": self.folds, "method": self.method, "champion": _round(self.champion),
                "challenger": _round(self.challenger), "margin": self.margin,
                "tolerance": self.tolerance, "note": self.note}


def _round(value: float | None) -> float | None:
    return None if value is None else round(float(value), 6)


def paired_verdict(actual: Any, champion: Any, challenger: Any, timestamps: Any,
                   settings: Settings, folds: int = 1) -> Verdict:
    """Compare `challenger` with `champion`, two models' predictions of `actual` on the same rows.

    Three outcomes from the CI alone (a TOST-like rule with an equivalence margin): `better`
    when the whole CI is better than `-margin`, `worse` when it is wholly worse than
    `tolerance`, else `no clear difference`. Too few rows or days: `not enough data`.
    """
    y, a, b = (np.asarray(v, dtype=np.float64).ravel() for v in (actual, champion, challenger))
    if not len(y) == len(a) == len(b) == len(timestamps):
        raise ValueError(f"paired_verdict: actual, champion, challenger and timestamps must have "
                         f"one value per row; got {len(y)}, {len(a)}, {len(b)}, {len(timestamps)}")
    ok = np.isfinite(y) & np.isfinite(a) & np.isfinite(b)
    days = pd.to_datetime(np.asarray(timestamps)[ok]).values.astype("datetime64[D]")
    y, a, b = y[ok], a[ok], b[ok]
    _, day_of_row = np.unique(days, return_inverse=True)
    n_days = int(day_of_row.max()) + 1 if len(y) else 0
    metric, stat = settings.metric, STATS[settings.metric]

    def verdict(name: VerdictName, delta: float | None = None,
                ci: tuple[float, float] | None = None, values: tuple[float | None, ...] = (None, None),
                note: str = "") -> Verdict:
        return Verdict(metric=metric, verdict=name, delta=delta, ci=ci,
                       confidence=settings.confidence, rows=len(y), days=n_days, folds=folds,
                       method=f"paired day-block bootstrap of the {metric} ratio, "
                              f"{settings.n_boot} resamples, seed {settings.seed}",
                       champion=values[0], challenger=values[1], margin=settings.margin,
                       tolerance=settings.tolerance, note=note)

    if len(y) < settings.min_rows or n_days < settings.min_days:
        return verdict("not enough data",
                       note=f"{len(y)} rows over {n_days} days; a verdict needs at least "
                            f"{settings.min_rows} rows (report.min_rows) over "
                            f"{settings.min_days} days (report.min_days)")
    sums = day_sums(y, a, b, day_of_row, n_days, metric)
    whole = sums.sum(axis=0)
    delta = float(stat(whole[None, :])[0])
    lo, hi = bootstrap_ci(sums, stat, settings)
    name = rule(lo, hi, metric, settings.margin, settings.tolerance)
    return verdict(name, delta, (lo, hi), METRIC_OF[metric](whole),
                   explain(name, lo, hi, metric, settings))


def bootstrap_ci(sums: np.ndarray, stat: Callable[[np.ndarray], np.ndarray],
                 settings: Settings) -> tuple[float, float]:
    """Percentile CI of `stat` over `n_boot` resamples of whole days (rows of `sums`), seeded."""
    n_days = len(sums)
    picks = np.random.default_rng(settings.seed).integers(0, n_days, size=(settings.n_boot, n_days))
    boot = stat(sums[picks].sum(axis=1))
    boot = boot[np.isfinite(boot)]
    alpha = 1.0 - settings.confidence
    lo, hi = np.quantile(boot, [alpha / 2, 1 - alpha / 2])
    return float(lo), float(hi)


def day_sums(y: np.ndarray, a: np.ndarray, b: np.ndarray, day: np.ndarray, n_days: int,
             metric: str) -> np.ndarray:
    """Per day: [loss champion, loss challenger, rows, Σy, Σy²] (the last two for r2's SST)."""
    ea, eb = y - a, y - b
    if metric == "mae":
        la, lb = np.abs(ea), np.abs(eb)
    elif metric == "mape":
        scale = np.maximum(np.abs(y), EPS)
        la, lb = np.abs(ea) / scale, np.abs(eb) / scale
    else:  # rmse, r2: squared errors
        la, lb = ea * ea, eb * eb
    cols = (la, lb, np.ones_like(y), y, y * y)
    return np.stack([np.bincount(day, weights=c, minlength=n_days) for c in cols], axis=1)


def _ratio(t: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return t[:, 1] / t[:, 0] - 1.0


def _rmse_ratio(t: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.sqrt(t[:, 1] / t[:, 0]) - 1.0


def _r2s(t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    with np.errstate(divide="ignore", invalid="ignore"):
        sst = t[:, 4] - t[:, 3] ** 2 / t[:, 2]
        return 1.0 - t[:, 0] / sst, 1.0 - t[:, 1] / sst


def _r2_change(t: np.ndarray) -> np.ndarray:
    r2a, r2b = _r2s(t)
    with np.errstate(divide="ignore", invalid="ignore"):
        return (r2b - r2a) / np.abs(r2a)


STATS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "mae": _ratio, "mape": _ratio, "rmse": _rmse_ratio, "r2": _r2_change}
def _mean(t: np.ndarray) -> tuple[float | None, ...]:
    return float(t[0] / t[2]), float(t[1] / t[2])


def _root_mean(t: np.ndarray) -> tuple[float | None, ...]:
    return float(np.sqrt(t[0] / t[2])), float(np.sqrt(t[1] / t[2]))


def _r2_values(t: np.ndarray) -> tuple[float | None, ...]:
    return tuple(float(v[0]) for v in _r2s(t[None, :]))


METRIC_OF: dict[str, Callable[[np.ndarray], tuple[float | None, ...]]] = {
    "mae": _mean, "mape": _mean, "rmse": _root_mean, "r2": _r2_values}


def rule(lo: float, hi: float, metric: str, margin: float, tolerance: float) -> VerdictName:
    """better: whole CI better than the margin; worse: whole CI worse than the tolerance."""
    if metric in HIGHER_IS_BETTER:
        lo, hi = -hi, -lo  # orient as a loss: positive = worse
    if hi < -margin:
        return "better"
    if lo > tolerance:
        return "worse"
    return "no clear difference"


def explain(name: VerdictName, lo: float, hi: float, metric: str, settings: Settings) -> str:
    """One sentence on why the CI led to this verdict; it follows the interval: wholly past a
    bound, inside the margin, across zero, or on one side of zero but not past the bound."""
    conf = f"{settings.confidence:.0%}"
    ci = f"[{lo:+.1%}, {hi:+.1%}]"
    margin, tolerance = f"{settings.margin:.1%}", f"{settings.tolerance:.1%}"
    if name == "better":
        return f"the whole {conf} CI {ci} is below -{margin} (report.margin)"
    if name == "worse":
        return f"the whole {conf} CI {ci} is above +{tolerance} (report.tolerance)"
    sign = -1 if metric in HIGHER_IS_BETTER else 1
    worse_lo, worse_hi = sorted((sign * lo, sign * hi))   # as a loss: positive = worse
    if -settings.margin <= worse_lo and worse_hi <= settings.tolerance:
        return (f"the {conf} CI {ci} lies inside the margin (-{margin} to +{tolerance}, "
                "report.margin and report.tolerance): any difference is too small to matter")
    if worse_lo < 0 < worse_hi:
        return f"the {conf} CI {ci} crosses zero: the data cannot tell the two apart yet"
    if worse_hi <= 0:
        return (f"the {conf} CI {ci} excludes zero on the better side but reaches inside the "
                f"{margin} margin (report.margin): probably better, perhaps by less than the "
                "margin")
    return (f"the {conf} CI {ci} excludes zero on the worse side but reaches inside the "
            f"{tolerance} tolerance (report.tolerance): probably worse, perhaps by less than "
            "the tolerance")


def passes(verdict: Verdict, undecided: str = "pass") -> bool:
    """The gate: `worse` fails; `no clear difference` / `not enough data` follow `undecided`."""
    if verdict.verdict == "worse":
        return False
    if verdict.verdict == "better":
        return True
    return undecided == "pass"
