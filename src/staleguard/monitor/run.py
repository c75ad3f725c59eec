"""`staleguard monitor`: read new production batches, decide, report; hand drift to retrain.

This module does the I/O around the pure decision in `check`: it lists and validates the store,
builds the training reference, loads the deployed model, writes reports/ and the step outputs.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pandas as pd

from staleguard import gha
from staleguard.contract import TIMESTAMP, read_raw
from staleguard.data.windows import slice_window
from staleguard.errors import DataError
from staleguard.io import write_json, write_text
from staleguard.monitor import check, evidence, store, summary
from staleguard.params import Params
from staleguard.stages import paths
from staleguard.stages.prepare import history, read_batches

LOCK = Path("dvc.lock")
PLAN = paths.REPORTS / "monitor.json"
SUMMARY = paths.REPORTS / "monitor.md"


def deployed_version(lock: Path = LOCK) -> str:
    """The deployed model's id: the registry's 8-hex md5 prefix of artifacts/model.skops in
    dvc.lock (the same id the prediction log records as `model_version`)."""
    from staleguard.registry import current_hash

    return current_hash(lock.parent)


def read_new_batches(url: str, params: Params) -> tuple[list[store.BatchRef], list[pd.DataFrame]]:
    """Every batch that reaches past the training window, validated; all bad ones named at once."""
    end = params.windows.train.end
    refs = [r for r in store.list_batches(url) if r.last >= end]
    good, frames, bad = [], [], []
    for ref in refs:
        try:
            frames.append(store.read_batch(ref, params))
            good.append(ref)
        except store.StoreError:
            raise
        except DataError as err:
            bad.append(str(err))
    if bad:
        raise DataError(f"{len(bad)} bad batch(es) refused, nothing merged: " + "; ".join(bad))
    return good, frames


def reference(params: Params) -> pd.DataFrame:
    """The deployed model's training window, built as `prepare` builds it (raw + batches)."""
    cols = [*params.features.columns, params.features.target]
    frame = history(read_raw(params.data.raw, params), read_batches(params.data.batches, cols), cols)
    return slice_window(frame, params.windows.train, "train")


def drift_checker() -> Any:
    """`drift.check` that measures the reference's out-of-sample quality once, not per window."""
    from staleguard import drift

    baseline: dict[str, Any] = {}

    def run(reference: pd.DataFrame, current: pd.DataFrame, params: Params, model: Any = None) -> Any:
        result = drift.check(reference, current, params, model, baseline=baseline.get("quality"))
        if result.quality is None or not result.quality.reference:
            return result
        if "quality" not in baseline:
            baseline.update(quality=result.quality.reference, source=result.quality.reference_source)
            return result
        return replace(result, quality=replace(result.quality, reference_source=baseline["source"]))

    return run


def write_drift_reports(outcome: check.Outcome, ref: pd.DataFrame, current: pd.DataFrame,
                        params: Params, model: Any, version: str, out: Path) -> str:
    """The drift writer's outputs (json, md, html, PNGs) for the published window; its Markdown."""
    from staleguard import drift
    from staleguard.drift.evidently_adapter import save_html

    window = outcome.report_window
    if window is None:
        return ""
    ts = current[TIMESTAMP]
    inside = (ts >= pd.Timestamp(window.start)) & (ts < pd.Timestamp(window.end))
    part = check.own_predictions(current[inside], version)
    drift.write_outputs(out, window.result, drift.decide(window.result, params), params,
                        html=(lambda path: save_html(ref, part, params, model, path))
                        if params.monitor.html else None,
                        model={"version": version, "path": str(paths.MODEL)})
    if not params.monitor.html:
        (out / "drift.html").unlink(missing_ok=True)  # never publish another window's HTML
    md = out / "drift.md"
    return md.read_text() if md.exists() else ""


def monitor(params: Params, store_url: str | None = None, force: bool = False,
            out: Path = paths.REPORTS) -> dict[str, Any]:
    """Decide on the store's new batches; write reports/, the job summary and step outputs.

    Returns the plan (also written to reports/monitor.json) for `retrain.run`.
    """
    from staleguard.model import load_model

    url = store.resolve(store_url, params)
    version = deployed_version()
    if params.monitor.engine != "pandas":  # summaries computed where the batches live (docs/scale.md)
        from staleguard.scale.monitor import monitor as at_scale

        return at_scale(params, url, version, force, out)
    refs, frames = read_new_batches(url, params)
    target = params.features.target
    current = check.new_rows(frames, params.windows.train.end, target)
    if current.empty:
        raise DataError(f"store {url}: no labeled production rows at or after "
                        f"{params.windows.train.end:%Y-%m-%d %H:%M} (the training window's end); "
                        "is serving logging predictions and actuals?")
    from staleguard import drift

    ref, model = reference(params), load_model(paths.MODEL)
    outcome = check.decide(ref, current, params, drift_checker(), drift.decide,
                           model=model, force=force, version=version)
    drift_md = write_drift_reports(outcome, ref, current, params, model, version, out)
    batches = [{"url": r.url, "name": r.name} for r in refs]
    plan = summary.plan(outcome, params, version, url, batches)
    proof = ""
    if outcome.drift:  # only a retraining PR needs it: one fit per week since the training window
        found = evidence.gather(params, current, model)
        plan["evidence"] = found.to_dict()
        proof = evidence.markdown(found, version, params)
    text = summary.markdown(outcome, params, version, url, len(current), drift_md, proof)
    write_json(out / PLAN.name, plan)
    write_text(out / SUMMARY.name, text)
    gha.set_outputs(drift=str(outcome.drift).lower(), branch=plan["retrain"]["branch"],
                    model_version=version, evidence=plan.get("evidence", {}).get("verdict", ""))
    gha.add_summary(text)
    print(text)
    return plan
