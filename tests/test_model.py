import pickle
import zipfile

import numpy as np
import pandas as pd
import pytest

from staleguard.errors import ModelError
from staleguard.model import build_estimator, load_meta, load_model, save_model
from staleguard.params import Features, TrainParams

FEATURES = Features(numerical=["temp", "hr"], categorical=["season"], target="cnt")


def frame(n: int = 60) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame({"temp": rng.random(n), "hr": rng.integers(0, 24, n),
                         "season": rng.integers(1, 5, n)})


@pytest.mark.parametrize("name", ["random_forest", "extra_trees", "gradient_boosting", "ridge"])
def test_model_every_estimator_round_trips_through_skops(tmp_path, name):
    x = frame()
    model = build_estimator(TrainParams(estimator=name, n_est=5, seed=1), FEATURES)
    model.fit(x, x["temp"] * 10 + x["hr"])
    path = tmp_path / "model.skops"
    save_model(model, path, {"estimator": name})
    loaded = load_model(path)
    np.testing.assert_allclose(loaded.predict(x), model.predict(x))
    assert load_meta(path) == {"estimator": name}


def test_model_seed_makes_training_deterministic():
    x = frame()
    preds = [build_estimator(TrainParams(n_est=10, seed=3), FEATURES).fit(x, x["hr"]).predict(x)
             for _ in range(2)]
    np.testing.assert_array_equal(*preds)


@pytest.mark.parametrize("name", ["random_forest", "ridge"])
def test_save_model_same_training_same_bytes(tmp_path, name):
    """Equal trainings must hash equally, or every fresh `dvc repro` rewrites dvc.lock."""
    x = frame()
    for out in ("a", "b"):  # two fits: other objects at other addresses, as in two processes
        model = build_estimator(TrainParams(estimator=name, n_est=5, seed=1), FEATURES)
        save_model(model.fit(x, x["hr"]), tmp_path / f"{out}.skops", {})
    assert (tmp_path / "a.skops").read_bytes() == (tmp_path / "b.skops").read_bytes()
    with zipfile.ZipFile(tmp_path / "a.skops") as archive:
        assert {i.date_time for i in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}


def test_load_model_refuses_a_pickle(tmp_path):
    path = tmp_path / "model.skops"
    path.write_bytes(pickle.dumps({"a": 1}))
    with pytest.raises(ModelError, match=r"model.skops: not a skops model file .*plain pickles are refused"):
        load_model(path)


def test_load_model_refuses_untrusted_types(tmp_path):
    import skops.io as sio

    path = tmp_path / "model.skops"
    sio.dump(pd.Timedelta(1), path)  # a type outside the scikit-learn/numpy allow-list
    with pytest.raises(ModelError, match=r"model.skops: refusing to load untrusted types \['pandas"):
        load_model(path)


def test_load_model_corrupt_file(tmp_path):
    path = tmp_path / "model.skops"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("schema.json", "{not json")
    with pytest.raises(ModelError, match=r"model.skops: "):
        load_model(path)


def test_load_model_missing_file_says_how_to_get_it(tmp_path):
    with pytest.raises(ModelError, match=r"model.skops: model not found; run `dvc pull`"):
        load_model(tmp_path / "model.skops")
