"""The PR job's helper scripts outside act, and the workflow's wiring of their outputs."""

from __future__ import annotations

import yaml

from tests.conftest import ROOT, copy_worktree, run
from tests.workflows.harness import WORKFLOWS


def test_pr_data_bootstraps_from_the_official_url_when_no_remote_is_set(tmp_path, env):
    repo = copy_worktree(tmp_path / "repo")
    out = tmp_path / "github_output"
    proc = run(["bash", str(ROOT / "ci" / "pr-data.sh")], repo, {**env, "GITHUB_OUTPUT": str(out)})
    assert "::warning::No DVC remote configured" in proc.stdout
    assert out.read_text() == "persisted=false\n"
    assert (repo / "data" / "hour.csv").stat().st_size > 1_000_000
    assert run(["git", "status", "--porcelain", "data.dvc"], repo).stdout == ""


def test_pr_workflow_persists_nothing_when_the_data_was_bootstrapped():
    steps = yaml.safe_load((WORKFLOWS / "pr.yml").read_text())["jobs"]["report"]["steps"]
    by_run = {s.get("run", "").split()[0] if s.get("run") else s.get("uses"): s for s in steps}
    for command in ("dvc", "ci/push-results.sh"):
        assert by_run[command]["if"] == "steps.data.outputs.persisted == 'true'"
    order = [s.get("run", s.get("uses", "")).split()[0] for s in steps]
    assert order.index("ci/pr-data.sh") < order.index("dvc") < order.index("staleguard") \
        < order.index("cml") < order.index("ci/push-results.sh")
