"""What the monitor tells people and the workflow: title, Markdown, plan, step outputs."""

from __future__ import annotations

from datetime import datetime

from staleguard import gha
from staleguard.data import windows as grid
from staleguard.monitor import decision, job_summary


def outcome(drifts: list[bool | None], force: bool = False, params=None) -> decision.Outcome:
    windows = [decision.WindowCheck(datetime(2011, 2, 1 + 7 * i), datetime(2011, 2, 8 + 7 * i), 160, d,
                                 ["cnt: Wasserstein 0.59 ≥ 0.30"] if d else [])
               for i, d in enumerate(drifts)]
    trigger = next((w for w in windows if w.drift), None) or (windows[-1] if force else None)
    train, ev = grid.final_windows(datetime(2011, 2, 22), params)
    return decision.Outcome(any(d for d in drifts) or force, force, windows, trigger,
                         datetime(2011, 2, 22), train, ev)


def test_summary_title_names_first_drifted_week(params):
    assert job_summary.title(outcome([False, True, True], params=params), params) == \
        "Retrain: drift detected in week of 2011-02-08"


def test_summary_title_when_forced_without_drift_says_forced(params):
    assert job_summary.title(outcome([False, False], force=True, params=params), params) == \
        "Retrain: forced on production data through 2011-02-21"


def test_summary_markdown_no_drift_has_table_and_verdict(params):
    text = job_summary.markdown(outcome([False, None], params=params), params, "abcd1234", "prod", 320)
    assert text.startswith("## No drift: the deployed model stays, no retraining PR")
    assert "| 2011-02-01 | 160 | no drift | – |" in text
    assert "| 2011-02-08 | 160 | not decided |" in text
    assert "Retraining moves" not in text


def test_summary_markdown_drift_embeds_drift_report_without_local_images(params):
    drift_md = "### Drift check\n\n![scores](plots/drift_scores.png)\n| column | method |\n"
    text = job_summary.markdown(outcome([True], params=params), params, "abcd1234", "prod", 160, drift_md)
    assert "| 2011-02-01 | 160 | **drift** | cnt: Wasserstein 0.59 ≥ 0.30 |" in text
    assert "<summary>Drift report, week of 2011-02-01</summary>" in text and "| column | method |" in text
    assert "plots/drift_scores.png" not in text
    assert "Retraining moves `windows.train`" in text
    assert f"`{job_summary.ARTIFACT}` artifact" in text and "`reports` artifact" not in text


def test_summary_plan_names_branch_after_model_and_never_skips_ci(params):
    plan = job_summary.plan(outcome([False, True], params=params), params, "abcd1234", "prod",
                        [{"url": "prod/a.parquet", "name": "a.parquet"}])
    assert plan["retrain"]["branch"] == "retrain/abcd1234"
    assert plan["retrain"]["base"] == params.monitor.base_branch
    assert "[skip ci]" not in plan["retrain"]["message"]
    assert plan["retrain"]["train"]["end"] == "2011-02-22T00:00:00"
    assert plan["retrain"]["eval"]["end"] == plan["retrain"]["train"]["start"]
    assert [w["drift"] for w in plan["windows"]] == [False, True]


def test_summary_clip_keeps_bodies_under_github_limit():
    text = job_summary.clip("row\n" * 40_000)
    assert len(text) <= job_summary.BODY_LIMIT and text.endswith("_(truncated to fit GitHub's limit)_\n")


def test_summary_outputs_and_step_summary_append_to_github_files(tmp_path, monkeypatch):
    monkeypatch.setenv("GITHUB_OUTPUT", str(tmp_path / "out"))
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(tmp_path / "sum"))
    gha.set_outputs(drift="true", branch="retrain/x")
    gha.add_summary("## hello")
    gha.add_summary("second")
    assert (tmp_path / "out").read_text() == "drift=true\nbranch=retrain/x\n"
    assert (tmp_path / "sum").read_text() == "## hello\n\nsecond\n\n"


def test_summary_markdown_names_the_reference_and_shows_estimates_before_labels(params):
    from types import SimpleNamespace

    from staleguard.drift.result import Estimate

    est = Estimate("mae", 31.2, 12.6, None, 168)
    result = SimpleNamespace(reference={"policy": "recent", "weeks": 2, "used": "recent"}, estimate=est,
                             quality=None)
    late = decision.WindowCheck(datetime(2011, 2, 1), datetime(2011, 2, 8), 168, True,
                             ["estimated quality drop (no labels yet): MAE ≈ 31.2"], result, labeled=0)
    out = decision.Outcome(True, False, [late], late, datetime(2011, 2, 8),
                           *grid.final_windows(datetime(2011, 2, 8), params))
    delayed = params.monitor.model_copy(update={"label_delay_days": 14})
    late_params = params.model_copy(update={"monitor": delayed})
    text = job_summary.markdown(out, late_params, "abcd1234", "prod", 0)
    assert "Drift reference policy recent: the last 2 weeks of the training window" in text
    assert "Labels arrive 14 day(s) late" in text
    assert "| 2011-02-01 | 168 (0 labeled) | **drift** | estimated quality drop" in text
    assert "| est. 31.2 † |" in text and "shown only where the window stays within the reference" in text
    plan = job_summary.plan(out, late_params, "abcd1234", "prod", [])
    assert plan["windows"][0]["estimate"] == {"estimated": 31.2, "actual": None, "reference": 12.6,
                                              "reliable": True, "unreliable": None, "raw": None,
                                              "ratio": None, "outside": None, "auc": None,
                                              "recent_error": None}
    assert plan["windows"][0]["reference"]["policy"] == "recent" and plan["label_delay_days"] == 14


def test_a_run_with_no_decided_window_is_not_decided_never_no_drift(params):
    windows = [decision.WindowCheck(datetime(2011, 2, 1 + 7 * i), datetime(2011, 2, 8 + 7 * i), 7, None,
                                 ["7 rows < monitor.min_rows 100"]) for i in range(3)]
    done = decision.conclude(windows, False, datetime(2011, 2, 22), params)
    assert done.drift is None and job_summary.state(done.drift) == "null"
    text = job_summary.markdown(done, params, "abcd1234", "prod", 21)
    assert text.startswith("## Not decided: none of the 3 window(s) had monitor.min_rows=100 labeled rows")
    assert "No drift" not in text
    plan = job_summary.plan(done, params, "abcd1234", "prod", [])
    assert plan["drift"] is None and plan["decision"] == "not decided"
    forced = decision.conclude(windows, True, datetime(2011, 2, 22), params)
    assert forced.drift is True


def test_daily_data_names_its_28_day_windows_not_weeks(params):
    """windows.week_days 28 (daily data, cadence.py): the title, reasons and table say so."""
    monthly = params.model_copy(update={"windows": params.windows.model_copy(update={"week_days": 28})})
    done = outcome([False, True], params=monthly)
    assert job_summary.title(done, monthly) == "Retrain: drift detected in 28-day window from 2011-02-08"
    text = job_summary.markdown(done, monthly, "abcd1234", "prod", 56)
    assert "<summary>Window by window (28-day windows): 2 window(s), 1 with drift</summary>" in text
    assert "| 28-day window from | rows | decision |" in text and "week of" not in text.lower()
    drifted = decision.conclude(done.windows, False, datetime(2011, 2, 14), monthly)
    assert drifted.reasons == ["28-day window from 2011-02-08: cnt: Wasserstein 0.59 ≥ 0.30"]
