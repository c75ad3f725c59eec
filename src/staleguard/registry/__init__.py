"""The model registry: GTO tags on git for versions and stages, DVC for the files behind them.

`current_version()`, `version_for_hash()` and `hash_for_version()` are the helpers other features use
to name a model by its registry version (`v0.0.3`); the 8-hex model id itself (what the prediction
log records as `model_version`) and dvc.lock reading belong to staleguard.artifacts.
"""

from staleguard.registry.actions import Outcome, check_lock, deployed_stages, promote, pull, register, show
from staleguard.registry.card import card
from staleguard.registry.files import AUTO, ResolvedModel, fetch, resolve, resolve_auto, stage
from staleguard.registry.tags import (
    ARTIFACT,
    STAGE,
    Version,
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
    "current_version", "deployed_stages", "fetch",
    "find_version", "hash_for_version", "promote", "pull", "register", "resolve", "resolve_auto",
    "show", "stage", "stage_history", "version_for_hash", "version_in_stage", "versions",
]
