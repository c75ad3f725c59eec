"""Shared fixtures: the real UCI archive, and throwaway copies of this project with a DVC remote."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED_ZIP = ROOT.parent / "shared" / "data" / "bike-sharing" / "Bike-Sharing-Dataset.zip"


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
