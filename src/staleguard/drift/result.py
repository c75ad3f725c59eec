"""The plain, typed results of a drift check: what the decision, the JSON and the plots read."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class ColumnDrift:
    """One column's distance between reference and current, and whether it crossed both bars:
    the params threshold (an effect worth acting on) and the noise at this window size
    (drift/noise.py: what same-distribution windows of `rows` rows reach by chance)."""

    column: str
    kind: str           # "numerical" | "categorical"
    method: str         # wasserstein | jensenshannon | psi
    score: float
    threshold: float
    noise: float | None = None   # the score same-distribution windows of `rows` reach by chance
    rows: int | None = None      # the current window's values the score was computed on

    @property
    def beyond_noise(self) -> bool:
        """Beyond what chance gives at this window size (true when not calibrated)."""
        # a tie with a score the null reached (discrete columns) is not beyond it: rounding apart
        return self.noise is None or self.score > self.noise * (1 + 1e-9) + 1e-12

    @property
    def drifted(self) -> bool:
        """At or above the effect-size threshold, and beyond noise at this window size."""
        return self.score >= self.threshold and self.beyond_noise

    def to_dict(self) -> dict[str, Any]:
        noise = None if self.noise is None else round(self.noise, 6)
        return {"method": self.method, "score": round(self.score, 6), "threshold": self.threshold,
                "noise": noise, "rows": self.rows, "beyond_noise": self.beyond_noise,
                "drifted": self.drifted}


@dataclass(frozen=True)
class Quality:
    """Regression metrics of the model on the reference (out of sample) and on the current window."""

    metric: str                          # the one the decision compares: mae | rmse
    reference: dict[str, float] | None
    current: dict[str, float] | None
    reference_source: str = ""

    @property
    def change(self) -> float | None:
        """Relative change of `metric`, current vs reference (+0.84 = 84 % worse)."""
        if not self.reference or not self.current or not self.reference[self.metric]:
            return None
        return self.current[self.metric] / self.reference[self.metric] - 1


@dataclass(frozen=True)
class Estimate:
    """The label-free MAE estimate of a window (drift/estimate.py), beside the measured MAE when
    its labels have arrived."""

    metric: str                          # always "mae": the estimator predicts absolute errors
    estimated: float
    reference: float | None              # the reference's out-of-sample MAE (the quality baseline)
    actual: float | None = None          # the measured MAE of the window's labeled rows
    rows: int = 0
    # reliability (drift/reliability.py): support, domain classifier, recent error, recalibration
    raw: float | None = None             # the estimate before recalibration (None: not recalibrated)
    ratio: float | None = None           # measured/estimated of the latest labeled windows
    outside: float | None = None         # share of rows outside the reference's range on a feature
    outside_columns: dict[str, float] | None = None   # that share per column (largest first)
    auc: float | None = None             # domain classifier AUC, reference vs window
    recent_error: float | None = None    # the recalibrated estimate's error on the latest labeled windows
    unreliable: str | None = None        # why the estimate cannot be trusted (None: it can)

    @property
    def reliable(self) -> bool:
        return self.unreliable is None

    @property
    def change(self) -> float | None:
        """Relative change of the estimate vs the reference (+0.84 = 84 % worse)."""
        return self.estimated / self.reference - 1 if self.reference else None

    @property
    def error(self) -> float | None:
        """(estimated - actual) / actual, once the labels arrived."""
        return self.estimated / self.actual - 1 if self.actual else None

    def to_dict(self, tolerance: float) -> dict[str, Any]:
        return {"metric": self.metric, "estimated": self.estimated, "reference": self.reference,
                "change": None if self.change is None else round(self.change, 6),
                "tolerance": tolerance, "actual": self.actual,
                "error": None if self.error is None else round(self.error, 6), "rows": self.rows,
                "reliable": self.reliable, "unreliable": self.unreliable, "raw": self.raw,
                "ratio": self.ratio, "outside": self.outside, "outside_columns": self.outside_columns,
                "auc": self.auc, "recent_error": self.recent_error,
                "method": "direct loss estimation: |error| predicted from features and prediction, "
                          "learned on the reference's out-of-fold residuals"}


@dataclass(frozen=True)
class DriftResult:
    features: dict[str, ColumnDrift]
    share: float                         # drifted features / features
    target: ColumnDrift | None           # None when the current window has no actuals
    prediction: ColumnDrift | None       # None without a model or a prediction column
    quality: Quality | None              # None without a model/predictions or actuals
    rows: dict[str, int]                 # {"reference": n, "current": n}
    windows: dict[str, dict[str, str]]   # {"reference": {"start", "end"}, "current": {...}}
    engine: str = "exact"
    sampled: dict[str, int] = field(default_factory=dict)  # what was computed on a seeded sample
    estimate: Estimate | None = None     # label-free MAE estimate, when an estimator was given
    reference: dict[str, Any] = field(default_factory=dict)  # the reference policy and what it chose
    # the compared columns (features, target, prediction) for the plots; not part of drift.json
    data: dict[str, dict[str, Any]] = field(default_factory=dict, repr=False, compare=False)

    @property
    def drifted_features(self) -> list[ColumnDrift]:
        """Drifted features, largest score/threshold first."""
        hits = [c for c in self.features.values() if c.drifted]
        return sorted(hits, key=lambda c: c.score / c.threshold, reverse=True)


@dataclass(frozen=True)
class Decision:
    drift: bool
    reasons: list[str]                    # why drift is true, in words (empty when false)
    notes: list[str] = field(default_factory=list)  # findings that did not trigger
