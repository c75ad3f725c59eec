"""The pipeline's artifacts, one owner: where they live (the paths dvc.yaml names, checked by
tests/test_artifacts.py), what dvc.lock recorded for them, and the model's id.

The model id is the 8-hex prefix of the model file's md5, the content id DVC records in dvc.lock:
the monitor, the prediction log, the registry and the PR report all name a model by it.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import yaml

from staleguard.errors import ModelError

PREPARED = Path("artifacts/prepared")
TRAIN_SET = PREPARED / "train.parquet"
EVAL_SET = PREPARED / "eval.parquet"
MODEL = Path("artifacts/model.skops")
MODEL_META = MODEL.with_suffix(".json")  # written beside it by model.save_model
ESTIMATOR = Path("artifacts/estimator.skops")  # the label-free error estimator (drift/estimate.py)
ESTIMATOR_META = ESTIMATOR.with_suffix(".json")
REFERENCE_SUMMARY = Path("artifacts/reference.json")  # the training window summarised (docs/scale.md)
REPORTS = Path("reports")
MONITOR_REPORTS = REPORTS / "monitor"  # the monitor's own outputs: never a DVC stage's (gitignored)
METRICS = REPORTS / "metrics.json"
PLOTS = REPORTS / "plots"
PREDICTIONS = PLOTS / "predictions.csv"
IMPORTANCE = PLOTS / "importance.csv"
LOCK = Path("dvc.lock")
ID_CHARS = 8


def model_id(md5: str) -> str:
    """The model's id from its md5 (what `model_version` columns and reports show)."""
    return md5[:ID_CHARS]


def file_md5(path: Path) -> str:
    """md5 of a file, read in 1 MB chunks: DVC's content id, not a security check."""
    digest = hashlib.md5(usedforsecurity=False)
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def file_id(path: Path) -> str:
    """The id of a model file on disk (equal to the lock's id when the lock names this file)."""
    return model_id(file_md5(path))


def recorded_md5(lock: dict[str, Any] | None, out: Path = MODEL) -> str | None:
    """The md5 a parsed dvc.lock recorded for output `out`, or None (no lock, no such output)."""
    stages = (lock or {}).get("stages") or {}
    for stage in stages.values() if isinstance(stages, dict) else ():
        for entry in (stage or {}).get("outs") or []:
            if entry.get("path") == out.as_posix() and entry.get("md5"):
                return str(entry["md5"])
    return None


def lock_md5(lock_text: str, out: Path = MODEL, source: str = "dvc.lock") -> str:
    """The md5 DVC recorded for output `out` in a dvc.lock text; a one-line error otherwise."""
    try:
        lock = yaml.safe_load(lock_text) or {}
    except yaml.YAMLError as err:
        raise ModelError(f"{source}: not valid YAML ({str(err).splitlines()[0]})") from err
    md5 = recorded_md5(lock if isinstance(lock, dict) else {}, out)
    if md5 is None:
        raise ModelError(f"{source}: no output {out.as_posix()!r} with an md5; "
                         "run `dvc repro train` and commit")
    return md5


def current_md5(repo: Path | str = ".") -> str:
    """md5 of the model that the work tree's dvc.lock names (what the PR reviewed)."""
    lock = Path(repo) / LOCK
    if not lock.exists():
        raise ModelError(f"{lock}: not found; run `dvc repro` first")
    return lock_md5(lock.read_text(), source=str(lock))


def current_model_id(repo: Path | str = ".") -> str:
    """The id of the model the work tree's dvc.lock names (the deployed model's, on main)."""
    return model_id(current_md5(repo))
