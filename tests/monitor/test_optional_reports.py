"""Reports for people never break the decision (issue 34): with late labels the published week has
no actual yet and Evidently refuses an empty `y_true`; the monitor still decides and writes
monitor.json and monitor.md, says so in one warning line, and leaves no file of an earlier run in
reports/monitor/ looking current."""

from __future__ import annotations

import argparse
import json
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from staleguard import artifacts
from staleguard.errors import DataError
from staleguard.model import load_model
from staleguard.monitor import monitor_job, store
from staleguard.monitor.monitor_cli import cmd_monitor
from staleguard.params import Params
from staleguard.stages import train
from tests.conftest import zip_path
from tests.drift.conftest import window, with_train

VERSION = "abcd1234"
WEEKS = [("2011-02-01", "2011-02-08"), ("2011-02-08", "2011-02-15"), ("2011-02-15", "2011-02-22"),
         ("2011-02-22", "2011-03-01")]
EARLIER = ("monitor.json", "monitor.md", "drift.json", "drift.md", "drift.html", "summary.json",
           "plots/drift_scores.png")


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, hour: pd.DataFrame, params: Params
            ) -> tuple[Params, str]:
    """A working folder: the raw data, `train`'s outputs on January 2011 (10 trees), four weeks it
    logged after that."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(monitor_job, "deployed_version", lambda *a: VERSION)
    monkeypatch.delenv("GITHUB_OUTPUT", raising=False)
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    (tmp_path / "data").mkdir()
    with zipfile.ZipFile(zip_path()) as zf:
        (tmp_path / "data" / "hour.csv").write_bytes(zf.read("hour.csv"))
    p = with_train(params, n_est=10)
    ref = window(hour, p, "2011-01-01", "2011-02-01")
    artifacts.PREPARED.mkdir(parents=True)
    ref.to_parquet(artifacts.TRAIN_SET, index=False)
    train.main(p)  # the model, and the label-free estimator that decides the weeks without labels
    model = load_model(artifacts.MODEL)
    url = str(tmp_path / "store")
    for lo, hi in WEEKS:
        f = window(hour, p, lo, hi)
        f.insert(len(f.columns) - 1, store.PREDICTION, model.predict(f[p.features.columns]))
        f[store.MODEL_VERSION] = VERSION
        store.write_batch(url, f, p, "test")
    late = p.monitor.model_copy(update={"label_delay_days": 23, "html": True, "retrain_when": "drift"})
    return p.model_copy(update={"monitor": late}), url


def plant_an_earlier_run(out: Path) -> None:
    for name in EARLIER:
        (out / name).parent.mkdir(parents=True, exist_ok=True)
        (out / name).write_text("from an earlier run")


def run_cli(params: Params, url: str, monkeypatch: pytest.MonkeyPatch) -> int:
    """`staleguard monitor --dry-run` as the CLI runs it, on these params."""
    monkeypatch.setattr("staleguard.params.load_params", lambda *a: params)
    args = argparse.Namespace(params="params.yaml", engine=None, store=url, force=False, dry_run=True)
    return cmd_monitor(args)


def test_monitor_with_late_labels_and_html_decides_warns_once_and_leaves_nothing_stale(
        project, capsys, monkeypatch):
    params, url = project
    out = artifacts.MONITOR_REPORTS
    plant_an_earlier_run(out)
    assert run_cli(params, url, monkeypatch) == 0
    std = capsys.readouterr()
    plan = json.loads((out / "monitor.json").read_text())
    assert plan["drift"] is not None and plan["model_version"] == VERSION
    assert [w["labeled"] for w in plan["windows"]][-1] == 0  # the newest week: no label yet
    (warning,) = [line for line in std.err.splitlines() if "warning" in line]
    assert warning.startswith("staleguard: warning: drift.html for the week of 2011-02-2")
    assert "none of its labels has arrived yet (monitor.label_delay_days: 23)" in warning
    assert "Traceback" not in std.err
    (said,) = [line for line in std.out.splitlines() if line.startswith("monitor: ") and "drift=" not in line]
    assert said == f"monitor: {plan['retrain']['why']}"  # the rule's sentence, said once (issue 31)
    assert said.startswith(("monitor: Retrain: ", "monitor: No retraining PR: "))
    for name in EARLIER:  # rewritten by this run, or gone
        path = out / name
        assert not path.exists() or path.read_bytes() != b"from an earlier run", name
    assert (out / "drift.html").stat().st_size > 100_000


def test_an_html_step_that_fails_is_one_warning_and_the_decision_is_written(project, capsys, monkeypatch):
    params, url = project
    out = artifacts.MONITOR_REPORTS
    plant_an_earlier_run(out)

    def broken(*args: object) -> None:
        raise ValueError("An empty column 'y_true' was provided for drift calculation in the current "
                         "dataset.\nsecond line")

    monkeypatch.setattr("staleguard.drift.evidently_adapter.save_html", broken)
    assert run_cli(params, url, monkeypatch) == 0
    err = capsys.readouterr().err
    (failed,) = [line for line in err.splitlines() if "not written" in line]
    assert failed.startswith("staleguard: warning: drift.html not written for the week of 2011-02-")
    assert failed.endswith("(ValueError: An empty column 'y_true' was provided for drift calculation in the "
                           "current dataset.); the decision, monitor.json and monitor.md are")
    assert "Traceback" not in err and not (out / "drift.html").exists()
    assert json.loads((out / "monitor.json").read_text())["drift"] is not None
    assert (out / "drift.json").read_bytes() != b"from an earlier run"


def test_a_monitor_run_that_is_refused_leaves_no_earlier_report_looking_current(project, tmp_path):
    params, _ = project
    out = artifacts.MONITOR_REPORTS
    plant_an_earlier_run(out)
    (out / "rollback.json").write_text("the rollback job's own report")
    with pytest.raises(DataError, match="empty-store"):
        monitor_job.monitor(params, str(tmp_path / "empty-store"))
    assert [p.name for p in out.rglob("*") if p.is_file()] == ["rollback.json"]
