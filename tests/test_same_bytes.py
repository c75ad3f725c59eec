"""Same inputs, same bytes (issue 31.2): `dvc repro -f` on unchanged code, data and params
rewrites every stage output with the bytes it had, so `dvc.lock` does not move and a re-run PR
job has nothing to commit; and the issue's near-constant model (3 trees, min_split 2000) runs
the whole pipeline, drift stage included, and its PR reads `worse` on every run (31.3)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from tests.conftest import clone_seed, run

pytestmark = pytest.mark.slow


def stage_outputs(repo: Path) -> dict[str, bytes]:
    """dvc.lock and every file of every output it lists (folders file by file)."""
    lock = yaml.safe_load((repo / "dvc.lock").read_text())
    paths = [out["path"] for stage in lock["stages"].values() for out in stage.get("outs", [])]
    files = {"dvc.lock": repo / "dvc.lock"}
    for rel in paths:
        root = repo / rel
        for path in sorted(root.rglob("*")) if root.is_dir() else [root]:
            if path.is_file():
                files[str(path.relative_to(repo))] = path
    return {rel: path.read_bytes() for rel, path in files.items()}


def changed(before: dict[str, bytes], after: dict[str, bytes]) -> list[str]:
    return sorted(rel for rel in before.keys() | after.keys() if before.get(rel) != after.get(rel))


def set_train(repo: Path, **values: object) -> None:
    text = (repo / "params.yaml").read_text()
    for key, value in values.items():
        text = re.sub(rf"(?m)^(  {key}:\s*)\S+", rf"\g<1>{value}", text, count=1)
    (repo / "params.yaml").write_text(text)


def test_dvc_repro_forced_rewrites_every_output_with_the_same_bytes(reproduced, env, tmp_path):
    project = clone_seed(reproduced, tmp_path / "repo")
    before = stage_outputs(project)
    assert len(before) > 10 and "artifacts/estimator.skops" in before, sorted(before)
    out = run(["dvc", "repro", "-f"], project, env).stdout
    assert "Running stage 'drift'" in out, out
    assert changed(before, stage_outputs(project)) == []
    assert run(["git", "status", "--porcelain"], project, env).stdout == ""


def test_a_near_constant_model_repeats_its_bytes_and_its_pr_reads_worse(reproduced, env, tmp_path):
    """The issue's weak model crashed the drift stage ("Too many bins for data range") on some
    runs and changed reference.json, estimator.skops and drift.html on others."""
    project = clone_seed(reproduced, tmp_path / "repo")
    run(["git", "checkout", "-qb", "pr"], project, env)
    set_train(project, n_est=3, min_split=2000)
    run(["dvc", "repro"], project, env)
    first = stage_outputs(project)
    drift = json.loads(first["reports/drift.json"])
    assert drift["prediction"]["score"] is not None and isinstance(drift["drift"], bool), drift
    report = ["staleguard", "report", "pr", "--base", "main", "--output", "reports/pr/report.md"]
    for attempt in range(2):
        if attempt:
            run(["dvc", "repro", "-f"], project, env)
            assert changed(first, stage_outputs(project)) == []
        out = run(report, project, env).stdout
        gate = json.loads((project / "reports/pr/gate.json").read_text())
        assert gate["verdict"] == "worse" and gate["ci"][0] > 0.02, (gate, out)
        assert run(["staleguard", "report", "gate"], project, env, check=False).returncode == 1
