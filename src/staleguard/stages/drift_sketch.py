"""`staleguard drift --engine duckdb|spark`: the drift stage's outputs from summaries.

The window is summarised where it lives (DuckDB streaming Parquet, or Spark partitions),
compared with artifacts/reference.json (written by `train`), decided by `drift.decide`, and
written by the drift writer: drift.json/md, PNGs drawn from counts, and summary.json (the
window's summary, mergeable with others). A window of at most drift.sample_rows rows also gets
Evidently's HTML, and drift.json a `crosscheck` of Evidently's scores against the summary's.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from staleguard.contract import value_problem
from staleguard.contract.codes import text_codes
from staleguard.drift.result import Decision, DriftResult
from staleguard.drift.sketch import engines, sketch_json
from staleguard.drift.sketch.window_summary import Summary
from staleguard.errors import DataError
from staleguard.params import Params

EXACT = 1e-6          # value-count scores agree with Evidently to this (absolute)
BINNED = 0.005        # frozen-bin Wasserstein to this (relative)


def validate(summary: Summary, params: Params, source: str) -> None:
    """The contract's checks a summary can answer: size, empty columns, categories and ranges."""
    if summary.rows < params.drift.min_rows:
        raise DataError(f"{source}: {summary.rows} rows < drift.min_rows {params.drift.min_rows}; "
                        "too few to decide")
    for name in params.features.columns:
        col = summary.columns.get(name)
        if col is None or col.n == 0:
            raise DataError(f"{source}: column {name!r} is entirely empty (all NaN)")
    for name in params.features.columns:
        col, spec = summary.columns.get(name), params.contract.columns[name]
        if col is None or col.values is None:
            continue
        if spec.type == "str":  # summarised as stable codes (contract/codes.py): check those
            if spec.unknown == "refuse" and spec.categories is not None:
                allowed = set(text_codes(pd.Series(spec.categories)).tolist())
                if any(v not in allowed for v in col.values.tolist()):
                    raise DataError(f"{source}: column {name!r} has a value outside its categories "
                                    f"{list(spec.categories)} (contract.columns.{name}.unknown: refuse)")
            continue
        for value in col.values.tolist():  # the exact distinct values (categoricals, few numericals)
            problem = value_problem(name, spec, value)
            if problem:
                raise DataError(f"{source}: {problem}")


def crosscheck(result: DriftResult, evidently: dict[str, float]) -> dict[str, Any]:
    """Evidently's score vs the summary's per column; `agree` when every column is within its
    tolerance (1e-6 absolute from value counts, 0.5 % relative from frozen bins)."""
    ours = {c.column: c.score for c in [*result.features.values(), result.target, result.prediction] if c}
    cols: dict[str, dict[str, float]] = {}
    agree = True
    for name, theirs in evidently.items():
        if name not in ours:
            continue
        diff = abs(ours[name] - theirs)
        ok = bool(diff <= EXACT or diff <= BINNED * abs(theirs))
        agree &= ok
        cols[name] = {"summary": round(ours[name], 9), "evidently": round(theirs, 9), "agree": ok}
    return {"agree": agree, "columns": cols}


def _read_window(source: str | Path) -> pd.DataFrame:
    return pd.concat([pd.read_parquet(p) for p in engines.files(source)], ignore_index=True)


def run(params: Params, current: str | Path | None, out: Path, engine: str,
        reference_path: Path | None = None) -> Decision:
    """Summarise `current` (default: the eval window) on `engine`, decide, write `out`/."""
    from staleguard import artifacts
    from staleguard.drift import decide, write_outputs
    from staleguard.drift.evidently_adapter import save_html
    from staleguard.model import load_model
    from staleguard.monitor.policy import reference_rows
    from staleguard.stages.drift import announce

    ref = sketch_json.read(reference_path or artifacts.REFERENCE_SUMMARY)
    source = current or artifacts.EVAL_SET
    model = load_model(artifacts.MODEL)
    mon = params.monitor
    cur = engines.summary_of(engine, source, ref.layout, model=model, features=params.features.columns,
                             batch_rows=mon.batch_rows, master=mon.spark_master)
    validate(cur, params, str(source))
    result = engines_result(ref, cur, params, engine)
    decision = decide(result, params)
    out = Path(out)
    extra: dict[str, Any] = {}
    if cur.rows <= params.drift.sample_rows:  # small enough for people: Evidently's HTML + cross-check
        window = _read_window(source)
        reference, _ = reference_rows(pd.read_parquet(artifacts.TRAIN_SET), params)  # what `ref` summarises
        scores = save_html(reference, window, params, model, out / "drift.html")
        extra["crosscheck"] = crosscheck(result, scores)
        if not extra["crosscheck"]["agree"]:
            print(f"warning: Evidently's scores differ from the summary's: {extra['crosscheck']['columns']}")
    else:
        (out / "drift.html").unlink(missing_ok=True)  # never leave another window's HTML beside it
    write_outputs(out, result, decision, params, model={"version": artifacts.file_id(artifacts.MODEL),
                                                          "path": str(artifacts.MODEL)}, extra=extra)
    sketch_json.write(out / "summary.json", cur)
    announce(decision, {"current": cur.rows, "reference": ref.rows}, out, f"drift ({engine})")
    return decision


def engines_result(ref: Summary, cur: Summary, params: Params, engine: str) -> DriftResult:
    from staleguard.drift.compare import compare

    result = compare(ref, cur, params, engine=f"summary:{engine}")
    if any(np.isnan(c.score) for c in result.features.values()):
        raise DataError("a feature has no values in the reference or the window; cannot score it")
    return result
