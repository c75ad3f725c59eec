"""`staleguard monitor`: read new production batches, decide, report; hand drift to retrain.

This module does the I/O around the one decision loop (monitor/decision.py `decide_windows`): it
lists (and, on engine pandas, reads and validates) the store, loads the deployed model, picks
monitor.engine's window summariser, writes reports/monitor/ and the step outputs. Nothing else in
a run depends on the engine.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pandas as pd

from staleguard import artifacts, gha
from staleguard.data import history as hist
from staleguard.data import windows
from staleguard.errors import DataError
from staleguard.io import write_json, write_text
from staleguard.monitor import decision, findings, job_summary, logbook, shadow_evidence, store
from staleguard.monitor.findings import read_new_batches
from staleguard.params import Params
from staleguard.timing import Stopwatch

LOCK = Path("dvc.lock")
PLAN = artifacts.MONITOR_REPORTS / "monitor.json"
SUMMARY = artifacts.MONITOR_REPORTS / "monitor.md"
RUN_FILES = ("monitor.json", "monitor.md", "summary.json")  # what one run writes, with drift.outputs.FILES


def deployed_version(lock: Path = LOCK) -> str:
    """The deployed model's id: the registry's 8-hex md5 prefix of artifacts/model.skops in
    dvc.lock (the same id the prediction log records as `model_version`)."""
    return artifacts.current_model_id(lock.parent)


def reference(params: Params) -> pd.DataFrame:
    """The deployed model's training window, built as `prepare` builds it (raw + batches)."""
    return windows.training_frame(params, hist.history_frame(params))


def drift_checker(baseline_of: pd.DataFrame | None = None, quality: dict[str, float] | None = None) -> Any:
    """`drift.check` that measures the reference's out-of-sample quality once, not per window.

    `baseline_of`: the frame that quality is measured on (the training window) when the
    reference policy compares weeks with other rows (windows.reference); default: the first
    reference it is given. `quality`: that measurement, when already made (train, the replay).
    """
    from staleguard.drift import quality as q
    from staleguard.drift.compare import compare

    baseline: dict[str, Any] = {}
    if quality is not None:
        baseline.update(quality=quality, source="time-blocked cross-validation on the training window")

    def run(reference: pd.DataFrame, current: pd.DataFrame, params: Params, model: Any = None,
            **extra: Any) -> Any:
        if "quality" not in baseline and baseline_of is not None and model is not None:
            baseline.update(quality=q.reference_quality(model, baseline_of, params, None),
                            source=q.source(model, params))
        result = compare(reference, current, params, model, baseline=baseline.get("quality"),
                         baseline_source=baseline.get("source", "given"), **extra)
        if result.quality is None or not result.quality.reference:
            return result
        if "quality" not in baseline:
            baseline.update(quality=result.quality.reference, source=result.quality.reference_source)
        return result

    return run


def references(history: pd.DataFrame, params: Params) -> decision.Reference:
    """The reference per window start, as windows.reference chooses it (data/windows.py)."""
    return lambda start: windows.reference_rows(history, params, start)


def load_estimator() -> Any:
    """The label-free error estimator `train` saved beside the model, or None (older pipelines)."""
    from staleguard.model import load_model

    return load_model(artifacts.ESTIMATOR) if artifacts.ESTIMATOR.exists() else None


def write_drift_reports(outcome: decision.Outcome, summariser: decision.WindowSummariser, params: Params,
                        model: Any, version: str, out: Path) -> str:
    """The drift writer's outputs for the published window (drift.json/md, PNGs; drift.html when
    monitor.html and the window is small enough to read back as rows; a summary engine's
    summary.json and the cross-check of Evidently's scores with its own); its Markdown."""
    from staleguard import drift
    from staleguard.drift.evidently_adapter import save_html
    from staleguard.drift.sketch import sketch_json
    from staleguard.stages.drift_sketch import crosscheck

    window = outcome.report_window
    if window is None or window.result is None:
        return ""
    extra: dict[str, Any] = {}
    rows = summariser.rows(window) if params.monitor.html else None
    if rows is not None:
        week = f"the week of {window.start:%Y-%m-%d}"
        target = params.features.target
        if target in rows[1] and not rows[1][target].notna().any():
            warn(f"drift.html for {week} has no {target} or regression part: none of its labels has "
                 f"arrived yet (monitor.label_delay_days: {params.monitor.label_delay_days})")
        try:
            scores = save_html(*rows, params, model, out / "drift.html")
        except Exception as err:  # a report for people: the decision stands without it
            (out / "drift.html").unlink(missing_ok=True)
            warn(f"drift.html not written for {week} ({type(err).__name__}: {first_line(err)}); the "
                 "decision, monitor.json and monitor.md are")
        else:
            if summariser.engine != "pandas":  # rows are compared exactly; summaries from their counts
                extra["crosscheck"] = crosscheck(window.result, scores)
    drift.write_outputs(out, window.result, drift.decide(window.result, params), params,
                        model={"version": version, "path": str(artifacts.MODEL)}, extra=extra)
    summary = summariser.summary(window.start)
    if summary is not None:
        sketch_json.write(out / "summary.json", summary)
    md = out / "drift.md"
    return md.read_text() if md.exists() else ""


