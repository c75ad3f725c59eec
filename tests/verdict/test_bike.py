"""The verdict on real fits of the bike data: seed noise is not a verdict, a crippled forest is."""

from __future__ import annotations

from datetime import datetime

import pytest

from staleguard.params import load_params
from staleguard.report.champion import Duel
from staleguard.report.gate import recipe, single_window
from staleguard.verdict import passes
from staleguard.verdict.backtest import Fitter, walk_forward, weekly_folds
from tests.conftest import ROOT

pytestmark = pytest.mark.slow
PARAMS = load_params(ROOT / "params.yaml")
SEEDS = range(43, 63)


def with_train(**changes):
    return recipe(PARAMS.model_copy(update={"train": PARAMS.train.model_copy(update=changes)}))


@pytest.fixture(scope="module")
def folds(hour):
    """Four weekly folds up to 2011-06-01, each recipe trained on the month before its week."""
    end = datetime(2011, 6, 1)
    fitter = Fitter(hour[hour["timestamp"] < end])
    weeks = weekly_folds(datetime(2011, 1, 1), end, 4, [with_train()])
    assert len(weeks) == 4
    return fitter, weeks


def test_walk_forward_seed_only_changes_read_no_clear_difference(folds):
    fitter, weeks = folds
    verdicts = [walk_forward(fitter, weeks, with_train(), with_train(seed=s)).verdict(PARAMS.report)
                for s in SEEDS]
    decided = [v for v in verdicts if v.verdict in ("better", "worse")]
    assert len(decided) <= 2, [(v.verdict, v.ci) for v in decided]
    assert verdicts[0].verdict == "no clear difference" and verdicts[0].folds == 4
    assert verdicts[0].rows == 672 and verdicts[0].days == 28


def test_walk_forward_a_crippled_forest_reads_worse_and_fails_the_gate(folds):
    fitter, weeks = folds
    v = walk_forward(fitter, weeks, with_train(), with_train(n_est=2, min_split=200)
                     ).verdict(PARAMS.report)
    assert v.verdict == "worse" and v.ci[0] > PARAMS.report.tolerance
    assert not passes(v)


def test_single_window_seed_only_changes_read_no_clear_difference(hour):
    """The template's default windows (one month, then one week): the fallback comparison."""
    w = PARAMS.windows
    train = hour[(hour["timestamp"] >= w.train.start) & (hour["timestamp"] < w.train.end)]
    week = hour[(hour["timestamp"] >= w.eval.start) & (hour["timestamp"] < w.eval.end)]
    fitter = Fitter(train)
    champion = fitter.model(with_train(), w.train).predict(week[PARAMS.features.columns])
    names = []
    for seed in SEEDS:
        pred = fitter.model(with_train(seed=seed), w.train).predict(week[PARAMS.features.columns])
        duel = Duel({}, {}, "mae", 0.02, champion_pred=champion, challenger_pred=pred)
        names.append(single_window(duel, week, PARAMS).verdict)
    assert sum(n in ("better", "worse") for n in names) <= 2, names
