"""A short replay of the real loop: February 2011, one drift, one retrain, the outputs."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest

from staleguard.errors import ConfigError, DataError
from staleguard.replay.run import Result, replay
from tests.replay.conftest import with_replay

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def february(raw_csv: Path, params, tmp_path_factory: pytest.TempPathFactory) -> Result:
    """Four weeks (2011-02-01 .. 02-28) under the stale and the monitored policy."""
    out = tmp_path_factory.mktemp("replay")
    return replay(with_replay(params, raw_csv, out, "2011-03-01", ["never", "monitor"]), progress=False)


def _weeks(result: Result, policy: str) -> list:
    return [w for w in result.weeks if w.policy == policy]


def test_replay_monitor_passes_two_weeks_then_flags_the_week_of_feb_15(february):
    monitor = _weeks(february, "monitor")
    assert [f"{w.start:%m-%d}" for w in monitor] == ["02-01", "02-08", "02-15", "02-22"]
    assert [w.drift for w in monitor][:3] == [False, False, True]
    assert any("quality drop" in r for r in monitor[2].reasons)
    assert [w.retrained is not None for w in monitor][:3] == [False, False, True]


def test_replay_retrain_moves_windows_by_the_monitor_policy(february, params):
    new = _weeks(february, "monitor")[2].retrained
    weeks = params.monitor.retrain
    assert new.version == "v2" and new.eval.end == datetime(2011, 2, 22)
    assert (new.eval.end - new.eval.start).days == 7 * weeks.eval_weeks
    assert new.train.end == new.eval.start and (new.train.end - new.train.start).days == 7 * weeks.train_weeks


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
