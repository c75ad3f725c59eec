"""`staleguard <command>`: one thin command per job; the logic lives in the modules below.

Errors the user can fix (StaleguardError) become one line on stderr and exit code 1; a monitor
run that decided no window exits NOT_DECIDED (3): production data went unchecked.
Heavy imports happen inside the handlers so `staleguard --help` answers at once.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from staleguard import gha
from staleguard.errors import ConfigError, StaleguardError

if TYPE_CHECKING:
    from staleguard.params import Params

Handler = Callable[[argparse.Namespace], int | None]
NOT_DECIDED = 3


def _params(args: argparse.Namespace) -> Params:
    from staleguard.params import load_params

    return load_params(args.params)


def cmd_setup(args: argparse.Namespace) -> None:
    from staleguard import dvc_ops

    print(dvc_ops.setup_remote(args.remote))


def cmd_data_fetch(args: argparse.Namespace) -> None:
    from staleguard import dvc_ops
    from staleguard.data.fetch import fetch, resolve_url

    params = _params(args)
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


def _stage(name: str) -> Handler:
    def run(args: argparse.Namespace) -> None:
        from importlib import import_module

        import_module(f"staleguard.stages.{name}").main(_params(args))

    return run




def cmd_registry_check(args: argparse.Namespace) -> None:
    from staleguard import registry

    registry.check_lock()
    print("registry check: dvc.lock is up to date with the code, params and data")


def cmd_registry_pull(args: argparse.Namespace) -> None:
    from staleguard import registry

    stages = registry.pull()
    print(f"registry pull: outputs of {', '.join(stages)} and their upstream fetched by dvc.lock hashes")


def cmd_registry_register(args: argparse.Namespace) -> None:
    from staleguard import registry

    if not args.no_check:
        registry.check_lock()
    done = registry.register()
    verb = "tagged" if done.created else "already tagged as"
    print(f"registry register: model {done.version.short_hash} {verb} {done.tag}")
    gha.set_outputs(version=done.version.version, tag=done.tag, created=str(done.created).lower())


def cmd_registry_promote(args: argparse.Namespace) -> None:
    from staleguard import registry
    from staleguard.errors import ModelError

    version = args.version or registry.version_for_hash(registry.current_md5())
    if version is None:
        raise ModelError("the model in dvc.lock is not in the registry; run "
                         "`staleguard registry register` first or name a version")
    done = registry.promote(version, args.stage)
    print(f"registry promote: {done.version.version} {'→' if done.created else 'already at'} "
          f"{args.stage} ({done.tag})")
    gha.set_outputs(stage_tag=done.tag, promoted=str(done.created).lower())


def cmd_registry_resolve(args: argparse.Namespace) -> None:
    import json

    from staleguard import registry

    found = registry.resolve(args.spec)
    path = registry.stage(found, args.into) if args.into else found.path
    print(json.dumps({"version": found.version, "model": found.short_hash, "md5": found.md5,
                      "rev": found.rev, "path": str(path)}, indent=2))
    gha.set_outputs(version=found.version or "", md5=found.md5, path=str(path))


def cmd_registry_show(args: argparse.Namespace) -> None:
    from staleguard import registry

    rows = registry.show()
    print("version  model     commit    stages")
    for row in rows:
        print(f"{row['version']:<8} {row['model']:<9} {row['commit']:<9} {row['stages']}")
    if not rows:
        print("(no versions in the registry: the deploy workflow registers one on merge to main)")
    from staleguard.errors import ConfigError
    from staleguard.monitor import shadow_evidence, store

    try:
        params = _params(args)
    except ConfigError:
        if args.store:
            raise
        return  # the registry alone needs no params.yaml; live figures need its features
    url = store.resolve(args.store, params)
    for line in shadow_evidence.lines(url, params, {row["model"]: row["version"] for row in rows}):
        print(line)


def cmd_registry_card(args: argparse.Namespace) -> None:
    from staleguard import registry
    from staleguard.io import write_text

    version = registry.find_version(args.version) if args.version else registry.version_in_stage(args.stage)
    text = registry.card(version, stage=args.stage)
    if args.out:
        write_text(args.out, text)
        print(f"registry card: {version.version} → {args.out}")
    else:
        print(text, end="")


def cmd_serve(args: argparse.Namespace) -> None:
    from staleguard.serve.app import run
    from staleguard.serve.follow import seconds

    params = _params(args)
    every = seconds(args.every) if args.every else params.serve.follow_every
    run(params, model=args.model or params.serve.model, host=args.host or params.serve.host,
        port=params.serve.port if args.port is None else args.port, store=args.store,
        follow=every if (args.follow or params.serve.follow) else None)


def cmd_predict(args: argparse.Namespace) -> None:
    from staleguard.serve.batch import predict_file

    params = _params(args)
    rows = predict_file(params, args.input, args.output, model=args.model or params.serve.model,
                        chunk_rows=args.chunk_rows or params.serve.chunk_rows)
    print(f"predict: {rows} rows → {args.output}")


def _add_registry_and_serving(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    reg = sub.add_parser("registry", help="model versions and stages (GTO git tags + DVC)").add_subparsers(
        dest="registry_command", required=True, metavar="action")
    reg.add_parser("pull", help="dvc pull the model, its metrics and their upstream, by dvc.lock hashes"
                   ).set_defaults(handler=cmd_registry_pull)
    reg.add_parser("check", help="fail if dvc.lock is out of date for the model or its metrics"
                   ).set_defaults(handler=cmd_registry_check)
    p = reg.add_parser("register", help="register the model in dvc.lock at HEAD as a new version")
    p.add_argument("--no-check", action="store_true", help="skip the dvc.lock freshness check")
    p.set_defaults(handler=cmd_registry_register)
    p = reg.add_parser("promote", help="assign a stage to a version (default: the model in dvc.lock)")
    p.add_argument("version", nargs="?", help="e.g. v0.0.3 (default: the version of dvc.lock's model)")
    p.add_argument("--stage", default="prod", help="stage to assign (default: %(default)s)")
    p.set_defaults(handler=cmd_registry_promote)
    p = reg.add_parser("resolve", help="fetch the model files for a stage, version or path")
    p.add_argument("spec", nargs="?", default="prod", help="stage, version or path (default: %(default)s)")
    p.add_argument("--into", type=Path, metavar="DIR",
                   help="also copy the model files and their registry identity here (an image's context)")
    p.set_defaults(handler=cmd_registry_resolve)
    p = reg.add_parser("show", help="list versions, model ids and stages; live served-vs-shadow MAE")
    p.add_argument("--store", help="production store with shadow predictions (default: monitor.store)")
    p.set_defaults(handler=cmd_registry_show)
    p = reg.add_parser("card", help="write the Markdown model card of a version (the release notes)")
    p.add_argument("--version", help="version (default: the one at --stage)")
    p.add_argument("--stage", default="prod", help="stage (default: %(default)s)")
    p.add_argument("--out", type=Path, help="output file (default: stdout)")
    p.set_defaults(handler=cmd_registry_card)

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
    p.set_defaults(handler=cmd_serve)
    p = sub.add_parser("predict", help="batch prediction of a CSV/Parquet file, streamed in chunks")
    p.add_argument("--input", type=Path, required=True, help="CSV or Parquet with the feature columns")
    p.add_argument("--output", type=Path, required=True, help="output .csv or .parquet (input + prediction)")
    p.add_argument("--model", help="auto, a stage, version or .skops path (default: serve.model)")
    p.add_argument("--chunk-rows", type=int, help="rows per chunk (default: serve.chunk_rows)")
    p.set_defaults(handler=cmd_predict)


def cmd_simulate(args: argparse.Namespace) -> None:
    from staleguard.monitor.simulate import simulate

    urls = simulate(_params(args), args.through, args.store)
    print(f"simulate: {len(urls)} weekly batch(es) written")
    for url in urls:
        print(f"  {url}")


def cmd_monitor(args: argparse.Namespace) -> int:
    from staleguard.monitor import retrain
    from staleguard.monitor.monitor_job import monitor

    params = _params(args)
    if args.engine:
        monitor_params = params.monitor.model_copy(update={"engine": args.engine})
        params = params.model_copy(update={"monitor": monitor_params})
    plan = monitor(params, args.store, force=args.force)
    drift = plan["drift"]
    print(f"monitor: drift={'null' if drift is None else str(drift).lower()} ({len(plan['batches'])} "
          f"batch(es), model {plan['model_version']}); summary in reports/monitor/monitor.md")
    if drift is None:  # an unchecked run is not a healthy "no drift": the job says so
        print(f"staleguard: not decided: {plan['undecided']}", file=sys.stderr)
        return NOT_DECIDED
    if drift and not args.dry_run:
        retrain.run(params, args.params)
    return 0


def cmd_retrain(args: argparse.Namespace) -> None:
    from staleguard.monitor import retrain

    retrain.run(_params(args), args.params, args.plan)


def cmd_rollback(args: argparse.Namespace) -> None:
    from staleguard.monitor import rollback

    rollback.run(_params(args), args.store, dry_run=args.dry_run)


def _add_monitor(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
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


def cmd_report_pr(args: argparse.Namespace) -> None:
    from staleguard.report.pr import build

    summary = args.summary
    if summary is None and args.github_summary:
        import os

        summary = Path(os.environ["GITHUB_STEP_SUMMARY"]) if os.environ.get(
            "GITHUB_STEP_SUMMARY") else None
    text, result = build(args.base, args.output, _params(args), args.params, summary)
    print(f"report pr: {len(text):,} characters → {args.output} (vs {args.base})")
    if result is not None:
        from staleguard.verdict.text import verdict_line

        v = result.verdict
        print(f"report pr: {verdict_line(v, args.base)} → gate "
              f"{'passes' if result.passed else 'fails'} ({result.basis}; verdict "
              f"{result.seconds:.1f} s, {result.fits} fits) → {args.output.with_name('gate.json')}")
        gha.set_outputs(verdict=v.verdict, passed=str(result.passed).lower(),
                        delta="" if v.delta is None else f"{v.delta:.4f}")


def cmd_report_gate(args: argparse.Namespace) -> None:
    """Exit 1 when gate.json says the gate fails: the last step of the PR job."""
    import json

    from staleguard.errors import ConfigError, GateError

    try:
        gate = json.loads(args.file.read_text())
        passed, verdict = bool(gate["passed"]), gate["verdict"]
    except (OSError, ValueError, KeyError) as err:
        raise ConfigError(f"{args.file}: no readable gate result ({err}); run "
                          "`staleguard report pr` first") from err
    if not passed:
        raise GateError(f"gate fails: {gate.get('metric')} verdict {verdict!r} "
                        f"({gate.get('note', '')}); see {args.file}")
    print(f"gate passes: verdict {verdict!r}")


def cmd_report_images(args: argparse.Namespace) -> None:
    import os

    from staleguard.report import images

    ctx = images.github_context()
    mode = images.resolve_mode(args.mode or _params(args).report.images, ctx["event"])
    if mode == "cml":
        gha.set_outputs(mode=mode, publish="--publish")
        print(f"report images: cml mode: `cml comment` uploads the plots of {args.markdown}")
        return
    urls = images.host_on_branch(args.markdown, ctx["repo"], ctx["server"], ctx["folder"],
                                 args.branch, os.environ.get("PUSH_TOKEN"))
    gha.set_outputs(mode=mode, publish="--no-publish")
    print(f"report images: {len(urls)} plot(s) → branch {args.branch}/{ctx['folder']}; "
          f"{args.markdown} links to them (nothing leaves GitHub)")


def _add_report(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
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
    p = rep.add_parser("images", help="host the comment's plots: on a branch of this repository "
                       "(github-branch) or leave them to `cml comment` (cml); sets the step "
                       "output `publish` to the cml flag to use")
    p.add_argument("markdown", type=Path, help="the comment's Markdown (rewritten in place)")
    p.add_argument("--mode", choices=("auto", "github-branch", "cml"),
                   help="default: report.images in params.yaml (auto: github-branch for "
                   "private repositories)")
    p.add_argument("--branch", default="staleguard-assets",
                   help="the assets branch (default: %(default)s)")
    p.set_defaults(handler=cmd_report_images)
    p = rep.add_parser("gate", help="exit 1 when the PR's verdict fails the gate (gate.json)")
    p.add_argument("--file", type=Path, default=Path("reports/pr/gate.json"),
                   help="the verdict `report pr` wrote (default: %(default)s)")
    p.set_defaults(handler=cmd_report_gate)


def cmd_drift(args: argparse.Namespace) -> None:
    params = _params(args)
    engine = args.engine or params.monitor.engine
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


def cmd_replay(args: argparse.Namespace) -> None:
    import time

    from staleguard.replay.replay_job import replay

    params = _params(args)
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


def _add_replay(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from datetime import datetime

    p = sub.add_parser("replay", help="replay the held-back weeks: stale model vs retrain every week "
                       "vs retrain on the monitor's drift (reports/freshness.*)")
    p.add_argument("--end", type=datetime.fromisoformat, metavar="YYYY-MM-DD",
                   help="replay up to this date, exclusive (default: replay.end)")
    p.add_argument("--out", type=Path, metavar="DIR", help="output folder (default: replay.out)")
    p.set_defaults(handler=cmd_replay)


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
    p = data.add_parser("fetch", help="download data.url, verify sha256, extract data.member, dvc add")
    p.add_argument("--no-dvc", action="store_true", help="extract only; do not `dvc add data`")
    p.set_defaults(handler=cmd_data_fetch)

    for stage, text in (("prepare", "validate raw data and split it by time windows"),
                        ("train", "fit the model on the training window"),
                        ("evaluate", "score the model on the evaluation window")):
        sub.add_parser(stage, help=f"pipeline stage: {text}").set_defaults(handler=_stage(stage))
    _add_drift(sub)
    _add_monitor(sub)
    _add_registry_and_serving(sub)
    _add_report(sub)
    _add_replay(sub)
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
