"""Fuzz bar (issue 31.8): generated params.yaml variants on small generated data sets, run through
prepare → train → evaluate → simulate + monitor --dry-run → report pr, in-process.

    python benchmarks/fuzz.py [--runs 500] [--seed 0] [--show 3]

Each run draws a data set (hourly, 15-minute, daily or monthly rows; key = the timestamp, an id
column, or events sharing timestamps; text and int categories; nulls) and a params.yaml over it
(windows, week grid, reference and retrain policies, folds, thresholds, estimators with 2-5
trees), then calls what each CLI command calls, in a fresh folder. The outcome is classified as
the CLI would show it: `success`, `not decided` (the monitor decided no window), `refusal` (a
StaleguardError: one line, exit 1) or `traceback` (anything else: its type and first frame in
src/staleguard). Seeded: the same --seed gives the same cases (`FUZZ_TRACE=1 … --runs 1 --seed N`
prints run N's whole traceback). Prints the counts by class, by
stage for refusals, and every traceback class with a reproducing seed. On 2 shared cores about
1-3 s a run.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import io
import os
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

ROOT = Path(__file__).resolve().parents[1]
STAGES = ("load", "prepare", "train", "evaluate", "simulate", "monitor", "report")
OUTCOMES = ("success", "not decided", "refusal", "traceback")
FREQS = {"hour": ("1h", timedelta(hours=1)), "15min": ("15min", timedelta(minutes=15)),
         "day": ("1d", timedelta(days=1)), "month": ("1d", None)}


@dataclass(frozen=True)
class Outcome:
    """How one run ended: its class, the stage it ended in and the one line (or the frame)."""

    seed: int
    kind: str          # one of OUTCOMES
    stage: str         # the last stage run
    detail: str = ""   # refusal: its message; traceback: "Type at file:line"; not decided: why


def timestamps(rng: np.random.Generator, kind: str, periods: int, start: datetime) -> pd.DatetimeIndex:
    if kind == "month":
        return pd.date_range(start, periods=periods, freq="MS")
    return pd.date_range(start, periods=periods, freq=FREQS[kind][1])


def draw_data(rng: np.random.Generator) -> tuple[pd.DataFrame, dict[str, Any], str, str]:
    """A raw frame, its contract and its (frequency kind, key mode)."""
    kind = str(rng.choice(list(FREQS)))
    key = str(rng.choice(["timestamp", "id", "events"]))
    periods = {"hour": int(rng.integers(24 * 14, 24 * 70)), "15min": int(rng.integers(96 * 4, 96 * 21)),
               "day": int(rng.integers(40, 500)), "month": int(rng.integers(12, 120))}[kind]
    start = datetime(2010, 1, 1) + timedelta(days=int(rng.integers(0, 400)))
    times = timestamps(rng, kind, periods, start)
    if key == "id":  # a panel: a few entities per timestamp
        entities = int(rng.integers(2, 6 if kind != "month" else 30))
        times = times.repeat(entities)
    elif key == "events":  # events sharing timestamps, some periods empty
        n = int(rng.integers(len(times) // 2, len(times) * 3))
        times = pd.DatetimeIndex(np.sort(rng.choice(times, size=n)))
    times = times[: 4000]
    n = len(times)
    drift = np.linspace(0, float(rng.uniform(0, 3)), n)
    cats = ["a", "b", "c"][: int(rng.integers(1, 4))]
    frame = pd.DataFrame({
        "time": times.strftime("%Y-%m-%dT%H:%M:%S"),
        "x_num": rng.normal(drift, 1.0, n).round(4),
        "x_int": rng.integers(0, 50, n),
        "cat_s": rng.choice(cats, n),
        "cat_i": rng.choice([1, 2, 3], n),
        "x_null": np.where(rng.random(n) < float(rng.choice([0.0, 0.1, 0.9])), np.nan,
                           rng.uniform(0, 10, n).round(3)),
    })
    frame["y"] = np.clip(10 + 3 * frame["x_num"] + (frame["cat_s"] == "a") * 5
                         + rng.normal(0, float(rng.choice([0.0, 1.0, 5.0])), n), 0, None).round(3)
    columns: dict[str, Any] = {
        "x_num": {"type": "float", "range": [-100, 100]},
        "x_int": {"type": "int", "range": [0, 49]},
        "cat_s": {"type": "str", "categories": ["a", "b", "c"]},
        "cat_i": {"type": "int", "categories": [1, 2, 3]},
        "x_null": {"type": "float", "range": [0, 10], "nullable": True},
        "y": {"type": "float", "range": [0, 1_000_000]},
    }
    contract: dict[str, Any] = {"timestamp": {"column": "time", "freq": FREQS[kind][0]},
                                "columns": columns}
    if key != "timestamp":
        frame.insert(1, "row_id", [f"r{i}" for i in range(n)])
        columns["row_id"] = {"type": "str"}
        contract["key"] = "row_id" if key == "id" or rng.random() < 0.5 else "none"
        if contract["key"] == "none":
            frame = frame.drop(columns="row_id")
            del columns["row_id"]
    if kind == "hour" and rng.random() < 0.5:  # a calendar label derived from the timestamp
        frame["hr"] = times.hour
        columns["hr"] = {"type": "int", "range": [0, 23], "derived": {"from": "hour"}}
    return frame, contract, kind, key


def day(t: datetime) -> str:
    return t.strftime("%Y-%m-%d")


def draw_windows(rng: np.random.Generator, first: datetime, last: datetime, kind: str,
                 wild: float) -> dict[str, Any]:
    span = (last - first).total_seconds()

    def at(share: float) -> datetime:
        return first + timedelta(seconds=span * share)
    a = float(rng.uniform(0, 0.2))
    b = a + float(rng.uniform(0.15, 0.6))
    c = b + float(rng.choice([0.0, 0.0, 0.05]))
    d = c + float(rng.uniform(0.02, 0.25))
    t0, t1, e0, e1 = (at(x) for x in (a, b, c, d))
    if day(t0) >= day(t1):
        t1 = t0 + timedelta(days=1)
    e0 = max(e0, t1)
    if day(e0) >= day(e1):
        e1 = e0 + timedelta(days=1)
    grid = {"hour": 7, "15min": 1, "day": 14, "month": 60}[kind]
    return {"train": {"start": day(t0), "end": day(t1)}, "eval": {"start": day(e0), "end": day(e1)},
            "week_days": pick(rng, [1, 7, 14, 30, 90], grid, wild),
            "reference": {"policy": pick(rng, ["training", "recent", "last_year"], "training", wild),
                          "weeks": int(rng.integers(1, 9))},
            "retrain": {"policy": pick(rng, ["sliding", "all", "weighted"]),
                        "train_weeks": pick(rng, [1, 2, 4, 12, 52], 52 if kind in ("day", "month")
                                            else 4, wild),
                        "eval_weeks": int(rng.integers(1, 4)),
                        "half_life_weeks": pick(rng, [0.5, 4, 8])}}


def pick(rng: np.random.Generator, options: list[Any], sane: Any = None, wild: float = 1.0) -> Any:
    """One of `options`; `sane` instead with probability 1 - `wild` (when given), so that most
    runs get past load and exercise the later stages."""
    if sane is not None and rng.random() >= wild:
        return sane
    value = options[int(rng.integers(len(options)))]
    return value.item() if isinstance(value, np.generic) else value


def draw_params(rng: np.random.Generator, frame: pd.DataFrame, contract: dict[str, Any],
                kind: str) -> dict[str, Any]:
    """A params.yaml tree over `frame`: every section drawn, some left to their defaults. Each
    run has its own wildness: the share of knobs drawn from every value rather than a sane one."""
    wild = float(rng.choice([0.0, 0.1, 0.3, 0.6]))
    first = datetime.fromisoformat(frame["time"].iloc[0])
    last = datetime.fromisoformat(frame["time"].iloc[-1])
    numerical = [c for c in ("x_num", "x_int", "x_null", "hr") if c in frame and rng.random() < 0.8]
    categorical = [c for c in ("cat_s", "cat_i") if rng.random() < 0.7]
    if not numerical and not categorical:
        numerical = ["x_num"]
    estimator = pick(rng, ["random_forest", "extra_trees", "gradient_boosting", "ridge"])
    q_folds = pick(rng, [2, 3, 4, 8, 0], 0, wild)
    d_min = pick(rng, [2, 10, 50, 100], 10, wild)
    params: dict[str, Any] = {
        "data": {"raw": "data/raw.csv", "batches": "data/batches"},
        "windows": draw_windows(rng, first, last, kind, wild),
        "contract": contract,
        "features": {"numerical": numerical, "categorical": categorical, "target": "y"},
        "model": {"description": "fuzz"},
        "train": {"seed": int(rng.integers(0, 100)), "n_est": int(rng.integers(2, 6)),
                  "min_split": pick(rng, [2, 5, 50, 2000]), "estimator": estimator,
                  "min_rows": pick(rng, [1, 10, 50, 100, 300], 10, wild),
                  "missing": pick(rng, ["native", "impute"], "impute", wild)},
        "drift": {"min_rows": d_min, "share": pick(rng, [0.1, 0.5, 1.0]),
                  "numerical": {"method": pick(rng, ["wasserstein", "psi", "jensenshannon"]),
                                "threshold": pick(rng, [0.01, 0.2, 5.0])},
                  "categorical": {"method": pick(rng, ["jensenshannon", "psi"]),
                                  "threshold": pick(rng, [0.01, 0.1, 1.0])},
                  "quality": {"tolerance": pick(rng, [0.0, 0.5, 3.0]),
                              **({"folds": q_folds} if q_folds else {})},
                  "estimate": {"sample_rows": 50, "weeks": int(rng.integers(1, 4))},
                  "false_alarm": pick(rng, [0.0, 0.05]), "null_draws": 50, "sample_rows": 1000},
        "monitor": {"min_rows": pick(rng, [1, 10, 50, 100], d_min, wild), "html": False,
                    "engine": "pandas", "spark_master": "local[1]", "batch_rows": 1000000,
                    "retrain_when": pick(rng, ["drift", "evidence", "evidence_weekly"]),
                    "label_delay_days": pick(rng, [0, 1, 7], 0, wild),
                    "evidence_windows": int(rng.integers(1, 4))},
        "report": {"n_boot": 100, "min_rows": pick(rng, [1, 20, 100]), "min_days": pick(rng, [2, 5]),
                   "metric": pick(rng, ["mae", "rmse", "mape", "r2"]),
                   "baseline": pick(rng, ["median", "hour_median", "none"]),
                   "backtest": {"folds": pick(rng, [0, 1, 2, 4, 6]),
                                "policy": pick(rng, ["expanding", "sliding"])}},
        "compute": {"fit_cache_mb": pick(rng, [0, 64])},
    }
    for section in ("model", "compute", "report"):
        if rng.random() < 0.1:
            del params[section]
    return params


def base_of(rng: np.random.Generator, params: dict[str, Any]) -> dict[str, Any]:
    """main's params.yaml for the PR: the same, or one setting changed the way PRs change them."""
    base = yaml.safe_load(yaml.safe_dump(params))
    change = pick(rng, ["none", "window", "n_est", "estimator", "features", "min_split"])
    if change == "window":
        start = datetime.fromisoformat(base["windows"]["train"]["start"])
        base["windows"]["train"]["start"] = day(start - timedelta(days=int(rng.integers(1, 60))))
    elif change == "n_est":
        base["train"]["n_est"] = base["train"]["n_est"] + 1
    elif change == "estimator":
        base["train"]["estimator"] = "random_forest"
    elif change == "features" and len(base["features"]["numerical"]) > 1:
        base["features"]["numerical"] = base["features"]["numerical"][1:]
    elif change == "min_split":
        base["train"]["min_split"] = 10
    return base


