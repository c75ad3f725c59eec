"""Load and soak of one `staleguard serve` process, with ratios against the same load on a plain one.

Two runs of the same bounded loopback load (K concurrent keep-alive clients posting single rows
for T seconds, at most --max-requests in all; 127.0.0.1 only):

1. baseline: the server on a model file, no registry following, no shadow;
2. full: the server following `prod` (`--model prod --follow --every 1s`) with `serve.shadow` on,
   while this script moves `prod` between two registered versions every --swap-every seconds.

Each run prints requests per second, p50/p99 latency, failed requests and the server's RSS at the
start and end of the load; the full run also splits p99 into "during a swap" (from the promotion
until the server answers with the new model, plus one second) and "between swaps". The registry is
real and local: a git repository with a DVC remote folder, a bare `origin`, GTO tags, the server
in its own clone, and two 100-tree forests trained here on the real data (seeds 1 and 2).

The clients run in a child process (`--client`), so that moving `prod` (GTO, git) in this one does
not disturb their timing. Needs the UCI archive: $STALEGUARD_DATA_URL (file://) or --data.

    python benchmarks/load.py                                   # K=4, 120 s each run, swap every 20 s
    python benchmarks/load.py --clients 8 --seconds 60 --baseline-seconds 30 --swap-every 10
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import psutil
import yaml

ROOT = Path(__file__).resolve().parents[1]
HOST = "127.0.0.1"  # loopback only: this load never leaves the machine
DVC_YAML = """stages:
  train:
    cmd: echo "models are trained by benchmarks/load.py"
    outs: [artifacts/model.skops, artifacts/model.json]
artifacts:
  model:
    path: artifacts/model.skops
    type: model
"""


# ------------------------------------------------------------------------------------ the clients
def client_main(port: int, clients: int, seconds: float, max_requests: int, bodies_file: Path,
                out: Path) -> None:
    """K threads, one keep-alive connection each, until T seconds or the request budget is spent."""
    bodies = json.loads(bodies_file.read_text())
    deadline = time.monotonic() + seconds
    budget = iter(range(max_requests))
    lock = threading.Lock()
    results: list[tuple[float, float, int]] = []  # (wall-clock start, ms, status; 0 = no answer)

    def one(index: int) -> None:
        conn = http.client.HTTPConnection(HOST, port, timeout=30)
        rows: list[tuple[float, float, int]] = []
        i = index
        while time.monotonic() < deadline:
            with lock:
                if next(budget, None) is None:
                    break
            body = json.dumps(bodies[i % len(bodies)])
            i += clients
            started, t = time.time(), time.perf_counter()
            try:
                conn.request("POST", "/predict", body, {"Content-Type": "application/json"})
                resp = conn.getresponse()
                resp.read()
                status = resp.status
            except OSError:
                status = 0
                conn.close()
                conn = http.client.HTTPConnection(HOST, port, timeout=30)
            rows.append((started, (time.perf_counter() - t) * 1000, status))
        conn.close()
        with lock:
            results.extend(rows)

    threads = [threading.Thread(target=one, args=(k,)) for k in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    out.write_text(json.dumps(results))


# ------------------------------------------------------------------------- the registry and models
def sh(cwd: Path, *cmd: str) -> str:
    return subprocess.run(cmd, cwd=cwd, check=True, capture_output=True, text=True).stdout.strip()


def real_rows(data: Path, params: Any) -> pd.DataFrame:
    from staleguard.contract import read_raw

    with tempfile.TemporaryDirectory() as tmp, zipfile.ZipFile(data) as zf:
        csv = Path(tmp) / "hour.csv"
        csv.write_bytes(zf.read("hour.csv"))
        return read_raw(csv, params)


def train_models(frame: pd.DataFrame, params: Any, folder: Path) -> list[Path]:
    """Two forests of the params' size on 2011, differing only in their seed."""
    from staleguard.model import build_estimator, save_model

    year = frame[frame["timestamp"] < "2012-01-01"]
    x, y = year[params.features.columns], year[params.features.target]
    paths = []
    for seed in (1, 2):
        model = build_estimator(params.train.model_copy(update={"seed": seed}), params.features).fit(x, y)
        path = folder / f"seed{seed}" / "model.skops"
        save_model(model, path, {"estimator": params.train.estimator, "seed": seed})
        paths.append(path)
    return paths


