"""`staleguard retrain`: act on the monitor's plan: new data, windows, repro, one PR per cycle.

All the work happens in a scratch clone of HEAD (monitor/workspace.py), never in the user's
checkout: copy the accepted batches into data/batches, `dvc add data`, move the windows in
params.yaml, `dvc repro`, and only when the pipeline succeeded `dvc push`, commit and push the
branch from there. A failure anywhere leaves the checkout, its index and the DVC remote as they
were, and says which stage failed and why (its own first error line, not DVC's wrapper). The
branch is `retrain/<deployed model version>`: one branch (and one PR) per retraining cycle. If it
already exists on origin, the run pushes a new commit onto it, rewrites the PR's description
(CML never edits a PR body) instead of opening a second PR; the description is the one copy of
the text (no comment repeats it).
"""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Any

import pandas as pd

from staleguard import artifacts, dvc_ops, gha
from staleguard.errors import StaleguardError
from staleguard.gitpush import auth_env
from staleguard.io import write_text, write_with
from staleguard.monitor import job_summary, store, workspace
from staleguard.params import Params

PATHS = ["data.dvc", "params.yaml", "dvc.lock", "reports/**"]
BOT = ("staleguard[bot]", "staleguard-bot@users.noreply.github.com")
FALLBACK_NOTE = (   # GITHUB_TOKEN was used: say what that means
    "> **Note:** `REPO_TOKEN` is not set, so this run used `GITHUB_TOKEN`. GitHub starts no "
    "workflows for pushes and PRs made with `GITHUB_TOKEN`: `pr.yml` will not run on the "
    "retraining PR until someone pushes to it or closes and reopens it. Add a `REPO_TOKEN` "
    "secret (fine-grained PAT or GitHub App token with contents and pull-requests write) to fix "
    "this (docs/monitor.md)."
)


def sh(*cmd: str, env: dict[str, str] | None = None, check: bool = True,
       cwd: Path | None = None) -> str:
    """Run a command (in `cwd`); on failure raise with its last error line (never a traceback)."""
    proc = subprocess.run(list(cmd), capture_output=True, text=True, cwd=cwd,
                          env={**os.environ, **(env or {})})
    if check and proc.returncode != 0:
        lines = [ln for ln in (proc.stderr + proc.stdout).splitlines() if ln.strip()]
        raise StaleguardError(f"{' '.join(cmd[:3])} … failed (exit {proc.returncode}): "
                              f"{lines[-1] if lines else ''}")
    return proc.stdout.strip()


def git(*args: str, env: dict[str, str] | None = None, check: bool = True,
        cwd: Path | None = None) -> str:
    return sh("git", *args, env=env, check=check, cwd=cwd)


def load_plan(path: Path) -> dict[str, Any]:
    try:
        plan: dict[str, Any] = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as err:
        raise StaleguardError(f"{path}: no monitor plan ({err}); run `staleguard monitor` first") from err
    retrain = plan.get("retrain") or {}
    if not retrain.get("open", plan.get("drift")):
        why = retrain.get("why") or "the monitor found no drift"
        raise StaleguardError(f"{path}: {why}; nothing to retrain (`staleguard monitor --force` "
                              "retrains anyway)")
    return plan


def labeled(frame: pd.DataFrame, params: Params) -> pd.DataFrame:
    """The rows of a validated batch that join the training data: those with an actual."""
    return frame[frame[params.features.target].notna()]


def copy_batches(plan: dict[str, Any], params: Params, root: Path = Path()) -> list[Path]:
    """Re-read and re-validate each accepted batch; write its labeled rows to root/data/batches/."""
    out = []
    for batch in plan["batches"]:
        frame = labeled(store.parse_batch(store.read_bytes(batch["url"]), batch["url"], params), params)
        dest = root / params.data.batches / batch["name"]
        write_with(dest, partial(_to_parquet, frame))
        out.append(dest)
    return out


def _to_parquet(frame: pd.DataFrame, path: Path) -> None:
    frame.to_parquet(path, index=False)


def _stamp(value: str) -> str:
    text = value.replace("T", " ")
    return text[:10] if text.endswith("00:00:00") or len(text) == 10 else text[:16]


