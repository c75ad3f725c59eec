"""`staleguard registry ...`: the registry's commands (GTO tags + DVC); thin over staleguard.registry."""

from __future__ import annotations

import argparse
from pathlib import Path

from staleguard import gha


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
    from staleguard.artifacts import current_md5
    from staleguard.errors import ModelError

    version = args.version or registry.version_for_hash(current_md5())
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
    from staleguard.params import load_params

    rows = registry.show()
    print("version  model     commit    stages")
    for row in rows:
        print(f"{row['version']:<8} {row['model']:<9} {row['commit']:<9} {row['stages']}")
    if not rows:
        print("(no versions in the registry: the deploy workflow registers one on merge to main)")
    from staleguard.errors import ConfigError
    from staleguard.monitor import shadow_evidence, store

    try:
        params = load_params(args.params)
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


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """`staleguard registry <action>`."""
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
