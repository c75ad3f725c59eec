"""Shadow scoring: the answers do not change, both models' predictions are logged and labeled."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from fastapi.testclient import TestClient

from staleguard.model import build_estimator, load_model, save_model
from staleguard.monitor import store
from staleguard.monitor.shadow_evidence import shadow_url
from staleguard.params import TrainParams
from staleguard.serve.app import create_app
from staleguard.serve.predlog import predictions_url


@pytest.fixture(scope="module")
def shadow_file(tmp_path_factory, january, params) -> Path:
    """Another small forest (other seed, 5 trees): a model that predicts differently."""
    model = build_estimator(TrainParams(n_est=5, seed=7), params.features)
    model.fit(january[params.features.columns], january[params.features.target])
    path = tmp_path_factory.mktemp("shadow") / "model.skops"
    save_model(model, path, {"estimator": "random_forest"})
    return path


def with_shadow(params, spec):
    return params.model_copy(update={"serve": params.serve.model_copy(update={"shadow": spec})})


def bodies(january, params, n=40):
    cats = params.features.categorical
    rows = [{c: (int(r[c]) if c in cats else float(r[c])) for c in params.features.columns}
            | {"timestamp": r["timestamp"].isoformat()} for _, r in january.iloc[300:300 + n].iterrows()]
    return [rows[0], rows[1:4], *rows[4:]]  # one row, a list, then single rows (each hour once)


def test_shadow_never_changes_the_answer_and_logs_both_models(params, model_file, shadow_file, january,
                                                              tmp_path):
    plain_store, shadow_store = str(tmp_path / "plain"), str(tmp_path / "shadowed")
    sent = bodies(january, params)
    with TestClient(create_app(params, str(model_file), plain_store)) as plain:
        expected = [plain.post("/predict", json=b).content for b in sent]
    app = create_app(with_shadow(params, str(shadow_file)), str(model_file), shadow_store)
    with TestClient(app) as client:
        got = [client.post("/predict", json=b).content for b in sent]
        shadow_id = app.state.shadow.model.model_version
        stamps = [r["timestamp"] for r in sent[3:8]]
        rec = client.post("/actuals", json=[{"timestamp": t, "cnt": 100} for t in stamps]).json()
    assert got == expected  # byte for byte

    folders = (Path(predictions_url(shadow_store, s)) for s in (False, True))
    served, shadow = (pd.concat(map(pd.read_parquet, f.glob("*.parquet"))) for f in folders)
    assert len(served) == len(shadow) == len(january.iloc[300:340])
    assert set(shadow["model_version"]) == {shadow_id} and set(served["model_version"]) != {shadow_id}
    joined = served.merge(shadow, on="timestamp", suffixes=("", "_s")).sort_values("timestamp")
    x = joined[params.features.columns]
    np.testing.assert_allclose(joined["prediction_s"], load_model(shadow_file).predict(x), rtol=1e-9)
    assert not np.allclose(joined["prediction"], joined["prediction_s"])

    assert rec["labeled"] == 5
    labeled = [store.read_batch(r, params) for r in store.list_batches(shadow_url(shadow_store))]
    assert len(labeled) == 1 and labeled[0]["cnt"].tolist() == [100.0] * 5
    assert set(labeled[0]["model_version"]) == {shadow_id}


def test_a_shadow_that_cannot_load_is_left_out_and_serving_goes_on(params, model_file, tmp_path, row, capsys):
    app = create_app(with_shadow(params, str(tmp_path / "none.skops")), str(model_file), str(tmp_path / "s"))
    with TestClient(app) as client:
        assert client.post("/predict", json=row).status_code == 200
        assert app.state.shadow is None
    err = capsys.readouterr().err
    assert "shadow" in err and "not loaded, serving without a shadow" in err and "model not found" in err
