"""What a deploy does to the registry: check dvc.lock is current, register the reviewed model, promote it.

Register and promote are idempotent: a merge that leaves the model unchanged (docs, CI) tags nothing,
so re-running a deploy never mints a second version of the same model.
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from staleguard import artifacts
from staleguard.artifacts import lock_md5
from staleguard.errors import ModelError
from staleguard.registry.tags import (
    ARTIFACT,
    STAGE,
    Version,
    current_version,
    find_version,
    gto_errors,
    show_file,
    stage_assignment,
    versions,
)


@dataclass(frozen=True)
class Outcome:
    """The version acted on, the tag that names the action and whether this call created it."""

    version: Version
    tag: str
    created: bool


def stale_stages(status: dict[str, Any]) -> list[str]:
    """One `stage: what changed` line per entry of `dvc status --json` (an empty dict means current)."""
    lines = []
    for stage, changes in sorted(status.items()):
        parts = []
        for change in changes:
            if isinstance(change, dict):
                for kind, detail in change.items():
                    names = ", ".join(sorted(detail)) if isinstance(detail, dict) else str(detail)
                    parts.append(f"{kind} ({names})")
            else:
                parts.append(str(change))
        lines.append(f"{stage}: {'; '.join(parts) or 'changed'}")
    return lines


DEPLOYED = (artifacts.MODEL, artifacts.METRICS)  # what a deploy ships: the model and the metrics on its card


def deployed_stages(repo: Path | str = ".", files: tuple[Path, ...] = DEPLOYED) -> list[str]:
    """The dvc.yaml stages that write `files`; with `--with-deps`, DVC adds everything upstream.

    (DVC expands --with-deps only for stage targets, not for output paths.)"""
    source = Path(repo) / "dvc.yaml"
    try:
        doc = yaml.safe_load(source.read_text()) or {}
    except (OSError, yaml.YAMLError) as err:
        raise ModelError(f"{source}: cannot read the pipeline ({err})") from err
    wanted = {f.as_posix() for f in files}
    names = []
    for name, stage in (doc.get("stages") or {}).items():
        entries = [*(stage.get("outs") or []), *(stage.get("metrics") or []), *(stage.get("plots") or [])]
        if wanted & {next(iter(e)) if isinstance(e, dict) else str(e) for e in entries}:
            names.append(name)
    if not names:
        raise ModelError(f"{source}: no stage writes {sorted(wanted)}; the registry deploys those files")
    return names


def _dvc(repo: Path | str, *args: str) -> str:
    proc = subprocess.run(["dvc", *args], cwd=repo, capture_output=True, text=True)
    if proc.returncode != 0:
        lines = [ln for ln in (proc.stderr or proc.stdout).splitlines() if ln.strip()]
        raise ModelError(f"dvc {' '.join(args)} failed: {lines[-1] if lines else proc.returncode}")
    return proc.stdout


def pull(repo: Path | str = ".") -> list[str]:
    """Fetch, by the hashes in dvc.lock, the model, its metrics and everything upstream of them."""
    stages = deployed_stages(repo)
    _dvc(repo, "pull", "--with-deps", *stages)
    return stages


def check_lock(repo: Path | str = ".") -> None:
    """Fail unless the stages behind the model and its metrics match dvc.lock: deploy ships what was
    reviewed and never retrains. Stages that feed neither (a report-only stage) do not block it."""
    status = json.loads(_dvc(repo, "status", "--json", "--with-deps", *deployed_stages(repo)) or "{}")
    if status:
        raise ModelError("dvc.lock is out of date (" + " | ".join(stale_stages(status)) + "); run "
                         "`dvc repro` and commit dvc.lock in the pull request: deploy never retrains")


def register(repo: Path | str = ".", rev: str = "HEAD") -> Outcome:
    """Register the model named by dvc.lock at `rev`, unless that exact model is already a version."""
    import gto.api

    md5 = lock_md5(show_file(repo, rev, "dvc.lock"), source=f"dvc.lock at {rev}")
    existing = next((v for v in versions(repo) if v.md5 == md5), None)
    if existing:
        return Outcome(existing, existing.tag, created=False)
    with gto_errors(repo):
        reg = gto.api.register(str(repo), ARTIFACT, rev,
                               message=f"Register model {artifacts.model_id(md5)} "
                                       f"({artifacts.MODEL} md5 {md5})")
    return Outcome(find_version(reg.version, repo), reg.tag, created=True)


def promote(version: str, stage: str = STAGE, repo: Path | str = ".") -> Outcome:
    """Assign `stage` to `version`; a no-op when the stage already points at it."""
    import gto.api

    target = find_version(version, repo)
    held = stage_assignment(stage, repo)
    if held is not None and held[0] == target.version:
        return Outcome(target, held[1], created=False)
    with gto_errors(repo):  # force: GTO refuses a version that held the stage before (a rollback)
        done = gto.api.assign(str(repo), ARTIFACT, stage, version=target.version, force=True,
                              message=f"Promote model {target.version} ({target.short_hash}) to {stage}")
    return Outcome(target, done.tag, created=True)


def show(repo: Path | str = ".") -> list[dict[str, str]]:
    """Rows for `staleguard registry show`: version, model hash, commit and the stages it holds."""
    import gto.api

    stages: dict[str, list[str]] = {}
    with gto_errors(repo):
        known = gto.api.get_stages(str(repo)) or [STAGE]
    for stage in known:
        if (held := current_version(repo, stage)) is not None:
            stages.setdefault(held, []).append(stage)
    return [{"version": v.version, "model": v.short_hash, "commit": v.rev[:8],
             "stages": ",".join(stages.get(v.version, []))} for v in versions(repo)]
