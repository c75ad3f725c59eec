"""The monitor on event-level data with daily windows (issue 34), a small version of
benchmarks/memory.py's set: the retraining evidence scores the latest `monitor.evidence_windows`
days, not every day since the deployment, and the run says where its time went."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.conftest import ROOT, copy_worktree, run, subprocess_env
from tests.sales.data import write_sales

PARAMS = ROOT / "tests" / "fixtures" / "sales" / "params.yaml"
pytestmark = pytest.mark.slow


def test_the_monitor_on_31_daily_windows_scores_a_bounded_evidence(tmp_path: Path):
    env = subprocess_env(tmp_path / "home")
    repo = copy_worktree(tmp_path / "repo")
    shutil.copy2(PARAMS, repo / "params.yaml")
    text = (repo / "params.yaml").read_text().replace("  n_est: 100", "  n_est: 10")
    (repo / "params.yaml").write_text(text.replace("  html: true", "  html: false"))
    rows = 6000   # the benchmark's 47 days at a twentieth of its rate: ~128 sales a day
    write_sales(repo / "data" / "sales.csv", rows=rows, seconds=34.0 * 120_000 / rows)
    for cmd in (["staleguard", "setup", "--remote", str(tmp_path / "remote")],
                ["dvc", "add", "-q", "data"], ["git", "add", "-A"], ["git", "commit", "-qm", "sales"],
                ["dvc", "repro", "-q"]):
        run(cmd, repo, env)
    store = tmp_path / "store"
    run(["staleguard", "simulate", "--through", "2024-02-16", "--store", str(store)], repo, env)
    proc = run(["staleguard", "monitor", "--dry-run", "--store", str(store)], repo, env, check=False)
    assert proc.returncode in (0, 1), proc.stderr
    plan = json.loads((repo / "reports" / "monitor" / "monitor.json").read_text())
    assert len(plan["windows"]) >= 28                       # every day since the training window
    ev = plan["evidence"]
    assert len(ev["weeks"]) == 8 and ev["fits"] <= 8         # monitor.evidence_windows: 8 days
    assert ev["weeks"][-1][1] == plan["windows"][-1]["end"]  # ...the latest ones
    assert "monitor: time: " in proc.stderr and "evidence " in proc.stderr