def move_windows(params_file: Path, train: dict[str, str], evaluation: dict[str, str]) -> None:
    """Rewrite windows.train/eval in params.yaml, keeping its comments and layout (ruamel)."""
    from ruamel.yaml import YAML
    from ruamel.yaml.scalarstring import DoubleQuotedScalarString as Q

    yml = YAML()
    yml.preserve_quotes = True
    doc = yml.load(params_file.read_text())
    for name, window in (("train", train), ("eval", evaluation)):
        for key in ("start", "end"):
            doc["windows"][name][key] = Q(_stamp(window[key]))
    buf = io.StringIO()
    yml.dump(doc, buf)
    write_text(params_file, buf.getvalue())


def branch_exists(branch: str) -> bool:
    proc = subprocess.run(["git", "ls-remote", "--exit-code", "--heads", "origin", branch],
                          capture_output=True, text=True, env={**os.environ, **auth_env()})
    if proc.returncode not in (0, 2):
        raise StaleguardError(f"git ls-remote origin failed: {proc.stderr.strip()}")
    return proc.returncode == 0


def body(plan: dict[str, Any], monitor_md: str, root: Path = Path(),
         repo_token: bool | None = None, compared: dict[str, Any] | None = None) -> str:
    """The PR body, top-down: the monitor's decision and evidence, then both models on rows
    neither trained on (`compared`, monitor/retrain_eval.py) and what happens next (given the
    tokens), then the folded week-by-week detail. Without `compared`: the retrained model's
    metrics.json beside the deployed model's quality the monitor measured on windows.eval.
    `repo_token`: whether REPO_TOKEN pushed this PR (None: read the environment)."""
    middle = [*comparison(plan, root, compared), "",
              f"This PR adds {len(plan['batches'])} production batch(es) to `data/` "
              "(pushed to the DVC remote), moves the windows in `params.yaml`, and commits "
              "`dvc.lock` and the reports from `dvc repro`.", "",
              next_steps(plan["retrain"]["branch"], plan["retrain"].get("base", "main"),
                         repo_token), ""]
    top, fold, rest = monitor_md.rstrip("\n").partition(job_summary.FOLD)
    text = top.rstrip("\n") + "\n\n" + "\n".join(middle) + ("\n" + fold + rest if fold else "")
    return job_summary.clip(text.rstrip("\n") + "\n")


def comparison(plan: dict[str, Any], root: Path, compared: dict[str, Any] | None) -> list[str]:
    """The section comparing the deployed and the retrained model, as Markdown lines."""
    ev, train = plan["retrain"]["eval"], plan["retrain"].get("train") or {}
    where = (f"_The model this PR ships is trained on [{_stamp(train.get('start', '?'))}, "
             f"{_stamp(train.get('end', '?'))}), up to the newest labeled row; ")
    if compared is not None and compared.get("window") is not None:
        window, deployed, retrained = compared["window"], compared["deployed"], compared["retrained"]
        where += (f"{compared['why']}" if compared.get("why") else
                  "this week, just before it, is one neither model fitted")
    else:  # the retrained model's metrics.json, the deployed model's quality the monitor measured
        window, metrics_file = ev, root / artifacts.METRICS
        retrained = json.loads(metrics_file.read_text()) if metrics_file.exists() else {}
        deployed = next((w.get("quality") for w in plan.get("windows", [])
                         if w["start"] == ev["start"] and w["end"] == ev["end"]), None) or {}
        where += (f"the deployed model is not compared: {compared['why']}" if compared else
                  "this week, just before it, is one it never fitted")
    rows = [f"| {k} | {_num(deployed.get(k))} | {_num(v)} |" for k, v in retrained.items()]
    return [f"### Retrained model, evaluated on [{_stamp(window['start'])}, {_stamp(window['end'])})",
            "", where + ". One slice is not a verdict: the evidence above is._", "",
            f"| metric | deployed `{plan.get('model_version', '?')}` | retrained |", "|---|---:|---:|",
            *rows]


