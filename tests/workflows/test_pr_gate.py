"""pr.yml under act: the verdict as the commit status `staleguard/verdict` on the branch's final
head (worse fails, better passes, with github.token or REPO_TOKEN), a fork's PR reporting
without pushing, and results computed on the head when GitHub checks out a merge commit."""

from __future__ import annotations

import re

import pytest
import yaml

from tests.conftest import run
from tests.workflows.conftest import clone_seed, workflow_env
from tests.workflows.harness import (
    cml_calls,
    commit_all,
    gh_calls,
    git,
    make_origin,
    pr_event,
    remote_file,
    run_act,
)
from tests.workflows.test_pr_workflow import HEAD, open_pr, results_commits, set_param, statuses, tip

# Their own xdist group: they run beside test_pr_workflow.py's (the seed is shared by a file lock).
pytestmark = [pytest.mark.workflows, pytest.mark.slow, pytest.mark.xdist_group("act-pr-gate")]


def test_a_worse_pr_ends_with_a_failing_status_on_its_final_head(seeded, tmp_path):
    """With REPO_TOKEN pushing the results commit: the job fails at the gate after the results
    commit, and that commit (the head a reviewer sees) carries a failing staleguard/verdict."""
    repo = clone_seed(seeded, tmp_path / "repo")
    git(repo, "checkout", "-q", "-b", HEAD)
    set_param(repo, "train", "estimator", "ridge")
    commit_all(repo, "a linear model", ["params.yaml"])
    origin = make_origin(repo, tmp_path / "origin.git")
    result = run_act(repo, tmp_path, "pull_request", "pr.yml", pr_event(repo, 7, HEAD),
                     env=workflow_env(tmp_path / "home"), extra=("-s", "REPO_TOKEN=pat-for-tests"))
    assert (result.code, result.jobs) == (1, {"report": "failure"}), result
    (call,) = cml_calls(tmp_path)
    assert "**🔴 worse**" in call["markdown"] and "❌ **gate fails**" in call["markdown"]
    assert call["markdown"].index("🔴 worse") < call["markdown"].index("### Params")
    assert results_commits(origin) == ["Results of the PR pipeline run (dvc.lock, metrics)"]
    assert statuses(tmp_path) == [(tip(origin), "failure", "staleguard/verdict")]
    (post,) = [c for c in gh_calls(tmp_path) if "/statuses/" in c.get("path", "")]
    assert post["json"]["description"].startswith("worse: mae +")
    assert post["json"]["description"].endswith("· gate fails")
    assert post["json"]["target_url"].endswith("/actions/runs/" + post["json"]["target_url"]
                                               .rsplit("/", 1)[1])
    assert "Failure - Main Gate on the verdict" in result.output, result


def test_a_better_pr_ends_with_a_passing_status_on_its_final_head(seeded, tmp_path):
    """main moved to a linear model (params only); the PR brings the forest back: better."""
    repo = clone_seed(seeded, tmp_path / "repo")
    env = workflow_env(tmp_path / "home")
    set_param(repo, "train", "estimator", "ridge")
    run(["dvc", "repro", "-q"], repo, env)   # main's results of its own params, on the remote
    run(["dvc", "push", "-q"], repo, env)
    commit_all(repo, "main: a linear model", ["params.yaml", "dvc.lock", "reports"])
    git(repo, "checkout", "-q", "-b", HEAD)
    set_param(repo, "train", "estimator", "random_forest")
    commit_all(repo, "back to the forest", ["params.yaml"])
    origin = make_origin(repo, tmp_path / "origin.git")
    result = run_act(repo, tmp_path, "pull_request", "pr.yml", pr_event(repo, 8, HEAD), env=env)
    assert (result.code, result.jobs) == (0, {"report": "success"}), result
    (call,) = cml_calls(tmp_path)
    assert "**🟢 better**" in call["markdown"] and "✅ gate passes" in call["markdown"]
    assert statuses(tmp_path) == [(tip(origin), "success", "staleguard/verdict")]


def test_a_fork_pr_reports_its_verdict_without_pushing(seeded, tmp_path):
    """A fork's read-only token: the verdict is computed and reported (job summary, the job's
    own result on the head), nothing is commented, pushed or set as a status."""
    repo = clone_seed(seeded, tmp_path / "repo")
    git(repo, "checkout", "-q", "-b", HEAD)
    set_param(repo, "train", "estimator", "ridge")
    head = commit_all(repo, "a linear model", ["params.yaml"])
    origin = make_origin(repo, tmp_path / "origin.git")
    result = run_act(repo, tmp_path, "pull_request", "pr.yml", pr_event(repo, 9, HEAD, fork=True),
                     env=workflow_env(tmp_path / "home"))
    assert (result.code, result.jobs) == (1, {"report": "failure"}), result
    assert re.search(r"report pr: \*\*🔴 worse\*\*: mae \+", result.output), result
    assert "Failure - Main Gate on the verdict" in result.output, result
    assert cml_calls(tmp_path) == [] and gh_calls(tmp_path) == []
    assert tip(origin) == head