def src_frame(tb: Any) -> str:
    """The innermost frame in src/staleguard (else the last one), as file:line function."""
    frames = traceback.extract_tb(tb)
    ours = [f for f in frames if "/src/staleguard/" in f.filename] or frames
    f = ours[-1]
    return f"{f.filename.split('/src/')[-1]}:{f.lineno} {f.name}"


def git(*args: str) -> None:
    subprocess.run(["git", *args], check=True, capture_output=True)


def write_lock() -> None:
    """What `dvc repro` leaves: dvc.lock naming the trained model's md5 (the monitor's version)."""
    from staleguard import artifacts

    md5 = artifacts.file_md5(artifacts.MODEL)
    lock = {"schema": "2.0", "stages": {"train": {"outs": [{"path": artifacts.MODEL.as_posix(),
                                                            "md5": md5}]}}}
    Path("dvc.lock").write_text(yaml.safe_dump(lock))


def pipeline(params_tree: dict[str, Any], base_tree: dict[str, Any], frame: pd.DataFrame,
             base_has_lock: bool, served: float, stage: list[str]) -> str:
    """Run every command's code in the current folder; `stage` tracks where it is. The store
    gets the `served` share of the data after the training window (a little: the monitor may
    have no window to decide). Returns "success" or "not decided"; raises what the commands
    raise."""
    from staleguard.monitor.monitor_job import monitor
    from staleguard.monitor.simulate import simulate
    from staleguard.params import load_params
    from staleguard.report.pr import build
    from staleguard.stages import evaluate, prepare, train

    Path("data").mkdir()
    frame.to_csv("data/raw.csv", index=False)
    shutil.copy2(ROOT / "dvc.yaml", "dvc.yaml")
    Path("params.yaml").write_text(yaml.safe_dump(base_tree, sort_keys=False))
    git("init", "-q", "-b", "main")
    stage[0] = "load"
    params = load_params("params.yaml")  # main's params must load too: a PR starts from main
    params = load_params(write_params(params_tree))
    for name, module in (("prepare", prepare), ("train", train), ("evaluate", evaluate)):
        stage[0] = name
        module.main(params)
    write_lock()
    stage[0] = "simulate"
    end = params.windows.train.end
    last = (end + (pd.Timestamp(frame["time"].iloc[-1]) - end) * served).date()
    if last >= end.date():
        simulate(params, last, "store")
    stage[0] = "monitor"
    plan = monitor(params, "store")
    stage[0] = "report"
    git("add", "params.yaml", *(["dvc.lock", "reports/metrics.json"] if base_has_lock else []))
    git("commit", "-qm", "main")
    build("main", Path("reports/pr/report.md"), params, Path("params.yaml"))
    return "not decided" if plan["drift"] is None else "success"


