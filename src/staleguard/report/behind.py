"""Is the PR branch behind its base in a way that changes the pipeline?

The PR job computes on the branch's own head (not GitHub's merge ref), so its results belong to
the tree they are committed onto. The price: commits that reached the base after the branch left
it are not in that tree. When they touch what the pipeline reads (dvc.yaml, params, `.dvc`
files, a stage's deps), the merged result would differ from what was reviewed, and the comment
says the branch must be updated first.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass, field
from typing import Any

import yaml

from staleguard.report.sources import show


@dataclass(frozen=True)
class Behind:
    """What the base gained since the branch point that the pipeline reads."""

    fork_point: str
    base_sha: str
    commits: int
    paths: list[str] = field(default_factory=list)


def _git(*args: str) -> str | None:
    proc = subprocess.run(["git", *args], capture_output=True, text=True)
    return proc.stdout.strip() if proc.returncode == 0 else None


def pipeline_inputs(dvc_yaml: dict[str, Any] | None) -> set[str]:
    """Paths the pipeline reads: dvc.yaml itself, params files, every stage's deps."""
    inputs = {"dvc.yaml", "params.yaml"}
    for stage in ((dvc_yaml or {}).get("stages") or {}).values():
        if not isinstance(stage, dict):
            continue
        inputs.update(str(d) for d in stage.get("deps") or [] if isinstance(d, str))
        for entry in stage.get("params") or []:
            if isinstance(entry, dict):
                inputs.update(str(k) for k in entry if str(k).endswith((".yaml", ".yml",
                                                                        ".json", ".toml")))
    return {p.rstrip("/") for p in inputs}


def reads(path: str, inputs: set[str]) -> bool:
    return path.endswith(".dvc") or any(path == p or path.startswith(p + "/") for p in inputs)


def behind(base_sha: str, head: str = "HEAD") -> Behind | None:
    """The base's pipeline changes since the branch point, or None when there are none (or the
    branch point cannot be found: a shallow clone)."""
    fork_point = _git("merge-base", head, base_sha)
    if fork_point is None or fork_point == base_sha:
        return None
    changed = (_git("diff", "--name-only", fork_point, base_sha) or "").splitlines()
    text = show(base_sha, "dvc.yaml")
    try:
        inputs = pipeline_inputs(yaml.safe_load(text) if text else None)
    except yaml.YAMLError:
        inputs = {"dvc.yaml", "params.yaml"}
    hits = sorted(p for p in changed if reads(p, inputs))
    if not hits:
        return None
    count = _git("rev-list", "--count", f"{fork_point}..{base_sha}") or "0"
    return Behind(fork_point, base_sha, int(count), hits)
