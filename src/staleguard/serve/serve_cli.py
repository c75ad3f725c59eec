"""`staleguard serve` and `staleguard predict`: thin over staleguard.serve."""

from __future__ import annotations

import argparse
from pathlib import Path


def cmd_serve(args: argparse.Namespace) -> None:
    from staleguard.params import load_params
    from staleguard.serve.app import run
    from staleguard.serve.follow import seconds

    params = load_params(args.params)
    if args.allow_no_token:
        auth = params.serve.auth.model_copy(update={"allow_no_token": True})
        params = params.model_copy(update={"serve": params.serve.model_copy(update={"auth": auth})})
    every = seconds(args.every) if args.every else params.serve.follow_every
    run(params, model=args.model or params.serve.model, host=args.host or params.serve.host,
        port=params.serve.port if args.port is None else args.port, store=args.store,
        follow=every if (args.follow or params.serve.follow) else None)


def cmd_predict(args: argparse.Namespace) -> None:
    from staleguard.params import load_params
    from staleguard.serve.batch import predict_file

    params = load_params(args.params)
    rows = predict_file(params, args.input, args.output, model=args.model or params.serve.model,
                        chunk_rows=args.chunk_rows or params.serve.chunk_rows)
    print(f"predict: {rows} rows → {args.output}")


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """`staleguard serve` and `staleguard predict`."""
    p = sub.add_parser("serve", help="serve predictions over HTTP (FastAPI + uvicorn)")
    p.add_argument("--host", help="bind address (default: serve.host)")
    p.add_argument("--port", type=int, help="port (default: serve.port; 0 picks a free one)")
    p.add_argument("--model", help="auto, a stage, version or .skops path (default: serve.model)")
    p.add_argument("--store", help="production store for the prediction log (default: monitor.store)")
    p.add_argument("--follow", action="store_true",
                   help="watch the registry on origin and swap in each new model at the stage "
                   "(default: serve.follow)")
    p.add_argument("--every", metavar="DURATION",
                   help="with --follow: time between checks, e.g. 60s, 2m (default: serve.follow_every)")
    p.add_argument("--allow-no-token", action="store_true",
                   help="listen on a non-loopback --host with no token set "
                   "(default: serve.auth.allow_no_token)")
    p.set_defaults(handler=cmd_serve)
    p = sub.add_parser("predict", help="batch prediction of a CSV/Parquet file, streamed in chunks")
    p.add_argument("--input", type=Path, required=True, help="CSV or Parquet with the feature columns")
    p.add_argument("--output", type=Path, required=True, help="output .csv or .parquet (input + prediction)")
    p.add_argument("--model", help="auto, a stage, version or .skops path (default: serve.model)")
    p.add_argument("--chunk-rows", type=int, help="rows per chunk (default: serve.chunk_rows)")
    p.set_defaults(handler=cmd_predict)
