"""The gh stand-in's `gh api`: only the REST calls GitHub accepts, as the workflows send them."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from tests.workflows.harness import BIN_DIR


def gh(tmp: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("GH_", "GITHUB_", "CML_"))}
    return subprocess.run([str(BIN_DIR / "gh"), *args], cwd=tmp, capture_output=True, text=True,
                          env={**base, "GH_SHIM_LOG": str(tmp / "gh.jsonl"),
                               "CML_SHIM_LOG": str(tmp / "cml.jsonl"), "GH_REPO": "octo/sg",
                               "GH_TOKEN": "t", **env})


def test_gh_api_patches_a_pr_body_like_the_rest_api(tmp_path):
    (tmp_path / "cml.jsonl.state.json").write_text(json.dumps(
        {"next_id": 1, "comments": {}, "prs": [{"number": 3, "body": "old", "state": "open"}]}))
    (tmp_path / "body.md").write_text("new *body*\n")
    path = "repos/{owner}/{repo}/pulls/3"
    ok = gh(tmp_path, "api", "--method", "PATCH", path, "-F", "body=@body.md", "--silent")
    assert ok.returncode == 0 and ok.stdout == "", ok.stderr
    state = json.loads((tmp_path / "cml.jsonl.state.json").read_text())
    assert state["prs"][0]["body"] == "new *body*\n"
    (call,) = [json.loads(ln) for ln in (tmp_path / "gh.jsonl").read_text().splitlines()]
    assert (call["method"], call["path"], call["json"]) == ("PATCH", "/repos/octo/sg/pulls/3",
                                                            {"body": "new *body*\n"})
    # what GitHub refuses, the stand-in refuses: an unknown field, a missing PR, a wrong verb,
    # no token, a GH_REPO that is not OWNER/REPO
    assert "HTTP 422" in gh(tmp_path, "api", "-X", "PATCH", path, "-f", "description=x").stderr
    assert "HTTP 404" in gh(tmp_path, "api", "-X", "PATCH", "repos/o/r/pulls/9", "-f", "body=x").stderr
    assert "HTTP 404" in gh(tmp_path, "api", "-X", "POST", path, "-f", "body=x").stderr
    assert gh(tmp_path, "api", "-X", "PATCH", path, "-f", "body=x", GH_TOKEN="").returncode == 4
    assert "OWNER/REPO" in gh(tmp_path, "api", path, GH_REPO="/tmp/origin.git").stderr


def test_gh_api_enables_a_workflow_and_reports_its_state(tmp_path):
    wf = "repos/{owner}/{repo}/actions/workflows/monitor.yml"
    (tmp_path / "gh.jsonl.state.json").write_text(json.dumps(
        {"releases": [], "workflows": {"monitor.yml": "disabled_inactivity"}}))
    assert gh(tmp_path, "api", wf, "--jq", ".state").stdout.strip() == "disabled_inactivity"
    assert gh(tmp_path, "api", "--method", "PUT", f"{wf}/enable").returncode == 0
    assert gh(tmp_path, "api", wf, "--jq", ".state").stdout.strip() == "active"
    assert "HTTP 422" in gh(tmp_path, "api", "-X", "PUT", f"{wf}/enable", "-f", "x=1").stderr


def test_gh_api_issues_list_filter_create_comment_close(tmp_path):
    issues = "repos/{owner}/{repo}/issues"
    title = 'select(.title == env.TITLE)'
    find = ["api", f"{issues}?state=open&per_page=100", "--jq", f"[.[] | {title}][0].number // empty"]
    assert gh(tmp_path, *find, TITLE="t").stdout == ""
    assert "HTTP 422" in gh(tmp_path, "api", "-X", "POST", issues, "-f", "body=no title").stderr
    made = gh(tmp_path, "api", "--method", "POST", issues, "-f", "title=t", "-f", "body=b",
              "--jq", ".number")
    assert made.stdout == "1\n"
    assert gh(tmp_path, *find, TITLE="t").stdout == "1\n"
    assert gh(tmp_path, *find, TITLE="other").stdout == ""
    assert gh(tmp_path, "api", "-X", "POST", f"{issues}/1/comments", "-f", "body=again").returncode == 0
    assert gh(tmp_path, "api", "-X", "PATCH", f"{issues}/1", "-f", "state=closed").returncode == 0
    assert gh(tmp_path, *find, TITLE="t").stdout == ""  # closed: a new failure opens a new one
    state = json.loads((tmp_path / "gh.jsonl.state.json").read_text())
    assert state["issues"][0]["comments"] == ["again"] and state["issues"][0]["state"] == "closed"
