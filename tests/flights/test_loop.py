"""The whole loop on event-level data with only params.yaml and the data changed (issue 18):
`dvc repro`, `simulate` into a store, `monitor --dry-run`, a short `replay` and `report pr` on a
branch (sharing the one `dvc repro` of main: a PR that changes the seed). Every simulated
row reaches the store with its key; the monitor keeps every row of a week (nothing de-duplicated
by time), and its MAE on the evaluation week equals `evaluate`'s on the same rows. And a real
`staleguard retrain` (what the monitor runs on drift) in its scratch clone of the same workspace:
the retrained model's training rows are the rows before plus the accepted batch's."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
import yaml

from staleguard import artifacts
from staleguard.contract import validate_frame
from staleguard.model import load_model
from staleguard.monitor import simulate, store
from staleguard.params import load_params
from tests.conftest import copy_worktree, run, subprocess_env
from tests.flights.conftest import PARAMS, SLICE
from tests.flights.data import flights, write_flights
from tests.workflows.harness import BIN_DIR, cml_calls, make_origin

# one workspace (one `dvc repro`) for the module: both tests on the same xdist worker
pytestmark = [pytest.mark.slow, pytest.mark.timeout(1800), pytest.mark.xdist_group("flights-loop")]


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Path, dict[str, str], str]]:
    """(tmp, repo, env, `dvc repro` output): the template on the flights slice, repro'd once."""
    tmp = tmp_path_factory.mktemp("flights-loop")
    env = subprocess_env(tmp / "home")
    repo = copy_worktree(tmp / "repo")
    shutil.copy2(PARAMS, repo / "params.yaml")
    write_flights(repo / "data" / "flights.csv", **SLICE)
    run(["staleguard", "setup", "--remote", str(tmp / "remote")], repo, env)
    run(["dvc", "add", "-q", "data"], repo, env)
    run(["git", "add", "-A"], repo, env)
    run(["git", "commit", "-qm", "flights data and params"], repo, env)
    yield tmp, repo, env, run(["dvc", "repro"], repo, env).stdout


def test_a_retrain_in_a_scratch_clone_trains_on_the_rows_before_plus_the_batch(workspace):
    """The batch: JFK's flights of a week whose hours the raw data (EWR, LGA) holds too, so a
    history de-duplicated by time would lose rows. `staleguard retrain` runs as monitor.yml runs
    it (the recording cml stand-in opens the PR; origin is a local bare repository)."""
    tmp, repo, env, _ = workspace
    params = load_params(repo / "params.yaml")
    jfk = validate_frame(flights("2013-02-05", "2013-02-12", ("JFK",)), params, "raw", "jfk")
    model = load_model(repo / artifacts.MODEL)
    served = simulate.labeled_batches(jfk, model, "v1", params, date(2013, 2, 11))
    (batch,) = [b for b in served if len(b)]
    store.write_batch(str(tmp / "jfk-store"), batch, params, "jfk")
    make_origin(repo, tmp / "origin.git")
    run(["staleguard", "monitor", "--dry-run", "--force", "--store", str(tmp / "jfk-store")], repo, env)
    bot = {**env, "PATH": f"{BIN_DIR}:{env['PATH']}", "CML_SHIM_LOG": str(tmp / "cml.jsonl"),
           "GITHUB_REPOSITORY": "o/r", "REPO_TOKEN": "t"}
    out = run(["staleguard", "retrain"], repo, bot).stdout
    assert "Opened retraining PR" in out and "in a scratch clone" in out, out
    (pr,) = [c for c in cml_calls(tmp) if c.get("result") == "created"]
    untouched = run(["git", "status", "--porcelain", "data.dvc", "params.yaml"], repo, env).stdout
    assert untouched == "", untouched  # the checkout: the retrain worked in its scratch clone

    plan = json.loads((repo / artifacts.MONITOR_REPORTS / "monitor.json").read_text())
    run(["git", "fetch", "-q", "origin", pr["source"]], repo, env)
    lock = yaml.safe_load(run(["git", "show", "FETCH_HEAD:dvc.lock"], repo, env).stdout)
    md5 = next(d["md5"] for d in lock["stages"]["train"]["deps"] if d["path"] == str(artifacts.TRAIN_SET))
    after = pd.read_parquet(repo / ".dvc" / "cache" / "files" / "md5" / md5[:2] / md5[2:])  # the retrain's

    start, end = (pd.Timestamp(plan["retrain"]["train"][k]) for k in ("start", "end"))
    raw = pd.read_csv(repo / "data" / "flights.csv")
    raw_time = pd.to_datetime(raw["time"], utc=True).dt.tz_localize(None)
    before = raw_time[(raw_time >= start) & (raw_time < end)]
    assert batch["timestamp"].between(start, end, inclusive="left").all()  # the batch is in the new window
    assert len(after) == len(before) + len(batch), (len(after), len(before), len(batch))
    assert len(set(batch["timestamp"]) & set(before)) > 100  # its hours are in the raw data too
    per_hour = pd.concat([before, batch["timestamp"]]).value_counts().to_dict()
    assert after["timestamp"].value_counts().to_dict() == per_hour  # every flight of every hour kept


