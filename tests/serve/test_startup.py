"""A model that cannot be served fails at startup with one clear line, never on the first request."""

import pickle

import pytest
from fastapi.testclient import TestClient

from staleguard import cli
from staleguard.errors import ModelError
from staleguard.serve.app import create_app
from tests.serve.conftest import ROOT


@pytest.fixture
def pickled(tmp_path):
    path = tmp_path / "model.pkl"
    path.write_bytes(pickle.dumps([1, 2, 3]))
    return path


@pytest.mark.parametrize(("kind", "message"), [("pickle", "plain pickles are refused"),
                                               ("corrupt", "not a skops model file"),
                                               ("missing", "model not found")])
def test_serve_refuses_bad_models_before_binding(tmp_path, pickled, model_file, capsys, kind, message):
    path = {"pickle": pickled, "missing": tmp_path / "none.skops"}.get(kind, tmp_path / "bad.skops")
    if kind == "corrupt":
        path.write_bytes(model_file.read_bytes()[:1000])
    code = cli.main(["--params", str(ROOT / "params.yaml"), "serve", "--model", str(path), "--port", "1"])
    err = capsys.readouterr().err
    assert code == 1 and message in err and len(err.strip().splitlines()) == 1


def test_app_lifespan_loads_the_model_once_and_fails_at_startup(params, pickled, model_file, tmp_path):
    with pytest.raises(ModelError, match="plain pickles are refused"), \
            TestClient(create_app(params, str(pickled), str(tmp_path / "store"))):
        pass
    with TestClient(create_app(params, str(model_file), str(tmp_path / "store"))) as client:
        first = client.app.state.model
        assert client.get("/health").status_code == 200
        assert client.app.state.model is first
