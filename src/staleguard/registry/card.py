"""The model card published with each release: what was deployed, trained on what, and how good it is.

Everything comes from files committed at the version's commit (dvc.lock, data.dvc, params.yaml,
reports/), so the card describes the reviewed model, not whatever is in the work tree.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from staleguard import artifacts
from staleguard.errors import ModelError
from staleguard.registry.tags import Version, show_file

DRIFT = Path("reports/drift.json")


def _read(repo: Path | str, rev: str, path: Path | str) -> str | None:
    try:
        return show_file(repo, rev, path)
    except ModelError:
        return None


def _data_version(repo: Path | str, rev: str) -> str:
    text = _read(repo, rev, "data.dvc")
    outs = (yaml.safe_load(text) or {}).get("outs") or [] if text else []
    return str(outs[0].get("md5", "unknown")) if outs else "unknown"


def _drift_lines(drift: dict[str, Any] | None) -> list[str]:
    if drift is None:
        return ["No drift report at this commit (reports/drift.json)."]
    state = "**drift detected**" if drift.get("drift") else "no drift"
    lines = [f"Drift of the evaluation window against the training data (reports/drift.json): {state}, "
             f"drifted feature share {float(drift.get('share', 0)):.2f}."]
    lines += [f"- {reason}" for reason in drift.get("reasons") or []]
    return lines


def card(version: Version, repo: Path | str = ".", stage: str | None = None) -> str:
    """Markdown model card for `version` (the release notes)."""
    rev = version.rev
    params = yaml.safe_load(_read(repo, rev, "params.yaml") or "{}") or {}
    metrics = json.loads(_read(repo, rev, artifacts.METRICS) or "{}")
    drift_text = _read(repo, rev, DRIFT)
    window = (params.get("windows") or {}).get("train") or {}
    lines = [
        f"# Model {version.version}" + (f" ({stage})" if stage else ""),
        "",
        "| | |", "|---|---|",
        f"| model | {(params.get('model') or {}).get('description', 'regression model')} |",
        f"| version | `{version.tag}` |",
        f"| commit | `{rev[:12]}` |",
        f"| model | `{artifacts.MODEL}` md5 `{version.md5}` (id `{version.short_hash}`) |",
        f"| training window | [{window.get('start', '?')}, {window.get('end', '?')}) |",
        f"| data version | `data.dvc` md5 `{_data_version(repo, rev)}` |",
        "", "## Metrics (evaluation window "
        f"[{(params.get('windows') or {}).get('eval', {}).get('start', '?')}, "
        f"{(params.get('windows') or {}).get('eval', {}).get('end', '?')}))", "",
    ]
    if metrics:
        lines += ["| " + " | ".join(metrics) + " |", "|" + "---|" * len(metrics),
                  "| " + " | ".join(str(v) for v in metrics.values()) + " |"]
    else:
        lines.append("No metrics committed at this commit.")
    lines += ["", "## Drift", "", *_drift_lines(json.loads(drift_text) if drift_text else None),
              "", "## Parameters", "", "```yaml",
              yaml.safe_dump({k: params[k] for k in ("train", "features") if k in params},
                             sort_keys=False).rstrip(), "```", "",
              f"Fetch it: `staleguard registry resolve {version.version}` or "
              f"`dvc get --rev {version.tag} <repo-url> {artifacts.MODEL}`."]
    return "\n".join(lines) + "\n"
