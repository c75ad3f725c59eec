"""After `make demo` on a fresh clone (pipeline run, nothing registered), `staleguard serve` works.

The default `serve.model: auto` serves the workspace model that dvc.lock names and says so in one
line; `--model prod` asked for explicitly stays strict. The repository is the suite's shared
`reproduced` template (its main ran `dvc repro`), so this adds no pipeline run of its own.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from staleguard.artifacts import current_model_id as current_hash
from tests.conftest import clone_seed, free_port, wait_for_http
from tests.serve.process import call

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("serve-http")]


def serve(repo: Path, *args: str) -> tuple[subprocess.Popen, str]:
    port = free_port()
    cmd = [sys.executable, "-m", "staleguard.cli", "serve", "--port", str(port),
           "--store", str(repo.parent / "store"), *args]
    env = {k: v for k, v in os.environ.items() if not k.startswith("STALEGUARD_")}
    proc = subprocess.Popen(cmd, cwd=repo, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**env, "STALEGUARD_MODEL_CACHE": str(repo.parent / "cache")})
    return proc, f"http://127.0.0.1:{port}"


def test_serve_after_make_demo_answers_with_the_workspace_model(reproduced, tmp_path, row):
    repo = clone_seed(reproduced, tmp_path / "repo")
    proc, url = serve(repo)
    try:
        wait_for_http(f"{url}/health", proc, timeout=90)
        status, health = call(f"{url}/health")
        assert status == 200 and health["model_version"] == current_hash(repo)
        status, pred = call(f"{url}/predict", row)
        assert status == 200 and len(pred["predictions"]) == 1
        assert pred["model_version"] == current_hash(repo)
    finally:
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=60)
    notes = [ln for ln in out.splitlines() if "workspace model" in ln]
    assert len(notes) == 1 and "no model is at stage 'prod' yet" in notes[0], out

    strict, _ = serve(repo, "--model", "prod")
    _, err = strict.communicate(timeout=120)
    assert strict.returncode == 1 and len(err.strip().splitlines()) == 1, err
    assert "no model version is at stage 'prod'" in err


def test_predict_after_make_demo_uses_the_workspace_model(reproduced, tmp_path):
    repo = clone_seed(reproduced, tmp_path / "repo")
    out = tmp_path / "pred.parquet"
    proc = subprocess.run([sys.executable, "-m", "staleguard.cli", "predict", "--input",
                           "artifacts/prepared/eval.parquet", "--output", str(out)], cwd=repo,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "predict: no model is at stage 'prod' yet" in proc.stderr and out.is_file()
