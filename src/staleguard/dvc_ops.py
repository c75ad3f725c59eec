"""The few DVC operations the CLI drives (remote setup, add), as subprocess calls with checks."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from staleguard.errors import StaleguardError

REMOTE_ENV = "STALEGUARD_REMOTE"
DEFAULT_REMOTE = Path("~/.cache/staleguard/dvc-remote")


def dvc(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run `dvc args...`; on failure raise with DVC's own last error line."""
    proc = subprocess.run(["dvc", *args], capture_output=True, text=True)
    if check and proc.returncode != 0:
        lines = [ln for ln in (proc.stderr or proc.stdout).splitlines() if ln.strip()]
        raise StaleguardError(f"dvc {' '.join(args)} failed: {lines[-1] if lines else proc.returncode}")
    return proc


def default_remote() -> str:
    """The configured default remote's name, or '' when none is set."""
    return dvc("config", "core.remote", check=False).stdout.strip()


def setup_remote(url: str | None = None) -> str:
    """Make sure a default remote exists: keep a configured one, else add a local folder remote.

    The folder is outside the work tree and written to .dvc/config.local, which git ignores.
    """
    if current := default_remote():
        return f"default DVC remote already set: {current}"
    target = url or os.environ.get(REMOTE_ENV) or str(DEFAULT_REMOTE.expanduser())
    if "://" not in target:
        Path(target).mkdir(parents=True, exist_ok=True)
    dvc("remote", "add", "--local", "--default", "--force", "local", target)
    return f"default DVC remote 'local' → {target} (in .dvc/config.local, not committed)"


def add(path: str) -> None:
    dvc("add", "--quiet", path)
