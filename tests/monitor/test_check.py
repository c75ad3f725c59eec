"""The monitor's pure decision: new rows, windows, per-window drift, forcing, the window policy."""

from __future__ import annotations

from datetime import datetime
from types import SimpleNamespace

import pandas as pd

from staleguard.data import windows
from staleguard.monitor import decision
from staleguard.params import Window, load_params


def fake_drift(drifted_weeks: set[str]):
    """A check/judge pair that says drift for windows starting on the given days."""
    calls = []

    def run(reference, current, params, model=None):
        calls.append((len(reference), len(current), model))
        return SimpleNamespace(start=f"{current['timestamp'].min():%Y-%m-%d}")

    def judge(result, params):
        drifted = result.start in drifted_weeks
        return SimpleNamespace(drift=drifted, reasons=["cnt: drifted"] if drifted else [])

    return run, judge, calls


def test_check_new_rows_keeps_labeled_rows_after_training_end_once(make_batch):
    a = make_batch("2011-01-30", "2011-02-03")
    b = make_batch("2011-02-02", "2011-02-04").assign(prediction=-1.0)
    b.loc[b.index[-1], "cnt"] = float("nan")
    rows = decision.new_rows([a, b], datetime(2011, 2, 1), "cnt", params=load_params())
    assert rows["timestamp"].min() == pd.Timestamp("2011-02-01")
    assert rows["timestamp"].is_unique and rows["timestamp"].is_monotonic_increasing
    assert rows["cnt"].notna().all()
    later = rows[rows["timestamp"] >= pd.Timestamp("2011-02-02")]
    assert (later["prediction"] == -1.0).all()  # a later batch wins


def test_check_split_windows_anchors_weeks_at_start(make_batch):
    rows = make_batch("2011-02-01", "2011-02-20")
    parts = windows.split_windows(rows, datetime(2011, 2, 1), 7)
    assert [(s.day, e.day) for s, e, _ in parts] == [(1, 8), (8, 15), (15, 22)]
    assert sum(len(p) for _, _, p in parts) == len(rows)


def test_check_grid_end_is_the_end_of_the_monitor_week_holding_the_newest_hour(params):
    """Weeks of windows.week_days from windows.train.end (2011-02-01, a Tuesday)."""
    assert windows.grid_end(datetime(2011, 2, 28, 23), params) == datetime(2011, 3, 1)
    assert windows.grid_end(datetime(2011, 3, 1, 0), params) == datetime(2011, 3, 8)
    assert windows.grid_end(datetime(2011, 3, 5, 14), params) == datetime(2011, 3, 8)
    assert windows.day_after(datetime(2011, 3, 5, 14)) == datetime(2011, 3, 6)


def test_check_retrain_windows_end_on_the_grid_whatever_day_the_data_ends(make_batch, params):
    """Data through a Saturday: the retrain trains through the end of that monitor week, and
    its eval week is one of the monitor's weeks (issue 19: it used to end at the next midnight)."""
    current = make_batch("2011-02-01", "2011-03-06")
    out = decision.decide(make_batch("2011-01-01", "2011-02-01"), current, params,
                       lambda *a, **k: None, lambda r, p: SimpleNamespace(drift=False, reasons=[]))
    assert out.data_end == datetime(2011, 3, 6) and out.train.end == datetime(2011, 3, 8)
    assert out.eval.end == out.train.start and (out.eval.end - out.eval.start).days == 7
    assert (out.eval.start - datetime(2011, 2, 1)).days % params.windows.week_days == 0
    short = params.model_copy(update={"windows": params.windows.model_copy(update={
        "retrain": params.windows.retrain.model_copy(update={"train_weeks": 2})})})
    out = decision.decide(make_batch("2011-01-01", "2011-02-01"), current, short,
                       lambda *a, **k: None, lambda r, p: SimpleNamespace(drift=False, reasons=[]))
    assert (out.eval.start, out.eval.end) in {(w.start, w.end) for w in out.windows}
    assert out.eval == Window(start=datetime(2011, 2, 15), end=datetime(2011, 2, 22))


