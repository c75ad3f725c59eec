"""A scratch copy of the repository where the retrain works, so a failure touches nothing.

`staleguard retrain` copies batches into data/, runs `dvc add`, rewrites params.yaml, runs
`dvc repro` and commits; done in the user's checkout, any failure left a dirty work tree and a
changed index. Here all of that happens in a temporary clone of HEAD that shares the checkout's
git objects (`git clone --shared`) and its DVC cache, and is deleted afterwards, whatever happened.

A clone rather than `git worktree add`: `cml pr create` runs `git checkout -B <base branch>`,
which git refuses in a worktree while the base branch is checked out in the user's checkout.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from staleguard import dvc_ops
from staleguard.errors import StaleguardError


def _git(*args: str, cwd: Path) -> str:
    proc = subprocess.run(["git", *args], capture_output=True, text=True, cwd=cwd)
    if proc.returncode != 0:
        lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
        last = lines[-1] if lines else proc.returncode
        raise StaleguardError(f"git {args[0]} (scratch clone) failed: {last}")
    return proc.stdout.strip()


def _dvc_config(root: Path, scratch: Path) -> None:
    """The clone uses the checkout's DVC remotes (config.local is untracked) and its cache."""
    local = root / ".dvc" / "config.local"
    if local.exists():
        shutil.copy2(local, scratch / ".dvc" / "config.local")
    cache = dvc_ops.dvc("cache", "dir", cwd=root).stdout.strip()
    dvc_ops.dvc("cache", "dir", "--local", str((root / cache).resolve()), cwd=scratch)


@contextmanager
def scratch_clone(root: Path, pull: tuple[str, ...] = ()) -> Iterator[Path]:
    """Yield a clone of `root`'s HEAD (same branch name, same `origin` URL) with the DVC targets
    `pull` checked out from the shared cache; removed on exit. `root` is only read."""
    root = root.resolve()
    tmp = Path(tempfile.mkdtemp(prefix="staleguard-retrain-"))
    scratch = tmp / root.name
    try:
        head = _git("rev-parse", "HEAD", cwd=root)
        branch = _git("branch", "--show-current", cwd=root)
        _git("clone", "-q", "--shared", "--no-checkout", str(root), str(scratch), cwd=tmp)
        origin = subprocess.run(["git", "remote", "get-url", "origin"], capture_output=True,
                                text=True, cwd=root).stdout.strip()
        if origin:
            _git("remote", "set-url", "origin", origin, cwd=scratch)
        else:
            _git("remote", "remove", "origin", cwd=scratch)
        _git("checkout", "-q", *(["-B", branch] if branch else ["--detach"]), head, cwd=scratch)
        _dvc_config(root, scratch)
        if pull:
            dvc_ops.dvc("checkout", "--quiet", *pull, cwd=scratch)
        yield scratch
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
