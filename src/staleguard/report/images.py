"""Where the PR comment's plots are hosted: CML's asset server, or a branch of this repository.

`cml comment` uploads every local image of the Markdown to CML's public asset server
(asset.cml.dev, unauthenticated URLs) unless it is given `--no-publish`. For private repositories
that is a leak. In `github-branch` mode the plots are committed to an orphan branch of the same
repository (`staleguard-assets`, one folder per PR and head commit) and the Markdown points at
them with `https://github.com/<owner>/<repo>/blob/<branch>/<path>?raw=true`, which GitHub serves
only to people who can read the repository. CML leaves absolute URLs alone, so nothing leaves
GitHub. `auto` picks `github-branch` when the event says the repository is private.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path, PurePosixPath
from typing import Any, Literal
from urllib.parse import quote

from staleguard import gitpush
from staleguard.errors import StaleguardError
from staleguard.io import write_text

Mode = Literal["github-branch", "cml"]
BRANCH = "staleguard-assets"
IMAGE = re.compile(r'(!\[[^\]]*\]\()([^)\s]+)((?:\s+"[^"]*")?\))')


def resolve_mode(setting: str, event: dict[str, Any]) -> Mode:
    """`auto` → `github-branch` for a private repository (the event's `repository.private`)."""
    if setting == "github-branch":
        return "github-branch"
    if setting == "cml":
        return "cml"
    if setting != "auto":
        raise StaleguardError(f"report.images: {setting!r}; use auto, github-branch or cml")
    return "github-branch" if (event.get("repository") or {}).get("private") else "cml"


def local_images(markdown: str) -> list[str]:
    """The image references CML would upload: relative paths, in order, once each."""
    refs: list[str] = []
    for m in IMAGE.finditer(markdown):
        ref = m[2]
        if "://" not in ref and not ref.startswith(("#", "/", "data:")) and ref not in refs:
            refs.append(ref)
    return refs


def asset_paths(prefix: str, refs: list[str]) -> dict[str, str]:
    """{reference: path in the assets branch}: `<prefix>/<file name>`, made unique."""
    paths: dict[str, str] = {}
    for ref in refs:
        name = PurePosixPath(ref).name
        path = f"{prefix}/{name}"
        n = 1
        while path in paths.values():
            n += 1
            path = f"{prefix}/{n}-{name}"
        paths[ref] = path
    return paths


def blob_url(server: str, repo: str, branch: str, path: str) -> str:
    """A URL into the repository that serves the raw file to viewers with read access."""
    return f"{server.rstrip('/')}/{repo}/blob/{quote(branch)}/{quote(path)}?raw=true"


def rewrite(markdown: str, urls: dict[str, str]) -> str:
    """Point each image reference in `urls` at its new URL; everything else is left as it is."""
    return IMAGE.sub(lambda m: m[1] + urls.get(m[2], m[2]) + m[3], markdown)


def github_context(env: dict[str, str] | os._Environ[str] = os.environ) -> dict[str, Any]:
    """repo, server, event and the folder for this run's plots, from the Actions environment."""
    event: dict[str, Any] = {}
    if (path := env.get("GITHUB_EVENT_PATH")) and Path(path).is_file():
        event = json.loads(Path(path).read_text() or "{}")
    pr = event.get("pull_request") or {}
    sha = (pr.get("head") or {}).get("sha") or env.get("GITHUB_SHA") or "local"
    folder = (f"pr-{pr['number']}/{sha[:8]}" if pr.get("number")
              else f"run-{env.get('GITHUB_RUN_ID', 'local')}/{sha[:8]}")
    return {"event": event, "repo": env.get("GITHUB_REPOSITORY", ""),
            "server": env.get("GITHUB_SERVER_URL", "https://github.com"), "folder": folder}


def host_on_branch(markdown_file: Path, repo: str, server: str, folder: str,
                   branch: str = BRANCH, token: str | None = None) -> dict[str, str]:
    """Commit the Markdown's local images to `branch`, rewrite their links in place."""
    if not repo:
        raise StaleguardError("GITHUB_REPOSITORY is not set: the github-branch image mode "
                              "needs the repository's owner/name for the image URLs")
    text = markdown_file.read_text()
    refs = [r for r in local_images(text) if (markdown_file.parent / r).is_file()]
    paths = asset_paths(folder, refs)
    files = {paths[r]: (markdown_file.parent / r).read_bytes() for r in refs}
    if files:
        gitpush.commit_files(branch, files, f"Plots of {folder} (staleguard report images)",
                             token)
    urls = {r: blob_url(server, repo, branch, paths[r]) for r in refs}
    write_text(markdown_file, rewrite(text, urls))
    return urls
