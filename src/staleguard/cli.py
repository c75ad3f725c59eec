"""`staleguard <command>`: one thin command per job; each feature registers its own.

Wiring only: every feature package has a *_cli module whose `register(sub)` adds its commands (the
logic lives in the feature's modules). Errors the user can fix (StaleguardError) become one line on
stderr and exit code 1.
Heavy imports happen inside the handlers so `staleguard --help` answers at once.
"""

from __future__ import annotations

import argparse
import sys
from importlib import import_module
from pathlib import Path

from staleguard.errors import StaleguardError

FEATURES = (  # in the order `staleguard --help` lists their commands
    "staleguard.stages.stages_cli",
    "staleguard.monitor.monitor_cli",
    "staleguard.registry.registry_cli",
    "staleguard.serve.serve_cli",
    "staleguard.report.report_cli",
    "staleguard.replay.replay_cli",
    "staleguard.dashboard.dashboard_cli",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="staleguard", description=__doc__.splitlines()[0])
    parser.add_argument("--params", type=Path, default=Path("params.yaml"),
                        help="settings file (default: %(default)s)")
    sub = parser.add_subparsers(dest="command", required=True, metavar="command")
    for name in FEATURES:
        import_module(name).register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.handler(args) or 0)
    except StaleguardError as err:
        print(f"staleguard: error: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
