"""Serving event-level rows over real HTTP (issue 18): each prediction has an id (the request's
flight_id, else one the server assigns and returns); /actuals labels by id; unknown ids, unknown
categories, text in a number field and a repeated key are refused in one line, nothing written."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from staleguard.params import Params
from tests.flights.conftest import PARAMS
from tests.serve.process import call, serving

pytestmark = [pytest.mark.xdist_group("serve-http")]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, fmodel: Path) -> Iterator[tuple[str, Path]]:
    tmp = tmp_path_factory.mktemp("serve-flights")
    with serving(tmp, fmodel, source=PARAMS) as (url, _):
        yield url, tmp


def rows(events: pd.DataFrame, fparams: Params, n: int) -> list[dict[str, Any]]:
    """n flights of one hour as JSON: NaN weather as null."""
    hour = events[events["timestamp"] == events["timestamp"].iloc[5000]].head(n)
    out = []
    for rec in hour.to_dict("records"):
        row = {c: (None if isinstance(rec[c], float) and pd.isna(rec[c]) else rec[c])
               for c in fparams.features.columns}
        out.append({**row, "flight_id": rec["flight_id"], "timestamp": rec["timestamp"].isoformat()})
    return out


def test_many_rows_of_one_hour_are_predicted_logged_and_labeled_by_id(server, events, fparams):
    url, tmp = server
    body = rows(events, fparams, 6)
    body[0]["pressure"] = None
    del body[1]["flight_id"]  # the server assigns it one
    hour = pd.Timestamp(body[2]["timestamp"])
    body[2]["timestamp"] = (hour + pd.Timedelta(minutes=17)).isoformat()  # an event's own time: kept
    status, got = call(f"{url}/predict", body)
    assert status == 200, got
    assert got["ids"][0] == body[0]["flight_id"] and len(set(got["ids"])) == 6
    truth = [{"flight_id": i, "arr_delay": -3.0} for i in got["ids"]]
    status, done = call(f"{url}/actuals", truth)
    assert (status, done["labeled"]) == (200, 6), done
    labeled = pd.concat(pd.read_parquet(p) for p in (tmp / "store").glob("*.parquet"))
    assert sorted(labeled["flight_id"]) == sorted(got["ids"]) and (labeled["arr_delay"] == -3.0).all()
    assert sorted(labeled["timestamp"].unique()) == [hour, hour + pd.Timedelta(minutes=17)]  # not floored


def stored(tmp: Path) -> int:
    return len(list((tmp / "store").glob("*.parquet")))


@pytest.mark.parametrize(("path", "edit", "status", "problem"), [
    ("actuals", lambda b: [{"flight_id": "no-such-flight", "arr_delay": 1.0}], 404,
     "unknown flight_id ['no-such-flight']: no logged prediction has it; nothing written"),
    ("predict", lambda b: [{**b[0], "carrier": "ZZ"}], 422,
     "column 'carrier' has unseen category 'ZZ'; allowed values are ['9E', 'AA',"),
    ("predict", lambda b: [{**b[0], "distance": "far"}], 422, "distance"),
    ("predict", lambda b: [b[0], {**b[1], "flight_id": b[0]["flight_id"]}], 422,
     "appears twice in this request"),
])
def test_bad_event_requests_are_refused_in_one_line(server, events, fparams, path, edit, status, problem):
    url, tmp = server
    before = stored(tmp)
    code, got = call(f"{url}/{path}", edit(rows(events, fparams, 2)))
    assert code == status and problem in got["message"] and "\n" not in got["message"], got
    assert stored(tmp) == before
