"""drift: the training window vs the evaluation window (or any batches given with --current).

Writes reports/drift.{json,md,html} and reports/plots/drift_*.png; the decision goes to drift.json
and, under GitHub Actions, to $GITHUB_OUTPUT as drift=true|false. Exit code 0 whatever the
decision: only bad input, config or model files are errors, and then nothing is written.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from staleguard import artifacts, gha
from staleguard.contract import check_size, read_window
from staleguard.drift import Decision, decide, write_outputs
from staleguard.drift.compare import compare
from staleguard.drift.evidently_adapter import save_html
from staleguard.model import load_model
from staleguard.params import Params


def trained_baseline() -> tuple[dict[str, float] | None, str]:
    """The reference quality `train` already measured (artifacts/reference.json, written with the
    model), so the drift stage does not fit the same cross-validation folds a second time."""
    from staleguard.drift.sketch import sketch_json as summary_io
    from staleguard.drift.sketch.compare_sketches import trained_quality

    if not artifacts.REFERENCE_SUMMARY.exists():
        return None, ""
    return trained_quality(summary_io.read(artifacts.REFERENCE_SUMMARY))


def run(params: Params, current: Path | None = None, out: Path = artifacts.REPORTS) -> Decision:
    """Check, decide, write. `current`: a .parquet/.csv file or a folder of batches."""
    from staleguard.data.windows import reference_rows

    model = load_model(artifacts.MODEL)
    training = pd.read_parquet(artifacts.TRAIN_SET)
    reference, info = reference_rows(training, params)  # windows.reference, as the monitor uses it
    estimator = load_model(artifacts.ESTIMATOR) if artifacts.ESTIMATOR.exists() else None
    if current is None:
        window = pd.read_parquet(artifacts.EVAL_SET)
        check_size(window, artifacts.EVAL_SET, params)
    else:
        window = read_window(Path(current), params)
    baseline, source = trained_baseline()
    result = compare(reference, window, params, model, baseline=baseline, baseline_source=source,
                   estimator=estimator, reference_info=info)
    decision = decide(result, params)
    write_outputs(Path(out), result, decision, params,
                  html=lambda path: save_html(reference, window, params, model, path),
                  model={"version": artifacts.file_id(artifacts.MODEL), "path": str(artifacts.MODEL)})
    announce(decision, result.rows, Path(out), "drift")
    return decision


def announce(decision: Decision, rows: dict[str, int], out: Path, label: str) -> None:
    """The decision for the workflow ($GITHUB_OUTPUT) and for people (stdout, reasons listed)."""
    gha.set_outputs(drift=str(decision.drift).lower())
    verdict = "drift" if decision.drift else "no drift"
    print(f"{label}: {verdict} ({rows['current']} rows vs {rows['reference']}) → {out}/drift.json")
    for line in decision.reasons:
        print(f"  - {line}")


def main(params: Params) -> None:
    run(params)
