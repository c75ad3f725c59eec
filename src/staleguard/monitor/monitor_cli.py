"""`staleguard simulate|monitor|rollback|retrain`: the cron side's commands, thin over staleguard.monitor."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from staleguard.timing import Stopwatch

NOT_DECIDED = 3  # exit status of a monitor run that decided no window: production data went unchecked


def cmd_simulate(args: argparse.Namespace) -> None:
    from staleguard.monitor.simulate import simulate
    from staleguard.params import load_params

    urls = simulate(load_params(args.params), args.through, args.store)
    print(f"simulate: {len(urls)} weekly batch(es) written")
    for url in urls:
        print(f"  {url}")


def cmd_monitor(args: argparse.Namespace) -> int:
    from staleguard.monitor.monitor_job import monitor
    from staleguard.params import load_params

    params = load_params(args.params)
    if args.engine:
        from staleguard.params import with_engine

        params = with_engine(params, args.engine)
    watch = Stopwatch()
    code = decided(monitor(params, args.store, force=args.force, watch=watch), args, params)
    watch.report("monitor: time")   # last, after the outcome: where the time and memory went
    return code


def decided(plan: dict[str, Any], args: argparse.Namespace, params: Any) -> int:
    """The outcome's lines and exit code; on drift (not --dry-run), the retraining PR."""
    from staleguard.monitor import retrain

    drift = plan["drift"]
    print(f"monitor: drift={'null' if drift is None else str(drift).lower()} ({len(plan['batches'])} "
          f"batch(es), model {plan['model_version']}); summary in reports/monitor/monitor.md")
    if drift is None:  # an unchecked run is not a healthy "no drift": the job says so
        print(f"staleguard: not decided: {plan['undecided']}", file=sys.stderr)
        return NOT_DECIDED
    opens = plan["retrain"].get("open", bool(drift))
    why = plan["retrain"].get("why") or ("retraining PR" if opens else "no retraining PR")
    print(f"monitor: {why}")  # the rule's own sentence: "Retrain: …", "No retraining PR: …"
    if opens and not args.dry_run:
        retrain.run(params, args.params)
    return 0


def cmd_retrain(args: argparse.Namespace) -> None:
    from staleguard.monitor import retrain
    from staleguard.params import load_params

    retrain.run(load_params(args.params), args.params, args.plan)


def cmd_rollback(args: argparse.Namespace) -> None:
    from staleguard.monitor import rollback
    from staleguard.params import load_params

    rollback.run(load_params(args.params), args.store, dry_run=args.dry_run)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """The monitor's commands."""
    from datetime import date

    p = sub.add_parser("simulate", help="write the raw data's held-back weeks into the production store")
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
    p.add_argument("--engine", choices=("pandas", "duckdb", "spark"),
                   help="where windows are summarised (default: monitor.engine; docs/scale.md)")
    p.set_defaults(handler=cmd_monitor)
    p = sub.add_parser("rollback", help="compare prod with its predecessor on live labeled rows; "
                       "if prod is worse, open one rollback issue (gh)")
    p.add_argument("--store", help="folder or fsspec URL (default: $STALEGUARD_STORE or monitor.store)")
    p.add_argument("--dry-run", action="store_true", help="measure and report only: no issue")
    p.set_defaults(handler=cmd_rollback)
    p = sub.add_parser("retrain", help="act on reports/monitor/monitor.json: add data, repro, push, PR")
    p.add_argument("--plan", type=Path, default=Path("reports/monitor/monitor.json"),
                   help="the monitor's plan (default: %(default)s)")
    p.set_defaults(handler=cmd_retrain)
