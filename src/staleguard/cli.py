"""`staleguard <command>`: one thin command per job; the logic lives in the modules below.

Errors the user can fix (StaleguardError) become one line on stderr and exit code 1.
Heavy imports happen inside the handlers so `staleguard --help` stays instant.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

from staleguard.errors import StaleguardError

Handler = Callable[[argparse.Namespace], int | None]


def _params(args: argparse.Namespace):  # noqa: ANN202 - Params, imported lazily
    from staleguard.params import load_params

    return load_params(args.params)


def cmd_setup(args: argparse.Namespace) -> None:
    from staleguard import dvc_ops

    print(dvc_ops.setup_remote(args.remote))


def cmd_data_fetch(args: argparse.Namespace) -> None:
    from staleguard import dvc_ops
    from staleguard.data.fetch import fetch, resolve_url

    params = _params(args)
    url = resolve_url(params.data.url)
    fetch(url, params.data.sha256, params.data.raw, progress=sys.stderr.isatty())
    print(f"data fetch: {url} verified (sha256 {params.data.sha256[:12]}…) → {params.data.raw}")
    if not args.no_dvc:
        dvc_ops.add(str(params.data.raw.parent))
        print(f"data fetch: {params.data.raw.parent}/ tracked by DVC ({params.data.raw.parent}.dvc)")


def _stage(name: str) -> Handler:
    def run(args: argparse.Namespace) -> None:
        from importlib import import_module

        import_module(f"staleguard.stages.{name}").main(_params(args))

    return run


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="staleguard", description=__doc__.splitlines()[0])
    parser.add_argument("--params", type=Path, default=Path("params.yaml"),
                        help="settings file (default: %(default)s)")
    sub = parser.add_subparsers(dest="command", required=True, metavar="command")

    p = sub.add_parser("setup", help="configure the default DVC remote (a local folder if none)")
    p.add_argument("--remote", help="remote URL or folder (default: $STALEGUARD_REMOTE or "
                   "~/.cache/staleguard/dvc-remote)")
    p.set_defaults(handler=cmd_setup)

    data = sub.add_parser("data", help="bootstrap the raw data").add_subparsers(
        dest="data_command", required=True, metavar="action")
    p = data.add_parser("fetch", help="download the UCI zip, verify sha256, extract, dvc add")
    p.add_argument("--no-dvc", action="store_true", help="extract only; do not `dvc add data`")
    p.set_defaults(handler=cmd_data_fetch)

    for stage, text in (("prepare", "validate raw data and split it by time windows"),
                        ("train", "fit the model on the training window"),
                        ("evaluate", "score the model on the evaluation window")):
        sub.add_parser(stage, help=f"pipeline stage: {text}").set_defaults(handler=_stage(stage))
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
