"""`staleguard dashboard` on 100 weeks against bare matplotlib drawing the same figures, same run.

    python benchmarks/dashboard.py [HISTORY]   # from the project root

HISTORY: a monitor history (default: reports/monitor-history.json, which `make demo` writes from
the replay's 100 weeks; without it, a synthetic 100-week history in the same format). Dashboard:
`staleguard.dashboard.page.build` (history → weeks, events, PRs; every figure; index.html and
README.md). Floor: the same number of figures of the same sizes and kinds (lines, a features ×
weeks heatmap, bars) drawn and saved as PNG by bare matplotlib from numpy arrays. The ratio says
what the page costs on top of the drawing it cannot avoid. Target: ≤ 10 s for 100 weeks.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET_SECONDS = 10.0


def history(path: Path) -> tuple[list[dict], str]:
    from staleguard.monitor import logbook

    if path.exists():
        return logbook.read(str(path)), str(path)
    sys.path.insert(0, str(ROOT))
    from tests.dashboard.conftest import history as synthetic

    return synthetic(cycles=5, weeks=20), "synthetic (5 deployments × 20 weeks)"


def floor(weeks: int, columns: int, out: Path) -> float:
    """Bare matplotlib: the dashboard's four figures from arrays, saved as PNG (Agg, 100 dpi)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    rng = np.random.default_rng(0)
    x = np.arange(weeks, dtype=float)
    start = time.perf_counter()
    fig, ax = plt.subplots(figsize=(9.0, 3.8))
    for _ in range(4):
        ax.plot(x, rng.uniform(20, 80, weeks), marker="o", ms=3)
    ax.legend([f"line {i}" for i in range(4)])
    fig.tight_layout()
    fig.savefig(out / "error.png", dpi=100)
    plt.close(fig)
    fig, ax = plt.subplots(figsize=(9.0, 0.26 * columns + 1.6))
    image = ax.imshow(rng.uniform(0, 3, (columns, weeks)), aspect="auto", cmap="RdYlGn_r")
    fig.colorbar(image, ax=ax)
    fig.tight_layout()
    fig.savefig(out / "drift.png", dpi=100)
    plt.close(fig)
    for name, height in (("rows.png", 2.2), ("shadow.png", 2.8)):
        fig, ax = plt.subplots(figsize=(9.0, height))
        ax.bar(x, rng.uniform(100, 168, weeks))
        fig.tight_layout()
        fig.savefig(out / name, dpi=100)
        plt.close(fig)
    return time.perf_counter() - start


def main() -> None:
    from staleguard.dashboard import page

    rows, source = history(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "reports/monitor-history.json")
    columns = max(len((r.get("drift_scores") or {}).get("features") or {}) for r in rows) + 2
    with tempfile.TemporaryDirectory() as tmp:
        floor(10, 5, Path(tmp))      # warm-up: imports, font cache
        page.build(rows[:5], Path(tmp) / "warm")
        bare = min(floor(len(rows), columns, Path(tmp)) for _ in range(3))
        timings = []
        for _ in range(3):
            start = time.perf_counter()
            page.build(rows, Path(tmp) / "site", "cnt", source=source)
            timings.append(time.perf_counter() - start)
    built = min(timings)
    load = os.getloadavg()[0]
    print(f"history: {source}: {len(rows)} weeks, {columns} heatmap rows")
    print(f"dashboard build (best of 3): {built:.2f} s   bare matplotlib, same figures: {bare:.2f} s   "
          f"ratio {built / bare:.2f}×")
    print(f"target ≤ {TARGET_SECONDS:.0f} s for 100 weeks: {'met' if built <= TARGET_SECONDS else 'MISSED'} "
          f"(load average {load:.1f} on {os.cpu_count()} cores)")


if __name__ == "__main__":
    main()
