"""Live served-vs-shadow comparison from the store's labeled batches (monitor/shadow_evidence.py)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from staleguard.monitor import shadow_evidence, store
from staleguard.params import load_params
from tests.flights.conftest import PARAMS as EVENTS


def write_pair(root, make_batch, params, served_error, shadow_error, served="aaaa1111", other="bbbb2222"):
    """Two weeks of labeled hours, served and shadow predictions off the actual by given amounts."""
    rng = np.random.default_rng(0)
    base = make_batch("2011-03-01", "2011-03-15", served)
    actual = base[params.features.target].to_numpy(dtype=float)
    served_batch = base.assign(prediction=actual + served_error * rng.choice([-1, 1], len(base)))
    shadow_batch = base.assign(prediction=actual + shadow_error * rng.choice([-1, 1], len(base)),
                               model_version=other)
    store.write_batch(str(root), served_batch, params, "actuals-1")
    store.write_batch(shadow_evidence.shadow_url(str(root)), shadow_batch, params, "actuals-1")
    return len(base)


def test_live_pairs_served_and_shadow_by_hour_with_the_paired_verdict(tmp_path, make_batch, params):
    rows = write_pair(tmp_path, make_batch, params, served_error=20.0, shadow_error=10.0)
    store.write_batch(str(tmp_path), make_batch("2011-04-01", "2011-04-02", "aaaa1111"), params, "late")
    (got,) = shadow_evidence.live(str(tmp_path), params)
    assert (got["served"], got["shadow"], got["rows"]) == ("aaaa1111", "bbbb2222", rows)  # April: no shadow
    assert got["mae_served"] == 20.0 and got["mae_shadow"] == 10.0
    verdict = got["verdict"]
    assert verdict["verdict"] == "better" and verdict["metric"] == "mae" and verdict["delta"] == -0.5
    text = shadow_evidence.markdown([got])
    assert f"| `aaaa1111` | `bbbb2222` | {rows} |" in text and "**better** (mae -50.0%)" in text


def test_live_is_empty_without_shadow_rows_and_says_worse_when_it_is(tmp_path, make_batch, params):
    store.write_batch(str(tmp_path), make_batch("2011-03-01", "2011-03-08"), params, "actuals-1")
    assert shadow_evidence.live(str(tmp_path), params) == [] and shadow_evidence.markdown([]) == ""
    write_pair(tmp_path / "b", make_batch, params, served_error=10.0, shadow_error=13.0)
    assert shadow_evidence.live(str(tmp_path / "b"), params)[0]["verdict"]["verdict"] == "worse"


def test_lines_name_versions_for_registry_show(tmp_path, make_batch, params):
    write_pair(tmp_path, make_batch, params, served_error=20.0, shadow_error=10.0)
    (line,) = shadow_evidence.lines(str(tmp_path), params, {"aaaa1111": "v0.0.1"})
    assert line.startswith(f"live ({tmp_path}): served aaaa1111 (v0.0.1) MAE 20.00 vs shadow bbbb2222 "
                           "(unregistered) MAE 10.00 on ")
    assert "shadow better (mae -50.0%, 90% CI [" in line
    assert shadow_evidence.lines(str(tmp_path / "missing"), params, {}) == []


def test_event_rows_of_one_timestamp_pair_by_their_key_not_their_time():
    """Many flights share an hour: each served row pairs with the shadow's row of the same
    flight_id (a join on the time would pair every flight of the hour with every other)."""
    hour = pd.Timestamp("2013-01-20 08:00")
    served = pd.DataFrame({"timestamp": [hour] * 3, "flight_id": ["a", "b", "c"],
                           "prediction": [1.0, 2.0, 3.0],
                           "model_version": "aaaa1111", "arr_delay": [0.0, 0.0, 0.0]})
    shadow = served.assign(prediction=[10.0, 20.0, 30.0], model_version="bbbb2222").iloc[::-1]
    got = shadow_evidence.paired_rows(served, shadow, load_params(EVENTS))
    assert len(got) == 3 and got.set_index("flight_id")["prediction_shadow"].to_dict() == \
        {"a": 10.0, "b": 20.0, "c": 30.0}
