"""Drift at scale: window summaries on pandas, DuckDB and Spark vs reading the columns vs Evidently.

    nice -n 10 python benchmarks/scale.py [--rows 1000000 10000000 50000000] [--data DIR]

Reference: the 2011 rows of hour.csv (8,645) with a random forest's predictions, summarised as
the train stage does. Windows: rows drawn with replacement from 2012 (real drift), with a
`prediction` column (the model's, plus N(0, 2) noise so it takes millions of distinct values
and goes through the frozen bins), written as Parquet files of 1M rows.

Each measurement runs in a fresh process. Time = read + summarise (imports, the reference and
Spark's session start excluded; the start is printed apart). Peak memory = peak RSS of the
process and its children (Spark's JVM included), sampled every 50 ms. Baselines measured in the
same run: the floor (stream the same columns with pyarrow and convert them to float arrays, no
summary) and Evidently's default DataDriftPreset on the window read into pandas (where it fits:
--evidently-rows). Then every engine's summary is scored and decided by the monitor's code
(check_summaries + decide): decisions and scores must agree across engines, and with scipy's
exact Wasserstein on the prediction column where it fits (--exact-rows).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HOUR = ROOT.parent / "shared" / "data" / "bike-sharing" / "hour.csv"
FILE_ROWS = 1_000_000
MODES = ("floor", "pandas", "duckdb", "spark", "evidently")


def make_reference(folder: Path) -> None:
    """reference.parquet (2011 + predictions), reference.json (its summary), later.parquet (2012)."""
    from staleguard.contract import read_raw
    from staleguard.drift.sketch import sketch_json
    from staleguard.drift.sketch.compare_sketches import reference_summary
    from staleguard.model import build_estimator
    from staleguard.params import load_params

    params = load_params(ROOT / "params.yaml")
    cols = ["timestamp", *params.features.columns, "cnt"]
    hour = read_raw(HOUR if HOUR.exists() else ROOT / "data" / "hour.csv", params)[cols]
    ref, later = hour[hour.yr == 0].reset_index(drop=True), hour[hour.yr == 1].reset_index(drop=True)
    model = build_estimator(params.train, params.features).fit(ref[params.features.columns], ref["cnt"])
    ref = ref.assign(prediction=model.predict(ref[params.features.columns]))
    later = later.assign(prediction=model.predict(later[params.features.columns]))
    ref.to_parquet(folder / "reference.parquet", index=False)
    later.to_parquet(folder / "later.parquet", index=False)
    sketch_json.write(folder / "reference.json", reference_summary(ref, params), reference=True)


def make_window(folder: Path, n: int) -> Path:
    """window_<n>/part-*.parquet: n rows drawn from 2012 (kept between runs in --data)."""
    import numpy as np
    import pandas as pd

    out = folder / f"window_{n}"
    done = out / "_complete"
    if done.exists():
        return out
    out.mkdir(exist_ok=True)
    later = pd.read_parquet(folder / "later.parquet")
    rng = np.random.default_rng(n)
    start = pd.Timestamp("2020-01-01")
    for k, lo in enumerate(range(0, n, FILE_ROWS)):
        m = min(FILE_ROWS, n - lo)
        part = later.iloc[rng.integers(0, len(later), m)].reset_index(drop=True)
        part["timestamp"] = start + pd.to_timedelta(np.arange(lo, lo + m), unit="s")
        part["prediction"] = part["prediction"] + rng.normal(0, 2, m)
        part.to_parquet(out / f"part-{k:04d}.parquet", index=False, row_group_size=250_000)
    done.touch()
    return out


class Peak:
    """Peak RSS (MB) of this process and its descendants, sampled in a thread."""

    def __init__(self) -> None:
        import psutil

        self.proc, self.peak, self.stop = psutil.Process(), 0.0, False
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _rss(self) -> float:
        import psutil

        total = self.proc.memory_info().rss
        for child in self.proc.children(recursive=True):
            with contextlib.suppress(psutil.Error):
                total += child.memory_info().rss
        return total / 2**20

    def _run(self) -> None:
        while not self.stop:
            self.peak = max(self.peak, self._rss())
            time.sleep(0.05)

    def done(self) -> float:
        self.stop = True
        self.thread.join()
        return max(self.peak, self._rss())


def worker(mode: str, folder: Path, n: int) -> dict:
    """One measurement in this (fresh) process; the summary goes to summary_<mode>_<n>.json."""
    import pandas as pd
    import pyarrow.parquet as pq

    from staleguard.drift.sketch import engines, sketch_json
    from staleguard.params import load_params

    params = load_params(ROOT / "params.yaml")
    ref = sketch_json.read(folder / "reference.json")
    window = folder / f"window_{n}"
    cols = ["timestamp", *ref.layout.columns]
    extra: dict = {}
    spark = None
    if mode == "spark":
        t = time.perf_counter()
        spark = engines.spark_session(os.environ.get("STALEGUARD_SPARK_MASTER", "local[2]"))
        spark.sparkContext.setLogLevel("ERROR")
        extra["start"] = time.perf_counter() - t
    elif mode == "evidently":
        from evidently import DataDefinition, Dataset, Report
        from evidently.presets import DataDriftPreset
    peak = Peak()
    t0, c0 = time.perf_counter(), time.process_time()
    summary = None
    if mode == "floor":
        from staleguard.drift.sketch.window_summary import _floats

        values = 0
        for path in engines.files(window):
            for batch in pq.ParquetFile(path).iter_batches(batch_size=engines.BATCH_ROWS, columns=cols):
                values += sum(_floats(batch.column(c)).size for c in cols[1:])  # as summarise converts
    elif mode == "pandas":
        summary = engines.pandas_summary(window, ref.layout)
    elif mode == "duckdb":
        summary = engines.duckdb_summary(window, ref.layout)
    elif mode == "spark":
        summary = engines.spark_summary(window, ref.layout, spark=spark)
    else:
        f = params.features
        reference = pd.read_parquet(folder / "reference.parquet")
        current = pd.concat([pd.read_parquet(p) for p in engines.files(window)], ignore_index=True)
        dd = DataDefinition(numerical_columns=f.numerical, categorical_columns=f.categorical)
        ds = [Dataset.from_pandas(x[f.columns], data_definition=dd) for x in (reference, current)]
        Report([DataDriftPreset(columns=f.columns)]).run(current_data=ds[1], reference_data=ds[0])
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    rss = peak.done()
    if summary is not None:
        sketch_json.write(folder / f"summary_{mode}_{n}.json", summary)
    if spark is not None:
        spark.stop()
    return {"mode": mode, "rows": n, "wall": wall, "cpu": cpu, "rss_mb": rss, **extra}


def measure(mode: str, folder: Path, n: int) -> dict:
    cmd = [sys.executable, __file__, "--worker", mode, str(folder), str(n)]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode:
        raise SystemExit(f"{mode} at {n:,} rows failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def decisions(folder: Path, n: int, modes: list[str], exact: bool) -> str:
    """Decide on every engine's summary; scores must agree (and with scipy on the prediction)."""
    import numpy as np
    import pandas as pd

    from staleguard.drift import decide
    from staleguard.drift.sketch import engines, sketch_json
    from staleguard.drift.sketch.compare_sketches import check_summaries
    from staleguard.params import load_params

    params = load_params(ROOT / "params.yaml")
    ref = sketch_json.read(folder / "reference.json")
    results = {}
    for m in modes:
        cur = sketch_json.read(folder / f"summary_{m}_{n}.json", ref.layout)
        r = check_summaries(ref, cur, params, engine=m)
        results[m] = (r, decide(r, params))
    base = results[modes[0]]
    cols = lambda r: {c.column: c.score for c in [*r.features.values(), r.target, r.prediction] if c}  # noqa: E731
    worst = max(abs(cols(r)[k] - cols(base[0])[k]) for r, _ in results.values() for k in cols(r))
    same = all(d == base[1] for _, d in results.values())
    text = (f"{n:,} rows: {'drift' if base[1].drift else 'no drift'} on {', '.join(modes)}; "
            f"decisions {'identical' if same else 'DIFFER'}; "
            f"max |score difference| between engines {worst:.1e}")
    if exact:
        from scipy import stats

        files = engines.files(folder / f"window_{n}")
        cur = pd.concat([pd.read_parquet(p, columns=["prediction"]) for p in files])
        refp = pd.read_parquet(folder / "reference.parquet", columns=["prediction"])["prediction"].to_numpy()
        w = stats.wasserstein_distance(refp, cur["prediction"].to_numpy()) / max(np.std(refp), 1e-3)
        ours = base[0].prediction.score
        text += f"; prediction Wasserstein {ours:.6f} vs scipy exact {w:.6f} ({abs(ours / w - 1):.3%} off)"
    return text


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, nargs="+", default=[1_000_000, 10_000_000, 50_000_000])
    ap.add_argument("--engines", nargs="+", default=["pandas", "duckdb", "spark"])
    ap.add_argument("--pandas-rows", type=int, default=10_000_000, help="largest window for pandas")
    ap.add_argument("--evidently-rows", type=int, default=10_000_000, help="largest window for Evidently")
    ap.add_argument("--exact-rows", type=int, default=10_000_000,
                    help="largest window for scipy's exact check of the prediction score")
    ap.add_argument("--data", type=Path, help="keep generated windows here (default: a temporary folder)")
    ap.add_argument("--worker", nargs=3, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        mode, folder, n = args.worker
        print(json.dumps(worker(mode, Path(folder), int(n))))
        return
    with tempfile.TemporaryDirectory(prefix="staleguard-scale-") as tmp:
        folder = args.data or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        make_reference(folder)
        notes, starts = [], []
        print("| rows | floor: read columns s (MB) | engine | summary s (CPU s) | peak MB "
              "| ÷ floor time | ÷ floor memory | Evidently preset s (MB) | Evidently ÷ engine |")
        print("|---|---|---|---|---|---|---|---|---|")
        for n in args.rows:
            t = time.perf_counter()
            make_window(folder, n)
            gen = time.perf_counter() - t
            floor = measure("floor", folder, n)
            ev = measure("evidently", folder, n) if n <= args.evidently_rows else None
            ran = []
            for m in args.engines:
                if m == "pandas" and n > args.pandas_rows:
                    continue
                r = measure(m, folder, n)
                ran.append(m)
                starts += [r["start"]] if "start" in r else []
                evs = ((f"{ev['wall']:.1f} ({ev['rss_mb']:.0f})", f"{ev['wall'] / r['wall']:.1f}×")
                       if ev else ("—", "—"))
                print(f"| {n:,} | {floor['wall']:.2f} ({floor['rss_mb']:.0f}) | {m} "
                      f"| {r['wall']:.2f} ({r['cpu']:.1f}) | {r['rss_mb']:.0f} "
                      f"| {r['wall'] / floor['wall']:.1f}× | {r['rss_mb'] / floor['rss_mb']:.1f}× "
                      f"| {evs[0]} | {evs[1]} |", flush=True)
            notes.append(decisions(folder, n, ran, n <= args.exact_rows) + f" (generated in {gen:.0f} s)")
        print()
        for line in notes:
            print(f"- {line}")
        if starts:
            print(f"- Spark session start (excluded above): {', '.join(f'{s:.1f} s' for s in starts)}")
        print(f"- {os.cpu_count()} CPUs; load average {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()