def test_check_final_windows_train_up_to_the_newest_hour_eval_the_week_before(params):
    train, evaluation = windows.final_windows(datetime(2011, 6, 1), params)
    weeks = params.windows.retrain
    assert train.end == datetime(2011, 6, 1)
    assert (train.end - train.start).days == 7 * weeks.train_weeks
    assert evaluation.end == train.start and not train.overlaps(evaluation)
    assert (evaluation.end - evaluation.start).days == 7 * weeks.eval_weeks


def test_check_decide_flags_first_drifted_week_and_plans_windows(make_batch, params):
    ref = make_batch("2011-01-01", "2011-02-01")
    rows = make_batch("2011-02-01", "2011-02-28")
    run, judge, calls = fake_drift({"2011-02-15"})
    out = decision.decide(ref, rows, params, run, judge, model="m")
    assert out.drift and not out.forced
    assert [w.drift for w in out.windows] == [False, False, True, False]
    assert out.trigger.label == "2011-02-15" and out.report_window is out.trigger
    assert out.reasons == ["week of 2011-02-15: cnt: drifted"]
    assert out.data_end == datetime(2011, 2, 28) and out.train.end == datetime(2011, 3, 1)  # grid
    assert out.eval.end == out.train.start  # the shipped model has seen the newest week
    assert calls[0] == (len(ref), out.windows[0].rows, "m") and len(calls) == 4


def test_check_decide_no_drift_reports_newest_week(make_batch, params):
    run, judge, _ = fake_drift(set())
    out = decision.decide(make_batch("2011-01-01", "2011-02-01"), make_batch("2011-02-01", "2011-02-15"),
                       params, run, judge)
    assert not out.drift and out.trigger is None and out.reasons == []
    assert out.report_window.label == "2011-02-08"


def test_check_decide_skips_windows_under_min_rows(make_batch, params):
    run, judge, calls = fake_drift({"2011-02-08"})
    rows = make_batch("2011-02-01", "2011-02-08 12:00")  # 12 rows into the second week
    out = decision.decide(make_batch("2011-01-01", "2011-02-01"), rows, params, run, judge)
    assert [w.drift for w in out.windows] == [False, None] and len(calls) == 1
    assert "rows < monitor.min_rows" in out.windows[1].reasons[0] and not out.drift


def test_check_decide_force_retrains_without_drift(make_batch, params):
    run, judge, _ = fake_drift(set())
    out = decision.decide(make_batch("2011-01-01", "2011-02-01"), make_batch("2011-02-01", "2011-02-15"),
                       params, run, judge, force=True)
    assert out.drift and out.forced and out.reasons == ["retraining forced (--force)"]
    assert out.trigger.label == "2011-02-08"


def test_check_decide_repredicts_windows_logged_by_another_model(make_batch, params):
    """After a retrain the eval week was logged by the previous model: the check must not see
    those predictions as the deployed model's."""
    seen = []

    def run(reference, current, params, model=None):
        seen.append("prediction" in current)
        return SimpleNamespace()

    rows = pd.concat([make_batch("2011-02-01", "2011-02-08", version="old00000"),
                      make_batch("2011-02-08", "2011-02-15", version="new11111")], ignore_index=True)
    judge = lambda result, params: SimpleNamespace(drift=False, reasons=[])  # noqa: E731
    decision.decide(make_batch("2011-01-01", "2011-02-01"), rows, params, run, judge, model="m",
                 version="new11111")
    assert seen == [False, True]


def test_check_own_predictions_keeps_logged_predictions_without_a_version(make_batch):
    part = make_batch("2011-02-01", "2011-02-08", version="old00000")
    assert "prediction" in decision.own_predictions(part, None)
    assert "prediction" not in decision.own_predictions(part, "new11111")
    assert decision.own_predictions(part, "old00000") is part
