"""Run the template's GitHub Actions workflows for real, offline, with `act` in host mode.

One harness for every workflow test (pr, monitor, deploy): remote actions are served from the
stubs in ci/act-stubs/, `cml` is the recording stand-in in tests/workflows/bin/, `origin` is a
local bare repository and the DVC remote a local folder. See docs/pr-workflow.md ("Testing").
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.conftest import ROOT, run

STUB_DIR = ROOT / "ci" / "act-stubs"
BIN_DIR = Path(__file__).resolve().parent / "bin"
WORKFLOWS = ROOT / ".github" / "workflows"
# Every remote action of every workflow is served from a stub (act clones each one, even under
# a false `if:`); actions/checkout is the exception: act replaces it with a copy of the work
# tree. The workflows pin each action by commit SHA (`owner/repo@<sha> # vX.Y.Z`); the stubs
# follow the pins: `--local-repository` needs the exact ref written in `uses:`, read from the files.
STUB_FOR: dict[str, str] = {
    "actions/setup-python": "setup-python",
    "actions/cache": "noop",
    "actions/upload-artifact": "noop",
    "iterative/setup-cml": "noop",
    "iterative/setup-dvc": "noop",
    "docker/login-action": "noop",
    "docker/build-push-action": "record-build",
    "actions/upload-pages-artifact": "record-pages-upload",
    "actions/deploy-pages": "record-pages-deploy",
}
USES = re.compile(r"^\s*(?:-\s+)?uses:\s*([\w.-]+/[\w./-]+)@([^\s#]+)", re.M)


def workflow_refs() -> set[str]:
    """Every remote `owner/repo@ref` the workflows use (local and docker actions excluded)."""
    return {f"{name}@{ref}" for path in WORKFLOWS.glob("*.y*ml")
            for name, ref in USES.findall(path.read_text())}


STUBS: dict[str, str] = {ref: STUB_FOR[ref.split("@")[0]] for ref in sorted(workflow_refs())
                         if ref.split("@")[0] in STUB_FOR}
CHECKOUT = "actions/checkout@"
# `github.repository` under act: act derives it from a remote's URL; `origin` is a local bare
# repository in tests, so a `github` remote (never fetched) names the repository as on GitHub.
REPOSITORY = "octo/staleguard"
BOT = ["-c", "user.name=staleguard test", "-c", "user.email=test@staleguard.invalid"]


@dataclass
class ActRun:
    """What one `act` run did: exit code, {job id: result}, per-step results, and the log."""

    code: int
    jobs: dict[str, str]
    steps: dict[str, str] = field(default_factory=dict)
    output: str = ""
    stderr: str = ""

    def __str__(self) -> str:  # the text shown when an assertion on the run fails
        return f"act exited {self.code}, jobs {self.jobs}\n{self.output[-6000:]}\n{self.stderr[-2000:]}"


def act_command(event: str, workflow: str, cache: Path, event_file: Path | None = None,
                extra: tuple[str, ...] = ()) -> list[str]:
    cmd = ["act", event, "-W", f".github/workflows/{workflow}", "-P", "ubuntu-latest=-self-hosted",
           "--no-cache-server", "--json", "--action-cache-path", str(cache),
           "--remote-name", "github", "-s", "GITHUB_TOKEN=fake-token", *extra]
    for ref, stub in STUBS.items():
        cmd += ["--local-repository", f"{ref}={STUB_DIR / stub}"]
    if event_file is not None:
        cmd += ["-e", str(event_file)]
    return cmd


def run_act(repo: Path, tmp: Path, event: str, workflow: str, payload: dict | None = None,
            extra: tuple[str, ...] = (), env: dict[str, str] | None = None,
            timeout: float = 600) -> ActRun:
    """Run `workflow` on `event` in `repo` (host mode); the cml stand-in logs to cml_log(tmp)."""
    event_file = None
    if payload is not None:
        event_file = tmp / f"event-{event}.json"
        event_file.write_text(json.dumps(payload))
    home = tmp / "act-home"
    home.mkdir(exist_ok=True)
    base = dict(env if env is not None else os.environ)
    run_env = {"GH_SHIM_LOG": str(gh_log_path(tmp)), **base, "HOME": str(home),
               "CML_SHIM_LOG": str(cml_log_path(tmp)),
               "PATH": f"{BIN_DIR}{os.pathsep}{base.get('PATH', os.environ['PATH'])}"}
    for key in [k for k in run_env if k.startswith("GITHUB_")]:
        del run_env[key]
    if "github" not in git(repo, "remote").split():  # what act reads `github.repository` from
        git(repo, "remote", "add", "github", f"https://github.com/{REPOSITORY}.git")
    cmd = act_command(event, workflow, tmp / "act-cache", event_file, extra)
    proc = subprocess.run(cmd, cwd=repo, env=run_env, capture_output=True, text=True,
                          timeout=timeout)
    logs = sorted(tmp.glob("act-*.log"))  # the whole log, kept beside the test for debugging
    (tmp / f"act-{len(logs) + 1}-{workflow}.log").write_text(proc.stdout + proc.stderr)
    return parse_act(proc.returncode, proc.stdout, proc.stderr)


def parse_act(code: int, stdout: str, stderr: str) -> ActRun:
    """Job and step results from act's --json lines; plain lines (schema errors) are kept."""
    result = ActRun(code=code, jobs={}, stderr=stderr)
    lines = []
    for line in stdout.splitlines():
        try:
            rec = json.loads(line)
        except json.JSONDecodeError:
            lines.append(line)
            continue
        lines.append(rec.get("msg", "").rstrip())
        if rec.get("jobResult"):
            result.jobs[rec["jobID"]] = rec["jobResult"]
        if rec.get("stepResult") and rec.get("stage") == "Main":
            result.steps[rec.get("step", "")] = rec["stepResult"]
    result.output = "\n".join(lines)
    return result


