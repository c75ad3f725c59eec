"""The full replay (2011-02 → 2012-12, three policies) against a bare-sklearn floor in the same run.

    python benchmarks/replay.py [--decision-only]   # from the project root, after `staleguard data fetch`

Replay: `staleguard.replay.replay_job.replay` with params.yaml, outputs in a temporary folder (then
compared byte for byte with reports/freshness.* when those exist: the replay is deterministic).
Floor: the model work the replay cannot avoid, done directly with scikit-learn on in-memory
frames: one fit per distinct training run plus the monitor's reference quality (4 time-blocked
fits per monitored deployment), timed as (mean of 5 fits on a 4-week window) × count, plus
predicting every week once per policy. The ratio says what serving, the store, the drift checks
and the reports cost on top of fitting forests. Last, one week's drift decision is timed on the
fast score path and against the Evidently HTML report (`--decision-only`: just that).
"""

from __future__ import annotations

import filecmp
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def floor_fit_seconds(params: object, frame: object) -> float:
    """Mean wall time of one fit of the params' estimator on a 4-week window (5 repeats)."""
    import pandas as pd

    from staleguard.stages.train import train

    ts = frame["timestamp"]
    part = frame[(ts >= pd.Timestamp("2011-06-01")) & (ts < pd.Timestamp("2011-06-29"))]
    train(part, params)  # warm-up: thread pools, imports
    start = time.perf_counter()
    for _ in range(5):
        train(part, params)
    return (time.perf_counter() - start) / 5


def floor_predict_seconds(params: object, frame: object, weeks: int, policies: int) -> float:
    from staleguard.stages.train import train

    model = train(frame.iloc[:700], params)
    model.set_params(n_jobs=1)
    week = frame.iloc[700:868][params.features.columns]
    start = time.perf_counter()
    for _ in range(weeks * policies):
        model.predict(week)
    return time.perf_counter() - start


def decision_seconds(params: object, frame: object) -> None:
    """One week's monitor decision (week of 2011-06-07, model and reference of the 4 weeks before):
    the fast score path with the reference quality known (every week but the first after a
    deploy), the same plus measuring the reference quality (once per deployment), and the
    Evidently HTML report the replay does not write."""
    import pandas as pd

    from staleguard import drift
    from staleguard.drift.evidently_adapter import save_html
    from staleguard.stages.train import train

    ts = frame["timestamp"]
    ref = frame[(ts >= pd.Timestamp("2011-05-10")) & (ts < pd.Timestamp("2011-06-07"))]
    cur = frame[(ts >= pd.Timestamp("2011-06-07")) & (ts < pd.Timestamp("2011-06-14"))]
    model = train(ref, params)
    start = time.perf_counter()
    first = drift.check(ref, cur, params, model)
    with_quality = time.perf_counter() - start
    start = time.perf_counter()
    for _ in range(5):
        drift.decide(drift.check(ref, cur, params, model, baseline=first.quality.reference), params)
    fast = (time.perf_counter() - start) / 5
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        save_html(ref, cur, params, model, Path(tmp) / "drift.html")
        html = time.perf_counter() - start
    print(f"decision per week: {fast * 1000:.0f} ms (fast score path), {with_quality:.2f} s when it also "
          f"measures a new model's reference quality; Evidently HTML {html:.1f} s "
          f"(x{html / fast:.0f}, not written by the replay)")


def main() -> None:
    os.chdir(ROOT)
    from staleguard.params import load_params
    from staleguard.replay.replay_job import history, replay

    params = load_params()
    if "--decision-only" in sys.argv:
        decision_seconds(params, history(params))
        return
    with tempfile.TemporaryDirectory() as tmp:
        cpu0, start = time.process_time(), time.perf_counter()
        result = replay(params, Path(tmp), progress=False)
        wall, cpu = time.perf_counter() - start, time.process_time() - cpu0
        same = {p.name: filecmp.cmp(p, params.replay.out / p.name, shallow=False)
                for p in result.outputs if (params.replay.out / p.name).exists()}
    s = result.summaries
    weeks = s[next(iter(s))].weeks
    monitored = result.assessments
    frame = history(params)
    fit = floor_fit_seconds(params, frame)
    floor = fit * (result.fits + 4 * monitored) + floor_predict_seconds(params, frame, weeks, len(s))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"replay: {weeks} weeks x {len(s)} policies: {wall:.1f} s wall, {cpu:.1f} s CPU, "
          f"peak RSS {peak:.0f} MB (load {os.getloadavg()[0]:.1f}, {os.cpu_count()} CPUs)")
    print(f"floor:  {result.fits} fits + {monitored} x 4 out-of-fold fits at {fit * 1000:.0f} ms, "
          f"plus {weeks * len(s)} weekly predictions: {floor:.1f} s -> replay / floor = {wall / floor:.2f}x")
    for name, x in s.items():
        print(f"  {name:<10} mean MAE {x.mean_mae:7.2f}  worst {x.worst_mae:7.2f} ({x.worst_week})  "
              f"retrains {x.retrains:3d}  weeks above tolerance {x.weeks_above}")
    if "monitor" in s and "never" in s:
        guarded = s["monitor"].mean_mae / s["never"].mean_mae
        print(f"mean weekly MAE guarded / stale (monitor / never): {guarded:.3f}")
    if "monitor" in s and "weekly" in s:
        print(f"monitor / weekly: MAE {s['monitor'].mean_mae / s['weekly'].mean_mae:.3f}, "
              f"retrains {s['monitor'].retrains / s['weekly'].retrains:.2f}")
    decision_seconds(params, frame)
    if same:
        print("outputs identical to reports/: "
              + ", ".join(f"{k} {'yes' if v else 'NO'}" for k, v in same.items()))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
