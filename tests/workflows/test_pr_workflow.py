"""pr.yml run for real under act (host mode): one CML comment, results pushed to the PR branch."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.conftest import copy_worktree, run
from tests.workflows.conftest import clone_seed, workflow_env
from tests.workflows.harness import (
    add_dvc_remote,
    cml_calls,
    commit_all,
    gh_calls,
    git,
    make_origin,
    pr_event,
    remote_file,
    run_act,
)

# One xdist worker runs them all, so the seeded repository is built once.
pytestmark = [pytest.mark.workflows, pytest.mark.slow, pytest.mark.xdist_group("act-pr")]
HEAD = "feature/more-trees"


def set_param(repo: Path, section: str, key: str, value: object) -> None:
    path = repo / "params.yaml"
    text = path.read_text()
    new = re.sub(rf"(?m)^(  {key}:\s*)\S+", rf"\g<1>{value}", text, count=1)
    assert new != text and yaml.safe_load(new)[section][key] == value
    path.write_text(new)


def open_pr(repo: Path, tmp: Path, n_est: int) -> Path:
    """Branch HEAD changes train.n_est; both branches are pushed to a bare origin."""
    git(repo, "checkout", "-q", "-b", HEAD)
    set_param(repo, "train", "n_est", n_est)
    commit_all(repo, f"train.n_est → {n_est}", ["params.yaml"])
    return make_origin(repo, tmp / "origin.git")


def metric_rows(body: str) -> dict[str, tuple[float, float]]:
    """{metric: (main, PR)} from the comment's metrics table."""
    section = body.split("### Metrics", 1)[1].split("###", 1)[0]
    rows = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip("|").split("|")]
        if len(cells) >= 3 and re.fullmatch(r"-?[\d,.]+", cells[1].replace(",", "")):
            rows[cells[0]] = (float(cells[1].replace(",", "")), float(cells[2].replace(",", "")))
    return rows


def statuses(tmp: Path) -> list[tuple[str, str, str]]:
    """(sha, state, context) of every commit status the workflow set through the gh stand-in."""
    return [(c["path"].rsplit("/", 1)[1], c["json"]["state"], c["json"]["context"])
            for c in gh_calls(tmp) if c.get("method") == "POST" and "/statuses/" in c["path"]
            and "error" not in c]


def tip(origin: Path, branch: str = HEAD) -> str:
    return git(origin, "--git-dir", str(origin), "rev-parse", branch)


def results_commits(origin: Path) -> list[str]:
    log = git(origin, "--git-dir", str(origin), "log", "--format=%s", HEAD).splitlines()
    return [s for s in log if s.startswith("Results of the PR pipeline run")]


