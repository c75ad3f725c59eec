"""The model registry: GTO tags on git for versions and stages, DVC for the files behind them.

`current_version()` / `current_hash()` and `version_for_hash()` / `hash_for_version()` are the
helpers other features use to name a model: a registry version (`v0.0.3`) or the 8-hex md5 id of
artifacts/model.skops from dvc.lock (what the prediction log records as `model_version`).
"""

from staleguard.registry.actions import Outcome, check_lock, deployed_stages, promote, pull, register, show
from staleguard.registry.card import card
from staleguard.registry.files import AUTO, ResolvedModel, fetch, file_md5, resolve, resolve_auto, stage
from staleguard.registry.tags import (
    ARTIFACT,
    STAGE,
    Version,
    current_hash,
    current_md5,
    current_version,
    find_version,
    hash_for_version,
    stage_history,
    version_for_hash,
    version_in_stage,
    versions,
)

__all__ = [
    "ARTIFACT", "AUTO", "STAGE", "Outcome", "ResolvedModel", "Version", "card", "check_lock",
    "current_hash", "current_md5", "current_version", "deployed_stages", "fetch", "file_md5",
    "find_version", "hash_for_version", "promote", "pull", "register", "resolve", "resolve_auto",
    "show", "stage", "stage_history", "version_for_hash", "version_in_stage", "versions",
]
