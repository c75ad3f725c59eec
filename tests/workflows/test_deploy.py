"""deploy.yml under act: the reviewed model becomes a tagged version at prod with one release.

The seeded repository's main ran `dvc repro` and pushed to a local DVC remote; `origin` is a
local bare repository, and `gh` the recording stand-in in tests/workflows/bin/.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.conftest import run
from tests.workflows.conftest import clone_seed
from tests.workflows.harness import commit_all, git, make_origin, run_act

pytestmark = [pytest.mark.workflows, pytest.mark.slow]


def gh_calls(tmp: Path) -> list[dict]:
    log = tmp / "gh.jsonl"
    return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []


def origin_tags(bare: Path) -> list[str]:
    out = run(["git", "--git-dir", str(bare), "tag", "--list"], bare).stdout
    return sorted(out.split())


def deploy(repo: Path, tmp: Path):
    env = {**os.environ, "GH_SHIM_LOG": str(tmp / "gh.jsonl")}
    return run_act(repo, tmp, "push", "deploy.yml", env=env)


@pytest.fixture
def repo(seeded: Path, tmp_path: Path) -> Path:
    repo = clone_seed(seeded, tmp_path / "repo")
    make_origin(repo, tmp_path / "origin.git")
    return repo


def test_deploy_tags_version_and_prod_and_publishes_one_release(repo, tmp_path):
    result = deploy(repo, tmp_path)
    assert result.code == 0 and result.jobs == {"deploy": "success"}, result

    assert origin_tags(tmp_path / "origin.git") == ["model#prod#1", "model@v0.0.1"]
    tagged = run(["git", "--git-dir", str(tmp_path / "origin.git"), "rev-list", "-n1", "model@v0.0.1"],
                 tmp_path).stdout.strip()
    assert tagged == git(repo, "rev-parse", "HEAD")
    calls = gh_calls(tmp_path)
    assert len(calls) == 1, calls
    call = calls[0]
    assert call["command"] == "release create" and call["tag"] == "model@v0.0.1"
    assert call["token_var"] == "GH_TOKEN" and call["verify_tag"]
    md5 = run(["python", "-c", "from staleguard.registry import current_md5; print(current_md5())"],
              repo).stdout.strip()
    data_md5 = next(ln.split()[-1] for ln in (repo / "data.dvc").read_text().splitlines() if "md5" in ln)
    mae = json.loads((repo / "reports" / "metrics.json").read_text())["mae"]
    for expected in ("# Model v0.0.1 (prod)", md5, data_md5, "training window", str(mae), "## Drift"):
        assert expected in call["notes"], (expected, call["notes"])
    assert call["files"] == ["artifacts/model.json", "reports/metrics.json"]

    # a second push with the same model (on GitHub the checkout brings origin's tags along)
    git(repo, "fetch", "-q", "origin", "--tags")
    again = deploy(repo, tmp_path)
    assert again.code == 0 and again.jobs == {"deploy": "success"}, again
    assert "already tagged as model@v0.0.1" in again.output
    assert origin_tags(tmp_path / "origin.git") == ["model#prod#1", "model@v0.0.1"]
    assert len(gh_calls(tmp_path)) == 1


def test_deploy_with_stale_dvc_lock_fails_and_tags_nothing(repo, tmp_path):
    params = repo / "params.yaml"
    params.write_text(params.read_text().replace("n_est: 100", "n_est: 7"))
    commit_all(repo, "change params without dvc repro", ["params.yaml"])
    git(repo, "push", "-q", "origin", "main")

    result = deploy(repo, tmp_path)
    assert result.code != 0 and result.jobs == {"deploy": "failure"}, result
    assert "dvc.lock is out of date" in result.output and "train" in result.output
    assert "never retrains" in result.output
    assert result.steps.get("Refuse a stale dvc.lock (deploy never retrains)") == "failure"
    assert origin_tags(tmp_path / "origin.git") == []
    assert gh_calls(tmp_path) == []