def warn(message: str) -> None:
    """One line on stderr for an optional step that fell short; the run goes on."""
    print(f"staleguard: warning: {message}", file=sys.stderr, flush=True)


def first_line(err: BaseException) -> str:
    return (str(err).strip().splitlines() or [""])[0][:300]


def clear_earlier_run(out: Path) -> None:
    """Remove what an earlier run wrote, before anything else: a run that stops
    early, or skips an optional report, never leaves another run's file looking like its own.
    Other jobs' files in `out` (the rollback's) stay."""
    from staleguard.drift.outputs import FILES

    for name in (*RUN_FILES, *FILES):
        (out / name).unlink(missing_ok=True)


def new_data(params: Params, url: str) -> tuple[list[store.BatchRef], pd.DataFrame | None]:
    """The store's batches reaching past the training window, and on engine pandas their rows:
    validated, de-duplicated, with the actuals that had not arrived yet blanked. The summary
    engines read each window where it lives (None)."""
    end = params.windows.train.end
    if params.monitor.engine != "pandas":
        refs = [r for r in store.list_batches(url) if r.last >= end]
        if not refs:
            raise DataError(f"store {url}: no batches at or after {end:%Y-%m-%d %H:%M}")
        return refs, None
    refs, frames = read_new_batches(url, params)
    target = params.features.target
    current = decision.observed_rows(frames, end, target, params.monitor.label_delay_days, params=params)
    if current.empty or not current[target].notna().any():
        raise DataError(f"store {url}: no labeled production rows at or after {end:%Y-%m-%d %H:%M} "
                        "(the training window's end); is serving logging predictions and actuals?")
    return refs, current


def window_summariser(params: Params, refs: list[store.BatchRef], current: pd.DataFrame | None,
                      model: Any, version: str) -> decision.WindowSummariser:
    """monitor.engine's window summariser: the rows themselves (pandas: the reference chosen per
    week by windows.reference, the label-free estimate for weeks without labels), or summaries
    computed where the batch files live (duckdb, spark: docs/scale.md)."""
    if params.monitor.engine != "pandas":
        from staleguard.drift.sketch import sketch_json
        from staleguard.monitor.sketch_summariser import Sketches

        return Sketches(params, refs, sketch_json.read(artifacts.REFERENCE_SUMMARY), model, version)
    if current is None:
        raise ValueError("engine pandas decides on the rows new_data read")
    history = hist.history_frame(params)
    return decision.Rows(references(history, params), current, params,
                         drift_checker(windows.training_frame(params, history)), model, version,
                         load_estimator())


def monitor(params: Params, store_url: str | None = None, force: bool = False,
            out: Path = artifacts.MONITOR_REPORTS, watch: Stopwatch | None = None) -> dict[str, Any]:
    """Decide on the store's new batches; write reports/monitor/, the job summary and step outputs.

    Only under `out` (reports/monitor/): the drift stage's DVC outputs in reports/ are never
    touched, so a monitor run leaves `git status` and `dvc status` clean. Returns the plan (also
    written to reports/monitor/monitor.json) for `retrain.run`.
    """
    from staleguard import drift
    from staleguard.model import load_model

    watch = watch or Stopwatch()   # where the time went: the CLI prints it last (Stopwatch.report)
    clear_earlier_run(out)
    url = store.resolve(store_url, params)
    version = deployed_version()
    with watch.part("read"):
        refs, current = new_data(params, url)
        logbook.read(logbook.url_of(url))  # a history it cannot extend is refused before any work
        model = load_model(artifacts.MODEL)
    with watch.part("drift"):
        summariser = window_summariser(params, refs, current, model, version)
        outcome = decision.decide_windows(summariser, params, drift.decide, force)
    with watch.part("reports"):
        drift_md = write_drift_reports(outcome, summariser, params, model, version, out)
    batches = [{"url": r.url, "name": r.name} for r in refs]
    plan = job_summary.plan(outcome, params, version, url, batches)
    with watch.part("evidence"):
        proof = findings.retraining_evidence(outcome, plan, params, url, model, version, current)
    pr = findings.open_pr(outcome, plan, params)
    rows = sum(w.rows for w in outcome.windows)
    text = job_summary.markdown(outcome, params, version, url, rows, drift_md, proof, pr)
    with watch.part("shadow"):
        text, pairs = findings.with_shadow(plan, text, params, url)
    text = job_summary.with_dashboard_link(text, params)
    logbook.record(url, plan, params.drift.quality.tolerance,
                   shadow_evidence.weekly(pairs, plan["windows"], params.features.target))
    write_json(out / PLAN.name, plan)
    write_text(out / SUMMARY.name, text)
    gha.set_outputs(drift=job_summary.state(outcome.drift), branch=plan["retrain"]["branch"],
                    model_version=version, evidence=plan.get("evidence", {}).get("verdict", ""),
                    retrain=str(pr.open).lower())
    gha.add_summary(text)
    print(text)
    return plan
