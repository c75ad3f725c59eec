"""Mergeable window summaries: one pass over any slice of rows, added together afterwards.

A `Layout` is frozen from the reference (the training window) and tracked with the model: per
numerical column ~2000 bin edges (the union of 1001 equal-width edges over the reference range
and 1001 reference quantiles), and whether the column keeps exact value counts (categoricals,
and numerical columns with at most MAX_REF_VALUES distinct reference values: the example data's).

`summarise(rows, layout)` reads a pandas frame or an Arrow batch/table and returns a `Summary`;
`merge(a, b)` adds two summaries of the same layout (partitions, days, weeks). Per column it
keeps n, mean, M2 (Chan's merge), min, max, n_null, and either exact `value → count` or counts
on the frozen bins with exact tails (`below_n`, `below_sum = Σ(lo − x)`, `above_n`,
`above_sum = Σ(x − hi)`). A window whose values overflow MAX_VALUES falls back to the bins,
which the value counts convert to exactly. With target and prediction present it also keeps
the sums that give MAE, RMSE, R² and MAPE. docs/scale.md documents the JSON (io.py).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import reduce
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from staleguard.contract.codes import is_text, text_codes
from staleguard.errors import DataError

N_EQUAL = 1001          # equal-width edges over [ref_min, ref_max]
N_QUANTILES = 1001      # reference quantile edges
MAX_REF_VALUES = 1000   # a numerical column keeps exact value counts up to this many reference values
MAX_VALUES = 10_000     # ...and a window up to this many (more: counts on the frozen bins)
TIMESTAMP = "timestamp"
PREDICTION = "prediction"


@dataclass(frozen=True)
class ColumnLayout:
    """How a column is summarised: its type, the frozen edges (numerical), exact counts or not."""

    kind: str                      # "numerical" | "categorical"
    exact: bool                    # keep value → count (else bins only)
    edges: np.ndarray | None       # sorted, len ≥ 2 (equal neighbours = a point mass); None: categorical


@dataclass(frozen=True)
class Layout:
    columns: dict[str, ColumnLayout]
    target: str | None = None      # with PREDICTION present, quality sums are kept

    @property
    def id(self) -> str:
        """Fingerprint of the edges and modes: summaries merge and compare only within one layout."""
        h = hashlib.sha256()
        for name in sorted(self.columns):
            c = self.columns[name]
            h.update(f"{name}|{c.kind}|{c.exact}|".encode())
            if c.edges is not None:
                h.update(np.ascontiguousarray(c.edges, dtype="<f8").tobytes())
        h.update(f"target={self.target}".encode())
        return h.hexdigest()[:16]


@dataclass(frozen=True)
class Bins:
    """Counts on the frozen bins [e_k, e_k+1) (last closed) and the exact tails outside them."""

    counts: np.ndarray             # int64, len(edges) - 1
    below_n: int = 0
    below_sum: float = 0.0         # Σ (edges[0] − x) over x < edges[0]
    above_n: int = 0
    above_sum: float = 0.0         # Σ (x − edges[-1]) over x > edges[-1]

    def __add__(self, other: Bins) -> Bins:
        return Bins(self.counts + other.counts, self.below_n + other.below_n,
                    self.below_sum + other.below_sum, self.above_n + other.above_n,
                    self.above_sum + other.above_sum)


@dataclass(frozen=True)
class Column:
    """One column of one window. Exactly one of (values, freq) and bins is set."""

    n: int                         # finite values
    mean: float
    m2: float                      # Σ (x − mean)²
    min: float
    max: float
    n_null: int                    # NaN/±inf (dropped, as Evidently drops them)
    values: np.ndarray | None = None   # sorted distinct values
    freq: np.ndarray | None = None     # their counts (int64)
    bins: Bins | None = None

    @property
    def exact(self) -> bool:
        return self.values is not None

    def std(self) -> float:
        """Population std (ddof=0), as Evidently's normalisation uses."""
        return float(np.sqrt(self.m2 / self.n)) if self.n else 0.0

    def to_bins(self, edges: np.ndarray) -> Bins:
        if self.bins is not None:
            return self.bins
        assert self.values is not None and self.freq is not None
        return _bins(self.values, edges, self.freq)


@dataclass(frozen=True)
class QualitySums:
    """Additive error sums of prediction vs target over labeled rows."""

    n: int = 0
    abs_err: float = 0.0
    sq_err: float = 0.0
    sum_y: float = 0.0
    sum_y2: float = 0.0
    ape: float = 0.0               # Σ |y − p| / max(|y|, eps), as scikit-learn's MAPE
    nonpositive: int = 0           # actuals <= 0: MAPE is then not reported

    def __add__(self, other: QualitySums) -> QualitySums:
        return QualitySums(*(getattr(self, f) + getattr(other, f) for f in QualitySums.__dataclass_fields__))

    def metrics(self) -> dict[str, float] | None:
        """mae, rmse, r2, mape rounded like the evaluate stage (None under 2 labeled rows)."""
        if self.n < 2:
            return None
        sst = self.sum_y2 - self.sum_y ** 2 / self.n
        r2 = 1 - self.sq_err / sst if sst > 0 else (1.0 if self.sq_err == 0 else 0.0)
        return {"mae": round(self.abs_err / self.n, 4),
                "rmse": round(float(np.sqrt(self.sq_err / self.n)), 4),
                "r2": round(float(r2), 4),
                **({} if self.nonpositive else {"mape": round(self.ape / self.n, 4)})}


