"""A short replay of the real loop: February 2011, one drift, one retrain, the outputs."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest

from staleguard.errors import ConfigError, DataError
from staleguard.replay.replay_job import Result, replay
from tests.replay.conftest import with_replay

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def february(raw_csv: Path, params, tmp_path_factory: pytest.TempPathFactory) -> Result:
    """Four weeks (2011-02-01 .. 02-28) under the stale and the monitored policy."""
    out = tmp_path_factory.mktemp("replay")
    return replay(with_replay(params, raw_csv, out, "2011-03-01", ["never", "monitor"]), progress=False)


@pytest.fixture(scope="module")
def gated(raw_csv: Path, params, tmp_path_factory: pytest.TempPathFactory) -> Result:
    """The same four weeks under `monitor.retrain_when: evidence_weekly` (the default)."""
    out = tmp_path_factory.mktemp("gated")
    p = with_replay(params, raw_csv, out, "2011-03-01", ["monitor"])
    mon = p.monitor.model_copy(update={"retrain_when": "evidence_weekly"})
    return replay(p.model_copy(update={"monitor": mon}), progress=False)


def test_replay_decides_prs_with_the_monitors_rule_and_says_why(gated):
    """The replay calls the monitor's rule (monitor/retrain_rule.py) on the evidence the monitor
    gathers: February 15's drift starts an evaluation that cannot show a gain yet, so no PR, and
    the week says why; weekly checks gather the evidence without drift too."""
    monitor = _weeks(gated, "monitor")
    assert [w.drift for w in monitor][:3] == [False, False, True]
    assert monitor[2].opened is None and monitor[2].retrained is None
    assert monitor[2].why.startswith("No retraining PR: drift in week of 2011-02-15; the retraining "
                                     "evidence says no clear difference")
    assert monitor[0].evidence is not None   # gathered without drift (evidence_weekly)
    doc = json.loads(next(p for p in gated.outputs if p.name == "freshness.json").read_text())
    assert doc["weeks"][2]["policies"]["monitor"]["why"] == monitor[2].why
    assert doc["policies"]["monitor"]["prs"] == sum(w.opened is not None for w in monitor)


def _weeks(result: Result, policy: str) -> list:
    return [w for w in result.weeks if w.policy == policy]


def test_replay_monitor_passes_two_weeks_then_flags_the_week_of_feb_15(february):
    monitor = _weeks(february, "monitor")
    assert [f"{w.start:%m-%d}" for w in monitor] == ["02-01", "02-08", "02-15", "02-22"]
    assert [w.drift for w in monitor][:3] == [False, False, True]
    assert any("quality drop" in r for r in monitor[2].reasons)
    assert [w.retrained is not None for w in monitor][:3] == [False, False, True]


def test_replay_retrain_moves_windows_as_the_retraining_pr_does(february, params):
    """data.windows.final_windows, as `staleguard retrain` ships: train up to the newest labeled
    hour (the end of the drifted week), eval the week before; 12 weeks back is before the data,
    so the window starts at the first grid week leaving a held-out week after 2011-01-01."""
    new = _weeks(february, "monitor")[2].retrained
    weeks = params.windows.retrain
    assert new.version == "v2" and new.train.end == datetime(2011, 2, 22)
    assert new.train.start == datetime(2011, 1, 11) and new.eval.end == new.train.start
    assert (new.eval.end - new.eval.start).days == 7 * weeks.eval_weeks


def test_replay_retrained_model_beats_the_stale_one_the_week_after(february):
    never, monitor = _weeks(february, "never"), _weeks(february, "monitor")
    assert monitor[3].version == "v2" and never[3].version == "v1"
    assert monitor[3].mae < never[3].mae
    assert [w.mae for w in monitor[:3]] == [w.mae for w in never[:3]]  # same model, same weeks


def test_replay_never_policy_never_retrains(february):
    s = february.summaries["never"]
    assert s.retrains == 0 and s.drift_weeks is None and s.weeks == 4


def test_replay_writes_json_markdown_and_png(february, params):
    out = {p.name: p for p in february.outputs}
    doc = json.loads(out["freshness.json"].read_text())
    assert set(doc["policies"]) == {"never", "monitor"}
    for name, s in february.summaries.items():
        assert doc["policies"][name]["mean_mae"] == s.mean_mae
        assert doc["policies"][name]["worst_mae"] == s.worst_mae
        assert doc["policies"][name]["retrains"] == s.retrains
    assert [w["start"] for w in doc["weeks"]] == ["2011-02-01", "2011-02-08", "2011-02-15", "2011-02-22"]
    assert doc["weeks"][2]["policies"]["monitor"]["retrained"]["version"] == "v2"
    md = out["freshness.md"].read_text()
    assert md.index("| policy |") < md.index("| week of |")
    assert out["freshness.png"].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_replay_end_before_training_end_is_a_config_error(params, raw_csv, tmp_path):
    bad = with_replay(params, raw_csv, tmp_path, "2011-01-15", ["never"])
    with pytest.raises(ConfigError, match=r"replay.end 2011-01-15 is not after windows.train.end 2011-02-01"):
        replay(bad)


def test_replay_without_rows_in_range_is_a_data_error(params, raw_csv, tmp_path):
    late = with_replay(params, raw_csv, tmp_path, "2011-06-01", ["never"])
    late = late.model_copy(update={"windows": late.windows.model_copy(
        update={"train": late.windows.train.model_copy(update={"end": datetime(2011, 5, 1)})})})
    with pytest.raises(DataError, match=r"replay: no rows in \[2011-05-01, 2011-06-01\)"):
        replay(late)


SUMMARY_KEYS = {"variant", "policy", "label_delay_weeks", "window", "train_weeks", "reference",
                "retrain_when", "weeks", "prs",
                "mean_mae", "worst_mae", "worst_week", "retrains", "weeks_above_tolerance", "drift_weeks",
                "breach_onsets", "detection_delay_weeks", "missed_breaches", "false_alarms",
                "false_alarms_per_52_weeks", "estimate_error", "estimate_bias"}


@pytest.fixture(scope="module")
def delayed(raw_csv: Path, params, tmp_path_factory: pytest.TempPathFactory) -> tuple[Result, Result]:
    """Three weeks, labels on time and two weeks late, replayed twice into different folders."""
    runs = []
    for _ in range(2):
        p = with_replay(params, raw_csv, tmp_path_factory.mktemp("delayed"), "2011-02-22",
                        ["never", "weekly", "monitor"])
        p = p.model_copy(update={"replay": p.replay.model_copy(update={"label_delays_weeks": [0, 2]})})
        runs.append(replay(p, progress=False))
    return runs[0], runs[1]


def test_replay_freshness_json_has_every_run_and_detector_metric(delayed):
    doc = json.loads(next(p for p in delayed[0].outputs if p.name == "freshness.json").read_text())
    assert doc["schema_version"] == 2 and doc["label_delays_weeks"] == [0, 2]
    assert set(doc["policies"]) == {"never", "weekly", "weekly@2w", "monitor", "monitor@2w"}
    for name, row in doc["policies"].items():
        assert set(row) == SUMMARY_KEYS, name
        assert row["label_delay_weeks"] == (2 if name.endswith("@2w") else 0)
    assert doc["policies"]["monitor@2w"]["estimate_error"] is not None
    assert set(doc["detector"]) >= {"detection_delay", "missed", "false_alarm", "estimate_error"}


def test_replay_labels_two_weeks_late_retrain_on_arrived_labels_only(delayed):
    late = [w for w in delayed[0].weeks if w.policy == "weekly@2w"]
    assert [w.retrained is not None for w in late] == [False, False, True]
    assert late[2].retrained.train.end == datetime(2011, 2, 8)  # labels through week 1 only
    monitor = [w for w in delayed[0].weeks if w.policy == "monitor@2w"]
    assert monitor[2].estimate is not None  # decided on the estimate before the week's labels


def test_replay_outputs_are_byte_identical_across_runs(delayed):
    first, second = ({p.name: p.read_bytes() for p in r.outputs} for r in delayed)
    assert set(first) == {"freshness.json", "freshness.md", "freshness.png", "monitor-history.json"}
    assert first == second


def test_replay_keeps_the_monitor_history_and_the_dashboard_draws_it(february, params, tmp_path):
    """The on-time monitor run's history, in the store's format: one row per week, the retrain
    of the week of Feb 15 on its rows, the next model serving from Feb 22; the site builds."""
    from staleguard.dashboard import page
    from staleguard.dashboard.life import life
    from staleguard.monitor import logbook

    out = {p.name: p for p in february.outputs}
    rows = logbook.read(str(out["monitor-history.json"]))
    monitor = [w for w in february.weeks if w.policy == "monitor"]
    assert [r["start"][:10] for r in rows] == [f"{w.start:%Y-%m-%d}" for w in monitor]
    assert [r["decision"] for r in rows][:3] == ["no drift", "no drift", "drift"]
    assert [r["model"] for r in rows] == [w.version for w in monitor]
    assert rows[2]["retrain"]["action"].startswith("simulated: merged, v2")
    for row, week in zip(rows, monitor, strict=True):
        assert row["measured"]["mae"] == pytest.approx(week.mae, rel=1e-6)
    assert set(rows[0]["drift_scores"]["features"]) == set(params.features.columns)
    view = life(rows)
    assert [f"{d:%m-%d}" for d in view.retrains] == [f"{w.start:%m-%d}" for w in monitor if w.retrained]
    assert view.retrains[0].day == 15
    assert [f"{d:%m-%d}" for d, _ in view.deploys] == ["02-22"]
    index = page.build(rows, tmp_path / "site", params.features.target, source="replay")
    assert {p.name for p in index.parent.iterdir()} == {"index.html", "README.md", "error.png", "drift.png",
                                                        "rows.png"}
