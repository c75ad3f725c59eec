"""What the dashboard asks GitHub (through gh) and the registry, with the recording gh stand-in."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from staleguard.dashboard import lookups
from tests.workflows.harness import BIN_DIR, gh_calls

URL = "https://github.com/octo/staleguard/pull/{}"


@pytest.fixture
def fake_github(tmp_path: Path) -> dict[str, str]:
    """Three PRs in the stand-in's state: merged, closed unmerged, open."""
    state = tmp_path / "cml.jsonl.state.json"
    state.write_text(json.dumps({"prs": [
        {"number": 1, "state": "closed", "merged_at": "2026-01-05T10:00:00Z"},
        {"number": 2, "state": "closed", "merged_at": None},
        {"number": 3, "state": "open"}]}))
    return {"PATH": f"{BIN_DIR}{os.pathsep}{os.environ['PATH']}", "GH_TOKEN": "t",
            "GH_REPO": "octo/staleguard", "CML_SHIM_STATE": str(state),
            "GH_SHIM_LOG": str(tmp_path / "gh.jsonl"), "HOME": str(tmp_path)}


def test_lookups_pr_outcome_asks_the_pulls_api(fake_github, tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", fake_github["PATH"])
    assert [lookups.pr_outcome(URL.format(n), fake_github) for n in (1, 2, 3)] == ["merged", "closed",
                                                                                   "open"]
    assert [c["path"] for c in gh_calls(tmp_path)] == [f"/repos/octo/staleguard/pulls/{n}" for n in (1, 2, 3)]


def test_lookups_pr_outcome_is_unknown_without_a_token_a_url_or_the_pr(fake_github, monkeypatch):
    monkeypatch.setenv("PATH", fake_github["PATH"])
    no_token = {k: v for k, v in fake_github.items() if k != "GH_TOKEN"}
    assert lookups.pr_outcome(URL.format(1), no_token) == "unknown"
    assert lookups.pr_outcome(None, fake_github) == "unknown"
    assert lookups.pr_outcome(URL.format(9), fake_github) == "unknown"     # 404


def test_lookups_registry_serving_is_none_without_a_prod_version(tmp_path):
    import subprocess

    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    assert lookups.registry_serving(tmp_path) is None
