"""`staleguard replay`: thin over staleguard.replay."""

from __future__ import annotations

import argparse
from pathlib import Path


def cmd_replay(args: argparse.Namespace) -> None:
    import time

    from staleguard.params import load_params
    from staleguard.replay.replay_job import replay

    params = load_params(args.params)
    if args.end is not None:
        params = params.model_copy(update={"replay": params.replay.model_copy(update={"end": args.end})})
    start = time.perf_counter()
    result = replay(params, args.out)
    print(f"replay: {len(result.weeks) // len(result.summaries)} weeks × {len(result.summaries)} "
          f"policies in {time.perf_counter() - start:.0f} s → " + ", ".join(map(str, result.outputs)))
    for name, s in result.summaries.items():
        print(f"  {name:<10} mean MAE {s.mean_mae:7.2f}  worst {s.worst_mae:7.2f}  retrains {s.retrains:3d}  "
              f"weeks above tolerance {s.weeks_above}")
    print(f"  {result.fits} distinct training runs fitted, "
          f"{result.assessments} monitored deployments assessed")


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """`staleguard replay`."""
    from datetime import datetime

    p = sub.add_parser("replay", help="replay the held-back weeks: stale model vs retrain every week "
                       "vs retrain when the monitor says it pays (reports/freshness.*)")
    p.add_argument("--end", type=datetime.fromisoformat, metavar="YYYY-MM-DD",
                   help="replay up to this date, exclusive (default: replay.end)")
    p.add_argument("--out", type=Path, metavar="DIR", help="output folder (default: replay.out)")
    p.set_defaults(handler=cmd_replay)
