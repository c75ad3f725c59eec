"""`staleguard report pr|images|gate`: the PR comment's commands, thin over staleguard.report."""

from __future__ import annotations

import argparse
from pathlib import Path

from staleguard import gha


def cmd_report_pr(args: argparse.Namespace) -> None:
    from staleguard.params import load_params
    from staleguard.report.pr import build

    summary = args.summary
    if summary is None and args.github_summary:
        import os

        summary = Path(os.environ["GITHUB_STEP_SUMMARY"]) if os.environ.get(
            "GITHUB_STEP_SUMMARY") else None
    text, result = build(args.base, args.output, load_params(args.params), args.params, summary)
    print(f"report pr: {len(text):,} characters → {args.output} (vs {args.base})")
    if result is not None:
        from staleguard.verdict.text import verdict_line

        v = result.verdict
        print(f"report pr: {verdict_line(v, args.base)} → gate "
              f"{'passes' if result.passed else 'fails'} ({result.basis}; verdict "
              f"{result.seconds:.1f} s, {result.fits} fits) → {args.output.with_name('gate.json')}")
        from staleguard.report.pr import digest_in
        from staleguard.verdict.text import status_line

        gha.set_outputs(verdict=v.verdict, passed=str(result.passed).lower(),
                        delta="" if v.delta is None else f"{v.delta:.4f}",
                        state="success" if result.passed else "failure",
                        description=status_line(v, result.passed), digest=digest_in(text))


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

    from staleguard.params import load_params
    from staleguard.report import images

    ctx = images.github_context()
    mode = images.resolve_mode(args.mode or load_params(args.params).report.images, ctx["event"])
    if mode == "cml":
        gha.set_outputs(mode=mode, publish="--publish")
        print(f"report images: cml mode: `cml comment` uploads the plots of {args.markdown}")
        return
    urls = images.host_on_branch(args.markdown, ctx["repo"], ctx["server"], ctx["folder"],
                                 args.branch, os.environ.get("PUSH_TOKEN"))
    gha.set_outputs(mode=mode, publish="--no-publish")
    print(f"report images: {len(urls)} plot(s) → branch {args.branch}/{ctx['folder']}; "
          f"{args.markdown} links to them (nothing leaves GitHub)")


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """`staleguard report <action>`."""
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
