"""Resolve `prod`, `v0.0.3`, `auto` or a path to model files on disk, fetched through git + DVC
(never retrained).

Registered versions are downloaded once into a content-addressed cache (`<cache>/<md5>/`) and
checked against the md5 in that version's dvc.lock, so a tampered or truncated file is refused.
`auto` is `prod` once something is registered, and before that the workspace model that
dvc.lock names (a fresh clone after `make demo`).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from staleguard import artifacts
from staleguard.artifacts import current_md5, file_md5
from staleguard.errors import ModelError
from staleguard.io import atomic_path, write_json
from staleguard.registry.tags import (
    STAGE,
    VERSION_RE,
    Version,
    find_version,
    show_file,
    stage_assignment,
    version_for_hash,
    version_in_stage,
)

CACHE_ENV = "STALEGUARD_MODEL_CACHE"
DEFAULT_CACHE = Path("~/.cache/staleguard/models")
MODEL_SUFFIXES = (".skops", ".pkl", ".pickle", ".joblib")
AUTO = "auto"  # serve.model's default: prod if registered, else the workspace model
SIDECAR = "registry.json"  # beside a staged model (`resolve --into`): its version without git


@dataclass(frozen=True)
class ResolvedModel:
    """A model file ready to load, with what is known about where it came from."""

    path: Path
    md5: str
    version: str | None = None
    rev: str | None = None
    metrics: dict[str, Any] | None = None
    note: str = ""  # one line for the operator when the choice was not the obvious one

    @property
    def short_hash(self) -> str:
        return artifacts.model_id(self.md5)


def is_path(spec: str) -> bool:
    return Path(spec).exists() or spec.endswith(MODEL_SUFFIXES) or os.sep in spec


def resolve(spec: str, repo: Path | str = ".", cache: Path | None = None,
            describe: bool = True) -> ResolvedModel:
    """A stage name, a version or a model path → local files (downloaded for stages and versions).

    For a path, `describe` also looks up its registry version and metrics (about a second of git
    work); batch prediction skips that.
    """
    if spec == AUTO:
        return resolve_auto(repo, cache)
    if is_path(spec):
        return _from_path(Path(spec), Path(repo), describe)
    version = find_version(spec, repo) if VERSION_RE.match(spec) else version_in_stage(spec, repo)
    return fetch(version, repo, cache)


def resolve_auto(repo: Path | str = ".", cache: Path | None = None) -> ResolvedModel:
    """`prod` when a version holds it; otherwise (nothing registered yet, or no git history) the
    workspace model, accepted only if its md5 is the one dvc.lock names."""
    try:
        held = stage_assignment(STAGE, repo)
    except ModelError:
        held = None  # not a git repository: there is no registry to ask
    if held is not None:
        return fetch(find_version(held[0], repo), repo, cache)
    path = Path(repo) / artifacts.MODEL
    if not path.is_file():
        raise ModelError(f"{path}: not found and no model is at stage {STAGE!r}; run `make demo` "
                         "(or `dvc pull`), or pass --model <version|path>")
    md5, expected = file_md5(path), current_md5(repo)
    if md5 != expected:
        got, want = artifacts.model_id(md5), artifacts.model_id(expected)
        raise ModelError(f"{path}: md5 {got} is not the model dvc.lock names ({want}); "
                         f"run `dvc checkout {artifacts.MODEL}` or `dvc repro`")
    return ResolvedModel(path, md5, None, None, json_or_none(Path(repo) / artifacts.METRICS),
                         note=f"no model is at stage {STAGE!r} yet (nothing registered): serving the "
                              f"workspace model {artifacts.MODEL} ({artifacts.model_id(md5)}, "
                              "as dvc.lock names it)")


def _from_path(path: Path, repo: Path, describe: bool) -> ResolvedModel:
    if not path.is_file():
        raise ModelError(f"{path}: model not found; run `dvc pull` or pass a stage such as 'prod'")
    md5 = file_md5(path)
    metrics, version = None, None
    if not describe:
        return ResolvedModel(path, md5)
    staged = json_or_none(path.parent / SIDECAR)
    if staged and staged.get("md5") == md5:  # a staged copy (the container image): no git needed
        return ResolvedModel(path, md5, staged.get("version"), staged.get("rev"),
                             json_or_none(path.parent / "metrics.json"))
    try:
        if md5 == current_md5(repo):  # the work tree's own model: its metrics are reports/metrics.json
            metrics = json_or_none(repo / artifacts.METRICS)
        version = version_for_hash(md5, repo)
    except ModelError:
        pass  # not inside a staleguard repo, or no registry yet: the hash alone identifies it
    return ResolvedModel(path, md5, version, None, metrics)


def cache_dir(cache: Path | None = None) -> Path:
    return (cache or Path(os.environ.get(CACHE_ENV) or DEFAULT_CACHE)).expanduser()


def fetch(version: Version, repo: Path | str = ".", cache: Path | None = None) -> ResolvedModel:
    """Download a version's model.skops + model.json (+ metrics.json) unless already cached."""
    folder = cache_dir(cache) / version.md5
    model = folder / artifacts.MODEL.name
    if not (model.is_file() and file_md5(model) == version.md5):
        for out in (artifacts.MODEL, artifacts.MODEL_META):  # model.save_model's layout
            _download(repo, version, out, folder / out.name)
        got = file_md5(model)
        if got != version.md5:
            model.unlink()
            raise ModelError(f"{version.tag}: downloaded model md5 {got} does not match dvc.lock "
                             f"({version.md5}); the DVC remote holds a different file")
        # versions from before metrics were committed: /model shows none
        with contextlib.suppress(ModelError, json.JSONDecodeError):
            write_json(folder / "metrics.json", json.loads(show_file(repo, version.rev, artifacts.METRICS)))
    return ResolvedModel(model, version.md5, version.version, version.rev,
                         json_or_none(folder / "metrics.json"))


def stage(found: ResolvedModel, into: Path) -> Path:
    """Copy a resolved model (model.skops, model.json, metrics.json) into `into` with its registry
    identity beside it, for a container build context; the copy's md5 is checked again."""
    into.mkdir(parents=True, exist_ok=True)
    for name in (found.path.name, found.path.with_suffix(".json").name, "metrics.json"):
        if (found.path.parent / name).is_file():
            shutil.copyfile(found.path.parent / name, into / name)
    if file_md5(into / found.path.name) != found.md5:
        raise ModelError(f"{into / found.path.name}: copy does not match md5 {found.md5}")
    write_json(into / SIDECAR, {"version": found.version, "md5": found.md5, "rev": found.rev})
    return into / found.path.name


def _download(repo: Path | str, version: Version, out: Path, dest: Path) -> None:
    import dvc.api

    try:
        with dvc.api.open(out.as_posix(), repo=str(repo), rev=version.rev, mode="rb") as src, \
                atomic_path(dest) as tmp, open(tmp, "wb") as dst:
            shutil.copyfileobj(src, dst, 1 << 20)
    except Exception as err:  # DVC raises many types: missing in remote, no remote, bad rev
        raise ModelError(f"{version.tag}: cannot fetch {out} at {version.rev[:8]} through DVC "
                         f"({type(err).__name__}: {err}); is the DVC remote configured and pushed?") from err


def json_or_none(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError):
        return None
    return data if isinstance(data, dict) else None