def write_params(tree: dict[str, Any]) -> str:
    Path("params.yaml").write_text(yaml.safe_dump(tree, sort_keys=False))
    return "params.yaml"


def run_case(seed: int, workdir: Path) -> Outcome:
    """One fuzzed run in a fresh folder under `workdir`, classified as the CLI would show it."""
    from staleguard.errors import StaleguardError

    rng = np.random.default_rng(seed)
    frame, contract, kind, _ = draw_data(rng)
    params = draw_params(rng, frame, contract, kind)
    base = base_of(rng, params)
    base_has_lock = bool(rng.random() < 0.5)
    served = pick(rng, [1.0, 1.0, 1.0, 0.02, 0.1])   # share of the data after training the store holds
    folder = workdir / f"run-{seed}"
    folder.mkdir(parents=True)
    stage = ["load"]
    here = os.getcwd()
    os.chdir(folder)
    try:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            kind = pipeline(params, base, frame, base_has_lock, served, stage)
        return Outcome(seed, kind, stage[0])
    except StaleguardError as err:
        return Outcome(seed, "refusal", stage[0], str(err))
    except Exception as err:  # the class under test: anything else is a traceback
        if os.environ.get("FUZZ_TRACE"):
            traceback.print_exc(file=sys.__stderr__)
        return Outcome(seed, "traceback", stage[0], f"{type(err).__name__} at {src_frame(err.__traceback__)}"
                       f": {str(err).splitlines()[0][:160] if str(err) else ''}")
    finally:
        os.chdir(here)
        shutil.rmtree(folder, ignore_errors=True)


