"""Policy summary arithmetic and the Markdown/JSON built from it, on hand-made weeks."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

import pytest

from staleguard.errors import StaleguardError
from staleguard.params import Window
from staleguard.replay import freshness
from staleguard.replay.figures import ratio, summarize
from staleguard.replay.loop import Retrained, Week

START = datetime(2011, 2, 1)


def week(policy: str, k: int, mae: float, bar: float = 20.0, drift: bool | None = None,
         retrained: bool = False) -> Week:
    start = START + timedelta(weeks=k)
    new = Retrained(f"v{k + 2}", "abcd1234", Window(start=start - timedelta(weeks=4), end=start),
                    Window(start=start, end=start + timedelta(weeks=1)), {"mae": 10.0}) if retrained else None
    return Week(policy, start, start + timedelta(weeks=1), 168, mae, "v1", bar, drift,
                ["week of x: target drift: cnt"] if drift else [], new,
                opened="evidence" if retrained and drift is not None else None)


WEEKS = [week("never", 0, 10.0), week("never", 1, 30.0), week("never", 2, 20.0),
         week("monitor", 0, 10.0, drift=False), week("monitor", 1, 30.0, drift=True, retrained=True),
         week("monitor", 2, 14.0, drift=False)]


def test_summary_mean_and_worst_weigh_each_week_equally():
    s = summarize("never", WEEKS)
    assert s.mean_mae == 20.0 and s.worst_mae == 30.0 and s.worst_week == "2011-02-08"
    assert s.weeks == 3


def test_summary_counts_retrains_drifts_and_weeks_above_the_bar():
    s = summarize("monitor", WEEKS)
    assert s.retrains == 1 and s.drift_weeks == 1
    assert s.weeks_above == 1  # 30 > 20; 20 is not above a bar of 20
    assert summarize("never", WEEKS).drift_weeks is None


def test_summary_of_a_policy_without_weeks_names_it():
    with pytest.raises(StaleguardError, match="replay: policy 'weekly' has no replayed weeks"):
        summarize("weekly", WEEKS)


def test_summary_ratio_of_mean_maes_and_missing_policies():
    summaries = {n: summarize(n, WEEKS) for n in ("never", "monitor")}
    assert ratio(summaries, "monitor", "never") == pytest.approx(18.0 / 20.0)
    assert ratio(summaries, "monitor", "weekly") is None


def test_report_markdown_puts_policy_table_first_and_marks_weeks_above(params):
    summaries = {n: summarize(n, WEEKS) for n in ("never", "monitor")}
    md = freshness.markdown(WEEKS, summaries, params)
    assert md.index("| policy |") < md.index("| week of |")
    assert "| 2011-02-08 | 168 | 30.0 ⚠ | 30.0 ⚠ | **drift** (target) → PR (evidence) | v1 → v3 |" in md
    assert "guarded / stale (monitor / never): **0.90**" in md


def test_report_json_lists_policies_and_weeks(params):
    summaries = {n: summarize(n, WEEKS) for n in ("never", "monitor")}
    doc = freshness.to_json(WEEKS, summaries, params)
    assert doc["policies"]["monitor"] == {"weeks": 3, "mean_mae": 18.0, "worst_mae": 30.0,
                                          "worst_week": "2011-02-08", "retrains": 1, "prs": 1,
                                          "weeks_above_tolerance": 1, "drift_weeks": 1,
                                          "breach_onsets": 1, "detection_delay_weeks": 0.0,
                                          "missed_breaches": 0, "false_alarms": 0,
                                          "false_alarms_per_52_weeks": 0.0, "estimate_error": None,
                                          "estimate_bias": None}
    assert doc["window"] == {"start": "2011-02-01", "end": "2011-02-22"}
    assert doc["weeks"][1]["policies"]["monitor"]["retrained"]["train"] == {
        "start": "2011-01-11", "end": "2011-02-08"}


def _run(maes: list[float], retrains: set[int], previous: dict[int, float] | None = None,
         estimates: dict[int, float] | None = None) -> list[Week]:
    """Weeks of one policy: a retrain after week k deploys v<k+2>, which serves from week k + 1."""
    out, version = [], "v1"
    for k, mae in enumerate(maes):
        w = week("monitor", k, mae, retrained=k in retrains)
        w = replace(w, version=version, previous_mae=(previous or {}).get(k),
                    estimate=(estimates or {}).get(k))
        version = w.retrained.version if w.retrained else version
        out.append(w)
    return out


def test_summary_detection_delay_counts_weeks_from_breach_onset_to_retrain():
    weeks = _run([10, 30, 30, 30, 10, 30, 10, 10, 10, 10], retrains={3})
    s = summarize("monitor", weeks)
    assert s.onsets == 2 and s.detection_delay == 2.0  # onset week 1, retrain decided after week 3
    assert s.missed == 1  # the onset in week 5 saw no retrain within 4 weeks


def test_summary_false_alarm_is_a_retrain_that_did_not_beat_the_replaced_model():
    good = _run([10, 10, 8, 8], retrains={1}, previous={2: 12.0, 3: 12.0})
    bad = _run([10, 10, 12, 12], retrains={1}, previous={2: 11.0, 3: 11.0})
    assert summarize("monitor", good).false_alarms == 0
    s = summarize("monitor", bad)
    assert s.false_alarms == 1 and s.false_alarms_per_52 == 13.0


def test_summary_estimate_error_is_relative_to_the_real_weekly_mae():
    s = summarize("monitor", _run([10, 20, 40], retrains=set(), estimates={0: 11.0, 1: 18.0}))
    assert s.estimate_error == pytest.approx(0.1) and s.estimate_bias == pytest.approx(0.0)
