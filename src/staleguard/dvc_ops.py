"""The few DVC operations the CLI drives (remote setup, add), as subprocess calls with checks."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

from staleguard.errors import StaleguardError

REMOTE_ENV = "STALEGUARD_REMOTE"
DEFAULT_REMOTE = Path("~/.cache/staleguard/dvc-remote")


def dvc(*args: str, check: bool = True, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run `dvc args...` (in `cwd`); on failure raise with DVC's own last error line."""
    proc = subprocess.run(["dvc", *args], capture_output=True, text=True, cwd=cwd)
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


def add(path: str, cwd: Path | None = None) -> None:
    dvc("add", "--quiet", path, cwd=cwd)


def repro(cwd: Path | None = None) -> None:
    """`dvc repro`; a failed stage becomes one line naming the stage and its own first error."""
    proc = dvc("repro", check=False, cwd=cwd)
    if proc.returncode != 0:
        stage, cause = failed_stage(proc.stderr, proc.stdout)
        raise StaleguardError(f"stage {stage!r} failed: {cause}" if stage else f"dvc repro failed: {cause}")


_FAILED = re.compile(r"^ERROR: failed to reproduce '([^']+)'")
_OURS = re.compile(r"^staleguard: error: (.+)$")


def failed_stage(stderr: str, stdout: str = "") -> tuple[str | None, str]:
    """(stage, cause) from a failed `dvc repro`'s output. The cause is the stage's own first
    meaningful line: our one-line error, else a traceback's exception line, else DVC's error
    (DVC's "failed to reproduce" wrapper only when the stage said nothing at all)."""
    lines = [ln.rstrip() for ln in stderr.splitlines() if ln.strip()]
    stage = next((m[1] for ln in lines if (m := _FAILED.match(ln))), None)
    if ours := next((m[1] for ln in lines if (m := _OURS.match(ln))), None):
        return stage, ours
    if "Traceback (most recent call last):" in lines:
        tail = lines[len(lines) - lines[::-1].index("Traceback (most recent call last):"):]
        if exc := next((ln for ln in tail if not ln.startswith((" ", "\t"))), None):
            return stage, exc
    errors = [ln.removeprefix("ERROR: ") for ln in lines if ln.startswith("ERROR: ")]
    plain = [ln for ln in lines if not ln.startswith(("ERROR: ", "WARNING: "))]
    if errors and not errors[0].startswith("failed to reproduce"):
        return stage, errors[0]
    if plain:
        return stage, plain[-1]
    out = [ln for ln in stdout.splitlines() if ln.strip()]
    return stage, (errors or out or ["no output"])[-1]
