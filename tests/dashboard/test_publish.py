"""Where the dashboard goes: Pages for public repositories, the assets branch for private ones."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from staleguard.dashboard import publish


def _env(tmp_path: Path, private: bool | None, **extra: str) -> dict[str, str]:
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"repository": {"private": private}} if private is not None else {}))
    return {"GITHUB_REPOSITORY": "Octo/staleguard", "GITHUB_EVENT_PATH": str(event), **extra}


def test_publish_public_repository_goes_to_pages_at_the_project_site(tmp_path):
    env = _env(tmp_path, private=False)
    assert publish.mode("auto", env) == "pages"
    assert publish.site_url("auto", env) == "https://octo.github.io/staleguard/"


def test_publish_private_repository_goes_to_the_assets_branch(tmp_path):
    env = _env(tmp_path, private=True, GITHUB_SERVER_URL="https://github.example.com")
    assert publish.mode("auto", env) == "branch"
    assert publish.site_url("auto", env) == ("https://github.example.com/Octo/staleguard/tree/"
                                             "staleguard-assets/dashboard")
    assert publish.mode("cml", env) == "pages"          # the switch is report.images
    assert publish.mode("github-branch", _env(tmp_path, private=False)) == "branch"


def test_publish_url_override_and_none_outside_actions(tmp_path):
    env = _env(tmp_path, private=False, STALEGUARD_DASHBOARD_URL="https://models.example.org/")
    assert publish.site_url("auto", env) == "https://models.example.org/"
    assert publish.site_url("auto", {}) is None
    user_site = {**_env(tmp_path, private=False), "GITHUB_REPOSITORY": "octo/octo.github.io"}
    assert publish.site_url("auto", user_site) == "https://octo.github.io/"


def test_publish_to_branch_commits_the_site_under_dashboard(tmp_path, monkeypatch: pytest.MonkeyPatch):
    def git(*args: str, cwd: Path = tmp_path / "repo") -> str:
        return subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", *args], cwd=cwd,
                              check=True, capture_output=True, text=True).stdout

    (tmp_path / "repo").mkdir()
    git("init", "-q", "-b", "main")
    git("commit", "-q", "--allow-empty", "-m", "init")
    git("init", "-q", "--bare", str(tmp_path / "origin.git"))
    git("remote", "add", "origin", str(tmp_path / "origin.git"))
    site = tmp_path / "site"
    site.mkdir()
    (site / "index.html").write_text("<p>hi</p>")
    (site / "error.png").write_bytes(b"\x89PNG fake")
    monkeypatch.chdir(tmp_path / "repo")
    assert publish.to_branch(site) is not None
    assert publish.to_branch(site) is None     # the same site again: no new commit
    listed = git("--git-dir", str(tmp_path / "origin.git"), "ls-tree", "-r", "--name-only",
                 "staleguard-assets").split()
    assert listed == ["dashboard/error.png", "dashboard/index.html"]