def test_event_level_data_runs_the_loop_and_keeps_every_row(workspace):
    tmp_path, repo, env, out = workspace
    for stage in ("prepare", "train", "evaluate", "drift"):
        assert f"Running stage '{stage}'" in out, out
    metrics = json.loads((repo / "reports" / "metrics.json").read_text())
    assert "mape" not in metrics and metrics["mae"] > 0, metrics  # the target is often <= 0
    raw = pd.read_csv(repo / "data" / "flights.csv")
    raw["timestamp"] = pd.to_datetime(raw["time"], utc=True).dt.tz_localize(None)
    evaluation = pd.read_parquet(repo / artifacts.EVAL_SET)
    week = raw[(raw["timestamp"] >= "2013-01-15") & (raw["timestamp"] < "2013-01-22")]
    assert len(evaluation) == len(week)  # every flight of the week, not one per hour

    store = tmp_path / "store"
    done = run(["staleguard", "simulate", "--through", "2013-02-11", "--store", str(store)], repo, env)
    assert "4 weekly batch(es) written" in done.stdout, done.stdout
    stored = pd.concat(pd.read_parquet(p) for p in sorted(store.glob("*.parquet")))
    later = raw[raw["timestamp"] >= "2013-01-15"]
    assert len(stored) == len(later) and stored["flight_id"].is_unique  # every row, each with its id
    assert set(stored["flight_id"]) == set(later["flight_id"])

    run(["staleguard", "monitor", "--dry-run", "--store", str(store)], repo, env)
    plan = json.loads((repo / "reports" / "monitor" / "monitor.json").read_text())
    weeks = later.groupby((later["timestamp"] - pd.Timestamp("2013-01-15")) // pd.Timedelta(days=7)).size()
    assert [w["rows"] for w in plan["windows"]] == weeks.tolist(), plan["windows"]
    first = plan["windows"][0]
    assert first["start"].startswith("2013-01-15"), first  # the evaluation week, as the monitor sees it:
    assert first["quality"]["mae"] == metrics["mae"], (first, metrics)  # the same rows, the same MAE

    replay = run(["staleguard", "replay", "--out", str(tmp_path / "replay")], repo, env)
    assert "2 weeks × 2 policies" in replay.stdout, replay.stdout
    result = json.loads((tmp_path / "replay" / "freshness.json").read_text())
    assert len(result["weeks"]) == 2 and result["baseline"]["mean_mae"] > 0, result.get("baseline")

    run(["git", "add", "-A"], repo, env)  # main's results, then a PR that only changes the seed
    run(["git", "commit", "-qm", "main results"], repo, env)
    run(["git", "checkout", "-qb", "pr"], repo, env)
    params = (repo / "params.yaml").read_text()
    (repo / "params.yaml").write_text(params.replace("  seed: 0\n", "  seed: 7\n", 1))
    run(["dvc", "repro", "-q", "evaluate"], repo, env)
    out = run(["staleguard", "report", "pr", "--base", "main", "--output", "reports/pr/report.md"], repo, env)
    gate = json.loads((repo / "reports" / "pr" / "gate.json").read_text())
    assert gate["verdict"] in {"no clear difference", "better", "worse"} and gate["folds"] >= 1, (gate, out)
    text = (repo / "reports" / "pr" / "report.md").read_text()
    assert text.count("| metric |") == 1 and "baseline" in text and "mape" not in text.lower(), text
