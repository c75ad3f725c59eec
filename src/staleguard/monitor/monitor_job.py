"""`staleguard monitor`: read new production batches, decide, report; hand drift to retrain.

This module does the I/O around the pure decision in `check`: it lists and validates the store,
builds the training reference, loads the deployed model, writes reports/ and the step outputs.
"""

from __future__ import annotations

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

LOCK = Path("dvc.lock")
PLAN = artifacts.MONITOR_REPORTS / "monitor.json"
SUMMARY = artifacts.MONITOR_REPORTS / "monitor.md"


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


def write_drift_reports(outcome: decision.Outcome, reference_of: decision.Reference, current: pd.DataFrame,
                        params: Params, model: Any, version: str, out: Path) -> str:
    """The drift writer's outputs (json, md, html, PNGs) for the published window; its Markdown."""
    from staleguard import drift
    from staleguard.drift.evidently_adapter import save_html

    window = outcome.report_window
    if window is None:
        return ""
    ref = reference_of(window.start)[0]
    part = decision.own_predictions(current[windows.between(current, window.start, window.end)], version)
    drift.write_outputs(out, window.result, drift.decide(window.result, params), params,
                        html=(lambda path: save_html(ref, part, params, model, path))
                        if params.monitor.html else None,
                        model={"version": version, "path": str(artifacts.MODEL)})
    if not params.monitor.html:
        (out / "drift.html").unlink(missing_ok=True)  # never publish another window's HTML
    md = out / "drift.md"
    return md.read_text() if md.exists() else ""


def monitor(params: Params, store_url: str | None = None, force: bool = False,
            out: Path = artifacts.MONITOR_REPORTS) -> dict[str, Any]:
    """Decide on the store's new batches; write reports/monitor/, the job summary and step outputs.

    Only under `out` (reports/monitor/): the drift stage's DVC outputs in reports/ are never
    touched, so a monitor run leaves `git status` and `dvc status` clean. Returns the plan (also
    written to reports/monitor/monitor.json) for `retrain.run`.
    """
    from staleguard.model import load_model

    url = store.resolve(store_url, params)
    version = deployed_version()
    if params.monitor.engine != "pandas":  # summaries computed where the batches live (docs/scale.md)
        from staleguard.monitor.sketch_loop import monitor as at_scale

        logbook.read(logbook.url_of(url))  # a history it cannot extend is refused before any work
        plan = at_scale(params, url, version, force, out)
        logbook.record(url, plan, params.drift.quality.tolerance)
        return plan
    refs, frames = read_new_batches(url, params)
    logbook.read(logbook.url_of(url))  # a history it cannot extend is refused before any work
    target = params.features.target
    current = decision.observed_rows(frames, params.windows.train.end, target,
                                     params.monitor.label_delay_days, params=params)
    if current.empty or not current[target].notna().any():
        raise DataError(f"store {url}: no labeled production rows at or after "
                        f"{params.windows.train.end:%Y-%m-%d %H:%M} (the training window's end); "
                        "is serving logging predictions and actuals?")
    from staleguard import drift

    history, model = hist.history_frame(params), load_model(artifacts.MODEL)
    ref = windows.training_frame(params, history)
    reference_of = references(history, params)
    outcome = decision.decide(reference_of, current, params, drift_checker(ref), drift.decide,
                           model=model, force=force, version=version, estimator=load_estimator())
    drift_md = write_drift_reports(outcome, reference_of, current, params, model, version, out)
    batches = [{"url": r.url, "name": r.name} for r in refs]
    plan = job_summary.plan(outcome, params, version, url, batches)
    proof = findings.retraining_evidence(outcome, plan, params, url, model, version, current)
    text = job_summary.markdown(outcome, params, version, url, len(current), drift_md, proof)
    text, pairs = findings.with_shadow(plan, text, params, url)
    text = job_summary.with_dashboard_link(text, params)
    logbook.record(url, plan, params.drift.quality.tolerance,
                   shadow_evidence.weekly(pairs, plan["windows"], target))
    write_json(out / PLAN.name, plan)
    write_text(out / SUMMARY.name, text)
    gha.set_outputs(drift=job_summary.state(outcome.drift), branch=plan["retrain"]["branch"],
                    model_version=version, evidence=plan.get("evidence", {}).get("verdict", ""))
    gha.add_summary(text)
    print(text)
    return plan
