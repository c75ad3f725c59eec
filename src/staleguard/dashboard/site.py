"""`staleguard dashboard`: read the history (a store's, or a file), ask the registry and gh, build,
and optionally publish (GitHub Pages through monitor.yml, or the assets branch)."""

from __future__ import annotations

import os
from pathlib import Path

from staleguard import gha
from staleguard.dashboard import lookups, page, publish
from staleguard.monitor import logbook, store
from staleguard.params import Params
from staleguard.report import images

OUT = Path("reports/dashboard")


def history_url(params: Params, store_url: str | None, history: str | None) -> str:
    """--history, else the history beside the store (--store, $STALEGUARD_STORE, monitor.store)."""
    return history or logbook.url_of(store.resolve(store_url, params))


def build(params: Params, store_url: str | None = None, history: str | None = None,
          out: Path = OUT, repo: Path = Path()) -> Path:
    """The site in `out` from the history and the registry; the path of its index.html."""
    url = history_url(params, store_url, history)
    rows = logbook.read(url)
    urls = {str(u) for r in rows if (u := (r.get("retrain") or {}).get("pr"))}
    outcomes = {u: lookups.pr_outcome(u) for u in sorted(urls)}
    return page.build(rows, out, params.features.target, lookups.registry_serving(repo), outcomes,
                      source=url)


def run(params: Params, store_url: str | None = None, history: str | None = None,
        out: Path = OUT, publish_it: bool = False) -> Path:
    """Build; with `publish_it`, hand the site to Pages (step outputs) or push it to the branch."""
    index = build(params, store_url, history, out)
    print(f"dashboard: {index.resolve()}")
    if not publish_it:
        return index
    where = publish.mode(params.report.images)
    url = publish.site_url(params.report.images) or ""
    if where == "branch":
        sha = publish.to_branch(out, os.environ.get("PUSH_TOKEN") or os.environ.get("GITHUB_TOKEN"))
        print(f"dashboard: {'pushed to' if sha else 'unchanged on'} branch "
              f"{images.BRANCH}/{publish.FOLDER}: {url}")
    else:
        print(f"dashboard: {out} is the GitHub Pages artifact (monitor.yml deploys it): {url}")
    gha.set_outputs(mode=where, url=url, path=str(out))
    gha.add_summary(f"**Dashboard** ({'GitHub Pages' if where == 'pages' else 'assets branch'}): {url}\n")
    return index