def next_steps(branch: str, base: str, repo_token: bool | None = None) -> str:
    """What will and will not happen to this PR, given the token that pushed it."""
    if repo_token is None:
        repo_token = bool(os.environ.get("REPO_TOKEN"))
    if repo_token:
        checks = ("`pr.yml` runs on this PR (it was pushed with `REPO_TOKEN`): its comment "
                  f"compares the retrained model with `{base}`'s, and the commit status "
                  "`staleguard/verdict` passes or fails the merge.")
    else:
        checks = ("**`pr.yml` will not run on this PR by itself**: it was pushed with "
                  "`GITHUB_TOKEN`, and GitHub starts no workflow for that. There is no model "
                  "report and no `staleguard/verdict` status until someone pushes to "
                  f"`{branch}` (or closes and reopens the PR); the evidence above is the only "
                  "comparison until then. A `REPO_TOKEN` secret fixes this (docs/monitor.md).")
    return (f"**What happens next.** {checks} Nothing is deployed until this PR is merged. "
            f"Later monitor runs push onto `{branch}` and rewrite this description while it "
            "is open (no new PR, no comment).")


def _num(value: float | None) -> str:
    return "–" if value is None else f"{value:.4g}"


def commit_onto(branch: str, message: str, cwd: Path | None = None) -> str | None:
    """Commit the work tree's changes as a child of origin/<branch> (and of HEAD when the base
    moved on), push it fast-forward; None when the branch already holds exactly this tree."""
    env = auth_env(cwd=cwd)
    git("fetch", "-q", "origin", f"+refs/heads/{branch}:refs/remotes/origin/{branch}", env=env, cwd=cwd)
    git("add", "--", *[p.replace("/**", "") for p in PATHS], cwd=cwd)
    tree = git("write-tree", cwd=cwd)
    head = f"refs/remotes/origin/{branch}"
    if tree == git("rev-parse", f"{head}^{{tree}}", cwd=cwd):
        return None
    parents = ["-p", head]
    if subprocess.run(["git", "merge-base", "--is-ancestor", "HEAD", head], cwd=cwd).returncode != 0:
        parents += ["-p", "HEAD"]  # the base moved on since the branch was made: merge it in
    who = {"GIT_AUTHOR_NAME": BOT[0], "GIT_AUTHOR_EMAIL": BOT[1],
           "GIT_COMMITTER_NAME": BOT[0], "GIT_COMMITTER_EMAIL": BOT[1]}
    sha = git("commit-tree", tree, *parents, "-m", message, env=who, cwd=cwd)
    git("push", "-q", "origin", f"{sha}:refs/heads/{branch}", env=env, cwd=cwd)
    return sha


def cml_pr(plan: dict[str, Any], body_text: str, cwd: Path | None = None) -> str:
    r = plan["retrain"]
    return sh("cml", "pr", "create", "--branch", r["branch"], "--target-branch", r["base"],
              "--title", r["title"], "--message", r["message"], "--body", body_text,
              "--user-name", BOT[0], "--user-email", BOT[1], *PATHS, cwd=cwd)


def prepare_data(plan: dict[str, Any], params: Params, params_file: Path, root: Path) -> int:
    """The new training data in `root`: accepted batches into data/, `dvc add`, windows moved.
    (What the retrain fits on; the transaction around it is in `run`.)"""
    copied = copy_batches(plan, params, root)
    dvc_ops.add(str(params.data.raw.parent), cwd=root)
    move_windows(root / params_file, plan["retrain"]["train"], plan["retrain"]["eval"])
    return len(copied)


def _inside(path: Path, root: Path) -> Path:
    """`path` relative to the checkout `root` (the scratch clone has the same layout)."""
    try:
        return path.resolve().relative_to(root.resolve())
    except ValueError as err:
        raise StaleguardError(f"{path}: the params file must be inside the repository {root}") from err


def update_pr_body(number: str, body_file: Path) -> None:
    """`PATCH /repos/{owner}/{repo}/pulls/{n}` with `{"body": <file>}` through gh, so the PR's
    description matches the branch (windows, batches, metrics) instead of the first run's."""
    if shutil.which("gh") is None:
        raise StaleguardError("gh (GitHub CLI) not found on PATH: it updates the retraining PR's "
                              "description (preinstalled on GitHub's runners)")
    token = os.environ.get("REPO_TOKEN") or os.environ.get("GITHUB_TOKEN")
    sh("gh", "api", "--method", "PATCH", f"repos/{{owner}}/{{repo}}/pulls/{number}",
       "-F", f"body=@{body_file}", "--silent", env={"GH_TOKEN": token} if token else None)


