"""Where monitor.yml publishes the dashboard: GitHub Pages, or the assets branch (private repos).

The switch is the PR images' one (`report.images`, report/images.py): `cml` (public: plots may
leave GitHub) → GitHub Pages, deployed by monitor.yml's `pages` job; `github-branch` (what
`auto` picks for a private repository) → the `staleguard-assets` branch, folder `dashboard/`,
where GitHub renders its README.md (the same page in Markdown) to people who can read the repo.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from staleguard import gitpush
from staleguard.report import images

Mode = Literal["pages", "branch"]
FOLDER = "dashboard"
URL_ENV = "STALEGUARD_DASHBOARD_URL"   # a Pages custom domain, or GitHub Enterprise's Pages host


def mode(setting: str, env: dict[str, str] | os._Environ[str] = os.environ) -> Mode:
    """`pages` for a public repository (report.images cml), `branch` for a private one."""
    event = images.github_context(env)["event"]
    return "branch" if images.resolve_mode(setting, event) == "github-branch" else "pages"


def site_url(setting: str, env: dict[str, str] | os._Environ[str] = os.environ) -> str | None:
    """The dashboard's address once published; None outside GitHub Actions."""
    if env.get(URL_ENV):
        return env[URL_ENV]
    repo = env.get("GITHUB_REPOSITORY", "")
    if "/" not in repo:
        return None
    if mode(setting, env) == "branch":
        server = env.get("GITHUB_SERVER_URL", "https://github.com").rstrip("/")
        return f"{server}/{repo}/tree/{images.BRANCH}/{FOLDER}"
    owner, name = repo.split("/", 1)
    host = f"{owner.lower()}.github.io"
    return f"https://{host}/" if name.lower() == host else f"https://{host}/{name}/"


def to_branch(site: Path, token: str | None = None, branch: str = images.BRANCH) -> str | None:
    """Commit every file of the built site to `branch`/dashboard/ (one commit; None: unchanged)."""
    files = {f"{FOLDER}/{p.relative_to(site).as_posix()}": p.read_bytes()
             for p in sorted(site.rglob("*")) if p.is_file()}
    return gitpush.commit_files(branch, files, "Dashboard of the monitor's history (staleguard)", token)
