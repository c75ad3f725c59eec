"""Peak memory and time of the monitor, the PR report and the replay at production size.

Run: `python benchmarks/memory.py` (about 10-15 minutes on 2 cores). A template copy on
tests/fixtures/sales/params.yaml with 120,000 synthetic sales (tests/sales/data.py: one every
~34 s, a unique id, two text columns; 16 days to train on, ~40k rows, the default forest with
min_split 2, ~370 MB a model) is reproduced (`dvc repro`), the other 31 days are simulated into a
store, then each command runs in its own process and its peak RSS (ru_maxrss of the child) and
wall time are printed. The baseline in the same run is `dvc repro`'s train stage: one fit of the
training window, the least any command that fits a model can hold. Targets (issue 34): the
monitor <= 2.5 GB and <= 5 minutes, the PR report <= 2 GB.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.conftest import copy_worktree  # noqa: E402
from tests.sales.data import write_sales  # noqa: E402

PARAMS = ROOT / "tests" / "fixtures" / "sales" / "params.yaml"


def run(cmd: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, float]:
    """Wall seconds and the child's peak RSS in GB (a fresh `wait4`, so only this command)."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    _, status, usage = os.wait4(proc.pid, 0)
    out, err = proc.stdout.read(), proc.stderr.read()  # type: ignore[union-attr]
    code = os.waitstatus_to_exitcode(status)
    if code not in (0, 1):  # the monitor exits 1 on drift
        sys.exit(f"{' '.join(cmd)} failed ({code}):\n{out[-2000:]}\n{err[-4000:]}")
    return time.perf_counter() - start, usage.ru_maxrss / 1024 / 1024  # KiB on Linux


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=120_000,
                        help="sales generated over the same 47 days (fewer: a quick check)")
    parser.add_argument("--through", default="2024-02-16", help="last simulated day")
    parser.add_argument("--skip", nargs="*", default=[], choices=["monitor", "report", "replay"])
    parser.add_argument("--keep", type=Path, help="build the workspace here and keep it (default: a "
                        "temporary folder, removed)")
    args = parser.parse_args()
    path = f"{Path(sys.executable).parent}:{os.environ['PATH']}"
    env = {**os.environ, "PATH": path, "STALEGUARD_STORE": ""}
    with (contextlib.nullcontext(str(args.keep)) if args.keep else
          tempfile.TemporaryDirectory(prefix="staleguard-memory-")) as tmp:
        repo = copy_worktree(Path(tmp) / "repo")
        (repo / "params.yaml").write_text(PARAMS.read_text())
        write_sales(repo / "data" / "sales.csv", rows=args.rows, seconds=34.0 * 120_000 / args.rows)
        for cmd in (["staleguard", "setup", "--remote", f"{tmp}/remote"], ["dvc", "add", "-q", "data"],
                    ["git", "add", "-A"], ["git", "commit", "-qm", "sales"]):
            run(cmd, repo, env)
        rows: list[tuple[str, float, float]] = []
        run(["staleguard", "prepare"], repo, env)
        rows.append(("train stage (one fit: baseline)", *run(["staleguard", "train"], repo, env)))
        run(["dvc", "repro", "-q"], repo, env)
        run(["git", "add", "-A"], repo, env)
        run(["git", "commit", "-qm", "repro"], repo, env)
        store = Path(tmp) / "store"
        run(["staleguard", "simulate", "--through", args.through, "--store", str(store)], repo, env)
        if "monitor" not in args.skip:
            rows.append(("monitor --dry-run (31 daily windows)",
                         *run(["staleguard", "monitor", "--dry-run", "--store", str(store)], repo, env)))
        if "report" not in args.skip:
            run(["git", "checkout", "-qb", "pr"], repo, env)
            p = repo / "params.yaml"
            p.write_text(p.read_text().replace("  n_est: 100", "  n_est: 120"))
            run(["dvc", "repro", "-q"], repo, env)
            rows.append(("report pr (n_est 100 -> 120)",
                         *run(["staleguard", "report", "pr", "--base", "main", "--output",
                               str(Path(tmp) / "comment.md")], repo, env)))
            run(["git", "checkout", "-q", "-f", "main"], repo, env)
        if "replay" not in args.skip:
            rows.append(("replay (never, monitor)", *run(["staleguard", "replay"], repo, env)))
    base = rows[0]
    print("| command | wall s | peak RSS GB | × the one-fit baseline's RSS |\n|---|---:|---:|---:|")
    for name, secs, gb in rows:
        print(f"| {name} | {secs:.0f} | {gb:.2f} | {gb / base[2]:.2f}x |")


if __name__ == "__main__":
    main()
