"""`staleguard setup|data fetch|prepare|train|evaluate|drift`: the pipeline's commands (dvc.yaml runs
the stages)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

from staleguard.errors import ConfigError


def cmd_setup(args: argparse.Namespace) -> None:
    from staleguard import dvc_ops

    print(dvc_ops.setup_remote(args.remote))


def cmd_data_fetch(args: argparse.Namespace) -> None:
    from staleguard import dvc_ops
    from staleguard.data.fetch import fetch, resolve_url
    from staleguard.params import load_params

    params = load_params(args.params)
    url = resolve_url(params.data.url or "")
    if not url or params.data.sha256 is None:
        raise ConfigError(f"{args.params}: data.url and data.sha256 are not set: put the raw file at "
                          f"{params.data.raw} and track it with `dvc add {params.data.raw.parent}`")
    fetch(url, params.data.sha256, params.data.raw, member=params.data.member,
          progress=sys.stderr.isatty())
    print(f"data fetch: {url} verified (sha256 {params.data.sha256[:12]}…) → {params.data.raw}")
    if not args.no_dvc:
        dvc_ops.add(str(params.data.raw.parent))
        print(f"data fetch: {params.data.raw.parent}/ tracked by DVC ({params.data.raw.parent}.dvc)")


def cmd_check(args: argparse.Namespace) -> None:
    from staleguard.params import load_params

    load_params(args.params)  # every setting, and every param dvc.yaml tracks: one line on a problem
    print(f"check: {args.params} is valid")


def _stage(name: str) -> Callable[[argparse.Namespace], None]:
    def run(args: argparse.Namespace) -> None:
        from importlib import import_module

        from staleguard.params import load_params

        import_module(f"staleguard.stages.{name}").main(load_params(args.params))

    return run


def cmd_drift(args: argparse.Namespace) -> None:
    from staleguard.params import load_params

    params = load_params(args.params)
    if args.engine:
        from staleguard.params import with_engine

        params = with_engine(params, args.engine)
    engine = params.monitor.engine
    if engine == "pandas":
        from staleguard.stages import drift

        drift.run(params, current=args.current, out=args.out)
    else:  # summaries: DuckDB streams, Spark partitions (docs/scale.md)
        from staleguard.stages.drift_sketch import run

        run(params, args.current, args.out, engine)


def _add_drift(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("drift", help="pipeline stage: drift and quality of a window vs the training "
                       "window; exit 0 whatever the decision (see reports/drift.json)")
    p.add_argument("--current", metavar="PATH",
                   help="a .parquet/.csv file or a folder of batches (default: the evaluation window); "
                   "with --engine duckdb|spark: Parquet, local or a URL (s3://...)")
    p.add_argument("--engine", choices=("pandas", "duckdb", "spark"),
                   help="pandas reads the window into memory; duckdb/spark summarise it where it lives "
                   "(default: monitor.engine; docs/scale.md)")
    p.add_argument("--out", type=Path, default=Path("reports"), metavar="DIR",
                   help="output folder (default: %(default)s)")
    p.set_defaults(handler=cmd_drift)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """setup, data fetch and the pipeline's stages (what dvc.yaml runs)."""
    p = sub.add_parser("setup", help="configure the default DVC remote (a local folder if none)")
    p.add_argument("--remote", help="remote URL or folder (default: $STALEGUARD_REMOTE or "
                   "~/.cache/staleguard/dvc-remote)")
    p.set_defaults(handler=cmd_setup)

    p = sub.add_parser("check", help="validate params.yaml, including every param dvc.yaml tracks "
                       "(run before `dvc repro`: one line instead of DVC's error)")
    p.set_defaults(handler=cmd_check)

    data = sub.add_parser("data", help="bootstrap the raw data").add_subparsers(
        dest="data_command", required=True, metavar="action")
    p = data.add_parser("fetch", help="download data.url, verify sha256, extract data.member, dvc add")
    p.add_argument("--no-dvc", action="store_true", help="extract only; do not `dvc add data`")
    p.set_defaults(handler=cmd_data_fetch)

    for stage, text in (("prepare", "validate raw data and split it by time windows"),
                        ("train", "fit the model on the training window"),
                        ("evaluate", "score the model on the evaluation window")):
        sub.add_parser(stage, help=f"pipeline stage: {text}").set_defaults(handler=_stage(stage))
    _add_drift(sub)
