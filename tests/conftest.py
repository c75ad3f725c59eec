"""Shared fixtures: the real UCI archive, and throwaway copies of this project with a DVC remote."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED_ZIP = ROOT.parent / "shared" / "data" / "bike-sharing" / "Bike-Sharing-Dataset.zip"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Run the long tests first: act workflows, then the other `slow` ones, then the rest. xdist
    hands tests out one by one as workers free up, so a long test left for the end (tests/workflows
    is collected last) keeps one worker busy while the other idles. The workflow tests alternate
    between their modules, so the two workers start by building different session seeds instead
    of one waiting for the other's."""
    def rank(item: pytest.Item) -> int:
        return 0 if item.get_closest_marker("workflows") else 1 if item.get_closest_marker("slow") else 2

    items.sort(key=rank)
    act = [item for item in items if rank(item) == 0]
    by_module: dict[str, list[pytest.Item]] = {}
    for item in act:
        by_module.setdefault(item.nodeid.split("::")[0], []).append(item)
    queues = list(by_module.values())
    items[:len(act)] = [queue[i] for i in range(max(map(len, queues), default=0))
                        for queue in queues if i < len(queue)]


def data_url() -> str:
    """The archive the tests use: STALEGUARD_DATA_URL, else the shared offline copy."""
    url = os.environ.get("STALEGUARD_DATA_URL")
    if url:
        return url
    if SHARED_ZIP.exists():
        return SHARED_ZIP.as_uri()
    pytest.skip("no offline copy of the UCI archive; set STALEGUARD_DATA_URL")


def zip_path() -> Path:
    url = data_url()
    return Path(url.removeprefix("file://")) if url.startswith("file://") or "://" not in url \
        else pytest.skip("tests need a local copy of the archive")


def run(cmd: list[str], cwd: Path, env: dict[str, str] | None = None, check: bool = True,
        timeout: float = 600) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    if check and proc.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)} exited {proc.returncode}\n{proc.stdout}\n{proc.stderr}")
    return proc


def repro_all(repo: Path, env: dict[str, str]) -> str:
    """`dvc repro` in `repo`, checked to have run every stage; its output."""
    out = run(["dvc", "repro"], repo, env).stdout
    for stage in ("prepare", "train", "evaluate", "drift"):
        assert f"Running stage '{stage}'" in out, out
    return out


def copy_worktree(dest: Path) -> Path:
    """Copy the files git would check out (tracked and untracked, minus ignored), then commit."""
    files = run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], ROOT).stdout
    for rel in filter(None, files.split("\0")):
        src = ROOT / rel
        if src.is_file():
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / rel)
    run(["git", "init", "-q", "-b", "main"], dest)
    run(["git", "add", "-A"], dest)
    run(["git", "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "template"], dest)
    return dest


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """Environment for subprocesses: the test archive, a private HOME, no stray remote."""
    return subprocess_env(tmp_path / "home")


def subprocess_env(home: Path) -> dict[str, str]:
    """`env` for fixtures of a wider scope: `home` (created) as HOME."""
    home.mkdir(parents=True)
    e = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "STALEGUARD_"))}
    e.update(STALEGUARD_DATA_URL=data_url(), HOME=str(home), GIT_AUTHOR_NAME="t",
             GIT_AUTHOR_EMAIL="t@t", GIT_COMMITTER_NAME="t", GIT_COMMITTER_EMAIL="t@t",
             DVC_NO_ANALYTICS="1")
    return e


@pytest.fixture
def project(tmp_path: Path, env: dict[str, str]) -> Path:
    """A fresh copy of the template with a local DVC remote and the real data fetched and pushed."""
    repo = copy_worktree(tmp_path / "repo")
    run(["staleguard", "setup", "--remote", str(tmp_path / "remote")], repo, env)
    run(["staleguard", "data", "fetch"], repo, env)
    run(["dvc", "push", "-q"], repo, env)
    return repo


REPRO_LOG = "repro.log"   # beside the repo in the `reproduced` folder: what its `dvc repro` printed


