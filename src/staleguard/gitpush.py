"""Pushing to `origin` from a workflow: the token as GIT_CONFIG_* env, commits made without
touching the work tree or the index (git plumbing), retried when another run wins the race."""

from __future__ import annotations

import base64
import os
import re
import subprocess
import tempfile
from pathlib import Path

from staleguard.errors import StaleguardError

BOT = ("staleguard[bot]", "staleguard-bot@users.noreply.github.com")


def git(*args: str, env: dict[str, str] | None = None, data: bytes | None = None,
        check: bool = True) -> subprocess.CompletedProcess[bytes]:
    """Run git; on failure raise with its last error line (never a traceback, never the token)."""
    proc = subprocess.run(["git", *args], input=data, capture_output=True,
                          env={**os.environ, **(env or {})})
    if check and proc.returncode != 0:
        lines = [ln for ln in proc.stderr.decode(errors="replace").splitlines() if ln.strip()]
        raise StaleguardError(f"git {' '.join(args[:2])} … failed (exit {proc.returncode}): "
                              f"{lines[-1] if lines else ''}")
    return proc


def out(*args: str, env: dict[str, str] | None = None) -> str:
    return git(*args, env=env).stdout.decode().strip()


def auth_env(token: str | None = None, cwd: Path | None = None) -> dict[str, str]:
    """Credentials for `git push`/`fetch` over https when checkout ran with
    persist-credentials: false: an extraheader passed as GIT_CONFIG_* environment variables, so
    the token never appears in argv or .git/config. Empty for a local origin or no token."""
    token = token or os.environ.get("REPO_TOKEN") or os.environ.get("GITHUB_TOKEN")
    url = out(*(("-C", str(cwd)) if cwd else ()), "remote", "get-url", "origin")
    m = re.match(r"^(https?://[^/@]+)/", url)
    if not token or not m:
        return {}
    basic = base64.b64encode(f"x-access-token:{token}".encode()).decode()
    return {"GIT_CONFIG_COUNT": "1", "GIT_CONFIG_KEY_0": f"http.{m[1]}/.extraheader",
            "GIT_CONFIG_VALUE_0": f"AUTHORIZATION: basic {basic}"}


def remote_head(branch: str, env: dict[str, str]) -> str | None:
    """Fetch origin/<branch>; its commit, or None when the branch does not exist yet."""
    listed = out("ls-remote", "--heads", "origin", f"refs/heads/{branch}", env=env)
    if not listed:
        return None
    git("fetch", "-q", "origin", f"+refs/heads/{branch}:refs/remotes/origin/{branch}", env=env)
    return out("rev-parse", f"refs/remotes/origin/{branch}")


def commit_files(branch: str, files: dict[str, bytes], message: str, token: str | None = None,
                 attempts: int = 3) -> str | None:
    """Add `files` ({path in the branch: bytes}) to origin/<branch> in one commit and push it
    (an orphan branch when it does not exist). None when the branch already holds them all."""
    env = auth_env(token)
    who = {"GIT_AUTHOR_NAME": BOT[0], "GIT_AUTHOR_EMAIL": BOT[1],
           "GIT_COMMITTER_NAME": BOT[0], "GIT_COMMITTER_EMAIL": BOT[1]}
    for _ in range(attempts):
        parent = remote_head(branch, env)
        with tempfile.TemporaryDirectory() as tmp:
            index = {"GIT_INDEX_FILE": str(Path(tmp) / "index")}
            if parent:
                git("read-tree", parent, env=index)
            for path, data in files.items():
                blob = git("hash-object", "-w", "--stdin", data=data).stdout.decode().strip()
                git("update-index", "--add", "--cacheinfo", f"100644,{blob},{path}", env=index)
            tree = out("write-tree", env=index)
        if parent and tree == out("rev-parse", f"{parent}^{{tree}}"):
            return None
        sha = out("commit-tree", tree, *(["-p", parent] if parent else []), "-m", message,
                  env=who)
        if git("push", "-q", "origin", f"{sha}:refs/heads/{branch}", env=env,
               check=False).returncode == 0:
            return sha
    raise StaleguardError(f"could not push to {branch} on origin after {attempts} attempts "
                          "(another run kept moving it, or the token cannot push)")
