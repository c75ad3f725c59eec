"""The whole loop on a second, unrelated data set with only params.yaml and the data changed:
prepare → train → evaluate → drift (`dvc repro`), simulate later weeks into a store, the monitor's
decision, and the replay. No code of its own beyond the fixtures (tests/tmy3/conftest.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import repro_all, run

pytestmark = pytest.mark.slow


def test_tmy3_runs_the_loop_with_only_params_and_data(tmp_path: Path, tmy3_repo: Path, env):
    repo = tmy3_repo
    repro_all(repo, env)
    metrics = json.loads((repo / "reports" / "metrics.json").read_text())
    assert metrics["r2"] > 0.7, metrics          # irradiance is well explained by sun and clouds
    model = json.loads((repo / "artifacts" / "model.json").read_text())
    assert model["features"]["target"] == "ghi" and "etr" in model["features"]["numerical"]
    drift = json.loads((repo / "reports" / "drift.json").read_text())
    # four weeks less the year's first hour (a TMY3 hour 24:00 of Dec 31 is next year's 00:00)
    assert drift["rows"] == {"reference": 28 * 24 - 1, "current": 7 * 24}, drift["rows"]

    store = tmp_path / "store"
    done = run(["staleguard", "simulate", "--through", "2021-02-25", "--store", str(store)], repo, env)
    assert "4 weekly batch(es) written" in done.stdout, done.stdout
    decision = run(["staleguard", "monitor", "--dry-run", "--store", str(store)], repo, env)
    assert "monitor: drift=true (4 batch(es)" in decision.stdout, decision.stdout
    plan = json.loads((repo / "reports" / "monitor" / "monitor.json").read_text())
    assert [w["rows"] for w in plan["windows"]] == [7 * 24] * 4, plan["windows"]
    assert plan["drift"] is True and plan["reasons"], plan  # a winter model meets February's sun
    train, evaluation = plan["retrain"]["train"], plan["retrain"]["eval"]
    assert train["end"] == "2021-02-26T00:00:00", plan["retrain"]  # the shipped model sees the newest week
    assert evaluation["end"] <= train["start"] or evaluation["start"] >= train["end"], plan["retrain"]
    assert "| week of | rows |" in (repo / "reports" / "monitor" / "monitor.md").read_text()

    replay = run(["staleguard", "replay", "--out", str(tmp_path / "replay")], repo, env)
    assert "4 weeks × 3 policies" in replay.stdout, replay.stdout
    result = json.loads((tmp_path / "replay" / "freshness.json").read_text())
    assert len(result["weeks"]) == 4 and set(result["policies"]) == {"never", "weekly", "monitor"}
    assert (tmp_path / "replay" / "freshness.png").read_bytes()[:4] == b"\x89PNG"
