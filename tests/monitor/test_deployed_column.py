"""Two monitor runs on the same deployment, the second on data ending mid-week: the retraining
PR's eval week is one of the monitor's weeks both times, so its "deployed" column shows the
deployed model's measured metrics (issue 19: it ended at the midnight after the newest row, off
the week grid, and the column read "–" whenever the data did not end on a grid boundary)."""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from staleguard import artifacts as paths
from staleguard.io import write_json
from staleguard.model import save_model
from staleguard.monitor import monitor_job as run
from staleguard.monitor import retrain, store
from staleguard.params import Params, TrainParams
from staleguard.stages.train import train
from tests.conftest import zip_path

VERSION = "a1f7141d"
LOCK = f"""schema: '2.0'
stages:
  train:
    outs:
    - path: artifacts/model.skops
      md5: {VERSION}6bdab95dbf44a357a294bf2e
"""


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, hour: pd.DataFrame, params: Params) -> Params:
    """A checkout with the January model deployed (5 trees), three-week retraining windows."""
    raw = tmp_path / "hour.csv"
    raw.write_bytes(zipfile.ZipFile(zip_path()).read("hour.csv"))
    mon = params.monitor.model_copy(update={"html": False})
    win = params.windows.model_copy(update={"retrain": params.windows.retrain.model_copy(
        update={"train_weeks": 3})})
    data = params.data.model_copy(update={"raw": raw, "batches": tmp_path / "b"})
    p = params.model_copy(update={"data": data, "monitor": mon, "windows": win,
                                  "train": TrainParams(n_est=5, seed=1)})
    monkeypatch.chdir(tmp_path)
    (tmp_path / "dvc.lock").write_text(LOCK)
    ts = hour["timestamp"]
    january = hour[(ts >= pd.Timestamp("2011-01-01")) & (ts < pd.Timestamp("2011-02-01"))]
    save_model(train(january, p), paths.MODEL, {})
    write_json(paths.METRICS, {"mae": 20.0, "rmse": 30.0})  # the retrained model's (not under test)
    return p


def deployed_column(plan: dict, monitor_md: str) -> dict[str, str]:
    text = retrain.body({**plan, "model_version": VERSION}, monitor_md)
    return dict(re.findall(r"^\| (mae|rmse) \| ([^|]+) \|", text, re.M))


def test_monitor_twice_the_prs_eval_week_is_a_monitored_week_with_the_deployed_metrics(
        site: Params, make_batch, tmp_path: Path):
    prod = str(tmp_path / "prod")
    for start, end in (("2011-02-01", "2011-02-15"), ("2011-02-15", "2011-03-01")):
        store.write_batch(prod, make_batch(start, end, VERSION), site, "serve")
    first = run.monitor(site, prod, force=True)
    assert first["retrain"]["eval"] == {"start": "2011-02-01T00:00:00", "end": "2011-02-08T00:00:00"}
    column = deployed_column(first, (paths.MONITOR_REPORTS / "monitor.md").read_text())
    assert column["mae"].strip() != "–"

    # a week later the data ends on a Saturday, mid-week of the grid (weeks from 2011-02-01)
    store.write_batch(prod, make_batch("2011-03-01", "2011-03-06", VERSION), site, "serve")
    second = run.monitor(site, prod, force=True)
    assert second["retrain"]["train"]["end"] == "2011-03-08T00:00:00"
    ev = second["retrain"]["eval"]
    assert ev == {"start": "2011-02-08T00:00:00", "end": "2011-02-15T00:00:00"}
    week = next(w for w in second["windows"] if w["start"] == ev["start"])
    column = deployed_column(second, (paths.MONITOR_REPORTS / "monitor.md").read_text())
    assert column["mae"].strip() == f"{week['quality']['mae']:.4g}"
    assert json.loads((paths.MONITOR_REPORTS / "monitor.json").read_text()) == second
