"""The walk-forward's weekly origins: a fold is kept only when every side's own window fits."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from staleguard.params import load_params
from staleguard.recipe import Recipe
from staleguard.verdict.backtest import weekly_folds
from tests.conftest import ROOT

SHIPPED = Recipe.shipped(load_params(ROOT / "params.yaml"))
FIRST, END = datetime(2011, 1, 1), datetime(2011, 2, 8)


def expanding(since: datetime) -> Recipe:
    return replace(SHIPPED, span=None, since=None, floor=since)


def test_weekly_folds_need_a_week_after_each_expanding_sides_own_start():
    starts = [w.start for w in weekly_folds(FIRST, END, 4, [expanding(FIRST)])]
    assert starts == [datetime(2011, 1, 11), datetime(2011, 1, 18), datetime(2011, 1, 25),
                      datetime(2011, 2, 1)]
    later = weekly_folds(FIRST, END, 4, [expanding(FIRST), expanding(datetime(2011, 1, 15))])
    assert [w.start for w in later] == starts[2:]   # 01-18 leaves 3 days after 01-15
    before_data = weekly_folds(FIRST, END, 4, [expanding(datetime(2010, 6, 1))])
    assert [w.start for w in before_data] == starts   # clipped to the first row


def test_weekly_folds_need_a_sliding_sides_whole_span():
    sliding = replace(SHIPPED, span=timedelta(days=24), since=None, floor=None)
    weeks = weekly_folds(FIRST, END, 4, [expanding(FIRST), sliding])
    assert [w.start for w in weeks] == [datetime(2011, 1, 25), datetime(2011, 2, 1)]
    assert weeks[-1].end == END
