"""`staleguard serve` as a real process on a free loopback port, and calls to it over HTTP."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml

from tests.conftest import free_port, wait_for_http
from tests.serve.conftest import ROOT


def params_file(tmp: Path, source: Path = ROOT / "params.yaml", **serve: Any) -> Path:
    """`source` with `serve` settings changed (by default: flush only on shutdown or 100 rows)."""
    raw = yaml.safe_load(source.read_text())
    raw.setdefault("serve", {}).update({"flush_rows": 100, "flush_seconds": 600, **serve})
    path = tmp / "params.yaml"
    path.write_text(yaml.safe_dump(raw))
    return path


def start(tmp: Path, model: Path, *args: str, store: str | None = None, env: dict[str, str] | None = None,
          source: Path = ROOT / "params.yaml", **serve: Any) -> tuple[str, subprocess.Popen[str]]:
    """Start a server (its journal in tmp/journal unless `env` says otherwise); stdout/stderr to files."""
    port = free_port()
    settings = params_file(tmp, source, **serve)
    cmd = [sys.executable, "-m", "staleguard.cli", "--params", str(settings), "serve", "--model", str(model),
           "--port", str(port), "--store", store or str(tmp / "store"), *args]
    run_env = {**os.environ, "STALEGUARD_STORE": "", "STALEGUARD_JOURNAL": str(tmp / "journal"),
               **(env or {})}
    out, err = (tmp / "serve.out").open("a"), (tmp / "serve.err").open("a")
    proc = subprocess.Popen(cmd, cwd=tmp, stdout=out, stderr=err, text=True, env=run_env)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for_http(f"{url}/health", proc, timeout=90)
    except Exception:
        stop(proc)
        raise
    return url, proc


def stop(proc: subprocess.Popen[str]) -> None:
    """SIGINT (uvicorn shuts down, the log ships what it can), SIGKILL if that takes over 60 s."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@contextmanager
def serving(tmp: Path, model: Path, *args: str, **kwargs: Any) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    url, proc = start(tmp, model, *args, **kwargs)
    try:
        yield url, proc
    finally:
        stop(proc)


def call(url: str, body: object | None = None, token: str | None = None, timeout: float = 30,
         data: bytes | None = None) -> tuple[int, dict[str, Any]]:
    """(status, JSON body) of a GET (no body) or POST; errors are answers too."""
    headers = {"Content-Type": "application/json"}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    payload = data if data is not None else None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=payload, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


def output(tmp: Path) -> str:
    return "".join((tmp / name).read_text() for name in ("serve.out", "serve.err") if (tmp / name).exists())
