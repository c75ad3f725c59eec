"""The retraining PR's table: the deployed and the retrained model on rows neither trained on.

A retrain's `windows.eval` is the `eval_weeks` just before its training window (data/windows.py,
`final_windows`): rows the retrained model never fitted, but when the deployed model was trained
less than `train_weeks` ago they lie inside *its* training window, and the table showed `–` for
it (issue 31). Then both are scored on the same length of rows before both training windows;
when the data holds none, the PR says so instead of comparing on rows one model fitted.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from staleguard.data.windows import rows_in
from staleguard.params import Params, Window


def unseen_slice(evaluation: Window, deployed: Window | None, retrained: Window) -> tuple[Window, str]:
    """The slice to compare on, and why it is not `evaluation` ("" when it is). It has the
    length of `evaluation` and overlaps neither training window."""
    if deployed is None or not (evaluation.overlaps(deployed) or evaluation.overlaps(retrained)):
        return evaluation, ""
    end = min(deployed.start, retrained.start, evaluation.start)
    chosen = Window(start=end - (evaluation.end - evaluation.start), end=end)
    return chosen, (f"windows.eval {evaluation.label()} lies inside the deployed model's training "
                    f"window {deployed.label()}, so both are scored on {chosen.label()}, before "
                    "both training windows: rows neither model fitted")


def compare(plan: dict[str, Any], deployed_path: Path, retrained_path: Path, history: pd.DataFrame,
            params: Params) -> dict[str, Any]:
    """Both models' metrics on the unseen slice of `history` (the retrain's labeled rows), with
    the slice, its rows and why it was chosen; `window` None when no such row exists."""
    from staleguard.model import load_meta, load_model
    from staleguard.stages.evaluate import score

    r = plan["retrain"]
    evaluation, retrained = Window(**r["eval"]), Window(**r["train"])
    meta = load_meta(deployed_path).get("window") if deployed_path.exists() else None
    deployed = Window(**meta) if meta else None
    window, why = unseen_slice(evaluation, deployed, retrained)
    rows = rows_in(history, window)
    if rows.empty:
        lead = f"{why.split(', so')[0]}, and " if why else ""
        return {"window": None, "rows": 0, "why": f"{lead}the data holds no labeled row in "
                f"{window.label()}: no slice that neither model fitted"}
    return {"window": {"start": window.start.isoformat(), "end": window.end.isoformat()},
            "rows": len(rows), "why": why,
            "deployed": score(load_model(deployed_path), rows, params) if deployed_path.exists() else {},
            "retrained": score(load_model(retrained_path), rows, params)}
