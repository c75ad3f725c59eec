"""The retraining PR's evidence on the real data: deployed model vs the retraining recipe."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pandas as pd
import pytest

from staleguard.monitor import evidence
from staleguard.params import Params
from staleguard.stages.train import train
from tests.conftest import zip_path


@pytest.fixture
def local(params: Params, tmp_path: Path) -> Params:
    raw = tmp_path / "hour.csv"
    raw.write_bytes(zipfile.ZipFile(zip_path()).read("hour.csv"))
    return params.model_copy(update={"data": params.data.model_copy(
        update={"raw": raw, "batches": tmp_path / "batches"})})


def deployed(hour: pd.DataFrame, params: Params):
    ts = hour["timestamp"]
    w = params.windows.train
    return train(hour[(ts >= pd.Timestamp(w.start)) & (ts < pd.Timestamp(w.end))], params)


@pytest.mark.slow
def test_evidence_the_january_model_by_may_reads_better_for_retraining(hour, local, make_batch):
    current = make_batch("2011-02-01", "2011-06-01")
    ev = evidence.gather(local, current, deployed(hour, local))
    v = ev.verdict
    # the latest monitor.evidence_windows (8) of the 18 weeks since the training window; the last
    # holds May 31 alone
    assert v.verdict == "better" and v.ci[1] < 0 and v.folds == 8 and ev.fits == 8
    assert v.rows == int((current["timestamp"] >= pd.Timestamp("2011-04-12")).sum())
    assert v.challenger < v.champion
    block = ev.to_dict()
    assert block["weeks"][0] == ["2011-04-12T00:00:00", "2011-04-19T00:00:00"]
    assert {"metric", "verdict", "delta", "ci", "confidence", "rows", "folds", "method"} <= set(block)
    text = evidence.markdown(ev, "abcd1234", local)
    assert "**🟢 better**" in text and "**Retraining helps**" in text
    b = block["baseline"]  # the training window's median on the same rows: far behind both models
    assert b["mae"] > b["deployed_mae"] > b["recipe_mae"] and f"MAE {b['mae']:g}" in text
    assert "The baseline beats" not in text


def test_evidence_weeks_never_train_on_what_they_score(hour, local, make_batch):
    current = make_batch("2011-02-01", "2011-02-15")
    weeks = evidence.weeks_since(local, current)
    recipe = evidence.retrain_recipe(local)
    first = hour["timestamp"].min().to_pydatetime()
    for week in weeks:
        fit = recipe.window(week.start, first)
        assert fit.end == week.start and not fit.overlaps(week)
    assert [w.start.day for w in weeks] == [1, 8]


def test_evidence_leaves_out_weeks_before_the_recipe_can_train(hour, local, make_batch):
    """A retrain holding out 5 weeks after windows.train.start cannot train before 2011-02-08:
    the weeks starting there or earlier give no evidence (the fuzz bar found pydantic's 'window
    end must be after start' here), the later ones train on [floor, week)."""
    windows = local.windows.model_copy(update={"retrain": local.windows.retrain.model_copy(
        update={"policy": "all", "eval_weeks": 5})})
    params = local.model_copy(update={"windows": windows})
    weeks = evidence.weeks_since(params, make_batch("2011-02-01", "2011-02-22"))
    assert [w.start.day for w in weeks] == [15]
    fit = evidence.retrain_recipe(params).window(weeks[0].start, hour["timestamp"].min())
    assert (fit.start.day, fit.end.day) == (8, 15)


def test_evidence_says_plainly_when_it_is_inconclusive(local):
    from staleguard.verdict import Verdict

    v = Verdict("mae", "no clear difference", 0.004, (-0.02, 0.03), 0.9, 165, 7, 1, "m",
                note="the CI spans both sides")
    text = evidence.markdown(evidence.Evidence(v), "abcd1234", local)
    assert "**Inconclusive**" in text and "judgement call" in text


def test_evidence_scores_only_the_production_rows(hour, local, make_batch):
    """The raw file holds later hours too; the evidence must not score rows not yet labeled."""
    current = make_batch("2011-02-01", "2011-02-10")
    ev = evidence.gather(local, current, deployed(hour, local))
    assert ev.verdict.rows == len(current) and ev.verdict.folds == 2