GIT_ENV = {"GIT_AUTHOR_NAME": "fuzz", "GIT_AUTHOR_EMAIL": "fuzz@example.com",
           "GIT_COMMITTER_NAME": "fuzz", "GIT_COMMITTER_EMAIL": "fuzz@example.com",
           "GIT_CONFIG_NOSYSTEM": "1", "DVC_NO_ANALYTICS": "1", "MPLBACKEND": "Agg"}


@contextlib.contextmanager
def fuzz_setting(render: bool) -> Iterator[None]:
    """For the runs only, restored after: git's identity, no STALEGUARD_/GITHUB_ variables, no
    `dvc remote default` process per report (a fuzz folder has none; ~1 s each), and unless
    `render`, figures built from the data as usual (where degenerate data would fail) but not
    rendered to PNG (matplotlib's layout and Agg rendering take most of a run's time)."""
    from unittest import mock

    from staleguard import model_plots
    from staleguard.drift import plots
    from staleguard.io import write_with
    from staleguard.report import pr

    def save(fig: Any, path: Path) -> None:
        write_with(path, lambda tmp: Path(tmp).write_bytes(b"fuzz: figure not rendered"))
        model_plots.plt.close(fig)

    env = {k: v for k, v in os.environ.items() if not k.startswith(("STALEGUARD_", "GITHUB_"))}
    with contextlib.ExitStack() as stack:
        stack.enter_context(mock.patch.dict(os.environ, {**env, **GIT_ENV}, clear=True))
        stack.enter_context(mock.patch.object(pr, "remote_configured", lambda: False))
        if not render:
            stack.enter_context(mock.patch.object(model_plots, "save", save))
            stack.enter_context(mock.patch.object(plots, "save", save))
        yield


