import pickle

import numpy as np
import pytest

from staleguard.errors import ModelError
from staleguard.model import load_model
from staleguard.serve.loader import load


def test_load_forest_fast_path_matches_sklearn_predict(model_file, params, january):
    loaded = load(str(model_file), params)
    assert loaded.trees is not None
    x = january[params.features.columns]
    np.testing.assert_allclose(loaded.predict(january), load_model(model_file).predict(x), rtol=1e-12)
    assert loaded.model_version == loaded.source.md5[:8]


def test_load_refuses_a_pickle(tmp_path, params):
    path = tmp_path / "model.pkl"
    path.write_bytes(pickle.dumps({"not": "a model"}))
    with pytest.raises(ModelError, match="plain pickles are refused"):
        load(str(path), params)


def test_load_refuses_a_corrupt_file(tmp_path, params, model_file):
    path = tmp_path / "model.skops"
    path.write_bytes(model_file.read_bytes()[:5000])
    with pytest.raises(ModelError, match="not a skops model file"):
        load(str(path), params)


def test_load_missing_file_says_how_to_get_it(tmp_path, params):
    with pytest.raises(ModelError, match="model not found"):
        load(str(tmp_path / "model.skops"), params)


def test_load_refuses_a_model_trained_on_other_features(params, model_file):
    other = params.model_copy(update={"features": params.features.model_copy(update={"numerical": ["temp"]})})
    with pytest.raises(ModelError, match="model expects features"):
        load(str(model_file), other)


def test_load_stage_without_registry_says_how_to_fix(tmp_path, params, monkeypatch):
    import subprocess

    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    (tmp_path / "dvc.lock").write_text("schema: '2.0'\nstages: {}\n")
    with pytest.raises(ModelError, match="no model version is at stage 'prod'"):
        load("prod", params, repo=tmp_path)