@dataclass(frozen=True)
class Summary:
    layout: Layout
    columns: dict[str, Column]
    rows: int
    first: pd.Timestamp | None = None   # min/max timestamp seen
    last: pd.Timestamp | None = None
    quality: QualitySums | None = None
    meta: dict[str, Any] = field(default_factory=dict)   # free-form (e.g. the reference quality)


# ---------------------------------------------------------------------------- the reference layout

def _edges(v: np.ndarray) -> np.ndarray:
    lo, hi = float(v.min()), float(v.max())
    if lo == hi:
        return np.array([lo, hi])
    grid = np.concatenate([np.linspace(lo, hi, N_EQUAL), np.quantile(v, np.linspace(0, 1, N_QUANTILES))])
    edges = np.unique(grid)
    edges[0], edges[-1] = lo, hi   # quantile round-off never moves the outer edges
    return edges


def freeze(reference: pd.DataFrame, kinds: Mapping[str, str], target: str | None = None) -> Layout:
    """The layout of `reference`'s columns (`kinds`: column → numerical|categorical)."""
    out = {}
    for name, kind in kinds.items():
        if name not in reference:
            raise DataError(f"reference: column {name!r} missing; cannot freeze its summary layout")
        v = _floats(reference[name])
        v = v[np.isfinite(v)]
        if v.size == 0:
            raise DataError(f"reference: column {name!r} has no finite values")
        if kind == "categorical":
            out[name] = ColumnLayout(kind, True, None)
        else:
            exact = len(np.unique(v)) <= MAX_REF_VALUES
            out[name] = ColumnLayout(kind, exact, _edges(v))
    return Layout(out, target)


# ---------------------------------------------------------------------------- one pass over rows

def _floats(x: Any) -> np.ndarray:
    """A column as float64 with NaN for nulls, from pandas or Arrow (text: contract/codes.py)."""
    if is_text(x):
        return text_codes(x)
    if isinstance(x, pa.ChunkedArray | pa.Array):
        return pc.cast(x, pa.float64()).to_numpy(zero_copy_only=False)
    return pd.to_numeric(x, errors="coerce").to_numpy(dtype=float, na_value=np.nan)


def _bins(v: np.ndarray, edges: np.ndarray, w: np.ndarray | None = None) -> Bins:
    lo, hi = edges[0], edges[-1]
    below, above = v < lo, v > hi
    inside = ~(below | above)
    k = np.searchsorted(edges, v[inside], side="right") - 1
    np.minimum(k, len(edges) - 2, out=k)
    if w is None:
        counts = np.bincount(k, minlength=len(edges) - 1).astype(np.int64)
        return Bins(counts, int(below.sum()), float((lo - v[below]).sum()), int(above.sum()),
                    float((v[above] - hi).sum()))
    counts = np.rint(np.bincount(k, weights=w[inside], minlength=len(edges) - 1)).astype(np.int64)
    return Bins(counts, int(w[below].sum()), float(np.dot(lo - v[below], w[below])), int(w[above].sum()),
                float(np.dot(v[above] - hi, w[above])))


