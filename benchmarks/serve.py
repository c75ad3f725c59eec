"""Serving speed, as ratios against baselines measured in the same run (DESIGN.md targets).

1. Single-row latency of POST /predict over loopback HTTP (a real `staleguard serve` process,
   one keep-alive connection), p50/p99, against the bare in-process `model.predict` of one row.
   Target: p99 <= 10 ms.
2. Batch: `staleguard predict` (a subprocess: start-up, model load, Parquet in, chunks, Parquet
   out) on N rows against the bare `model.predict` on the same rows already in memory.
   Target: <= 1.3x.
3. Shadow scoring: two servers, one with `serve.shadow` set (a second copy of the model: the same
   cost as another model of its size), called alternately with the same rows so that both see the
   same machine load. p99 with shadow / p99 without. Target: <= 1.2x.

Run from the project root after `dvc repro` (or `dvc pull`):
    python benchmarks/serve.py [--model artifacts/model.skops] [--rows 1000000] [--requests 2000]
    python benchmarks/serve.py --skip-latency --skip-batch      # the shadow comparison only
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from staleguard.model import load_model
from staleguard.params import load_params
from staleguard.serve.batch import predict_file

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def rows_from_data(params, n: int, seed: int = 0, with_time: bool = False) -> pd.DataFrame:
    """n rows resampled from the prepared train + eval windows (real feature distributions); with
    their timestamp for /predict (the bike contract derives features from it)."""
    parts = [pd.read_parquet(ROOT / "artifacts/prepared" / f) for f in ("train.parquet", "eval.parquet")]
    base = pd.concat(parts, ignore_index=True)
    idx = np.random.default_rng(seed).integers(0, len(base), n)
    columns = ["timestamp", *params.features.columns] if with_time else params.features.columns
    return base.iloc[idx][columns].reset_index(drop=True)


def request_bodies(rows: pd.DataFrame, params) -> list[bytes]:
    cats = params.features.categorical
    return [json.dumps({k: (v.isoformat() if k == "timestamp" else int(v) if k in cats else float(v))
                        for k, v in rec.items()}).encode() for rec in rows.to_dict("records")]


def server_params(tmp: Path, **serve: object) -> Path:
    """params.yaml for a benchmark server: rows are resampled, so a re-sent hour replaces the logged
    one (serve.corrections: replace) instead of a 409; plus `serve` settings."""
    import yaml

    raw = yaml.safe_load((ROOT / "params.yaml").read_text())
    raw["serve"].update(corrections="replace", **serve)
    path = tmp / f"params-{len(serve)}.yaml"
    path.write_text(yaml.safe_dump(raw))
    return path


def start_server(model: Path, store: Path, params: Path | None = None) -> tuple[subprocess.Popen, int]:
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "staleguard.cli", "--params", str(params or "params.yaml"),
                             "serve", "--model", str(model), "--port", str(port), "--store", str(store)],
                            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            sys.exit(f"serve exited {proc.returncode}: {proc.stderr.read()}")
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1).close()
            return proc, port
        except OSError:
            time.sleep(0.2)
    proc.kill()
    sys.exit("serve did not come up within 120 s")


def http_latencies(port: int, bodies: list[bytes]) -> np.ndarray:
    conn = http.client.HTTPConnection("127.0.0.1", port)
    out = []
    for body in bodies:
        t = time.perf_counter()
        conn.request("POST", "/predict", body, {"Content-Type": "application/json"})
        resp = conn.getresponse()
        resp.read()
        out.append(time.perf_counter() - t)
        if resp.status != 200:
            sys.exit(f"/predict answered {resp.status}")
    conn.close()
    return np.array(out) * 1000


def bare_latencies(model, frame: pd.DataFrame) -> np.ndarray:
    out = []
    for i in range(len(frame)):
        one = frame.iloc[[i]]
        t = time.perf_counter()
        model.predict(one)
        out.append(time.perf_counter() - t)
    return np.array(out) * 1000


def latency(args, params, model) -> None:
    rows = rows_from_data(params, args.requests, seed=1, with_time=True)
    bodies = request_bodies(rows, params)
    rows = rows[params.features.columns]
    with tempfile.TemporaryDirectory() as tmp:
        proc, port = start_server(args.model, Path(tmp) / "store", server_params(Path(tmp)))
        try:
            http_latencies(port, bodies[:100])  # warm-up
            http_ms = http_latencies(port, bodies)
        finally:
            proc.send_signal(signal.SIGINT)
            proc.wait(timeout=60)
    if hasattr(model, "n_jobs"):
        model.set_params(n_jobs=1)  # as the server runs it
    bare_ms = bare_latencies(model, rows.iloc[: min(len(rows), 500)])
    p_http, p_bare = np.percentile(http_ms, [50, 99]), np.percentile(bare_ms, [50, 99])
    print(f"single row over HTTP ({len(http_ms)} requests): p50 {p_http[0]:.2f} ms, p99 {p_http[1]:.2f} ms "
          f"(target p99 <= 10 ms: {'met' if p_http[1] <= 10 else 'NOT met'})")
    print(f"bare model.predict of one row (n_jobs=1): p50 {p_bare[0]:.2f} ms, p99 {p_bare[1]:.2f} ms")
    print(f"ratio HTTP / bare: p50 {p_http[0] / p_bare[0]:.2f}x, p99 {p_http[1] / p_bare[1]:.2f}x")


def shadow(args, params) -> None:
    """p99 over loopback with and without a shadow model, requests alternating between the two."""
    rows = rows_from_data(params, args.requests, seed=3, with_time=True)
    bodies = request_bodies(rows, params)
    with tempfile.TemporaryDirectory() as tmp:
        shadowed = server_params(Path(tmp), shadow=str(args.model))
        plain, p_port = start_server(args.model, Path(tmp) / "plain", server_params(Path(tmp)))
        with_shadow, s_port = start_server(args.model, Path(tmp) / "shadow", shadowed)
        try:
            for port in (p_port, s_port):
                http_latencies(port, bodies[:100])  # warm-up
            took: dict[int, list[float]] = {p_port: [], s_port: []}
            for body in bodies:
                for port in (p_port, s_port):
                    took[port] += list(http_latencies(port, [body]))
        finally:
            for proc in (plain, with_shadow):
                proc.send_signal(signal.SIGINT)
                proc.wait(timeout=60)
    (p50, p99), (s50, s99) = (np.percentile(took[port], [50, 99]) for port in (p_port, s_port))
    print(f"shadow scoring ({len(bodies)} single-row requests each, alternating): without p50 {p50:.2f} ms, "
          f"p99 {p99:.2f} ms; with shadow p50 {s50:.2f} ms, p99 {s99:.2f} ms; "
          f"p99 ratio {s99 / p99:.2f}x (target <= 1.2x: {'met' if s99 <= 1.2 * p99 else 'NOT met'})")


def best_of(runs: int, fn: Callable[[], object]) -> float:
    """The fastest of `runs` timings: the least disturbed by other load on the machine."""
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def batch(args, params, model) -> None:
    rows = rows_from_data(params, args.rows, seed=2)
    if hasattr(model, "n_jobs"):
        model.set_params(n_jobs=-1)  # as trained and as `staleguard predict` runs it
    with tempfile.TemporaryDirectory() as tmp:
        src, out = Path(tmp) / "in.parquet", Path(tmp) / "out.parquet"
        rows.to_parquet(src, index=False)
        cli_s = best_of(1, lambda: subprocess.run(
            [sys.executable, "-m", "staleguard.cli", "predict", "--input", str(src), "--output", str(out),
             "--model", str(args.model)], cwd=ROOT, check=True, stdout=subprocess.DEVNULL))
        got = pd.read_parquet(out, columns=["prediction"])["prediction"].to_numpy()
        tiny = Path(tmp) / "tiny.parquet"
        rows.head(10).to_parquet(tiny, index=False)
        startup_s = best_of(1, lambda: subprocess.run(
            [sys.executable, "-m", "staleguard.cli", "predict", "--input", str(tiny), "--output",
             str(Path(tmp) / "tiny-out.parquet"), "--model", str(args.model)], cwd=ROOT, check=True,
            stdout=subprocess.DEVNULL))
        inproc_s = best_of(2, lambda: predict_file(params, src, Path(tmp) / "out2.parquet", str(args.model),
                                                   params.serve.chunk_rows, progress=False))
    bare_s = best_of(2, lambda: model.predict(rows))
    same = np.allclose(got, model.predict(rows))
    print(f"batch of {len(rows):,} rows: `staleguard predict` {cli_s:.2f} s "
          f"({len(rows) / cli_s:,.0f} rows/s), "
          f"in-process predict_file {inproc_s:.2f} s, bare model.predict {bare_s:.2f} s "
          f"({len(rows) / bare_s:,.0f} rows/s)")
    print(f"ratio vs bare model.predict: whole command {cli_s / bare_s:.2f}x (incl. start-up: imports, "
          f"model load), streaming predict_file {inproc_s / bare_s:.2f}x (read chunks, validate, predict, "
          f"write); target <= 1.3x; same predictions: {same}")
    print(f"fixed start-up of the command (10-row file): {startup_s:.2f} s; whole command minus start-up "
          f"{(cli_s - startup_s) / bare_s:.2f}x bare")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=ROOT / "artifacts/model.skops")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--skip-batch", action="store_true")
    parser.add_argument("--skip-latency", action="store_true")
    parser.add_argument("--skip-shadow", action="store_true")
    args = parser.parse_args()
    os.chdir(ROOT)
    params = load_params(ROOT / "params.yaml")
    model = load_model(args.model)
    print(f"model {args.model} ({type(model).__name__}), {os.cpu_count()} CPUs")
    if not args.skip_latency:
        latency(args, params, model)
    if not args.skip_shadow:
        shadow(args, params)
    if not args.skip_batch:
        batch(args, params, model)


if __name__ == "__main__":
    main()
