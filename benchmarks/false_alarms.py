"""False-alarm rate of the drift decision against the window size, thresholds alone vs calibrated.

    python benchmarks/false_alarms.py [--trials 200] [--out docs/img/false-alarms-vs-n.png]

Same-distribution windows: n rows drawn with replacement from the bike example's reference (the
training window, January 2011), compared with that reference by the decision path (`drift.check`).
Per column (features and target): the share of windows flagged. "Before": a column drifts when its
score is at or above its params threshold (drift.false_alarm: 0). "After": it must also be beyond
the noise at that n (drift/noise.py, drift.false_alarm: 0.05). Prints the table and draws the PNG
docs/drift.md shows.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
HOUR = ROOT.parent / "shared" / "data" / "bike-sharing" / "hour.csv"
SIZES = (7, 12, 24, 48, 168, 500, 1_000, 10_000, 100_000)


def rates(trials: int) -> dict[int, dict[str, dict[str, float]]]:
    """{n: {"before"|"after": {column: false-alarm rate}}}."""
    from staleguard.contract import read_raw
    from staleguard.data.windows import slice_window
    from staleguard.drift import check
    from staleguard.params import load_params

    params = load_params(ROOT / "params.yaml")
    hour = read_raw(HOUR if HOUR.exists() else ROOT / params.data.raw, params)
    ref = slice_window(hour, params.windows.train, "train")[["timestamp", *params.features.columns, "cnt"]]
    out: dict[int, dict[str, dict[str, float]]] = {}
    for n in SIZES:
        rng = np.random.default_rng(n)
        before: dict[str, int] = {}
        after: dict[str, int] = {}
        for _ in range(trials):
            cur = ref.iloc[rng.integers(0, len(ref), n)].reset_index(drop=True)
            result = check(ref, cur, params)
            for c in [*result.features.values(), result.target]:
                assert c is not None
                before[c.column] = before.get(c.column, 0) + (c.score >= c.threshold)
                after[c.column] = after.get(c.column, 0) + c.drifted
        out[n] = {"before": {k: v / trials for k, v in before.items()},
                  "after": {k: v / trials for k, v in after.items()}}
    return out


def plot(found: dict[int, dict[str, dict[str, float]]], trials: int, path: Path) -> None:
    from staleguard.model_plots import plt, save

    sizes = sorted(found)
    fig, ax = plt.subplots(figsize=(6.4, 3.6))
    for when, color in (("before", "tab:red"), ("after", "tab:green")):
        worst = [max(found[n][when].values()) for n in sizes]
        median = [float(np.median(list(found[n][when].values()))) for n in sizes]
        label = "thresholds alone" if when == "before" else "thresholds + noise bar (5 %)"
        ax.plot(sizes, worst, color=color, marker="o", label=f"{label}: worst column")
        ax.plot(sizes, median, color=color, marker=".", ls="--", label=f"{label}: median column")
    ax.axhline(0.05, color="black", lw=0.8, ls=":", label="5 %")
    ax.set(xscale="log", ylim=(-0.02, 1.02), xlabel="rows in the current window (n, log)",
           ylabel="false-alarm rate per column",
           title=f"Same-distribution windows (bike reference resampled, {trials} per n)")
    ax.legend(fontsize=7, loc="upper right")
    ax.grid(alpha=0.3)
    save(fig, path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=200)
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "img" / "false-alarms-vs-n.png")
    args = parser.parse_args()
    start = time.perf_counter()
    found = rates(args.trials)
    print(f"{'n':>8} | worst before | worst after | median before | median after")
    for n, r in found.items():
        wb, wa = (max(r[k], key=r[k].__getitem__) for k in ("before", "after"))
        print(f"{n:>8} | {r['before'][wb]:.3f} ({wb}) | {r['after'][wa]:.3f} ({wa}) | "
              f"{np.median(list(r['before'].values())):.3f} | {np.median(list(r['after'].values())):.3f}")
    plot(found, args.trials, args.out)
    print(f"{time.perf_counter() - start:.0f} s → {args.out}")


if __name__ == "__main__":
    main()