def build_registry(root: Path, models: list[Path]) -> tuple[Path, Path]:
    """(dev, server): v0.0.1 and v0.0.2 registered in dev, prod → v0.0.1 on origin, server cloned it."""
    from dvc.repo import Repo

    dev = root / "dev"
    dev.mkdir()
    sh(dev, "git", "init", "-q", "-b", "main")
    sh(dev, "git", "config", "user.name", "load")
    sh(dev, "git", "config", "user.email", "load@localhost")
    Repo.init(str(dev)).close()
    (dev / ".dvc" / "config").write_text(f"[core]\n    remote = local\n    analytics = false\n"
                                         f"['remote \"local\"']\n    url = {root / 'remote'}\n")
    (dev / "dvc.yaml").write_text(DVC_YAML)
    shutil.copy(ROOT / "params.yaml", dev / "params.yaml")
    for model in models:
        (dev / "artifacts").mkdir(exist_ok=True)
        shutil.copy(model, dev / "artifacts" / "model.skops")
        shutil.copy(model.with_suffix(".json"), dev / "artifacts" / "model.json")
        dvc = [sys.executable, "-m", "dvc"]
        for step in ([*dvc, "commit", "--force", "--quiet"], [*dvc, "push", "--quiet"], ["git", "add", "-A"],
                     ["git", "commit", "-qm", f"model {model.parent.name}"],
                     [sys.executable, "-m", "staleguard.cli", "registry", "register"]):
            sh(dev, *step)
    origin = root / "origin.git"
    sh(root, "git", "init", "-q", "--bare", "-b", "main", origin.name)
    sh(dev, "git", "remote", "add", "origin", str(origin))
    sh(dev, "git", "push", "-q", "origin", "main")
    sh(root, "git", "clone", "-q", str(origin), "server")
    move_prod(dev, "v0.0.1")  # the first deploy; the server's clone sees it before it starts
    sh(root / "server", "git", "fetch", "-q", "--tags", "origin")
    return dev, root / "server"


def move_prod(dev: Path, version: str) -> None:
    """A deploy (or a rollback): GTO moves the stage in dev, the tags go to origin."""
    from staleguard import registry

    registry.promote(version, repo=dev)
    sh(dev, "git", "push", "-q", "origin", "--tags")


# ------------------------------------------------------------------------------------- one run
@dataclass
class Run:
    name: str
    results: list[tuple[float, float, int]]
    rss: list[int]
    swaps: list[tuple[float, float | None]] = field(default_factory=list)  # (promoted, answered)
    health: dict[str, Any] = field(default_factory=dict)

    def ms(self, keep: Any = None) -> np.ndarray:
        return np.array([ms for start, ms, _ in self.results if keep is None or keep(start)])

    @property
    def failed(self) -> int:
        return sum(status != 200 for *_, status in self.results)

    def rps(self) -> float:
        starts = [s for s, *_ in self.results]
        return len(starts) / max(max(starts) - min(starts), 1e-9)

    def during_swap(self, start: float) -> bool:
        """From a promotion until the new model answers, plus 1 s (not seen: until the next one)."""
        nexts = [p for p, _ in self.swaps[1:]] + [1e12]
        ends = [a + 1 if a else nxt for (_, a), nxt in zip(self.swaps, nexts, strict=True)]
        return any(p <= start <= end for (p, _), end in zip(self.swaps, ends, strict=True))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def get(port: int, path: str) -> dict[str, Any]:
    with urllib.request.urlopen(f"http://{HOST}:{port}{path}", timeout=10) as resp:
        return json.loads(resp.read())