@pytest.fixture(scope="session")
def reproduced(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A template copy whose main ran the whole pipeline (`dvc repro` on the real data, committed,
    pushed to a local DVC remote committed as the default): `reproduced / "repo"`, and what that
    `dvc repro` printed in `reproduced / REPRO_LOG`. Tests copy it with `clone_seed`.

    The suite's one full bike pipeline run: built once per test session and shared by the xdist
    workers through a file lock (`xdist_group` cannot keep tests on one worker here: pytest 9
    ignores the node-id suffix xdist 3.8 sets).
    """
    return built_once(tmp_path_factory, "pr-seed", build_seed)


def built_once(tmp_path_factory: pytest.TempPathFactory, name: str,
               build: Callable[[Path], Path]) -> Path:
    """`build(folder)` once per test session, however many xdist workers ask: the first builds
    under a file lock in the session's shared temp folder, the others wait and reuse it."""
    if "PYTEST_XDIST_WORKER" not in os.environ:  # one process (also under -p no:xdist)
        return build(tmp_path_factory.mktemp(name))
    from filelock import FileLock

    root = tmp_path_factory.getbasetemp().parent / name
    with FileLock(str(root) + ".lock"):
        if not (root / "done").exists():
            shutil.rmtree(root, ignore_errors=True)
            build(root)
            (root / "done").touch()
    return root


def seed_env(home: Path) -> dict[str, str]:
    """Like the `env` fixture, for session-scoped setup: private HOME, the offline archive."""
    home.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "STALEGUARD_"))}
    env.update(STALEGUARD_DATA_URL=data_url(), HOME=str(home), DVC_NO_ANALYTICS="1",
               GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@t", GIT_COMMITTER_NAME="t",
               GIT_COMMITTER_EMAIL="t@t", AWS_MAX_ATTEMPTS="1")
    return env


def build_seed(root: Path) -> Path:
    env = seed_env(root / "home")
    repo = copy_worktree(root / "repo")
    remote = root / "remote"
    remote.mkdir(parents=True, exist_ok=True)
    (repo / ".dvc" / "config.local").unlink(missing_ok=True)
    run(["dvc", "remote", "add", "-f", "-d", "ci", str(remote)], repo, env)  # committed: act copies
    run(["git", "add", ".dvc/config"], repo, env)                         # only committed config
    run(["git", "commit", "-qm", "DVC remote for the tests"], repo, env)
    run(["staleguard", "data", "fetch"], repo, env)
    (root / REPRO_LOG).write_text(run(["dvc", "repro"], repo, env).stdout)
    run(["dvc", "push", "-q"], repo, env)
    # A clean checkout's repro reproduces the committed results byte for byte: often nothing to commit.
    run(["git", "add", "--", "dvc.lock", "data.dvc", "reports"], repo, env)
    run(["git", "commit", "-qm", "main: pipeline results", "--allow-empty"], repo, env)
    return root


def clone_seed(seed: Path, dest: Path) -> Path:
    """A private copy of the reproduced repo (its DVC remote stays shared: content-addressed)."""
    shutil.copytree(seed / "repo", dest, symlinks=True)
    return dest


@pytest.fixture(scope="session")
def hour() -> pd.DataFrame:
    """The real hour.csv with its timestamp, read once per session."""
    import zipfile

    from staleguard.contract import read_raw
    from staleguard.params import load_params

    tmp = Path(os.environ.get("PYTEST_TMPDIR", "/tmp")) / f"staleguard-hour-{os.getpid()}.csv"
    with zipfile.ZipFile(zip_path()) as zf:
        tmp.write_bytes(zf.read("hour.csv"))
    try:
        return read_raw(tmp, load_params(ROOT / "params.yaml"))
    finally:
        tmp.unlink(missing_ok=True)


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_http(url: str, proc: subprocess.Popen, timeout: float = 30) -> None:
    import time
    import urllib.request

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{proc.args} exited {proc.returncode} before serving {url}")
        try:
            urllib.request.urlopen(url, timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f"{url} did not answer within {timeout} s")


@pytest.fixture(scope="session")
def moto_s3() -> dict[str, str]:
    """A real S3 API (moto_server) on 127.0.0.1 with bucket `staleguard-test`; yields the AWS env."""
    if shutil.which("moto_server") is None:
        pytest.skip("moto[server] not installed")
    port = free_port()
    proc = subprocess.Popen(["moto_server", "-H", "127.0.0.1", "-p", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    endpoint = f"http://127.0.0.1:{port}"
    aws = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
           "AWS_DEFAULT_REGION": "us-east-1", "AWS_ENDPOINT_URL": endpoint}
    try:
        wait_for_http(f"{endpoint}/moto-api/", proc)
        import boto3

        boto3.client("s3", endpoint_url=endpoint, aws_access_key_id="testing",
                     aws_secret_access_key="testing", region_name="us-east-1"
                     ).create_bucket(Bucket="staleguard-test")
        yield aws
    finally:
        proc.terminate()
        proc.wait(timeout=10)
