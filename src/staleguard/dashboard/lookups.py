"""What the dashboard asks besides the history: the registry (what serves, since when) and `gh`
(whether each retraining PR was merged, closed or is still open). Both are optional: without
a registry or a GitHub token the page says what it could not learn."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

from staleguard.errors import ModelError


def registry_serving(repo: Path | str = ".") -> dict[str, Any] | None:
    """The prod version, its model id and when it was promoted (the stage tag's date), or None."""
    from staleguard.registry import STAGE, find_version, stage_history

    try:
        held = stage_history(STAGE, repo)
        if not held:
            return None
        version, tag = held[0]
        found = find_version(version, repo)
    except (ModelError, OSError):
        return None
    proc = subprocess.run(["git", "-C", str(repo), "for-each-ref", f"refs/tags/{tag}",
                           "--format=%(creatordate:iso-strict)"], capture_output=True, text=True)
    return {"version": version, "model": found.short_hash, "tag": tag,
            "since": proc.stdout.strip() or None, "stage": STAGE}


def pr_outcome(url: str | None, env: dict[str, str] | os._Environ[str] = os.environ) -> str:
    """merged | closed | open from GitHub's REST API through `gh`; unknown when it cannot ask."""
    if not url or "/pull/" not in url or shutil.which("gh") is None:
        return "unknown"
    if not (env.get("GH_TOKEN") or env.get("GITHUB_TOKEN")):
        return "unknown"
    number = url.rstrip("/").rsplit("/", 1)[-1]
    if not number.isdigit():
        return "unknown"
    try:
        proc = subprocess.run(["gh", "api", f"repos/{{owner}}/{{repo}}/pulls/{number}"],
                              capture_output=True, text=True, timeout=30, env=dict(env))
        pr = json.loads(proc.stdout) if proc.returncode == 0 else {}
    except (OSError, subprocess.TimeoutExpired, ValueError):
        return "unknown"
    if pr.get("merged_at") or pr.get("merged"):
        return "merged"
    return str(pr.get("state") or "unknown")
