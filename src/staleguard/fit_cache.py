"""Fitted models kept for reuse, bounded in bytes: memory that does not grow with the windows.

A forest fully grown on 40,000 rows is ~370 MB; a cache counted in models (or not bounded at all)
is what ran the monitor's evidence out of memory at production size (issue 34). This one counts
the bytes of every model's arrays (`model_bytes`), evicts the least recently used past its budget
(`compute.fit_cache_mb`), and never keeps a model larger than the whole budget: such fits are
scored and dropped, and the peak stays one model plus the budget.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable
from typing import Any

import numpy as np

MB = 1024 * 1024


def model_bytes(model: Any) -> int:
    """The bytes a fitted model holds in arrays (tree nodes and values, coefficients, encoders'
    categories), found by walking its attributes; Python object overhead is left out (small)."""
    seen: set[int] = set()

    def walk(obj: Any, depth: int) -> int:
        if depth > 12 or id(obj) in seen:
            return 0
        seen.add(id(obj))
        if isinstance(obj, np.ndarray):
            return int(obj.nbytes) + (sum(walk(x, depth + 1) for x in obj.flat)
                                      if obj.dtype == object else 0)
        if isinstance(obj, (list, tuple)):
            return sum(walk(x, depth + 1) for x in obj)
        if isinstance(obj, dict):
            return sum(walk(x, depth + 1) for x in obj.values())
        if type(obj).__name__ == "Tree" and hasattr(obj, "__getstate__"):  # sklearn's Cython tree
            state = obj.__getstate__()
            return int(state["nodes"].nbytes) + int(state["values"].nbytes)
        if type(obj).__module__.startswith("sklearn."):
            return sum(walk(x, depth + 1) for x in vars(obj).values()) if hasattr(obj, "__dict__") else 0
        return 0

    return walk(model, 0)


class FitCache:
    """Least-recently-used models under a byte budget; `fits` counts the fits made through it."""

    def __init__(self, budget_mb: float = 1024) -> None:
        self.budget = int(budget_mb * MB)
        self.items: OrderedDict[Hashable, tuple[Any, int]] = OrderedDict()
        self.held = 0   # bytes held now
        self.fits = 0

    def resize(self, budget_mb: float) -> None:
        self.budget = int(budget_mb * MB)
        self._evict()

    def get(self, key: Hashable) -> Any | None:
        if key not in self.items:
            return None
        self.items.move_to_end(key)
        return self.items[key][0]

    def put(self, key: Hashable, model: Any) -> None:
        """Keep `model` unless it alone exceeds the budget; evict the oldest past the budget."""
        size = model_bytes(model)
        if key in self.items:
            self.held -= self.items.pop(key)[1]
        if size > self.budget:
            return
        self.items[key] = (model, size)
        self.held += size
        self._evict()

    def clear(self) -> None:
        self.items.clear()
        self.held = 0

    def _evict(self) -> None:
        while self.items and self.held > self.budget:
            self.held -= self.items.popitem(last=False)[1][1]
