"""A tiny DVC + git project with two committed model versions (no real training: bytes per seed)."""

from __future__ import annotations

import contextlib
import shutil
from pathlib import Path

import pytest

from tests.conftest import run

MAKE = """
import json, pathlib, yaml
seed = yaml.safe_load(open("params.yaml"))["train"]["seed"]
out = pathlib.Path("artifacts"); out.mkdir(exist_ok=True)
(out / "model.skops").write_bytes(f"model bytes for seed {seed}".encode() * 100)
(out / "model.json").write_text(json.dumps({"estimator": "random_forest", "seed": seed}))
pathlib.Path("reports").mkdir(exist_ok=True)
pathlib.Path("reports/metrics.json").write_text(json.dumps({"mae": 10.0 + seed, "r2": 0.5}))
"""
DVC_YAML = """stages:
  train:
    cmd: python make.py
    deps: [make.py]
    params: [train.seed]
    outs: [artifacts/model.skops, artifacts/model.json]
    metrics:
      - reports/metrics.json:
          cache: false
artifacts:
  model:
    path: artifacts/model.skops
    type: model
"""
PARAMS = """windows:
  train: {{start: "2011-01-01", end: "2011-02-01"}}
  eval: {{start: "2011-02-01", end: "2011-02-08"}}
train: {{seed: {seed}, n_est: 10}}
features: {{numerical: [temp], categorical: [season], target: cnt}}
"""


def sh(repo: Path, *cmd: str) -> str:
    return run(list(cmd), repo).stdout.strip()


def init_repo(repo: Path, remote: Path) -> Path:
    """A git + DVC repository on `main` whose default DVC remote is the local folder `remote`."""
    from dvc.repo import Repo

    repo.mkdir()
    sh(repo, "git", "init", "-q", "-b", "main")
    sh(repo, "git", "config", "user.name", "t")
    sh(repo, "git", "config", "user.email", "t@t")
    Repo.init(str(repo)).close()
    (repo / ".dvc" / "config").write_text("[core]\n    remote = local\n    analytics = false\n"
                                          f"['remote \"local\"']\n    url = {remote}\n")
    return repo


def commit_seed(repo: Path, seed: int) -> str:
    """Reproduce and push in-process (DVC's Python API: no CLI start-up per call), then commit."""
    from dvc.repo import Repo

    (repo / "params.yaml").write_text(PARAMS.format(seed=seed))
    with contextlib.chdir(repo), Repo(str(repo)) as dvc_repo:  # DVC resolves some paths from the cwd
        dvc_repo.reproduce()
        dvc_repo.push()
    sh(repo, "git", "add", "-A")
    sh(repo, "git", "commit", "-qm", f"model seed {seed}")
    return sh(repo, "git", "rev-parse", "HEAD")


@pytest.fixture(scope="module")
def two_versions(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Commits A (seed 1) and B (seed 2, HEAD), outputs pushed to a local DVC remote."""
    root = tmp_path_factory.mktemp("registry")
    repo = init_repo(root / "repo", root / "remote")
    (repo / "make.py").write_text(MAKE)
    (repo / "dvc.yaml").write_text(DVC_YAML)
    commit_seed(repo, 1)
    commit_seed(repo, 2)
    return repo


@pytest.fixture
def repo(two_versions: Path, tmp_path: Path) -> Path:
    """A private copy (its tags are its own; the DVC remote is shared and read-only here)."""
    dest = tmp_path / "repo"
    shutil.copytree(two_versions, dest, symlinks=True)
    return dest
