"""drift.json follows its documented schema; drift.md and the PNGs carry the same evidence."""

import json

import matplotlib.image as mpimg
import pytest

from staleguard.drift import check, decide, write_outputs
from staleguard.model import build_estimator
from tests.drift.conftest import window, with_train

SCHEMA_KEYS = {"schema_version", "drift", "share", "reasons", "notes", "features", "data_drift", "target",
               "prediction", "quality", "rows", "windows", "model", "settings", "engine", "sampled",
               "estimate", "reference"}


@pytest.fixture(scope="module")
def written(hour, params, tmp_path_factory):
    p = with_train(params, n_est=10)
    ref = window(hour, p, "2011-01-01", "2011-01-29")
    cur = window(hour, p, "2011-02-15", "2011-02-22")
    model = build_estimator(p.train, p.features).fit(ref[p.features.columns], ref["cnt"])
    result = check(ref, cur, p, model)
    decision = decide(result, p)
    out = tmp_path_factory.mktemp("drift-out")
    write_outputs(out, result, decision, p, model={"version": "abcd1234"})
    return out, result, decision, p


def test_report_json_has_the_documented_schema(written):
    out, result, decision, p = written
    doc = json.loads((out / "drift.json").read_text())
    assert set(doc) == SCHEMA_KEYS
    assert doc["schema_version"] == 1
    assert doc["drift"] is decision.drift is True
    assert doc["reasons"] == decision.reasons
    assert doc["share"] == pytest.approx(result.share)
    assert set(doc["features"]) == set(p.features.columns)
    for entry in doc["features"].values():
        assert set(entry) == {"method", "score", "threshold", "noise", "rows", "beyond_noise", "drifted"}
        assert entry["drifted"] == (entry["score"] >= entry["threshold"])
    assert doc["target"]["column"] == "cnt" and doc["prediction"]["column"] == "prediction"
    assert set(doc["quality"]["current"]) == {"mae", "rmse", "r2", "mape"}
    assert doc["quality"]["change"] > doc["quality"]["tolerance"]
    assert doc["rows"] == {"reference": result.rows["reference"], "current": result.rows["current"]}
    assert doc["windows"]["current"]["start"].startswith("2011-02-15")
    assert doc["model"] == {"version": "abcd1234"}


def test_report_markdown_lists_reasons_and_top_scores(written):
    out, result, decision, _ = written
    text = (out / "drift.md").read_text()
    assert text.startswith("### Drift check: 🔴 **drift**")
    for reason in decision.reasons:
        assert f"- {reason}" in text
    top = result.drifted_features[0]
    assert f"| {top.column} | " in text
    assert "| MAE |" in text


@pytest.mark.parametrize("name", ["drift_scores", "drift_distributions"])
def test_report_plots_are_640px_wide_pngs(written, name):
    image = mpimg.imread(written[0] / "plots" / f"{name}.png")
    height, width = image.shape[:2]
    assert width == 640
    assert 300 <= height <= 900


def test_stable_ids_renumber_evidently_random_ids_consistently():
    from staleguard.drift.evidently_adapter import stable_ids

    def page(a: str, b: str, var: str) -> str:
        return f'var metric_{var} = {{"id": "{a}", "parent": "{a}", "child": "{b}"}}; lib("01a21530")'

    first = page("01a21530-63f0-7c46-9312-f97c18598b12", "01a21530-63f1-7000-8000-000000000abc",
                 "a064db64aaa244c5a4033a6ce34a9d8d")
    second = page("01a21531-b554-7eb8-a285-ba22ef0cffa9", "01a21531-b555-7111-9000-00000000ffff",
                  "be57b858b603416193a8393c65b05349")
    assert stable_ids(first) == stable_ids(second) != first
    out = stable_ids(first)
    assert out.count("00000000-0000-7000-8000-000000000002") == 2  # metric_ var is #1, then this id
    assert '"parent": "00000000-0000-7000-8000-000000000002"' in out
    assert 'lib("01a21530")' in out  # not a whole uuid: left alone


def test_markdown_quality_table_lists_metrics_both_sides_have():
    """A target with values ≤ 0 has no MAPE on one side (negative temperatures): no KeyError."""
    from staleguard.drift.documents import to_markdown
    from staleguard.drift.result import Decision, DriftResult, Quality
    from staleguard.params import load_params
    from tests.conftest import ROOT

    q = Quality("mae", {"mae": 2.0, "rmse": 2.5, "r2": 0.5},
                {"mae": 2.2, "rmse": 2.7, "r2": 0.4, "mape": 0.1})
    result = DriftResult(features={}, share=0.0, target=None, prediction=None, quality=q,
                         rows={"reference": 10, "current": 5}, windows={"reference": {}, "current": {}})
    text = to_markdown(result, Decision(False, []), load_params(ROOT / "params.yaml"))
    assert "| MAE | 2 | 2.2 |" in text and "MAPE" not in text