GIT_ENV = {"GIT_AUTHOR_NAME": "fuzz", "GIT_AUTHOR_EMAIL": "fuzz@example.com",
           "GIT_COMMITTER_NAME": "fuzz", "GIT_COMMITTER_EMAIL": "fuzz@example.com",
           "GIT_CONFIG_NOSYSTEM": "1", "DVC_NO_ANALYTICS": "1", "MPLBACKEND": "Agg"}


def fuzz(seeds: range, workdir: Path | None = None, render: bool = False) -> list[Outcome]:
    """Every seed's outcome (in a temporary folder unless `workdir`)."""
    with fuzz_setting(render), tempfile.TemporaryDirectory(prefix="staleguard-fuzz-") as tmp:
        return [run_case(seed, workdir or Path(tmp)) for seed in seeds]


def table(outcomes: list[Outcome], show: int = 3) -> str:
    """Counts by class, refusals by stage and setting, and each traceback class with its seeds."""
    kinds = Counter(o.kind for o in outcomes)
    lines = [f"{len(outcomes)} runs: " + ", ".join(f"{k} {kinds.get(k, 0)}" for k in OUTCOMES)]
    stages = Counter((o.kind, o.stage) for o in outcomes if o.kind != "success")
    lines += [f"  {k:<12} in {s:<9} {n}" for (k, s), n in sorted(stages.items())]
    classes: dict[str, list[int]] = {}
    for o in outcomes:
        if o.kind == "traceback":
            classes.setdefault(o.detail.split(": ")[0], []).append(o.seed)
    for _, seeds in sorted(classes.items(), key=lambda kv: -len(kv[1])):
        detail = next(o.detail for o in outcomes if o.seed == seeds[0])
        lines.append(f"TRACEBACK ×{len(seeds)} (seeds {seeds[:show]}): {detail}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=500)
    parser.add_argument("--seed", type=int, default=0, help="first seed (runs use seed … seed+runs-1)")
    parser.add_argument("--show", type=int, default=3, help="seeds listed per traceback class")
    parser.add_argument("--refusals", action="store_true", help="also print every refusal line")
    parser.add_argument("--render", action="store_true", help="render every figure to PNG (slower)")
    args = parser.parse_args()
    if importlib.util.find_spec("staleguard") is None:  # not installed, no PYTHONPATH: this tree's
        sys.path.insert(0, str(ROOT / "src"))
    start = time.perf_counter()
    outcomes = []
    for seed in range(args.seed, args.seed + args.runs):
        outcomes += fuzz(range(seed, seed + 1), render=args.render)
        o = outcomes[-1]
        print(f"seed {seed}: {o.kind} ({o.stage}) {o.detail[:200]}", file=sys.stderr, flush=True)
    print(table(outcomes, args.show))
    if args.refusals:
        for o in outcomes:
            if o.kind == "refusal":
                print(f"  refusal seed {o.seed} ({o.stage}): {o.detail}")
    print(f"{time.perf_counter() - start:.0f} s, {(time.perf_counter() - start) / len(outcomes):.1f} s a run")


if __name__ == "__main__":
    main()