def serve(cmd: list[str], cwd: Path, env: dict[str, str], port: int) -> subprocess.Popen[str]:
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            text=True)
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            sys.exit(f"serve exited {proc.returncode}: {proc.stderr.read() if proc.stderr else ''}")
        try:
            get(port, "/health")
            return proc
        except OSError:
            time.sleep(0.2)
    proc.kill()
    sys.exit("serve did not come up within 180 s")


def run_load(name: str, cmd: list[str], cwd: Path, env: dict[str, str], port: int, args: argparse.Namespace,
             tmp: Path, dev: Path | None = None) -> Run:
    server = serve(cmd, cwd, env, port)
    try:
        client = [sys.executable, __file__, "--client", "--port", str(port), "--clients", str(args.clients),
                  "--max-requests", str(args.max_requests), "--bodies", str(tmp / "bodies.json")]
        subprocess.run([*client, "--seconds", "5", "--out", str(tmp / "warm.json")], check=True)  # warm-up
        proc = psutil.Process(server.pid)
        seconds = args.seconds if dev else args.baseline_seconds
        load = subprocess.Popen([*client, "--seconds", str(seconds), "--out", str(tmp / f"{name}.json")])
        run = Run(name, [], [proc.memory_info().rss])
        next_swap, versions = time.time() + args.swap_every, ["v0.0.2", "v0.0.1"]
        while load.poll() is None:
            time.sleep(0.25)
            run.rss.append(proc.memory_info().rss)
            if dev is not None and time.time() >= next_swap:
                run.swaps.append((time.time(), None))
                move_prod(dev, versions[(len(run.swaps) - 1) % 2])
                next_swap = time.time() + args.swap_every
            if run.swaps and run.swaps[-1][1] is None and get(port, "/model")["version"] == versions[
                    (len(run.swaps) - 1) % 2]:
                run.swaps[-1] = (run.swaps[-1][0], time.time())
        run.rss.append(proc.memory_info().rss)
        run.results = [tuple(r) for r in json.loads((tmp / f"{name}.json").read_text())]  # type: ignore[misc]
        run.health = get(port, "/health")
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(timeout=120)
    return run


