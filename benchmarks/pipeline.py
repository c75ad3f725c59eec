"""Full `dvc repro` against the same work in one bare Python process, and the no-op repro.

Run: `make bench` or `python benchmarks/pipeline.py` (needs the data: STALEGUARD_DATA_URL or the
shared offline copy). Prints wall times and ratios measured in this one run.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.conftest import copy_worktree, data_url  # noqa: E402

FLOOR = """
import time, os
t = time.perf_counter()
from staleguard.params import load_params
from staleguard.stages import prepare, train, evaluate
p = load_params()
prepare.main(p); train.main(p); evaluate.main(p)
"""


def timed(cmd: list[str], cwd: Path, env: dict[str, str]) -> float:
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    if proc.returncode:
        sys.exit(f"{' '.join(cmd)} failed:\n{proc.stderr}")
    return time.perf_counter() - start


def main() -> None:
    env = {**os.environ, "STALEGUARD_DATA_URL": data_url()}
    stages = [s for s in ("prepare", "train", "evaluate", "drift")
              if f"\n  {s}:" in (ROOT / "dvc.yaml").read_text()]
    with tempfile.TemporaryDirectory() as tmp:
        repo = copy_worktree(Path(tmp) / "repo")
        timed(["staleguard", "setup", "--remote", f"{tmp}/remote"], repo, env)
        timed(["staleguard", "data", "fetch"], repo, env)
        timed(["dvc", "repro", "-f"], repo, env)  # warm-up: page cache, .pyc
        full = min(timed(["dvc", "repro", "-f"], repo, env) for _ in range(2))
        noop = min(timed(["dvc", "repro"], repo, env) for _ in range(3))
        floor_code = FLOOR.replace("evaluate.main(p)", "evaluate.main(p)" + "".join(
            f"; __import__('staleguard.stages.{s}', fromlist=['main']).main(p)"
            for s in stages[3:]))
        floor = min(timed([sys.executable, "-c", floor_code], repo, env) for _ in range(2))
    print(f"stages: {' → '.join(stages)} on 17,379 rows")
    print("| what | seconds | ratio |\n|---|---|---|")
    print(f"| bare Python process (floor) | {floor:.2f} | 1.00× |")
    print(f"| full `dvc repro -f` | {full:.2f} | {full / floor:.2f}× floor |")
    print(f"| no-op `dvc repro` | {noop:.2f} | {noop / floor:.2f}× floor |")


if __name__ == "__main__":
    main()
