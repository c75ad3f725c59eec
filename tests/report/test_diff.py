import pytest

from staleguard.report.diff import MISSING, MetricRow, direction, flatten, metrics_diff, params_diff


def test_flatten_joins_nested_keys_and_keeps_lists():
    assert flatten({"train": {"n_est": 100, "cols": [1, 2]}, "x": 1}) == {
        "train.n_est": 100, "train.cols": [1, 2], "x": 1}


def test_params_diff_lists_only_changes_with_added_and_removed_keys():
    old = {"train": {"n_est": 100, "seed": 42, "gone": 1}}
    new = {"train": {"n_est": 300, "seed": 42, "added": "x"}}
    assert params_diff(old, new) == [("train.added", MISSING, "x"), ("train.gone", 1, MISSING),
                                     ("train.n_est", 100, 300)]


def test_params_diff_is_empty_when_nothing_changed():
    assert params_diff({"a": {"b": 1}}, {"a": {"b": 1}}) == []


@pytest.mark.parametrize(("metric", "sign"), [("mae", -1), ("rmse", -1), ("mape", -1),
                                              ("r2", 1), ("eval.R2", 1), ("rows", 0)])
def test_direction_knows_which_way_is_better(metric, sign):
    assert direction(metric) == sign


@pytest.mark.parametrize(("name", "base", "new", "verdict"), [
    ("mae", 10.0, 9.0, "better"), ("mae", 10.0, 11.0, "worse"), ("r2", 0.8, 0.9, "better"),
    ("r2", 0.8, 0.7, "worse"), ("rmse", 1.0, 1.0, "same"), ("rows", 1.0, 2.0, ""),
    ("mae", None, 2.0, "")])
def test_metric_row_verdict_is_direction_aware(name, base, new, verdict):
    assert MetricRow(name, base, new).verdict == verdict


def test_metric_row_delta_and_percent():
    row = MetricRow("mae", 10.0, 12.5)
    assert row.delta == pytest.approx(2.5)
    assert row.delta_pct == pytest.approx(25.0)
    assert MetricRow("mae", 0.0, 1.0).delta_pct is None


def test_metrics_diff_without_base_keeps_pr_values_and_skips_non_numbers():
    rows = metrics_diff(None, {"mae": 1.5, "note": "x", "ok": True})
    assert rows == [MetricRow("mae", None, 1.5)]
