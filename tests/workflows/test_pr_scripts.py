"""The PR job's helper scripts outside act, and the workflow's wiring of their outputs."""

from __future__ import annotations

import os
from pathlib import Path

import yaml

from tests.conftest import ROOT, copy_worktree, run
from tests.workflows.harness import WORKFLOWS, commit_all, git, make_origin, remote_file


def test_pr_data_bootstraps_from_the_official_url_when_no_remote_is_set(tmp_path, env):
    repo = copy_worktree(tmp_path / "repo")
    out = tmp_path / "github_output"
    proc = run(["bash", str(ROOT / "ci" / "pr-data.sh")], repo, {**env, "GITHUB_OUTPUT": str(out)})
    assert "::warning::No DVC remote configured" in proc.stdout
    assert out.read_text() == "persisted=false\n"
    assert (repo / "data" / "hour.csv").stat().st_size > 1_000_000
    assert run(["git", "status", "--porcelain", "data.dvc"], repo).stdout == ""


def test_pr_workflow_persists_nothing_when_the_data_was_bootstrapped():
    steps = yaml.safe_load((WORKFLOWS / "pr.yml").read_text())["jobs"]["report"]["steps"]
    by_run = {s.get("run", "").split()[0] if s.get("run") else s.get("uses"): s for s in steps}
    assert by_run["dvc"]["if"] == "steps.data.outputs.persisted == 'true' && env.FORK != 'true'"
    assert by_run["ci/push-results.sh"]["if"] == ("steps.data.outputs.persisted == 'true' && "
                                                  "steps.fresh.outputs.current == 'true'")
    order = [s.get("run", s.get("uses", "")) for s in steps]
    first = [o.split()[0] for o in order]
    pipeline = order.index("staleguard check\ndvc repro\n")  # settings checked, then the pipeline
    assert first.index("ci/pr-data.sh") < pipeline < first.index("dvc") \
        < first.index("staleguard", pipeline + 1) \
        < order.index("ci/push-results.sh --check") < first.index("cml") \
        < order.index("ci/push-results.sh")
    # the comment and its plots only from a run that still has the PR's latest code
    gated = [s for s in steps if str(s.get("if")).startswith("steps.fresh.outputs.current == 'true'")]
    assert {s["run"].split()[0] for s in gated} == {"same=false", "staleguard", "cml", "gh"}
    # ...and, when the PR's comment already shows these results, no plots and no comment at all
    unchanged = [s for s in gated if "steps.posted.outputs.same != 'true'" in s["if"]]
    assert {s["run"].split()[0] for s in unchanged} == {"staleguard", "cml"}


# ---------------------------------------------------------------- push-results.sh: re-runs, races
def _bare_and_head(tmp_path: Path) -> tuple[Path, Path, str]:
    """A bare origin whose branch `tune` holds one code commit A; returns (origin, work, A)."""
    work = tmp_path / "seed"
    work.mkdir()
    (work / "reports").mkdir()
    (work / "train.py").write_text("n_est = 50\n")
    (work / "dvc.lock").write_text("lock: 0\n")
    (work / "reports" / "metrics.json").write_text('{"mae": 0}\n')
    git(work, "init", "-q", "-b", "tune")
    commit_all(work, "code A", ["."])
    origin = make_origin(work, tmp_path / "origin.git")
    return origin, work, git(work, "rev-parse", "HEAD")


def _run_job(tmp_path: Path, origin: Path, sha: str, mae: float, name: str) -> str:
    """One PR job: a fresh clone at the event's commit, the pipeline's results, then the script."""
    clone = tmp_path / name
    run(["git", "clone", "-q", str(origin), str(clone)], tmp_path)
    git(clone, "checkout", "-q", "--detach", sha)
    (clone / "dvc.lock").write_text(f"lock: {mae}\n")
    (clone / "reports" / "metrics.json").write_text(f'{{"mae": {mae}}}\n')
    (clone / "reports" / "plots").mkdir(exist_ok=True)
    (clone / "reports" / "plots" / "residuals.csv").write_text(f"r\n{mae}\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("GITHUB_")}
    proc = run(["bash", str(ROOT / "ci" / "push-results.sh")], clone,
               {**env, "HEAD_REF": "tune", "HEAD_SHA": sha})
    return proc.stdout + proc.stderr


def _check(tmp_path: Path, sha: str) -> str:
    """`push-results.sh --check` in the last job's clone; what it wrote to $GITHUB_OUTPUT."""
    out = tmp_path / f"output-{sha[:8]}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("GITHUB_")}
    run(["bash", str(ROOT / "ci" / "push-results.sh"), "--check"], tmp_path / "stale",
        {**env, "HEAD_REF": "tune", "HEAD_SHA": sha, "GITHUB_OUTPUT": str(out)})
    return out.read_text()


def _log(origin: Path) -> list[str]:
    return git(origin, "--git-dir", str(origin), "log", "--format=%s", "tune").splitlines()


def test_push_results_survives_reruns_and_leaves_newer_code_to_its_own_run(tmp_path):
    origin, work, a = _bare_and_head(tmp_path)
    out = _run_job(tmp_path, origin, a, 1.5, "run1")
    assert "results committed to tune" in out, out
    assert _log(origin) == ["Results of the PR pipeline run (dvc.lock, metrics)", "code A"]
    first = git(origin, "--git-dir", str(origin), "rev-parse", "tune")

    # "Re-run jobs": the same event (head A), the branch already holds the identical results
    out = _run_job(tmp_path, origin, a, 1.5, "rerun")
    assert "results already on tune" in out and "rejected" not in out, out
    assert git(origin, "--git-dir", str(origin), "rev-parse", "tune") == first

    # a re-run that measured something else: replayed on top of the branch head, no rejection
    out = _run_job(tmp_path, origin, a, 2.5, "rerun-new")
    assert "results committed to tune" in out, out
    assert git(origin, "--git-dir", str(origin), "rev-parse", "tune^") == first
    assert remote_file(origin, "tune", "reports/metrics.json") == '{"mae": 2.5}\n'
    assert len(_log(origin)) == 3

    # a newer push with new code: the older run's results would be wrong there; skip, stay green
    git(work, "pull", "-q", "origin", "tune")
    (work / "train.py").write_text("n_est = 80\n")
    commit_all(work, "code B", ["train.py"])
    git(work, "push", "-q", "origin", "tune")
    tip = git(origin, "--git-dir", str(origin), "rev-parse", "tune")
    out = _run_job(tmp_path, origin, a, 3.5, "stale")
    assert "::notice::tune moved on from" in out and "train.py" in out, out
    assert git(origin, "--git-dir", str(origin), "rev-parse", "tune") == tip
    # `--check` (before the comment): the old run is not current any more, the new one is
    assert _check(tmp_path, a) == "current=false\nhead=\n"
    newest = git(work, "rev-parse", "HEAD")
    assert _check(tmp_path, newest) == f"current=true\nhead={newest}\n"   # where the status goes

    # a rewritten branch (force-push): the event's commit is gone from it; skip as well
    git(work, "commit", "-q", "--amend", "-m", "code B'")
    git(work, "push", "-q", "-f", "origin", "tune")
    out = _run_job(tmp_path, origin, tip, 4.5, "rewritten")
    assert "::notice::tune was rewritten" in out, out
