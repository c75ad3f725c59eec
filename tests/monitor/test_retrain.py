"""The retraining step's pure parts and its refusals (the git/DVC/CML path runs under act)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from staleguard.errors import StaleguardError
from staleguard.monitor import retrain
from staleguard.params import load_params

ROOT = Path(__file__).resolve().parents[2]


def test_retrain_move_windows_keeps_comments_and_loads(tmp_path: Path):
    path = tmp_path / "params.yaml"
    path.write_text((ROOT / "params.yaml").read_text())
    retrain.move_windows(path, {"start": "2011-01-25T00:00:00", "end": "2011-02-22T00:00:00"},
                         {"start": "2011-02-22T00:00:00", "end": "2011-03-01T06:00:00"})
    text = path.read_text()
    assert 'train: {start: "2011-01-25", end: "2011-02-22"}' in text
    assert 'eval: {start: "2011-02-22", end: "2011-03-01 06:00"}' in text
    assert "# Every knob of the pipeline" in text
    params = load_params(path)
    assert params.windows.train.end == params.windows.eval.start
    assert params.windows.eval.end.hour == 6


def test_retrain_load_plan_missing_says_run_monitor(tmp_path: Path):
    with pytest.raises(StaleguardError, match=r"monitor.json: no monitor plan .*run `staleguard monitor`"):
        retrain.load_plan(tmp_path / "monitor.json")


def test_retrain_load_plan_without_drift_refuses(tmp_path: Path):
    (tmp_path / "monitor.json").write_text(json.dumps({"drift": False}))
    with pytest.raises(StaleguardError, match=r"the monitor found no drift; nothing to retrain"):
        retrain.load_plan(tmp_path / "monitor.json")


def test_retrain_sh_failure_is_one_line_with_last_error(tmp_path: Path):
    with pytest.raises(StaleguardError, match=r"git -C .* failed \(exit 128\): fatal: .*"):
        retrain.sh("git", "-C", str(tmp_path / "nowhere"), "status")


def test_retrain_body_reads_top_down_and_says_what_happens_next(tmp_path: Path, monkeypatch):
    """Issue 20: the decision and evidence first, metrics and next steps, the weekly detail
    folded last; what happens next follows the token that pushed the PR."""
    from staleguard.monitor import job_summary

    monkeypatch.chdir(tmp_path)
    (tmp_path / "reports").mkdir()
    (tmp_path / "reports" / "metrics.json").write_text(json.dumps({"mae": 20.5, "r2": 0.81}))
    ev = {"start": "2011-02-22T00:00:00", "end": "2011-03-01T00:00:00"}
    plan = {"batches": [{}, {}], "model_version": "abcd1234",
            "windows": [{**ev, "quality": {"mae": 25.51, "r2": 0.7}}],
            "retrain": {"branch": "retrain/abcd1234", "base": "main", "eval": ev}}
    monitor_md = ("## Retrain: drift detected in week of 2011-02-15\n\n### Evidence: keep the "
                  "deployed model, or retrain?\n\nverdict\n\n"
                  f"{job_summary.FOLD}<summary>Week by week</summary>\n\n| week of |\n\n</details>\n")
    text = retrain.body(plan, monitor_md, repo_token=False)
    assert text.startswith("## Retrain: drift detected in week of 2011-02-15\n\n### Evidence")
    order = [text.index(s) for s in ("### Evidence", "### Retrained model, evaluated on "
                                     "[2011-02-22, 2011-03-01)", "**What happens next.**",
                                     "<details><summary>Week by week")]
    assert order == sorted(order), text
    assert "| metric | deployed `abcd1234` | retrained |" in text
    assert "| mae | 25.51 | 20.5 |" in text and "| r2 | 0.7 | 0.81 |" in text
    assert "adds 2 production batch(es)" in text and "`retrain/abcd1234`" in text
    assert "**`pr.yml` will not run on this PR by itself**" in text
    assert "compares it with the deployed model" not in text
    with_token = retrain.body(plan, monitor_md, repo_token=True)
    assert "`pr.yml` runs on this PR (it was pushed with `REPO_TOKEN`)" in with_token
    assert "will not run" not in with_token


def test_retrain_auth_env_only_for_https_origins(tmp_path: Path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    retrain.git("init", "-q")
    retrain.git("remote", "add", "origin", "https://github.com/o/r.git")
    monkeypatch.setenv("REPO_TOKEN", "tok")
    env = retrain.auth_env()
    assert env["GIT_CONFIG_KEY_0"] == "http.https://github.com/.extraheader"
    assert env["GIT_CONFIG_VALUE_0"].startswith("AUTHORIZATION: basic ")
    retrain.git("remote", "set-url", "origin", str(tmp_path / "bare.git"))
    assert retrain.auth_env() == {}


def test_retrain_windows_it_writes_put_the_newest_labeled_week_in_training(
        tmp_path: Path, make_batch, params):
    """decide → plan → params.yaml as `staleguard retrain` writes it: the shipped model's
    training window reaches past the newest labeled hour, and eval does not overlap it."""
    from staleguard.monitor import decision, job_summary

    current = make_batch("2011-02-01", "2011-03-01")
    out = decision.decide(make_batch("2011-01-01", "2011-02-01"), current, params,
                       lambda *a, **k: None, lambda r, p: type("V", (), {"drift": True,
                                                                         "reasons": ["x"]})())
    plan = job_summary.plan(out, params, "abcd1234", "prod", [])
    path = tmp_path / "params.yaml"
    path.write_text((Path(__file__).resolve().parents[2] / "params.yaml").read_text())
    retrain.move_windows(path, plan["retrain"]["train"], plan["retrain"]["eval"])
    moved = load_params(path).windows
    newest = current["timestamp"].max().to_pydatetime()
    assert moved.train.start <= newest - pd.Timedelta(days=6) and newest < moved.train.end
    assert moved.eval.end == moved.train.start


def test_failed_stage_prefers_the_stages_own_error_over_dvcs_wrapper():
    from staleguard.dvc_ops import failed_stage

    err = ("/x/site.py:3: UserWarning: something noisy\n"
           "staleguard: error: artifacts/prepared/train.parquet: 12 row(s) in windows.train\n"
           "ERROR: failed to reproduce 'train': failed to run: staleguard train, exited with 1\n")
    assert failed_stage(err, "Running stage 'train':\n> staleguard train\n") == (
        "train", "artifacts/prepared/train.parquet: 12 row(s) in windows.train")


def test_failed_stage_takes_a_tracebacks_exception_line():
    from staleguard.dvc_ops import failed_stage

    err = ("Traceback (most recent call last):\n  File \"x.py\", line 2, in <module>\n"
           "    fit()\nValueError: Input X contains infinity or a value too large for dtype('float32').\n"
           "ERROR: failed to reproduce 'train': failed to run: staleguard train, exited with 1\n")
    assert failed_stage(err) == ("train", "ValueError: Input X contains infinity or a value too "
                                          "large for dtype('float32').")


def test_failed_stage_falls_back_to_dvcs_own_error():
    from staleguard.dvc_ops import failed_stage

    assert failed_stage("ERROR: 'dvc.yaml' is invalid.\n") == (None, "'dvc.yaml' is invalid.")
    assert failed_stage("ERROR: failed to reproduce 'prepare': failed to run: x, exited with 1\n") == (
        "prepare", "failed to reproduce 'prepare': failed to run: x, exited with 1")


def test_repro_failure_is_one_line_naming_stage_and_cause(tmp_path: Path):
    """A real `dvc repro` whose stage prints our one-line error, as `staleguard train` does."""
    from staleguard import dvc_ops

    retrain.git("init", "-q", cwd=tmp_path)
    dvc_ops.dvc("init", "-q", cwd=tmp_path)
    (tmp_path / "fail.py").write_text("import sys\nprint('staleguard: error: in.csv: bad row 3', "
                                      "file=sys.stderr)\nsys.exit(1)\n")
    (tmp_path / "dvc.yaml").write_text("stages:\n  train:\n    cmd: python fail.py\n"
                                       "    outs: [out.txt]\n")
    with pytest.raises(StaleguardError, match=r"^stage 'train' failed: in.csv: bad row 3$"):
        dvc_ops.repro(cwd=tmp_path)