def _value_counts(v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    vc = pd.Series(v, copy=False).value_counts(sort=False)
    values = vc.index.to_numpy(dtype=float)
    order = np.argsort(values)
    return values[order], vc.to_numpy(dtype=np.int64)[order]


def summarise_column(x: np.ndarray, spec: ColumnLayout) -> Column:
    finite = np.isfinite(x)
    v = x if finite.all() else x[finite]
    n = int(v.size)
    if n == 0:
        empty = Column(0, 0.0, 0.0, float("inf"), float("-inf"), int(x.size))
        if spec.exact:
            return replace(empty, values=np.empty(0), freq=np.empty(0, dtype=np.int64))
        assert spec.edges is not None
        return replace(empty, bins=Bins(np.zeros(len(spec.edges) - 1, dtype=np.int64)))
    mean = float(v.mean())
    col = Column(n, mean, float(np.square(v - mean).sum()), float(v.min()), float(v.max()), int(x.size - n))
    if spec.exact:
        values, freq = _value_counts(v)
        if spec.kind == "categorical" or len(values) <= MAX_VALUES:
            return replace(col, values=values, freq=freq)
    assert spec.edges is not None
    return replace(col, bins=_bins(v, spec.edges))


def _quality(y: np.ndarray, p: np.ndarray) -> QualitySums:
    ok = np.isfinite(y) & np.isfinite(p)
    y, p = y[ok], p[ok]
    err = np.abs(y - p)
    ape = float((err / np.maximum(np.abs(y), np.finfo(float).eps)).sum())
    return QualitySums(int(y.size), float(err.sum()), float(np.square(err).sum()), float(y.sum()),
                       float(np.square(y).sum()), ape, int((y <= 0).sum()))


def _timestamps(rows: Any) -> tuple[pd.Timestamp | None, pd.Timestamp | None]:
    if TIMESTAMP not in _names(rows):
        return None, None
    ts = rows[TIMESTAMP]
    if isinstance(ts, pa.ChunkedArray | pa.Array):
        lo, hi = pc.min_max(ts).values()
        lo, hi = lo.as_py(), hi.as_py()
    else:
        lo, hi = ts.min(), ts.max()
    if lo is None or pd.isna(lo):
        return None, None
    return pd.Timestamp(lo), pd.Timestamp(hi)


def _names(rows: Any) -> list[str]:
    return list(rows.schema.names) if isinstance(rows, pa.RecordBatch | pa.Table) else list(rows.columns)


def summarise(rows: pd.DataFrame | pa.RecordBatch | pa.Table, layout: Layout, model: Any = None,
              features: list[str] | None = None) -> Summary:
    """Summary of `rows` on `layout`: every layout column present (a missing target is skipped).

    `model` (with `features`, its input columns) predicts the `prediction` column when the rows
    do not carry one: the adapters call this per partition, so predictions scale out with it.
    """
    names = set(_names(rows))
    arrays = {c: _floats(rows[c]) for c in layout.columns if c in names and c != PREDICTION}
    if PREDICTION in layout.columns:
        if PREDICTION in names:
            arrays[PREDICTION] = _floats(rows[PREDICTION])
        elif model is not None and features:
            frame = rows.to_pandas() if isinstance(rows, pa.RecordBatch | pa.Table) else rows
            arrays[PREDICTION] = np.asarray(model.predict(frame[features]), dtype=float) if len(frame) \
                else np.empty(0)
    missing = [c for c in layout.columns if c not in arrays and c not in (layout.target, PREDICTION)]
    if missing:
        raise DataError(f"rows lack column(s) {missing} of the summary layout")
    cols = {c: summarise_column(x, layout.columns[c]) for c, x in arrays.items()}
    quality = None
    if layout.target in arrays and PREDICTION in arrays:
        quality = _quality(arrays[layout.target], arrays[PREDICTION])
    first, last = _timestamps(rows)
    n_rows = rows.num_rows if isinstance(rows, pa.RecordBatch | pa.Table) else len(rows)
    return Summary(layout, cols, n_rows, first, last, quality)


# ---------------------------------------------------------------------------- merge

def _merge_values(a: Column, b: Column) -> tuple[np.ndarray, np.ndarray]:
    assert a.values is not None and b.values is not None and a.freq is not None and b.freq is not None
    values, inverse = np.unique(np.concatenate([a.values, b.values]), return_inverse=True)
    return values, np.bincount(inverse, weights=np.concatenate([a.freq, b.freq]),
                               minlength=len(values)).astype(np.int64)


def merge_columns(a: Column, b: Column, spec: ColumnLayout) -> Column:
    """Chan's parallel moments; value counts added (bins when they overflow); bins added."""
    if a.n == 0 and a.n_null == 0:
        return b
    if b.n == 0 and b.n_null == 0:
        return a
    n = a.n + b.n
    delta = b.mean - a.mean
    mean = a.mean + delta * b.n / n if n else 0.0
    m2 = a.m2 + b.m2 + (delta ** 2 * a.n * b.n / n if n else 0.0)
    col = Column(n, mean, m2, min(a.min, b.min), max(a.max, b.max), a.n_null + b.n_null)
    if a.exact and b.exact:
        values, freq = _merge_values(a, b)
        if spec.kind == "categorical" or len(values) <= MAX_VALUES:
            return replace(col, values=values, freq=freq)
        assert spec.edges is not None
        return replace(col, bins=_bins(values, spec.edges, freq.astype(float)))
    assert spec.edges is not None
    return replace(col, bins=a.to_bins(spec.edges) + b.to_bins(spec.edges))


def _opt(f: Any, a: Any, b: Any) -> Any:
    return b if a is None else a if b is None else f(a, b)


def merge(a: Summary | None, b: Summary) -> Summary:
    """a + b (same layout): the summary of both slices of rows. `merge(None, b)` is b."""
    if a is None:
        return b
    if a.layout.id != b.layout.id:
        raise DataError(f"cannot merge summaries of different layouts ({a.layout.id} vs {b.layout.id}); "
                        "summarise both windows against the same reference summary")
    cols = {}
    for name in {**a.columns, **b.columns}:
        ca, cb = a.columns.get(name), b.columns.get(name)
        cols[name] = _opt(lambda x, y, s=a.layout.columns[name]: merge_columns(x, y, s), ca, cb)
    return Summary(a.layout, cols, a.rows + b.rows, _opt(min, a.first, b.first), _opt(max, a.last, b.last),
                   _opt(lambda x, y: x + y, a.quality, b.quality), {**a.meta, **b.meta})


def merge_all(parts: list[Summary]) -> Summary:
    if not parts:
        raise DataError("no summaries to merge (the window holds no rows)")
    return reduce(merge, parts)
