"""A fitted forest's trees as flat arrays, walked for all trees at once: the few-row fast path.

A request of a row or a few costs one `tree_.predict` call per tree in sklearn (~100 calls of
fixed overhead each); here every tree's nodes sit in one set of arrays, leaves point at themselves,
and `max_depth` vectorised steps move every (row, tree) pair down together. The comparisons are
sklearn's own (float32 input, float64 thresholds, NaN going where training sent it), so the
predictions are the same numbers (serve/loader.py's smoke test checks both paths agree).
"""

from __future__ import annotations

from typing import Any

import numpy as np

FLAT_ROWS = 64  # up to this many rows the flat walk is faster; beyond, sklearn's per-tree loop


class FlatForest:
    """The trees of one single-output forest (its `estimators_[i].tree_`), flattened."""

    def __init__(self, trees: list[Any]) -> None:
        left, right, feature, threshold, value, nan_left, roots = [], [], [], [], [], [], []
        offset = 0
        for tree in trees:
            n = tree.node_count
            leaf = tree.children_left < 0
            here = np.arange(n) + offset
            left.append(np.where(leaf, here, tree.children_left + offset))
            right.append(np.where(leaf, here, tree.children_right + offset))
            feature.append(np.where(leaf, 0, tree.feature))
            threshold.append(tree.threshold)
            value.append(tree.value[:, 0, 0])
            nan_left.append(np.asarray(tree.missing_go_to_left, dtype=bool))
            roots.append(offset)
            offset += n
        self.left, self.right = np.concatenate(left), np.concatenate(right)
        self.feature, self.threshold = np.concatenate(feature), np.concatenate(threshold)
        self.value, self.nan_left = np.concatenate(value), np.concatenate(nan_left)
        self.roots = np.array(roots)
        self.depth = max(int(tree.max_depth) for tree in trees)

    def predict(self, x: np.ndarray) -> np.ndarray:
        """Mean leaf value over the trees for each row of `x` (features in the trees' order)."""
        x64 = np.ascontiguousarray(x, dtype=np.float32).astype(np.float64)  # sklearn compares float32
        node = np.repeat(self.roots[None, :], len(x64), axis=0)
        rows = np.arange(len(x64))[:, None]
        for _ in range(self.depth):
            v = x64[rows, self.feature[node]]
            go_left = (v <= self.threshold[node]) | (np.isnan(v) & self.nan_left[node])
            node = np.where(go_left, self.left[node], self.right[node])
        out: np.ndarray = self.value[node].mean(axis=1)
        return out
