"""Follow the registry: when a stage (`prod`) moves on origin, check the new model and swap it in.

The registry is GTO git tags (registry/tags.py), so following it is polling git. Every `every`
seconds a background thread runs `git fetch --tags origin` and compares the `model*` tags with the
last ones seen. Only when they changed does it resolve the stage in a subprocess
(`staleguard registry resolve <stage>`: GTO, the download through DVC and the md5 check against
that commit's dvc.lock, all off the server's interpreter), then load the file with the checks of
start-up (serve/loader.py: safe skops load, our features, a smoke prediction).

The swap is one reference assignment, `state.model = new`. Each request reads `state.model` once,
so a request in flight finishes on the model it started with. A model that fails a check is
refused: the old one keeps serving, the log says why, and so does /health until a later model
passes.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import json
import re
import subprocess
import sys
import threading
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from staleguard.errors import ConfigError, ModelError, StaleguardError
from staleguard.params import Params
from staleguard.registry import ARTIFACT, AUTO, STAGE, ResolvedModel
from staleguard.registry.files import is_path, json_or_none
from staleguard.registry.tags import VERSION_RE
from staleguard.serve.loader import LoadedModel, load_resolved

DURATION = re.compile(r"^(\d+(?:\.\d+)?)(ms|s|m|h)?$")
UNIT = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, None: 1.0}
RESOLVE_TIMEOUT = 600  # seconds for one download of a model through DVC


def seconds(text: str) -> float:
    """'60s', '2m', '500ms' or '90' → seconds (the --every option)."""
    match = DURATION.match(str(text).strip())
    if not match or float(match[1]) <= 0:
        raise ConfigError(f"--every {text!r}: expected a positive duration such as 60s, 2m or 500ms")
    return float(match[1]) * UNIT[match[2]]


def followed_stage(spec: str) -> str:
    """The stage a `--model` spec follows: `auto` follows prod; versions and paths cannot move."""
    if spec == AUTO:
        return STAGE
    if is_path(spec) or VERSION_RE.match(spec):
        raise ConfigError(f"--follow needs a stage such as {STAGE!r} (or 'auto'); {spec!r} never moves")
    return spec


def now() -> datetime:
    return datetime.now(UTC)


def release_memory() -> None:
    """Return freed heap pages to the system (glibc): a model loaded in this thread and the one it
    replaced otherwise stay in the process's RSS, which then grows by a model or two per swap."""
    libc = ctypes.util.find_library("c")
    trim = getattr(ctypes.CDLL(libc), "malloc_trim", None) if libc else None
    if trim is not None:
        trim(0)


def one_line(text: str) -> str:
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    return lines[-1].removeprefix("staleguard: error: ") if lines else "no output"


