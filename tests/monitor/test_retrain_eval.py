"""The retraining PR compares the deployed and the retrained model on rows neither trained on
(staleguard/monitor/retrain_eval.py; issue 31: the deployed column read `–`)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pandas as pd
import pytest
import yaml

from staleguard.contract import validate_frame
from staleguard.model import build_estimator, save_model
from staleguard.monitor import retrain
from staleguard.monitor.retrain_eval import compare, unseen_slice
from staleguard.params import Window, load_params
from tests.test_sizes import PARAMS, panel


def w(start: str, end: str) -> Window:
    return Window(start=datetime.fromisoformat(start), end=datetime.fromisoformat(end))


def test_unseen_slice_keeps_an_eval_week_after_the_deployed_training_window():
    ev = w("2011-05-01", "2011-05-08")
    assert unseen_slice(ev, w("2011-01-01", "2011-04-01"), w("2011-05-08", "2011-08-01")) == (ev, "")


def test_unseen_slice_moves_before_both_training_windows_when_eval_lies_in_the_deployed_one():
    """Deployed on 12 weeks to 03-26, retrained 4 weeks later on 12 weeks to 04-23: the eval
    week before the new window (01-22) is inside the deployed window; 12-25..01-01 is neither's."""
    deployed, retrained = w("2011-01-01", "2011-03-26"), w("2011-01-29", "2011-04-23")
    chosen, why = unseen_slice(w("2011-01-22", "2011-01-29"), deployed, retrained)
    assert chosen == w("2010-12-25", "2011-01-01")
    assert not chosen.overlaps(deployed) and not chosen.overlaps(retrained)
    assert why == ("windows.eval [2011-01-22 00:00, 2011-01-29 00:00) lies inside the deployed model's "
                   "training window [2011-01-01 00:00, 2011-03-26 00:00), so both are scored on "
                   "[2010-12-25 00:00, 2011-01-01 00:00), before both training windows: rows neither "
                   "model fitted")


@pytest.fixture
def models(tmp_path: Path):
    """The monthly panel, a deployed forest on 2001-2003 and a retrained one on 2002-2004."""
    (tmp_path / "p.yaml").write_text(yaml.safe_dump({**PARAMS, "data": {"raw": "x.csv"}}))
    params = load_params(tmp_path / "p.yaml")
    frame = validate_frame(panel(), params, "raw", "panel")
    paths = {}
    for name, (lo, hi) in {"deployed": ("2001-01-01", "2004-01-01"),
                           "retrained": ("2002-01-01", "2005-01-01")}.items():
        part = frame[(frame["timestamp"] >= lo) & (frame["timestamp"] < hi)]
        model = build_estimator(params.train, params.features, params.contract)
        model.fit(part[params.features.columns], part[params.features.target])
        paths[name] = tmp_path / name / "model.skops"
        paths[name].parent.mkdir()
        save_model(model, paths[name], {"window": {"start": f"{lo}T00:00:00", "end": f"{hi}T00:00:00"}})
    return params, frame, paths


def plan(ev: tuple[str, str], train: tuple[str, str]) -> dict:
    return {"model_version": "v0.0.1", "batches": [{}], "windows": [],
            "retrain": {"branch": "retrain/v0.0.1", "base": "main",
                        "eval": {"start": f"{ev[0]}T00:00:00", "end": f"{ev[1]}T00:00:00"},
                        "train": {"start": f"{train[0]}T00:00:00", "end": f"{train[1]}T00:00:00"}}}


def test_retraining_pr_table_shows_both_models_on_rows_neither_trained_on(models, tmp_path):
    params, frame, paths = models
    p = plan(("2001-01-01", "2002-01-01"), ("2002-01-01", "2005-01-01"))  # eval inside the deployed one
    compared = compare(p, paths["deployed"], paths["retrained"], frame, params)
    # a year's length before both windows (2000 is a leap year): February to December 2000
    assert compared["window"] == {"start": "2000-01-02T00:00:00", "end": "2001-01-01T00:00:00"}
    assert compared["rows"] == 110
    slice_ = frame[(frame["timestamp"] >= "2000-01-02") & (frame["timestamp"] < "2001-01-01")]
    from staleguard.model import load_model
    from staleguard.stages.evaluate import score

    assert compared["deployed"] == score(load_model(paths["deployed"]), slice_, params)
    assert compared["retrained"] == score(load_model(paths["retrained"]), slice_, params)
    text = retrain.body(p, "## Retrain\n", tmp_path, repo_token=True, compared=compared)
    assert "### Retrained model, evaluated on [2000-01-02, 2001-01-01)" in text
    assert "lies inside the deployed model's training window" in text
    mae = f"| mae | {compared['deployed']['mae']:.4g} | {compared['retrained']['mae']:.4g} |"
    assert mae in text and "–" not in text.split("| metric |")[1].split("**What happens next")[0]


def test_retraining_pr_says_why_when_no_row_lies_before_both_windows(models, tmp_path):
    params, frame, paths = models
    frame = frame[frame["timestamp"] >= "2001-01-01"]   # no data before the deployed window
    p = plan(("2001-01-01", "2002-01-01"), ("2002-01-01", "2005-01-01"))
    compared = compare(p, paths["deployed"], paths["retrained"], frame, params)
    assert compared["window"] is None
    assert compared["why"].endswith("and the data holds no labeled row in [2000-01-02 00:00, "
                                    "2001-01-01 00:00): no slice that neither model fitted")
    (tmp_path / "reports").mkdir()
    (tmp_path / "reports" / "metrics.json").write_text('{"mae": 1.5}')
    text = retrain.body(p, "## Retrain\n", tmp_path, repo_token=True, compared=compared)
    assert ("the deployed model is not compared: windows.eval [2001-01-01 00:00, 2002-01-01 00:00) "
            "lies") in text
    assert "| mae | – | 1.5 |" in text


def test_unseen_comparison_reads_the_history_of_the_scratch_clone(models, tmp_path):
    """The retrain's own path: raw data + batches of the clone, the checkout's deployed model."""
    params, _, paths = models
    root, wt = tmp_path / "root", tmp_path / "wt"
    for d, name in ((root, "deployed"), (wt, "retrained")):
        (d / "artifacts").mkdir(parents=True)
        for f in paths[name].parent.iterdir():
            (d / "artifacts" / f.name).write_bytes(f.read_bytes())
    (wt / "x.csv").write_text(panel().to_csv(index=False))
    p = plan(("2001-01-01", "2002-01-01"), ("2002-01-01", "2005-01-01"))
    compared = retrain.unseen_comparison(p, params, root, wt)
    assert compared["rows"] == 110 and set(compared["deployed"]) >= {"mae", "rmse"}
    assert isinstance(pd.Timestamp(compared["window"]["start"]), pd.Timestamp)