def report(run: Run) -> None:
    ms = run.ms()
    p50, p99 = np.percentile(ms, [50, 99])
    rss0, rss1, mib = run.rss[0], run.rss[-1], 2**20
    print(f"{run.name}: {len(ms)} requests, {run.rps():.0f} req/s, p50 {p50:.2f} ms, p99 {p99:.2f} ms, "
          f"failed {run.failed}; RSS {rss0 / mib:.0f} → {rss1 / mib:.0f} MiB "
          f"({(rss1 / rss0 - 1) * 100:+.1f} %, "
          f"peak {max(run.rss) / mib:.0f} MiB); /health pending {run.health.get('pending_log_rows')}, "
          f"log {run.health.get('log')}")
    if run.swaps:
        seen = sum(a is not None for _, a in run.swaps)
        took = [a - p for p, a in run.swaps if a is not None]
        during, between = run.ms(run.during_swap), run.ms(lambda s: not run.during_swap(s))
        d99, b99 = np.percentile(during, 99), np.percentile(between, 99)
        print(f"  {len(run.swaps)} moves of prod, {seen} served within the run (promotion → new model "
              f"answering: median {np.median(took) if took else float('nan'):.1f} s); "
              f"p99 during swaps {d99:.2f} ms ({len(during)} requests), between {b99:.2f} ms "
              f"({len(between)}): ratio {d99 / b99:.2f}x "
              f"(target <= 3x: {'met' if d99 <= 3 * b99 else 'NOT met'})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=4, help="K concurrent keep-alive clients")
    parser.add_argument("--seconds", type=float, default=120, help="T: length of the full (soak) run")
    parser.add_argument("--baseline-seconds", type=float, help="length of the baseline run (default: T)")
    parser.add_argument("--max-requests", type=int, default=2_000_000, help="request budget of one run")
    parser.add_argument("--swap-every", type=float, default=20, help="seconds between two moves of prod")
    parser.add_argument("--data", type=Path, help="the UCI zip (default: $STALEGUARD_DATA_URL, file://)")
    parser.add_argument("--client", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--bodies", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.client:
        client_main(args.port, args.clients, args.seconds, args.max_requests, args.bodies, args.out)
        return
    args.baseline_seconds = args.baseline_seconds or args.seconds
    data = args.data or Path(os.environ.get("STALEGUARD_DATA_URL", "").removeprefix("file://"))
    if not data.is_file():
        sys.exit("load: give the UCI zip with --data or STALEGUARD_DATA_URL=file://...")
    from staleguard.params import load_params

    params = load_params(ROOT / "params.yaml")
    print(f"load: {args.clients} clients x {args.seconds:g} s (baseline {args.baseline_seconds:g} s), "
          f"prod moved every {args.swap_every:g} s; machine load before: {os.getloadavg()[0]:.1f} "
          f"(1-min average, {os.cpu_count()} cores)", flush=True)
    with tempfile.TemporaryDirectory(prefix="staleguard-load-") as name:
        tmp = Path(name)
        frame = real_rows(data, params)
        cats = params.features.categorical
        bodies = [{c: (int(r[c]) if c in cats else float(r[c])) for c in params.features.columns}
                  | {"timestamp": r["timestamp"].isoformat()} for r in frame.to_dict("records")]
        (tmp / "bodies.json").write_text(json.dumps(bodies))
        models = train_models(frame, params, tmp / "models")
        dev, clone = build_registry(tmp, models)
        plain = yaml.safe_load((ROOT / "params.yaml").read_text())
        plain["serve"]["corrections"] = "replace"  # the clients cycle the hours: a re-sent one replaces
        (tmp / "base.yaml").write_text(yaml.safe_dump(plain))
        shadowed = {**plain, "serve": {**plain["serve"], "shadow": str(models[0])}}
        (tmp / "shadow.yaml").write_text(yaml.safe_dump(shadowed))
        env = {**os.environ, "STALEGUARD_MODEL_CACHE": str(tmp / "cache"), "STALEGUARD_JOURNAL": "",
               "STALEGUARD_STORE": ""}
        runs = []
        for run_name, params_file, model, follow, dev_repo in (
                ("baseline (model file, no follow, no shadow)", tmp / "base.yaml", str(models[0]), [],
                 None),
                ("full (prod followed every 1 s, shadow on)", tmp / "shadow.yaml", "prod",
                 ["--follow", "--every", "1s"], dev)):
            port = free_port()
            tag = "full" if dev_repo else "base"
            cmd = [sys.executable, "-m", "staleguard.cli", "--params", str(params_file), "serve", "--model",
                   model, "--host", HOST, "--port", str(port), "--store", str(tmp / f"store-{tag}"), *follow]
            run_env = {**env, "STALEGUARD_JOURNAL": str(tmp / f"journal-{tag}")}
            runs.append(run_load(tag, cmd, clone, run_env, port, args, tmp, dev_repo))
            runs[-1].name = run_name
            report(runs[-1])
    base, full = runs
    (b50, b99), (f50, f99) = np.percentile(base.ms(), [50, 99]), np.percentile(full.ms(), [50, 99])
    growth = full.rss[-1] / full.rss[0] - 1
    print(f"ratios full / baseline: req/s {full.rps() / base.rps():.2f}x, p50 {f50 / b50:.2f}x, "
          f"p99 {f99 / b99:.2f}x")
    print(f"checks: failed {full.failed} over {len(full.swaps)} swaps with shadow on "
          f"({'met' if full.failed == 0 and len(full.swaps) >= 5 else 'NOT met'}: 0 over >= 5); "
          f"RSS growth {growth * 100:+.1f} % over {args.seconds:g} s "
          f"({'met' if growth <= 0.05 else 'NOT met'}: <= 5 %); machine load after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
