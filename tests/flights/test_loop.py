"""The whole loop on event-level data with only params.yaml and the data changed (issue 18):
`dvc repro`, `simulate` into a store, `monitor --dry-run`, a short `replay` and `report pr` on a
branch (sharing the one `dvc repro` of main: a PR that changes the seed). Every simulated
row reaches the store with its key; the monitor keeps every row of a week (nothing de-duplicated
by time), and its MAE on the evaluation week equals `evaluate`'s on the same rows."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from staleguard import artifacts
from tests.conftest import copy_worktree, run
from tests.flights.conftest import PARAMS, SLICE
from tests.flights.data import write_flights

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1800)]


@pytest.fixture
def flights_repo(tmp_path: Path, env: dict[str, str]) -> Path:
    repo = copy_worktree(tmp_path / "repo")
    shutil.copy2(PARAMS, repo / "params.yaml")
    write_flights(repo / "data" / "flights.csv", **SLICE)
    run(["staleguard", "setup", "--remote", str(tmp_path / "remote")], repo, env)
    run(["dvc", "add", "-q", "data"], repo, env)
    run(["git", "add", "-A"], repo, env)
    run(["git", "commit", "-qm", "flights data and params"], repo, env)
    return repo


def test_event_level_data_runs_the_loop_and_keeps_every_row(tmp_path: Path, flights_repo: Path, env):
    repo = flights_repo
    out = run(["dvc", "repro"], repo, env).stdout
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
