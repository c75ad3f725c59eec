"""The app started for real (`staleguard serve` → uvicorn on 127.0.0.1, a free port), called over HTTP."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from staleguard.monitor import store
from tests.serve.process import call, serving

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("serve-http")]


@pytest.fixture(scope="module")
def server(tmp_path_factory, model_file) -> Iterator[tuple[str, Path]]:
    tmp = tmp_path_factory.mktemp("serve")
    with serving(tmp, model_file, corrections="replace") as (url, _):  # the tests re-send `row`
        yield url, tmp


def test_server_predicts_one_row_and_a_list(server, row, model_file):
    url, _ = server
    status, one = call(f"{url}/predict", row)
    assert status == 200 and len(one["predictions"]) == 1
    five_pm = row["timestamp"][:11] + "17:00:00"  # the same day: its calendar fields still hold
    status, many = call(f"{url}/predict", [row, {**row, "hr": 17, "timestamp": five_pm}])
    assert status == 200 and many["predictions"][0] == one["predictions"][0]
    assert many["predictions"][1] != one["predictions"][0]
    assert one["model_version"] == call(f"{url}/model")[1]["model_version"]


@pytest.mark.parametrize(("change", "field"), [({"temp": 3.0}, "temp"), ({"hr": "noon"}, "hr"),
                                               ({"weathersit": 0}, "weathersit")])
def test_server_bad_input_is_a_422_naming_the_field(server, row, change, field):
    status, body = call(f"{server[0]}/predict", {**row, **change})
    assert status == 422 and field in body["message"]
    status, body = call(f"{server[0]}/predict", [row, {**row, **change}])
    assert status == 422 and field in body["message"]


def test_server_health_and_model_describe_the_loaded_model(server):
    url, _ = server
    status, health = call(f"{url}/health")
    assert status == 200 and health["status"] == "ok"
    status, info = call(f"{url}/model")
    assert status == 200
    assert info["training_window"] == {"start": "2011-01-01T00:00:00", "end": "2011-02-01T00:00:00"}
    assert info["model_version"] == info["md5"][:8] and info["estimator"] == "random_forest"


def test_server_actuals_turn_logged_predictions_into_a_labeled_store_batch(server, row, params):
    url, tmp = server
    stamp = row["timestamp"]  # the row's calendar fields must agree with its hour (the contract)
    status, pred = call(f"{url}/predict", {**row, "timestamp": stamp})
    assert status == 200
    status, rec = call(f"{url}/actuals", [{"timestamp": stamp, "cnt": 250},
                                          {"timestamp": "2011-03-08T09:00:00", "cnt": 3}])
    assert status == 200 and rec == {"labeled": 1, "unmatched": ["2011-03-08T09:00:00"]}
    labeled = [r for r in store.list_batches(str(tmp / "store")) if "actuals" in r.name]
    assert len(labeled) == 1
    batch = store.read_batch(labeled[0], params)  # the monitor's own reader accepts it
    assert batch[params.features.target].tolist() == [250]
    assert batch["prediction"].tolist() == pred["predictions"]
    assert batch["timestamp"].tolist() == [pd.Timestamp(stamp)]


def test_server_openapi_schema_fuzzed_by_schemathesis_has_no_server_errors(server):
    url, tmp = server
    proc = subprocess.run(["schemathesis", "run", f"{url}/openapi.json", "--checks", "not_a_server_error",
                           "--max-examples", "15", "--phases", "examples,coverage,fuzzing",
                           "--no-color", "--seed", "1"],
                          capture_output=True, text=True, timeout=240, cwd=tmp)  # its cache goes to cwd
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    assert "Tested: 4" in proc.stdout  # /predict, /actuals, /health, /model
