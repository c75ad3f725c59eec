"""Params and metrics diffs as plain rows: what changed, and whether a metric moved the right way."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

# Which way is better, per metric; a metric not listed gets no better/worse marker.
LOWER_IS_BETTER = frozenset({"mae", "rmse", "mape", "mse", "loss"})
HIGHER_IS_BETTER = frozenset({"r2", "accuracy", "f1", "precision", "recall", "auc"})
ABSOLUTE_CHANGE = frozenset({"r2"})  # a share of a score that can be negative: the change, no percentage
MISSING = object()


def flatten(tree: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """{'train': {'n_est': 100}} → {'train.n_est': 100}; lists stay whole values."""
    flat: dict[str, Any] = {}
    for key, value in tree.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping) and value:
            flat.update(flatten(value, f"{name}."))
        else:
            flat[name] = value
    return flat


def params_diff(old: Mapping[str, Any] | None, new: Mapping[str, Any]) -> list[tuple[str, Any, Any]]:
    """(key, old, new) for every leaf that differs; MISSING marks an added or removed key."""
    before, after = flatten(old or {}), flatten(new)
    keys = sorted(set(before) | set(after))
    return [(k, before.get(k, MISSING), after.get(k, MISSING)) for k in keys
            if before.get(k, MISSING) != after.get(k, MISSING)]


def direction(metric: str) -> int:
    """-1 when lower is better, +1 when higher is better, 0 when unknown."""
    name = metric.rsplit(".", 1)[-1].lower()
    return -1 if name in LOWER_IS_BETTER else 1 if name in HIGHER_IS_BETTER else 0


@dataclass(frozen=True)
class MetricRow:
    name: str
    base: float | None
    new: float | None

    @property
    def delta(self) -> float | None:
        return None if self.base is None or self.new is None else self.new - self.base

    @property
    def delta_pct(self) -> float | None:
        d = self.delta
        if self.name.rsplit(".", 1)[-1].lower() in ABSOLUTE_CHANGE:
            return None
        return None if d is None or not self.base else 100.0 * d / abs(self.base)

    @property
    def verdict(self) -> str:
        """'better', 'worse', 'same' or '' (no base, or a metric of unknown direction)."""
        d, sign = self.delta, direction(self.name)
        if d is None or sign == 0:
            return ""
        if abs(d) < 1e-12:
            return "same"
        return "better" if d * sign > 0 else "worse"


def metrics_diff(old: Mapping[str, Any] | None, new: Mapping[str, Any]) -> list[MetricRow]:
    """One row per numeric metric of either side, in the PR's order, then base-only ones."""
    before = {k: v for k, v in flatten(old or {}).items() if _number(v)}
    after = {k: v for k, v in flatten(new).items() if _number(v)}
    names = [*after, *(k for k in before if k not in after)]
    return [MetricRow(k, _float(before.get(k)), _float(after.get(k))) for k in names]


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _float(value: Any) -> float | None:
    return None if value is None else float(value)
