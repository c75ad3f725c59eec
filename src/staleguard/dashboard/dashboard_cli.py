"""`staleguard dashboard`: thin over staleguard.dashboard."""

from __future__ import annotations

import argparse
from pathlib import Path


def cmd_dashboard(args: argparse.Namespace) -> None:
    from staleguard.dashboard.site import run
    from staleguard.params import load_params

    run(load_params(args.params), args.store, args.history, args.out, args.publish)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """`staleguard dashboard`."""
    p = sub.add_parser("dashboard", help="the model's life on one static page (index.html + PNGs) "
                       "from the monitor's history and the registry")
    p.add_argument("--store", help="the production store whose history to read (default: "
                   "$STALEGUARD_STORE or monitor.store)")
    p.add_argument("--history", metavar="FILE_OR_URL",
                   help="a monitor history file instead (e.g. the replay's reports/monitor-history.json)")
    p.add_argument("--out", type=Path, default=Path("reports/dashboard"), metavar="DIR",
                   help="output folder (default: %(default)s)")
    p.add_argument("--publish", action="store_true",
                   help="in monitor.yml: push to the assets branch (private repos, report.images) "
                   "or set the step outputs for the GitHub Pages job")
    p.set_defaults(handler=cmd_dashboard)
