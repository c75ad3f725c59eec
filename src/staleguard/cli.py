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


def cmd_simulate(args: argparse.Namespace) -> None:
    from staleguard.monitor.simulate import simulate

    urls = simulate(_params(args), args.through, args.store)
    print(f"simulate: {len(urls)} weekly batch(es) written")
    for url in urls:
        print(f"  {url}")


def cmd_monitor(args: argparse.Namespace) -> None:
    from staleguard.monitor import retrain
    from staleguard.monitor.run import monitor

    params = _params(args)
    plan = monitor(params, args.store, force=args.force)
    print(f"monitor: drift={str(plan['drift']).lower()} ({len(plan['batches'])} batch(es), "
          f"model {plan['model_version']}); summary in reports/monitor.md")
    if plan["drift"] and not args.dry_run:
        retrain.run(params, args.params)


def cmd_retrain(args: argparse.Namespace) -> None:
    from staleguard.monitor import retrain

    retrain.run(_params(args), args.params, args.plan)


def _add_monitor(sub: argparse._SubParsersAction) -> None:
    from datetime import date

    p = sub.add_parser("simulate", help="write held-back UCI weeks into the production store")
    p.add_argument("--through", type=date.fromisoformat, required=True,
                   help="last day (YYYY-MM-DD, inclusive) to write")
    p.add_argument("--store", help="folder or fsspec URL (default: $STALEGUARD_STORE or monitor.store)")
    p.set_defaults(handler=cmd_simulate)
    p = sub.add_parser("monitor", help="check new production batches for drift; on drift, open "
                       "or update the retraining PR")
    p.add_argument("--store", help="folder or fsspec URL (default: $STALEGUARD_STORE or monitor.store)")
    p.add_argument("--dry-run", action="store_true",
                   help="decide and report only: no data, git, DVC remote or PR changes")
    p.add_argument("--force", action="store_true", help="retrain even without drift")
    p.set_defaults(handler=cmd_monitor)
    p = sub.add_parser("retrain", help="act on reports/monitor.json: add data, repro, push, PR")
    p.add_argument("--plan", type=Path, default=Path("reports/monitor.json"),
                   help="the monitor's plan (default: %(default)s)")
    p.set_defaults(handler=cmd_retrain)


def cmd_report_pr(args: argparse.Namespace) -> None:
    from staleguard.report.pr import build

    summary = args.summary
    if summary is None and args.github_summary:
        import os

        summary = Path(os.environ["GITHUB_STEP_SUMMARY"]) if os.environ.get(
            "GITHUB_STEP_SUMMARY") else None
    text = build(args.base, args.output, _params(args), args.params, summary)
    print(f"report pr: {len(text):,} characters → {args.output} (vs {args.base})")


def _add_report(sub: argparse._SubParsersAction) -> None:
    rep = sub.add_parser("report", help="reports for people (the PR comment)").add_subparsers(
        dest="report_command", required=True, metavar="action")
    p = rep.add_parser("pr", help="the PR comment: params/metrics diff vs --base, champion vs "
                       "challenger, plots, drift (Markdown + PNGs beside it)")
    p.add_argument("--base", required=True, help="git ref to compare with, e.g. origin/main")
    p.add_argument("--output", type=Path, required=True, help="Markdown file to write")
    p.add_argument("--summary", type=Path, help="also append an image-less copy to this file")
    p.add_argument("--github-summary", action="store_true",
                   help="append the image-less copy to $GITHUB_STEP_SUMMARY when set")
    p.set_defaults(handler=cmd_report_pr)


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
    _add_monitor(sub)
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