@contextmanager
def retrained(plan: dict[str, Any], params: Params, params_file: Path, root: Path) -> Iterator[Path]:
    """The retrain's scratch clone of `root` after `dvc repro` on the plan's data and windows
    (the model that ships is its artifacts/model.skops); removed on exit, `root` never written."""
    data_dvc = f"{params.data.raw.parent}.dvc"
    with workspace.scratch_clone(root, pull=(data_dvc,)) as wt:
        try:
            count = prepare_data(plan, params, params_file, wt)
            print(f"retrain: {count} batch(es) → {params.data.batches}; windows moved; dvc repro "
                  f"(in a scratch clone) …", flush=True)
            dvc_ops.repro(cwd=wt)
        except StaleguardError as err:
            raise StaleguardError(f"retrain: {err}; nothing was pushed, the checkout is unchanged") from err
        yield wt


def unseen_comparison(plan: dict[str, Any], params: Params, root: Path, wt: Path) -> dict[str, Any]:
    """The deployed model (the checkout's, as the monitor used it) and the retrained one (the
    scratch clone's) on rows neither trained on, from the retrain's labeled history."""
    from staleguard.contract import read_raw
    from staleguard.data.history import columns_of, history, read_batches
    from staleguard.monitor.retrain_eval import compare

    cols = columns_of(params)
    rows = history(read_raw(wt / params.data.raw, params), read_batches(wt / params.data.batches, cols),
                   cols, params)
    return compare(plan, root / artifacts.MODEL, wt / artifacts.MODEL, rows, params)


def remember(plan: dict[str, Any], retrain: dict[str, Any]) -> None:
    """Write the PR onto this run's weeks in the monitor's history (monitor/logbook.py)."""
    from staleguard.monitor import logbook

    if plan.get("store"):
        logbook.update(logbook.url_of(plan["store"]), {w["start"] for w in plan["windows"]},
                       {"retrain": retrain}, plan.get("model_version"))


def run(params: Params, params_file: Path,
        plan_path: Path = artifacts.MONITOR_REPORTS / "monitor.json") -> str:
    """Carry out the plan in a scratch clone; returns the PR URL. Data and model reach the DVC
    remote only after `dvc repro` succeeded, and before git; the checkout is never written."""
    plan = load_plan(plan_path)
    monitor_md = (plan_path.parent / "monitor.md").read_text()
    branch = plan["retrain"]["branch"]
    exists = branch_exists(branch)
    root = Path.cwd()
    with retrained(plan, params, _inside(params_file, root), root) as wt:
        dvc_ops.dvc("push", cwd=wt)
        text = body(plan, monitor_md, wt, compared=unseen_comparison(plan, params, root, wt))
        body_file = plan_path.parent / "monitor.pr.md"
        write_text(body_file, text)
        if exists:
            sha = commit_onto(branch, plan["retrain"]["message"], cwd=wt)
            url = cml_pr(plan, text, cwd=wt)  # branch exists: CML pushes nothing, returns the open PR
            number = url.rstrip("/").rsplit("/", 1)[-1]
            update_pr_body(number, body_file.resolve())  # in the checkout: origin is GitHub
            note = (f"Updated branch `{branch}` ({sha[:8]}) and the description of {url}"
                    if sha else f"Branch `{branch}` already holds this retraining; updated the "
                    f"description of {url}")
        else:
            sha = None
            url = cml_pr(plan, text, cwd=wt)
            if url == "undefined":
                raise StaleguardError("cml pr create found no changed files to commit; "
                                      "the retraining produced nothing new")
            note = f"Opened retraining PR {url} from branch `{branch}`"
    action = ("updated" if sha else "unchanged") if exists else "opened"
    remember(plan, {"branch": branch, "pr": url, "action": action})
    fallback = os.environ.get("GITHUB_ACTIONS") and not os.environ.get("REPO_TOKEN")
    gha.add_summary(note + ("\n\n" + FALLBACK_NOTE if fallback else ""))
    gha.set_outputs(pr_url=url)
    print(f"retrain: {note}")
    return url
