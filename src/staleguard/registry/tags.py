"""Model versions and stages as GTO git tags (`model@v0.0.3`, `model#prod#2`), mapped to model hashes.

A version is a git commit; the model it names is the `artifacts/model.skops` md5 recorded in that
commit's dvc.lock. So "which model is prod" needs only git, and the file itself comes from DVC.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from staleguard import artifacts
from staleguard.artifacts import lock_md5
from staleguard.errors import ModelError

ARTIFACT = "model"
STAGE = "prod"
VERSION_RE = re.compile(rf"^(?:{ARTIFACT}@)?(v\d+\.\d+\.\d+)$")


@dataclass(frozen=True)
class Version:
    """A model version in the registry: its GTO version, tag, commit and the model file's md5."""

    version: str
    tag: str
    rev: str
    md5: str

    @property
    def short_hash(self) -> str:
        return artifacts.model_id(self.md5)


def _in(repo: Path | str) -> str:
    """Message prefix naming the repository, unless it is the current directory."""
    return "" if str(repo) in (".", "") else f"{repo}: "


@contextmanager
def gto_errors(repo: Path | str) -> Iterator[None]:
    """GTO's exceptions → one-line ModelErrors naming the repo."""
    from gto.exceptions import GTOException

    try:
        yield
    except GTOException as err:
        raise ModelError(f"{_in(repo)}model registry: {err}") from err


def git(repo: Path | str, *args: str) -> str:
    proc = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True)
    if proc.returncode != 0:
        raise ModelError(f"{_in(repo)}git {' '.join(args)} failed: {proc.stderr.strip() or proc.returncode}")
    return proc.stdout


def show_file(repo: Path | str, rev: str, path: Path | str) -> str:
    """The text of a git-tracked file at `rev` (dvc.lock, data.dvc, reports/metrics.json)."""
    return git(repo, "show", f"{rev}:{Path(path).as_posix()}")


def versions(repo: Path | str = ".") -> list[Version]:
    """Registered (not deregistered) versions, newest first, each with its model md5."""
    import gto.api
    from gto.exceptions import ArtifactNotFound

    try:
        with gto_errors(repo):
            shown = gto.api.show(str(repo), ARTIFACT, registered_only=True)
    except ModelError as err:
        if isinstance(err.__cause__, ArtifactNotFound):
            return []  # no versions yet
        raise
    out = []
    for item in shown:
        tag = item["registrations"][0]["tag"] if item["registrations"] else item["ref"]
        rev = item["commit_hexsha"]
        out.append(Version(item["version"], tag, rev,
                           lock_md5(show_file(repo, rev, "dvc.lock"), source=f"dvc.lock at {tag}")))
    return out


def version_for_hash(short_or_md5: str, repo: Path | str = ".") -> str | None:
    """The newest version in the registry whose model md5 starts with `short_or_md5`, or None."""
    return next((v.version for v in versions(repo) if v.md5.startswith(short_or_md5)), None)


def find_version(version: str, repo: Path | str = ".") -> Version:
    match = VERSION_RE.match(version)
    if not match:
        raise ModelError(f"{version!r} is not a model version; expected e.g. 'v0.0.3' or 'model@v0.0.3'")
    found = [v for v in versions(repo) if v.version == match[1]]
    if not found:
        raise ModelError(f"{_in(repo)}model version {match[1]} is not in the registry; "
                         "see `staleguard registry show`")
    return found[0]


def hash_for_version(version: str, repo: Path | str = ".") -> str:
    return find_version(version, repo).short_hash


def stage_history(stage: str = STAGE, repo: Path | str = ".") -> list[tuple[str, str]]:
    """Every active `model#<stage>#N` assignment as (version, tag), newest first.

    GTO orders assignments by tag time, which has one-second resolution; the incremental N
    does not tie, so a rollback made seconds after a promotion still counts as the newest.
    """
    import gto.api
    from gto.exceptions import ArtifactNotFound

    try:
        with gto_errors(repo):
            found = gto.api.find_versions_in_stage(str(repo), ARTIFACT, stage, versions_per_stage=-1)
    except ModelError as err:
        if not isinstance(err.__cause__, ArtifactNotFound):
            raise
        return []
    tags = [(_assignment_number(a.tag), vs.version, a.tag) for vs in found or [] for a in vs.assignments]
    return [(version, tag) for _, version, tag in sorted(tags, reverse=True)]


def stage_assignment(stage: str = STAGE, repo: Path | str = ".") -> tuple[str, str] | None:
    """(version, tag) of the latest `model#<stage>#N` assignment still active, or None."""
    history = stage_history(stage, repo)
    return history[0] if history else None


def version_in_stage(stage: str = STAGE, repo: Path | str = ".") -> Version:
    """The version `stage` points at (see `stage_assignment`)."""
    held = stage_assignment(stage, repo)
    if held is None:
        raise ModelError(f"{_in(repo)}no model version is at stage {stage!r}; run `staleguard registry "
                         "promote` or pass a version or a .skops path")
    return find_version(held[0], repo)


def _assignment_number(tag: str) -> int:
    tail = tag.rsplit("#", 1)[-1]
    return int(tail) if tail.isdigit() else 0


def current_version(repo: Path | str = ".", stage: str = STAGE) -> str | None:
    """The version at `stage`, or None when nothing is assigned yet (e.g. before the first deploy)."""
    try:
        return version_in_stage(stage, repo).version
    except ModelError:
        return None
