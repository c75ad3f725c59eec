"""The recording cml stand-in behaves like CML 0.20.6 where workflows can get it wrong."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from tests.conftest import run
from tests.workflows.harness import BIN_DIR, cml_calls, git, make_origin

CML = str(BIN_DIR / "cml")
SHA = "0123456789abcdef0123456789abcdef01234567"


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    repo.mkdir()
    run(["git", "init", "-q", "-b", "main"], repo)
    (repo / "report.md").write_text("# Report\n\n![plot](plot.png)\n![gone](missing.png)\n")
    (repo / "plot.png").write_bytes(b"\x89PNG\r\n\x1a\nfake")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "init")
    make_origin(repo, tmp_path / "origin.git")
    return repo


def cml(repo: Path, tmp: Path, *args: str, event: dict | None = None,
        **env: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items()
            if not k.startswith(("GITHUB_", "CML_")) and k not in ("REPO_TOKEN", "repo_token")}
    base.update(CML_SHIM_LOG=str(tmp / "cml.jsonl"), HOME=str(tmp), GITHUB_REPOSITORY="o/r")
    if event is not None:
        (tmp / "event.json").write_text(json.dumps(event))
        base.update(GITHUB_EVENT_PATH=str(tmp / "event.json"), GITHUB_EVENT_NAME="pull_request")
    return subprocess.run([CML, *args], cwd=repo, env={**base, **env}, capture_output=True,
                          text=True)


PR = {"number": 7, "pull_request": {"number": 7, "head": {"ref": "feat", "sha": SHA}}}


def test_cml_standin_fails_without_a_token(repo, tmp_path):
    proc = cml(repo, tmp_path, "comment", "create", "report.md")
    assert proc.returncode == 1
    assert proc.stderr.strip() == "token not found"


def test_cml_standin_token_lookup_order_records_the_name_not_the_value(repo, tmp_path):
    cml(repo, tmp_path, "comment", "create", "report.md", event=PR, GITHUB_TOKEN="g",
        repo_token="r2", REPO_TOKEN="secret-value")
    cml(repo, tmp_path, "comment", "create", "report.md", event=PR, GITHUB_TOKEN="g")
    calls = cml_calls(tmp_path)
    assert [c["token_var"] for c in calls] == ["REPO_TOKEN", "GITHUB_TOKEN"]
    assert "secret-value" not in (tmp_path / "cml.jsonl").read_text()


@pytest.mark.parametrize("args", [["comment", "create", "report.md", "--dry-run"],
                                  ["comment", "update", "report.md", "--watermark_title=x"],
                                  ["comment", "post", "report.md"]])
def test_cml_standin_refuses_unknown_commands_and_options(repo, tmp_path, args):
    proc = cml(repo, tmp_path, *args, event=PR, GITHUB_TOKEN="t")
    assert proc.returncode == 1
    assert proc.stderr.strip()


def test_cml_standin_comment_needs_the_file(repo, tmp_path):
    proc = cml(repo, tmp_path, "comment", "create", "nope.md", event=PR, GITHUB_TOKEN="t")
    assert proc.returncode == 1
    assert "ENOENT" in proc.stderr


def test_cml_standin_comment_appends_the_watermark_and_publishes_local_images(repo, tmp_path):
    proc = cml(repo, tmp_path, "comment", "create", "--watermark-title=my_report", "report.md",
               event=PR, GITHUB_TOKEN="t")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().endswith("/pull/7#issuecomment-1")
    (call,) = cml_calls(tmp_path)
    assert call["target"] == "pr/7" and call["sha"] == SHA
    assert call["body"].endswith(f'![](https://cml.dev/watermark.png#{SHA} '
                                 '"CML watermark my\\_report")')
    assert [i["ref"] for i in call["images"]] == ["plot.png"] and call["images"][0]["png"]
    assert call["missing_files"] == ["missing.png"]
    assert "](plot.png)" not in call["body"] and "](missing.png)" in call["body"]


def test_cml_standin_update_replaces_the_last_comment_with_the_same_watermark(repo, tmp_path):
    for title in ("a", "b", "a"):
        cml(repo, tmp_path, "comment", "create", f"--watermark-title={title}", "report.md",
            event=PR, GITHUB_TOKEN="t")
    cml(repo, tmp_path, "comment", "update", "--watermark-title=a", "report.md", event=PR,
        GITHUB_TOKEN="t")
    cml(repo, tmp_path, "comment", "update", "--watermark-title=c", "report.md", event=PR,
        GITHUB_TOKEN="t")
    calls = cml_calls(tmp_path)
    assert [(c["action"], c["comment_id"]) for c in calls[3:]] == [("updated", 3), ("created", 4)]


def test_cml_standin_update_refuses_rm_watermark(repo, tmp_path):
    proc = cml(repo, tmp_path, "comment", "update", "--rm-watermark", "report.md", event=PR,
               GITHUB_TOKEN="t")
    assert proc.returncode == 1
    assert "watermarks are mandatory for updatable comments" in proc.stderr


def test_cml_standin_pr_create_prints_undefined_when_nothing_changed(repo, tmp_path):
    proc = cml(repo, tmp_path, "pr", "create", "--message", "m", "report.md", GITHUB_TOKEN="t")
    assert proc.returncode == 0
    assert proc.stdout.strip() == "undefined"
    assert "No changed files matched by glob path" in proc.stderr


def test_cml_standin_pr_create_commits_and_pushes_a_branch_once(repo, tmp_path):
    (repo / "report.md").write_text("changed\n")
    (repo / "other.txt").write_text("untracked\n")
    args = ("pr", "create", "--branch", "cml/retrain", "--target-branch", "main",
            "--message", "Retrain", "*.md")
    proc = cml(repo, tmp_path, *args, GITHUB_TOKEN="t")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().endswith("/pull/1")
    shown = run(["git", "--git-dir", str(tmp_path / "origin.git"), "log", "-1",
                 "--format=%s%n%an", "cml/retrain", "--name-only"], repo).stdout.split()
    assert shown[:2] == ["Retrain", "Olivaw[bot]"] and "report.md" in shown
    assert "other.txt" not in shown
    (repo / "report.md").write_text("changed again\n")
    again = cml(repo, tmp_path, *args, GITHUB_TOKEN="t")
    assert again.stdout.strip() == proc.stdout.strip()
    assert "Branch cml/retrain already exists" in again.stderr


def test_cml_standin_pr_create_adds_skip_ci_without_a_message(repo, tmp_path):
    (repo / "report.md").write_text("changed\n")
    cml(repo, tmp_path, "pr", "create", "report.md", GITHUB_TOKEN="t")
    (call,) = cml_calls(tmp_path)
    assert call["message"].endswith(" [skip ci]")
    assert call["source"].startswith("main-cml-pr-")
