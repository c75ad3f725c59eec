"""The app in-process (TestClient): request limits, the thread-pool path, and its predictions."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from fastapi.testclient import TestClient

from staleguard.model import load_model
from staleguard.serve.app import INLINE_ROWS, create_app
from staleguard.serve.predlog import predictions_url


@pytest.fixture
def client(params, model_file, tmp_path):
    small = params.model_copy(update={"serve": params.serve.model_copy(update={"max_rows": 200})})
    with TestClient(create_app(small, str(model_file), str(tmp_path / "store"))) as c:
        yield c


def test_predict_a_large_list_matches_sklearn(client, january, params, model_file):
    part = january.iloc[: INLINE_ROWS * 2]
    cats = params.features.categorical
    body = [{**{c: (int(r[c]) if c in cats else float(r[c])) for c in params.features.columns},
             "timestamp": r["timestamp"].isoformat()} for _, r in part.iterrows()]
    resp = client.post("/predict", json=body)
    assert resp.status_code == 200
    expected = load_model(model_file).predict(part[params.features.columns])
    np.testing.assert_allclose(resp.json()["predictions"], np.round(expected, 3), atol=1e-3)


def test_predict_refuses_more_than_max_rows_and_empty_lists(client, row):
    resp = client.post("/predict", json=[row] * 201)
    assert resp.status_code == 422 and "too_long" in resp.text
    assert client.post("/predict", json=[]).status_code == 422


def test_predict_refuses_extra_fields_naming_them(client, row):
    resp = client.post("/predict", json={**row, "registered": 12})
    assert resp.status_code == 422 and "registered" in resp.json()["message"]


def test_lifespan_shutdown_flushes_the_prediction_log(params, model_file, tmp_path, row):
    lazy = params.model_copy(update={"serve": params.serve.model_copy(update={"flush_seconds": 600})})
    folder = Path(predictions_url(str(tmp_path / "store")))
    with TestClient(create_app(lazy, str(model_file), str(tmp_path / "store"))) as c:
        assert c.post("/predict", json=row).status_code == 200
        assert not folder.exists()  # below flush_rows, 600 s: nothing written yet
    files = list(folder.glob("*.parquet"))
    assert len(files) == 1 and pd.read_parquet(files[0])["hr"].tolist() == [row["hr"]]


def test_422_message_lists_only_the_offending_fields(client, row):
    resp = client.post("/predict", json=[{**row, "hr": 99}, {**row, "temp": -1}])
    assert resp.json()["message"] == ("invalid input: column 'hr' has value 99 outside its range [0, 23]; "
                                      "column 'temp' has value -1 outside its range [0, 1]")
    assert client.post("/predict", json=[1]).json()["message"] == "invalid input: body"