def test_results_belong_to_the_head_not_to_githubs_merge_ref(seeded, tmp_path):
    """As on GitHub, the checked-out tree is the merge of the PR into a main that changed the
    pipeline after the branch point. The run computes on the head, so the head's `dvc status`
    is clean after its results commit, and the comment says the branch must be updated."""
    repo = clone_seed(seeded, tmp_path / "repo")
    origin = open_pr(repo, tmp_path, n_est=50)
    env = workflow_env(tmp_path / "home")
    git(repo, "checkout", "-q", "main")
    set_param(repo, "drift", "share", 0.6)   # a pipeline input (the drift stage's params)
    commit_all(repo, "main: drift.share → 0.6", ["params.yaml"])
    git(repo, "push", "-q", "origin", "main")
    event = pr_event(repo, 7, HEAD)
    git(repo, "checkout", "-q", "--detach", "main")  # refs/pull/7/merge: main + the PR
    git(repo, "merge", "-q", "--no-ff", "-m", f"Merge {HEAD} into main", HEAD)
    merged = yaml.safe_load((repo / "params.yaml").read_text())
    assert (merged["train"]["n_est"], merged["drift"]["share"]) == (50, 0.6)

    result = run_act(repo, tmp_path, "pull_request", "pr.yml", event, env=env)
    assert (result.code, result.jobs) == (0, {"report": "success"}), result
    (call,) = cml_calls(tmp_path)
    assert "**Update this branch before merging.** `main` gained 1 commit(s)" in call["markdown"]
    assert "`params.yaml`" in call["markdown"]
    assert results_commits(origin) == ["Results of the PR pipeline run (dvc.lock, metrics)"]
    lock = yaml.safe_load(remote_file(origin, HEAD, "dvc.lock"))
    assert lock["stages"]["train"]["params"]["params.yaml"]["train"]["n_est"] == 50
    assert lock["stages"]["drift"]["params"]["params.yaml"]["drift"]["share"] == 0.5
    clone = tmp_path / "head"
    run(["git", "clone", "-q", "-b", HEAD, str(origin), str(clone)], tmp_path)
    run(["dvc", "pull", "-q"], clone, env)
    status = run(["dvc", "status"], clone, env).stdout
    assert "Data and pipelines are up to date" in status, status
    assert statuses(tmp_path) == [(tip(origin), "success", "staleguard/verdict")]


def test_a_failed_run_sets_error_on_the_branchs_final_head_in_one_line(seeded, tmp_path):
    """Issue 31: an `error` went to the event's commit while the branch's final head (an earlier
    run's results commit on top of it) kept that run's status. Here the PR's params.yaml leaves
    out `model:`, which dvc.yaml tracks: `staleguard check` refuses it in one line before DVC runs,
    and the error lands on the results commit a reviewer sees."""
    repo = clone_seed(seeded, tmp_path / "repo")
    git(repo, "checkout", "-q", "-b", HEAD)
    text = (repo / "params.yaml").read_text()
    start = text.index("\nmodel:")
    end = text.index("\ntrain:")
    (repo / "params.yaml").write_text(text[:start] + text[end:])
    assert "model" not in yaml.safe_load((repo / "params.yaml").read_text())
    head = commit_all(repo, "no model section", ["params.yaml"])
    event = pr_event(repo, 11, HEAD)
    (repo / "reports" / "earlier-run.json").write_text("{}\n")   # an earlier run's results commit
    results = commit_all(repo, "Results of the PR pipeline run (dvc.lock, metrics)", ["reports"])
    origin = make_origin(repo, tmp_path / "origin.git")
    git(repo, "checkout", "-q", head)

    result = run_act(repo, tmp_path, "pull_request", "pr.yml", event,
                     env=workflow_env(tmp_path / "home"))
    assert (result.code, result.jobs) == (1, {"report": "failure"}), result
    assert ("staleguard: error: params.yaml: dvc.yaml tracks model (stage 'train'), which params.yaml "
            "leaves out; DVC stops on a missing tracked param: add model: {} (the defaults)") in result.output
    assert "Parameters 'model' are missing" not in result.output and "Traceback" not in result.output
    assert tip(origin) == results != head
    assert statuses(tmp_path) == [(results, "error", "staleguard/verdict")]
    assert cml_calls(tmp_path) == []
