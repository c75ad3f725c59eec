"""Serving daily data over real HTTP (issue 23, any frequency): with `contract.timestamp.freq: 1d`
and the timestamp as the row's identity, a prediction sent at any time of a day is that day's row,
and a label for the day (any time in it) joins it; nothing is keyed by the hour."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

from staleguard.monitor import store
from staleguard.params import Params
from tests.seattle.conftest import PARAMS
from tests.serve.process import call, serving

pytestmark = [pytest.mark.xdist_group("serve-http")]


def row(days: pd.DataFrame, sparams: Params, day: str, at: str) -> dict[str, Any]:
    """The features of `day` as JSON, its timestamp `at` (a time of that day)."""
    rec = days[days["timestamp"] == day].iloc[0]
    return {**{c: (int(rec[c]) if c in sparams.features.categorical else float(rec[c]))
               for c in sparams.features.columns}, "timestamp": at}


def test_a_day_is_one_row_whatever_the_time_of_day_it_is_sent_and_labeled(tmp_path, smodel, days, sparams):
    with serving(tmp_path, smodel, source=PARAMS, corrections="replace") as (url, _):  # a correction below
        exchange(url, days, sparams)
    labeled = [r for r in store.list_batches(str(tmp_path / "store")) if "actuals" in r.name]
    batch = store.read_batch(labeled[0], sparams)  # the monitor's own reader accepts it
    assert batch["timestamp"].tolist() == [pd.Timestamp("2013-02-05"), pd.Timestamp("2013-02-06")]
    assert batch["temp_max"].tolist() == [9.4, 10.0]
    assert batch["wind"].iloc[0] == row(days, sparams, "2013-02-05", "")["wind"] + 3.0  # the corrected one


def exchange(url: str, days: pd.DataFrame, sparams: Params) -> None:
    """Predict one day twice (morning, then a correction in the evening in another time zone) and
    the next day once; label them with other times of the same days, plus a day never predicted."""
    first = row(days, sparams, "2013-02-05", "2013-02-05T09:15:00")
    status, early = call(f"{url}/predict", first)
    assert status == 200, early
    later = [row(days, sparams, "2013-02-05", "2013-02-05T21:40:00+01:00"),  # 20:40 UTC, the same day
             row(days, sparams, "2013-02-06", "2013-02-06T00:00:00")]
    later[0]["wind"] += 3.0  # a corrected request for the same day replaces the first (corrections: replace)
    status, late = call(f"{url}/predict", later)
    assert status == 200, late
    status, done = call(f"{url}/actuals", [{"timestamp": "2013-02-05T18:00:00", "temp_max": 9.4},
                                           {"timestamp": "2013-02-06", "temp_max": 10.0},
                                           {"timestamp": "2013-02-07", "temp_max": 11.1}])
    assert status == 200, done
    assert done == {"labeled": 2, "unmatched": ["2013-02-07T00:00:00"]}