@pytest.mark.timeout(1500)   # three act runs
def test_pr_workflow_comments_once_pushes_results_survives_a_rerun_then_updates(seeded, tmp_path):
    """One PR, three runs: the first (comment + results commit + status on it), GitHub's "Re-run
    jobs" on the same event (nothing changes: no upload, no commit, the comment untouched), and a
    newer push with new results from a private repository (plots on the staleguard-assets
    branch, nothing uploaded to CML's server)."""
    repo = clone_seed(seeded, tmp_path / "repo")
    origin = open_pr(repo, tmp_path, n_est=50)
    env = workflow_env(tmp_path / "home")
    event = pr_event(repo, 7, HEAD)

    first = run_act(repo, tmp_path, "pull_request", "pr.yml", event, env=env)
    assert (first.code, first.jobs) == (0, {"report": "success"}), first
    calls = cml_calls(tmp_path)
    assert [c["command"] for c in calls] == ["comment update"], calls
    call = calls[0]
    assert call["token_var"] == "GITHUB_TOKEN" and call["target"] == "pr/7"
    assert call["watermark_title"] == "CML watermark staleguard model report"
    body = call["markdown"]
    assert re.search(r"\| `train\.n_est` \| 100 \| 50 \|", body), body
    main_metrics = json.loads(remote_file(origin, "main", "reports/metrics.json"))
    pr_metrics = json.loads(remote_file(origin, HEAD, "reports/metrics.json"))
    assert pr_metrics != main_metrics
    assert metric_rows(body) == {k: (main_metrics[k], pr_metrics[k]) for k in pr_metrics}
    refs = re.findall(r"!\[[^\]]*\]\(([^)]+\.png)\)", body)
    assert {"base_predicted_vs_actual.png", "pr_predicted_vs_actual.png",
            "base_residuals.png", "pr_residuals.png"} <= set(refs)
    # a public repository (auto mode): CML uploads the plots, as before
    assert "--publish" in call["argv"] and "report images: cml mode" in first.output
    assert sorted(i["ref"] for i in call["images"]) == sorted(refs)
    assert all(i["png"] for i in call["images"]) and not call["missing_files"]
    # the worked example's default: a walk-forward over at least 3 folds
    assert re.search(r"\*\*(🟢 better|🔴 worse|⚪ no clear difference)\*\*: mae [+−]", body), body
    folds = re.search(r"(\d+) folds\)", body)
    assert folds and int(folds[1]) >= 3 and "_Computed on a walk-forward backtest" in body, body
    assert body.count("| metric |") == 1 and "not persisted" not in body
    assert "Success - Main Gate on the verdict" in first.output, first
    assert results_commits(origin) == ["Results of the PR pipeline run (dvc.lock, metrics)"]
    lock = yaml.safe_load(remote_file(origin, HEAD, "dvc.lock"))
    assert lock["stages"]["train"]["params"]["params.yaml"]["train"]["n_est"] == 50
    assert "drift" in json.loads(remote_file(origin, HEAD, "reports/drift.json"))  # cache: false
    changed = git(repo, "--git-dir", str(origin), "diff", "--name-only", f"{HEAD}^", HEAD).split()
    assert not [f for f in changed if f.endswith(".png")], changed   # no images in git history
    results_tip = tip(origin)
    # the verdict as a commit status on the branch's final head: the results commit
    assert statuses(tmp_path) == [(results_tip, "success", "staleguard/verdict")]

    # "Re-run jobs": the same event, whose head is now behind the results commit. Green; zero
    # uploads, zero new commits, the comment untouched; the status set again on the same head.
    rerun = run_act(repo, tmp_path, "pull_request", "pr.yml", event, env=env)
    assert (rerun.code, rerun.jobs) == (0, {"report": "success"}), rerun
    assert f"results already on {HEAD}" in rerun.output and "rejected" not in rerun.output, rerun
    assert "already shows these results" in rerun.output, rerun
    assert tip(origin) == results_tip
    calls = cml_calls(tmp_path)
    assert [(c["action"], c["comment_id"]) for c in calls] == [("created", 1)]
    assert "staleguard-assets" not in git(repo, "--git-dir", str(origin), "branch", "--list")
    assert statuses(tmp_path)[-1] == (results_tip, "success", "staleguard/verdict")

    # A newer push that changes what the comment says (report.margin; nothing to recompute),
    # now from a private repository: the plots go to the staleguard-assets branch, the comment
    # links there, CML uploads none.
    git(repo, "pull", "-q", "origin", HEAD)
    set_param(repo, "report", "margin", 0.005)
    commit_all(repo, "report.margin → 0.005", ["params.yaml"])
    git(repo, "push", "-q", "origin", HEAD)
    private = pr_event(repo, 7, HEAD)
    private["repository"]["private"] = True
    second = run_act(repo, tmp_path, "pull_request", "pr.yml", private, env=env)
    assert (second.code, second.jobs) == (0, {"report": "success"}), second
    calls = cml_calls(tmp_path)
    assert [(c["action"], c["comment_id"]) for c in calls] == [("created", 1), ("updated", 1)]
    assert re.search(r"\| `report\.margin` \| 0\.01 \| 0\.005 \|", calls[1]["markdown"])
    assert "results unchanged: nothing to commit" in second.output, second
    assert "Running stage" not in second.output, second
    assert "--no-publish" in calls[1]["argv"] and calls[1]["images"] == []  # no upload at all
    sha8 = private["pull_request"]["head"]["sha"][:8]
    links = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", calls[1]["body"])
    plots = [u for u in links if "watermark" not in u]
    assert len(plots) == len(refs), plots
    for url in plots:
        m = re.fullmatch(rf"https://github\.com/[^/]+/[^/]+/blob/staleguard-assets/"
                         rf"(pr-7/{sha8}/[\w.-]+\.png)\?raw=true", url)
        assert m, url
        blob = subprocess.run(["git", "--git-dir", str(origin), "show",
                               f"staleguard-assets:{m[1]}"], capture_output=True, check=True)
        assert blob.stdout[:8] == b"\x89PNG\r\n\x1a\n"  # the plot itself, in the repository
    assert len(results_commits(origin)) == 1
    assert statuses(tmp_path)[-1] == (tip(origin), "success", "staleguard/verdict")
    assert tip(origin) == private["pull_request"]["head"]["sha"]


@pytest.mark.parametrize("remote", ["empty", "unreachable"])
def test_pr_workflow_fails_clearly_and_posts_nothing_without_remote_data(seeded, tmp_path,
                                                                         remote):
    repo = clone_seed(seeded, tmp_path / "repo")
    env = workflow_env(tmp_path / "home")
    if remote == "empty":
        add_dvc_remote(repo, tmp_path / "empty-remote", env)
    else:
        add_dvc_remote(repo, tmp_path / "unused", env)
        for args in (["remote", "add", "-f", "-d", "ci", "s3://staleguard-test/dvc"],
                     ["remote", "modify", "ci", "endpointurl", "http://127.0.0.1:9"]):
            run(["dvc", *args], repo, env)
        commit_all(repo, "unreachable remote", [".dvc/config"])
    origin = open_pr(repo, tmp_path, n_est=50)
    result = run_act(repo, tmp_path, "pull_request", "pr.yml", pr_event(repo, 7, HEAD),
                     env={**env, "AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "y"})
    assert (result.code, result.jobs) == (1, {"report": "failure"}), result
    assert "::error::dvc pull failed: DVC remote 'ci'" in result.output \
        or "dvc pull failed: DVC remote 'ci'" in result.output, result
    assert cml_calls(tmp_path) == []
    assert git(repo, "--git-dir", str(origin), "log", "-1", "--format=%s", HEAD).startswith(
        "train.n_est")


def test_pr_workflow_without_a_remote_bootstraps_and_says_nothing_is_persisted(tmp_path):
    repo = copy_worktree(tmp_path / "repo")  # fresh from the template: no DVC remote
    origin = open_pr(repo, tmp_path, n_est=120)  # not worse: the gate passes
    head = git(repo, "rev-parse", HEAD)
    result = run_act(repo, tmp_path, "pull_request", "pr.yml", pr_event(repo, 7, HEAD),
                     env=workflow_env(tmp_path / "home"))
    assert (result.code, result.jobs) == (0, {"report": "success"}), str(result)
    assert "No DVC remote configured: bootstrapping the data" in result.output
    (call,) = cml_calls(tmp_path)
    assert "results are **not persisted**" in call["markdown"]
    assert "| `train.n_est` | 100 | 120 |" in call["markdown"]
    assert "the `main` model could not be scored here" in call["markdown"]
    assert git(repo, "--git-dir", str(origin), "rev-parse", HEAD) == head  # nothing pushed back
