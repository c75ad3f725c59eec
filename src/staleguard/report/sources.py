"""What the report reads from the base ref (git, DVC) without checking it out."""

from __future__ import annotations

import contextlib
import io
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from staleguard import artifacts
from staleguard.errors import ConfigError


def resolve(ref: str) -> str:
    """The commit `ref` names; a missing ref (shallow checkout, typo) is a ConfigError."""
    proc = subprocess.run(["git", "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"],
                          capture_output=True, text=True)
    if proc.returncode != 0:
        raise ConfigError(f"--base {ref!r}: no such git ref here; fetch it first "
                          "(actions/checkout with fetch-depth: 0, or `git fetch origin main`)")
    return proc.stdout.strip()


def show(rev: str, path: Path | str) -> str | None:
    """The file at `rev` (`git show rev:path`), or None when it does not exist there."""
    proc = subprocess.run(["git", "show", f"{rev}:{Path(path).as_posix()}"],
                          capture_output=True, text=True)
    return proc.stdout if proc.returncode == 0 else None


def yaml_at(rev: str, path: Path | str) -> dict[str, Any] | None:
    text = show(rev, path)
    try:
        return yaml.safe_load(text) if text is not None else None
    except yaml.YAMLError:
        return None


def json_at(rev: str, path: Path | str) -> dict[str, Any] | None:
    text = show(rev, path)
    try:
        return json.loads(text) if text is not None else None
    except json.JSONDecodeError:
        return None


def csv_at(rev: str, path: Path | str) -> pd.DataFrame | None:
    """A committed CSV at `rev` (plot data is `cache: false`, so it is in git), or None."""
    text = show(rev, path)
    try:
        return pd.read_csv(io.StringIO(text)) if text else None
    except (pd.errors.ParserError, pd.errors.EmptyDataError):
        return None


def predictions_at(rev: str) -> pd.DataFrame | None:
    return csv_at(rev, artifacts.PREDICTIONS)


def json_at_path(path: Path) -> dict[str, Any]:
    """The workspace's own JSON output; missing means the pipeline has not run."""
    try:
        doc: dict[str, Any] = json.loads(path.read_text())
        return doc
    except FileNotFoundError as err:
        raise ConfigError(f"{path}: not found; run `dvc repro` before `staleguard report pr`") \
            from err
    except json.JSONDecodeError as err:
        raise ConfigError(f"{path}: not valid JSON ({err})") from err


def fetch_model(rev: str, dest: Path) -> str | None:
    """Copy the base's model (and model.json) to `dest` via DVC (cache, then remote).

    Returns None on success, else a one-line reason the base model is unavailable.
    """
    import dvc.api

    try:
        for src, out in ((artifacts.MODEL, dest), (artifacts.MODEL_META,
                                                dest.with_suffix(".json"))):
            with dvc.api.open(src.as_posix(), repo=".", rev=rev, mode="rb") as fh, \
                    out.open("wb") as target:
                shutil.copyfileobj(fh, target)
    except Exception as err:  # DVC raises many types: missing output, remote, auth, git
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        return f"{type(err).__name__}: {first}"
    return None


def drift_outputs(reports: Path = artifacts.REPORTS) -> dict[str, Any]:
    """The drift stage's outputs when present (issue 3 contract), else an empty dict."""
    found: dict[str, Any] = {}
    with contextlib.suppress(OSError, json.JSONDecodeError):
        found["json"] = json.loads((reports / "drift.json").read_text())
    if (reports / "drift.md").is_file():
        found["md"] = (reports / "drift.md").read_text()
    found["plots"] = [p for p in (reports / "plots" / "drift_scores.png",
                                  reports / "plots" / "drift_distributions.png") if p.is_file()]
    found["html"] = (reports / "drift.html").is_file()
    return found if found.get("json") or found.get("md") or found["plots"] else {}