# ---------------------------------------------------------------- recording stand-ins
def cml_log_path(tmp: Path) -> Path:
    return tmp / "cml.jsonl"


def cml_calls(tmp: Path) -> list[dict[str, Any]]:
    """Every call the cml stand-in recorded, in order (argv, cwd, token_var, markdown, body...)."""
    path = cml_log_path(tmp)
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def gh_log_path(tmp: Path) -> Path:
    return tmp / "gh.jsonl"


def gh_calls(tmp: Path) -> list[dict[str, Any]]:
    """Every call the gh stand-in recorded (argv, token_var; for `api`: method, path, json)."""
    path = gh_log_path(tmp)
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


# ---------------------------------------------------------------- git and DVC fixtures
def git(repo: Path, *args: str, env: dict[str, str] | None = None) -> str:
    return run(["git", *BOT, *args], repo, env).stdout.strip()


def make_origin(repo: Path, bare: Path) -> Path:
    """A local bare repository as `origin`, holding every local branch of `repo`."""
    run(["git", "init", "-q", "--bare", "-b", "main", str(bare)], repo.parent)
    git(repo, "remote", "add", "origin", str(bare))
    git(repo, "push", "-q", "origin", "--all")
    git(repo, "fetch", "-q", "origin")
    return bare


def add_dvc_remote(repo: Path, remote: Path, env: dict[str, str]) -> Path:
    """A local folder as the committed default DVC remote (act copies only committed config)."""
    remote.mkdir(parents=True, exist_ok=True)
    local = repo / ".dvc" / "config.local"
    local.unlink(missing_ok=True)
    run(["dvc", "remote", "add", "-f", "-d", "ci", str(remote)], repo, env)
    git(repo, "add", ".dvc/config")
    git(repo, "commit", "-qm", "DVC remote for the tests")
    return remote


def commit_all(repo: Path, message: str, paths: list[str], allow_empty: bool = False) -> str:
    git(repo, "add", "--", *paths)
    git(repo, "commit", "-qm", message, *(["--allow-empty"] if allow_empty else []))
    return git(repo, "rev-parse", "HEAD")


def pr_event(repo: Path, number: int, head: str, base: str = "main",
             fork: bool = False) -> dict[str, Any]:
    """A pull_request payload for `head` → `base`; `fork` makes the head repo someone else's."""
    sha = git(repo, "rev-parse", head)
    name = REPOSITORY
    return {
        "action": "synchronize", "number": number,
        "pull_request": {
            "number": number, "title": f"PR {number}",
            "head": {"ref": head, "sha": sha,
                     "repo": {"full_name": "fork-owner/staleguard" if fork else name}},
            "base": {"ref": base, "sha": git(repo, "rev-parse", base), "repo": {"full_name": name}},
        },
        "repository": {"full_name": name},
    }


def remote_file(bare: Path, ref: str, path: str) -> str:
    """A file's content on a branch of the bare origin."""
    return run(["git", "--git-dir", str(bare), "show", f"{ref}:{path}"], bare).stdout


def act_available() -> bool:
    return shutil.which("act") is not None
