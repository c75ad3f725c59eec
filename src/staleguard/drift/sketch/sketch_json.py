"""Summaries as JSON (schema "staleguard.summary", version 1; docs/scale.md).

A reference summary carries its layout (edges per numerical column); a window summary carries
only the layout's id and is read back against its reference. Floats are written with repr
precision, so a summary survives the round trip bit for bit.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from staleguard.drift.sketch.window_summary import Bins, Column, ColumnLayout, Layout, QualitySums, Summary
from staleguard.errors import DataError
from staleguard.io import write_text

SCHEMA = "staleguard.summary"
SCHEMA_VERSION = 1


def _finite(x: float) -> float | None:
    return float(x) if np.isfinite(x) else None


def _column(col: Column, spec: ColumnLayout, with_layout: bool) -> dict[str, Any]:
    out: dict[str, Any] = {"kind": spec.kind, "exact": spec.exact}
    if with_layout and spec.edges is not None:
        out["edges"] = spec.edges.tolist()
    out.update(n=col.n, mean=col.mean, m2=col.m2, min=_finite(col.min), max=_finite(col.max),
               n_null=col.n_null)
    out["values"] = (None if col.values is None or col.freq is None
                     else [[float(v), int(c)] for v, c in zip(col.values, col.freq, strict=True)])
    b = col.bins
    out["bins"] = None if b is None else {"counts": b.counts.tolist(), "below_n": b.below_n,
                                          "below_sum": b.below_sum, "above_n": b.above_n,
                                          "above_sum": b.above_sum}
    return out


def to_dict(summary: Summary, reference: bool = False) -> dict[str, Any]:
    """The JSON document; `reference=True` embeds the layout (the edges) so it stands alone."""
    lay = summary.layout
    return {
        "schema": SCHEMA, "schema_version": SCHEMA_VERSION,
        "kind": "reference" if reference else "window",
        "layout_id": lay.id, "target": lay.target,
        "rows": summary.rows,
        "first": None if summary.first is None else summary.first.isoformat(),
        "last": None if summary.last is None else summary.last.isoformat(),
        "columns": {name: _column(col, lay.columns[name], reference)
                    for name, col in summary.columns.items()},
        "quality": None if summary.quality is None else  # nonpositive written only when some are
        {k: v for k, v in vars(summary.quality).items() if k != "nonpositive" or v},
        "meta": summary.meta,
    }


def _layout(doc: dict[str, Any], source: str) -> Layout:
    cols = {}
    for name, c in doc["columns"].items():
        edges = c.get("edges")
        if c["kind"] == "numerical" and edges is None:
            raise DataError(f"{source}: column {name!r} has no edges; not a reference summary")
        cols[name] = ColumnLayout(c["kind"], bool(c["exact"]),
                                  None if edges is None else np.asarray(edges, float))
    return Layout(cols, doc.get("target"))


def from_dict(doc: dict[str, Any], layout: Layout | None = None, source: str = "summary") -> Summary:
    """A summary from its JSON document; window documents need their reference's `layout`."""
    if doc.get("schema") != SCHEMA or doc.get("schema_version") != SCHEMA_VERSION:
        raise DataError(f"{source}: not a {SCHEMA} v{SCHEMA_VERSION} document "
                        f"(schema {doc.get('schema')!r}, version {doc.get('schema_version')!r})")
    if layout is None:
        if doc.get("kind") != "reference":
            raise DataError(f"{source}: a window summary needs its reference summary's layout")
        layout = _layout(doc, source)
    if layout.id != doc["layout_id"]:
        raise DataError(f"{source}: layout {doc['layout_id']} does not match the reference's {layout.id}")
    cols = {}
    for name, c in doc["columns"].items():
        vals = c["values"]
        b = c["bins"]
        cols[name] = Column(
            n=c["n"], mean=c["mean"], m2=c["m2"],
            min=float("inf") if c["min"] is None else c["min"],
            max=float("-inf") if c["max"] is None else c["max"], n_null=c["n_null"],
            values=None if vals is None else np.array([v for v, _ in vals], dtype=float),
            freq=None if vals is None else np.array([k for _, k in vals], dtype=np.int64),
            bins=None if b is None else Bins(np.asarray(b["counts"], dtype=np.int64), b["below_n"],
                                             b["below_sum"], b["above_n"], b["above_sum"]))
    return Summary(layout, cols, doc["rows"],
                   None if doc["first"] is None else pd.Timestamp(doc["first"]),
                   None if doc["last"] is None else pd.Timestamp(doc["last"]),
                   None if doc["quality"] is None else QualitySums(**doc["quality"]), doc.get("meta", {}))


def dumps(summary: Summary, reference: bool = False) -> str:
    return json.dumps(to_dict(summary, reference), separators=(",", ":"))


def loads(text: str, layout: Layout | None = None, source: str = "summary") -> Summary:
    return from_dict(json.loads(text), layout, source)


def write(path: Path, summary: Summary, reference: bool = False) -> None:
    write_text(Path(path), dumps(summary, reference) + "\n")


def read(path: Path, layout: Layout | None = None) -> Summary:
    try:
        text = Path(path).read_text()
    except OSError as err:
        raise DataError(f"{path}: cannot read the summary ({err.strerror})") from err
    try:
        return loads(text, layout, str(path))
    except (json.JSONDecodeError, KeyError, TypeError) as err:
        raise DataError(f"{path}: not a valid summary ({type(err).__name__}: {err})") from err