class Follower:
    """Polls the origin's registry tags and swaps `state.model` when `stage` points elsewhere."""

    def __init__(self, state: Any, params: Params, stage: str, every: float,
                 repo: Path | str = ".", remote: str = "origin") -> None:
        self.state, self.params, self.stage, self.every = state, params, stage, every
        self.repo, self.remote = Path(repo), remote
        self.last_tags: str | None = None
        self.last_check: datetime | None = None
        self.last_error: str | None = None
        self.refused: dict[str, Any] | None = None
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, name="registry-follow", daemon=True)

    def start(self) -> Follower:
        self.last_tags = self._tags()  # the model loaded at start-up matches today's tags
        self.thread.start()
        return self

    def close(self) -> None:
        self.stop.set()
        self.thread.join(timeout=30)

    def status(self) -> dict[str, Any]:
        return {"stage": self.stage, "every": self.every, "last_check": self.last_check,
                "last_error": self.last_error, "refused": self.refused}

    def _run(self) -> None:
        while not self.stop.wait(self.every):
            try:
                if self.check() == "swapped":
                    release_memory()  # the old model is gone now: give its pages back
            except Exception as err:  # never let the follower die silently
                self.last_error = f"{type(err).__name__}: {err}"
                self._log(f"check failed: {self.last_error}")

    def check(self) -> str:
        """One poll: 'unchanged', 'swapped', 'refused' or 'error' (fetch or resolve failed)."""
        started = time.perf_counter()
        try:
            self._git("fetch", "--quiet", "--force", "--tags", self.remote)
            tags = self._tags()
            if tags == self.last_tags:
                return self._checked("unchanged")
            source = self._resolve()
        except StaleguardError as err:
            self.last_error = str(err)
            self._log(f"cannot check the registry: {err}")
            return self._checked("error", keep_error=True)
        self.last_tags = tags
        current: LoadedModel = self.state.model
        if source.md5 == current.source.md5:  # e.g. a new tag elsewhere, or back to the served one
            self.refused = None
            return self._checked("unchanged")
        if self.refused and self.refused["md5"] == source.md5:  # refused once is enough
            return self._checked("unchanged")
        return self._checked(self._swap(source, current, started))

    def _checked(self, outcome: str, keep_error: bool = False) -> str:
        self.last_check = now()
        if not keep_error:
            self.last_error = None
        return outcome

    def _swap(self, source: ResolvedModel, current: LoadedModel, started: float) -> str:
        name = f"{source.version or '?'} ({source.short_hash})"
        loading = time.perf_counter()
        try:
            new = load_resolved(source, self.params)
        except StaleguardError as err:
            self.refused = {"version": source.version, "md5": source.md5, "reason": str(err), "at": now()}
            self._log(f"{self.stage} moved to {name}: REFUSED, still serving "
                      f"{current.source.version or current.model_version}: {err}")
            return "refused"
        self.state.model = replace(new, since=now())  # the swap: requests already running keep theirs
        gc.freeze()  # the new model's objects join the permanent generation, as at start-up
        self.refused = None
        self._log(f"{self.stage} moved: now serving {name}, was "
                  f"{current.source.version or '?'} ({current.model_version}); off the request path: "
                  f"fetched and resolved in {loading - started:.2f} s, loaded and checked in "
                  f"{time.perf_counter() - loading:.2f} s")
        return "swapped"

    def _resolve(self) -> ResolvedModel:
        """`staleguard registry resolve <stage>` in a subprocess: GTO + DVC + md5 check."""
        cmd = [sys.executable, "-m", "staleguard.cli", "registry", "resolve", self.stage]
        try:
            proc = subprocess.run(cmd, cwd=self.repo, capture_output=True, text=True,
                                  timeout=RESOLVE_TIMEOUT)
        except subprocess.TimeoutExpired as err:
            raise ModelError(f"resolving {self.stage} took over {RESOLVE_TIMEOUT} s") from err
        if proc.returncode != 0:
            raise ModelError(f"cannot resolve {self.stage}: {one_line(proc.stderr or proc.stdout)}")
        found = json.loads(proc.stdout)
        path = Path(found["path"])
        if not path.is_absolute():
            path = self.repo / path
        metrics = path.parent / "metrics.json"  # fetch() keeps the version's metrics beside it
        return ResolvedModel(path, found["md5"], found["version"], found["rev"], json_or_none(metrics))

    def _tags(self) -> str:
        return self._git("for-each-ref", "--format=%(refname) %(objectname)", f"refs/tags/{ARTIFACT}*")

    def _git(self, *args: str) -> str:
        try:
            proc = subprocess.run(["git", "-C", str(self.repo), *args], capture_output=True, text=True,
                                  timeout=120)
        except subprocess.TimeoutExpired as err:
            raise ModelError(f"git {args[0]} took over 120 s") from err
        if proc.returncode != 0:
            raise ModelError(f"git {args[0]} failed: {one_line(proc.stderr) or proc.returncode}")
        return proc.stdout

    def _log(self, message: str) -> None:
        print(f"serve: follow: {message}", file=sys.stderr, flush=True)
