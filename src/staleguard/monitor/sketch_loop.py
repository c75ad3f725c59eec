"""`staleguard monitor` with monitor.engine duckdb|spark: the same decision, from summaries.

The store's batches are never loaded into one frame: each window [start, start + week_days)
is summarised where the files live (labeled rows only), compared with artifacts/reference.json
and judged by `drift.decide`; the Outcome, plan, job summary and reports are the pandas
monitor's (monitor/decision.py, monitor/job_summary.py). Differences, documented in docs/scale.md:
duplicate timestamps across batches are not de-duplicated (a later batch does not replace an
earlier one), and a window with batches logged by another model version is re-predicted as a
whole (file-level: the batch's model_version statistics), as the pandas monitor does.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd

from staleguard import gha
from staleguard.drift.sketch import engines, sketch_json
from staleguard.drift.sketch.window_summary import Summary
from staleguard.errors import DataError
from staleguard.monitor import decision, findings, job_summary, store
from staleguard.params import Params
from staleguard.stages.drift_sketch import engines_result, validate

MODEL_VERSION = "model_version"


def _versions(url: str) -> set[str] | None:
    """The model versions a batch file holds, from its Parquet statistics (None: unknown)."""
    import pyarrow.parquet as pq

    with engines._open(url) as fh:
        meta = pq.ParquetFile(fh).metadata
        if MODEL_VERSION not in meta.schema.names:
            return None
        idx = meta.schema.names.index(MODEL_VERSION)
        out: set[str] = set()
        for g in range(meta.num_row_groups):
            stats = meta.row_group(g).column(idx).statistics
            if stats is None or not stats.has_min_max:
                return None
            out |= {str(stats.min), str(stats.max)}
        return out


def windows(refs: list[store.BatchRef], start: datetime, days: int) -> list[tuple[datetime, datetime,
                                                                                   list[store.BatchRef]]]:
    """Consecutive windows from `start` up to the newest batch, with the batches overlapping each."""
    end = max(r.last for r in refs)
    step = timedelta(days=days)
    out = []
    lo = start
    while lo <= end:
        hi = lo + step
        out.append((lo, hi, [r for r in refs if r.first < hi and r.last >= lo]))
        lo = hi
    return [w for w in out if w[2]]


def decide(params: Params, refs: list[store.BatchRef], reference: Summary, model: Any, version: str,
           force: bool = False) -> tuple[decision.Outcome, dict[datetime, Summary]]:
    """check.decide's Outcome from per-window summaries (and the summaries, by window start)."""
    from staleguard.drift import decide as judge

    mon = params.monitor
    checks, sums, lasts = [], {}, []
    for lo, hi, batch in windows(refs, params.windows.train.end, params.windows.week_days):
        urls = [r.url for r in batch]
        foreign = any(_versions(u) not in ({version}, None) for u in urls)
        cur = engines.summary_of(mon.engine, urls, reference.layout, model=model,
                                 features=params.features.columns, window=(lo, hi), labeled=True,
                                 drop_prediction=foreign, batch_rows=mon.batch_rows, master=mon.spark_master)
        lasts += [cur.last] if cur.last is not None else []
        if cur.rows < mon.min_rows:
            checks.append(decision.WindowCheck(lo, hi, cur.rows, None,
                                            [f"{cur.rows} rows < monitor.min_rows {mon.min_rows}"]))
            continue
        validate(cur, params, f"window {lo:%Y-%m-%d}")
        result = engines_result(reference, cur, params, mon.engine)
        verdict = judge(result, params)
        checks.append(decision.WindowCheck(lo, hi, cur.rows, bool(verdict.drift), list(verdict.reasons),
                                           result))
        sums[lo] = cur
    if not lasts:
        raise DataError(f"no labeled production rows at or after {params.windows.train.end:%Y-%m-%d %H:%M}")
    outcome = decision.conclude(checks, force, pd.Timestamp(max(lasts)).to_pydatetime(), params)
    return outcome, sums


def small_window_html(params: Params, window: decision.WindowCheck, refs: list[store.BatchRef],
                      version: str, out: Path) -> dict[str, Any]:
    """Evidently's HTML for a window of at most drift.sample_rows rows, and the cross-check of its
    scores with the summary's ({} for a larger window: people get the PNGs and drift.md)."""
    from staleguard import artifacts
    from staleguard.data.history import history_frame
    from staleguard.data.windows import between, reference_rows, training_frame
    from staleguard.drift.evidently_adapter import save_html
    from staleguard.model import load_model
    from staleguard.stages.drift_sketch import crosscheck

    if window.rows > params.drift.sample_rows:
        return {}
    urls = [r.url for r in refs if r.first < window.end and r.last >= window.start]
    rows = pd.concat([pd.read_parquet(u) for u in urls], ignore_index=True)
    target = params.features.target
    part = rows[between(rows, window.start, window.end) & rows[target].notna()]
    if MODEL_VERSION in part and (part[MODEL_VERSION] != version).any():
        part = part.drop(columns=[store.PREDICTION])  # re-predicted, as the summary was
    ref = reference_rows(training_frame(params, history_frame(params)), params)[0]  # what train summarised
    scores = save_html(ref, part.reset_index(drop=True), params, load_model(artifacts.MODEL),
                       out / "drift.html")
    return {"crosscheck": crosscheck(window.result, scores)}


def monitor(params: Params, url: str, version: str, force: bool, out: Path) -> dict[str, Any]:
    """The monitor's outputs (reports/monitor/: monitor.{json,md}, drift.*) on a summary engine."""
    from staleguard import artifacts
    from staleguard.drift import decide as judge
    from staleguard.drift import write_outputs
    from staleguard.io import write_json, write_text
    from staleguard.model import load_model

    refs = [r for r in store.list_batches(url) if r.last >= params.windows.train.end]
    if not refs:
        raise DataError(f"store {url}: no batches at or after {params.windows.train.end:%Y-%m-%d %H:%M}")
    reference = sketch_json.read(artifacts.REFERENCE_SUMMARY)
    model = load_model(artifacts.MODEL)
    outcome, sums = decide(params, refs, reference, model, version, force)
    drift_md = ""
    window = outcome.report_window
    if window is not None and window.result is not None:
        extra = small_window_html(params, window, refs, version, out) if params.monitor.html else {}
        if not extra:
            (out / "drift.html").unlink(missing_ok=True)  # never another window's HTML
        write_outputs(out, window.result, judge(window.result, params), params,
                      model={"version": version, "path": str(artifacts.MODEL)}, extra=extra)
        sketch_json.write(out / "summary.json", sums[window.start])
        drift_md = (out / "drift.md").read_text()
    batches = [{"url": r.url, "name": r.name} for r in refs]
    plan = job_summary.plan(outcome, params, version, url, batches)
    rows = sum(w.rows for w in outcome.windows)
    proof = findings.retraining_evidence(outcome, plan, params, url, model, version)
    text = job_summary.markdown(outcome, params, version, url, rows, drift_md, proof)
    text = findings.with_shadow(plan, text, params, url)[0]
    text = job_summary.with_dashboard_link(text, params)
    write_json(out / "monitor.json", plan)
    write_text(out / "monitor.md", text)
    gha.set_outputs(drift=job_summary.state(outcome.drift), branch=plan["retrain"]["branch"],
                    model_version=version, evidence=plan.get("evidence", {}).get("verdict", ""))
    gha.add_summary(text)
    print(text)
    return plan
