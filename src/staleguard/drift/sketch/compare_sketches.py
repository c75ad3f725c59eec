"""Summaries → DriftResult: the drift check of drift/compare_rows.py, read from counts instead of rows.

The methods and thresholds are drift/specs.py's `column_specs` (params.yaml drift:), the result
type is the same, so `drift.decide` and the writers run on it unchanged. The reference summary
(artifacts/reference.json, written by `train`) also carries the reference's out-of-sample
quality, so a window is decided from two small JSON documents.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from staleguard.drift import noise
from staleguard.drift import quality as q
from staleguard.drift.count_scores import Counts
from staleguard.drift.result import ColumnDrift, DriftResult, Quality
from staleguard.drift.sketch import binned_scores
from staleguard.drift.sketch.sketch_plots import Dist
from staleguard.drift.sketch.window_summary import (
    PREDICTION,
    Column,
    ColumnLayout,
    Summary,
    freeze,
    summarise,
)
from staleguard.drift.specs import Spec, column_specs
from staleguard.params import Params

QUALITY_KEY = "reference_quality"
REFERENCE_KEY = "reference_policy"


def kinds(params: Params) -> dict[str, str]:
    """Every summarised column and its type: features, target and prediction (numerical)."""
    f = params.features
    out = {c: ("numerical" if c in f.numerical else "categorical") for c in f.columns}
    out[f.target] = "numerical"
    out[PREDICTION] = "numerical"
    return out


def reference_summary(frame: pd.DataFrame, params: Params, model: Any = None,
                      quality: dict[str, float] | None = None, training: pd.DataFrame | None = None,
                      info: dict[str, Any] | None = None) -> Summary:
    """Freeze the layout on `frame` (the reference rows) and summarise it; with `model`, its
    predictions and its out-of-sample quality (drift/quality.py, `quality` when already measured,
    else measured on `training`, default `frame`) are included. `info`: the reference policy."""
    f = params.features
    cols = kinds(params)
    if model is not None and PREDICTION not in frame:
        frame = frame.assign(**{PREDICTION: model.predict(frame[f.columns])})
    if PREDICTION not in frame:
        cols.pop(PREDICTION)
    if f.target not in frame:
        cols.pop(f.target)
    layout = freeze(frame, cols, f.target)
    summary = summarise(frame, layout)
    if model is not None and f.target in frame:
        measured = quality or q.reference_quality(model, frame if training is None else training,
                                                  params, None)
        summary.meta[QUALITY_KEY] = {"metrics": measured, "source": q.source(model, params)}
    if info:
        summary.meta[REFERENCE_KEY] = info
    return summary


def trained_quality(reference: Summary) -> tuple[dict[str, float] | None, str]:
    """The out-of-sample quality `train` stored in the reference summary, and how it was measured."""
    stored = reference.meta.get(QUALITY_KEY) or {}
    return stored.get("metrics"), stored.get("source", "")


def _window(s: Summary) -> dict[str, str]:
    if s.first is None or s.last is None:
        return {}
    return {"start": s.first.isoformat(), "end": s.last.isoformat()}


def _score(ref: Summary, cur: Summary, spec: Spec, params: Params) -> ColumnDrift:
    layout = ref.layout.columns[spec.column]
    r, c = ref.columns[spec.column], cur.columns[spec.column]
    value = binned_scores.score(spec.method, r, c, layout)
    col = ColumnDrift(spec.column, spec.kind, spec.method, value, spec.threshold)
    return noise.calibrate(col, _counts(r, layout), c.n, params)


def _counts(col: Column, layout: ColumnLayout) -> Counts:
    """The reference column as value counts for its noise bar: exact, or its bins' mean values."""
    if col.exact:
        return binned_scores.counts(col)
    assert layout.edges is not None
    b = col.to_bins(layout.edges)
    mids = (layout.edges[:-1] + layout.edges[1:]) / 2
    values = np.concatenate([[layout.edges[0] - b.below_sum / max(b.below_n, 1)], mids,
                             [layout.edges[-1] + b.above_sum / max(b.above_n, 1)]])
    counts = np.concatenate([[b.below_n], b.counts, [b.above_n]]).astype(float)
    keep = counts > 0
    order = np.argsort(values[keep], kind="stable")
    return Counts(values[keep][order], counts[keep][order])


def _has(s: Summary, column: str) -> bool:
    return column in s.columns and s.columns[column].n > 0


def check_summaries(ref: Summary, cur: Summary, params: Params, *, baseline: dict[str, float] | None = None,
                    engine: str = "summary") -> DriftResult:
    """Compare a window's summary with the reference summary (same layout)."""
    if ref.layout.id != cur.layout.id:
        from staleguard.errors import DataError

        raise DataError(f"window summary layout {cur.layout.id} is not the reference's {ref.layout.id}")
    d, target = params.drift, params.features.target
    specs = column_specs(params)
    features = {s.column: _score(ref, cur, s, params) for s in specs}
    target_drift = prediction_drift = None
    if _has(ref, target) and _has(cur, target):
        target_drift = _score(ref, cur, Spec(target, "numerical", d.target.method, d.target.threshold),
                              params)
    if _has(ref, PREDICTION) and _has(cur, PREDICTION):
        prediction_drift = _score(ref, cur, Spec(PREDICTION, "numerical", d.prediction.method,
                                                 d.prediction.threshold), params)
    quality = None
    current = cur.quality.metrics() if cur.quality is not None else None
    if current is not None:
        stored, source = trained_quality(ref)
        quality = Quality(metric=d.quality.metric, reference=baseline or stored,
                          current=current, reference_source="given" if baseline else source)
    return DriftResult(
        features=features, share=sum(c.drifted for c in features.values()) / len(features),
        target=target_drift, prediction=prediction_drift, quality=quality,
        rows={"reference": ref.rows, "current": cur.rows},
        windows={"reference": _window(ref), "current": _window(cur)},
        engine=engine, data={side: _dists(s) for side, s in (("reference", ref), ("current", cur))},
        reference=ref.meta.get(REFERENCE_KEY) or {})


def _dists(s: Summary) -> dict[str, Dist]:
    """What the distribution plot reads: each column's counts with its layout (no raw rows)."""
    return {name: Dist(col, s.layout.columns[name]) for name, col in s.columns.items()}
