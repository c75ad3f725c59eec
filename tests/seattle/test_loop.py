"""The whole loop on daily data with only params.yaml and the data changed (no column added by
hand): `dvc repro`, the PR report, simulated later days into a store, the monitor, the replay.
The window sizes, minimum rows and quality folds come from the data's frequency (freq 1d).

The replay's bar (issue 23): the guarded (monitor) policy's mean MAE per window is at most never
retraining's, with retrains in at most half the windows."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import repro_all, run

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1800)]


def test_daily_weather_runs_the_loop_with_only_params_and_data(tmp_path: Path, seattle_repo: Path, env):
    repo = seattle_repo
    repro_all(repo, env)
    metrics = json.loads((repo / "reports" / "metrics.json").read_text())
    assert metrics["mae"] < 2.5, metrics   # °C, on four January weeks (R² is low: January varies little)
    model = json.loads((repo / "artifacts" / "model.json").read_text())
    assert model["description"] == "Daily maximum temperature regressor, Seattle"
    assert {"month", "dayofyear"} <= set(model["features"]["numerical"] + model["features"]["categorical"])
    drift = json.loads((repo / "reports" / "drift.json").read_text())
    assert drift["rows"]["current"] == 28 and drift["settings"]["false_alarm"] == 0.05
    assert all(f["noise"] is not None and f["rows"] == 28 for f in drift["features"].values()), drift
    assert "hour" not in (repo / "reports" / "drift.md").read_text().lower()

    run(["git", "add", "-A"], repo, env)
    run(["git", "commit", "-qm", "repro"], repo, env)
    report = run(["staleguard", "report", "pr", "--base", "HEAD", "--output", "reports/pr/report.md"],
                 repo, env)
    assert "report pr:" in report.stdout, report.stdout

    store = tmp_path / "store"
    done = run(["staleguard", "simulate", "--through", "2013-04-22", "--store", str(store)], repo, env)
    assert "batch(es) written" in done.stdout, done.stdout
    decision = run(["staleguard", "monitor", "--dry-run", "--store", str(store)], repo, env, check=False)
    assert decision.returncode == 0, decision.stderr
    plan = json.loads((repo / "reports" / "monitor" / "monitor.json").read_text())
    assert [w["rows"] for w in plan["windows"]] == [28] * 4, plan["windows"]   # 28-day windows
    assert all(w["drift"] is not None for w in plan["windows"]), plan["windows"]   # all decided
    summary = (repo / "reports" / "monitor" / "monitor.md").read_text()
    assert "hour" not in summary.lower() and "week of" not in summary, summary
    assert "| 28-day window from | rows | decision |" in summary, summary

    replay = run(["staleguard", "replay", "--out", str(tmp_path / "replay")], repo, env)
    result = json.loads((tmp_path / "replay" / "freshness.json").read_text())
    never, guarded = result["policies"]["never"], result["policies"]["monitor"]
    windows = len(result["weeks"])
    print(replay.stdout, json.dumps({"never": never, "monitor": guarded}, indent=1))
    assert windows == 40, windows   # 2013-01-01 … 2015-12-31 in 28-day windows
    assert guarded["mean_mae"] <= never["mean_mae"], (guarded, never)
    assert guarded["retrains"] <= windows / 2, (guarded, windows)
    assert (tmp_path / "replay" / "freshness.png").read_bytes()[:4] == b"\x89PNG"
