"""The daily data set: Seattle's weather 2012–2015 as vega_datasets ships it in its wheel.

Fixtures only: the file copied as is (no column added: the calendar features are computed from
the date by the contract), a template copy whose params.yaml is tests/fixtures/seattle/params.yaml,
and a small forest on its training year for the serving tests.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from staleguard.contract import read_raw
from staleguard.model import build_estimator, save_model
from staleguard.params import Params, load_params
from tests.conftest import ROOT, copy_worktree, run

PARAMS = ROOT / "tests" / "fixtures" / "seattle" / "params.yaml"
FILE = "seattle-weather.csv"  # date, precipitation, temp_max, temp_min, wind, weather: 1461 days


def shipped() -> Path:
    """The CSV inside the installed vega_datasets package (local: no download)."""
    vega = pytest.importorskip("vega_datasets")
    return Path(vega.__file__).parent / "_data" / FILE


@pytest.fixture
def seattle_repo(tmp_path: Path, env: dict[str, str]) -> Path:
    """A template copy on the Seattle data: its params file, the data added with DVC, a local remote."""
    repo = copy_worktree(tmp_path / "repo")
    shutil.copy2(PARAMS, repo / "params.yaml")
    (repo / "data").mkdir(exist_ok=True)
    shutil.copy2(shipped(), repo / "data" / FILE)
    run(["staleguard", "setup", "--remote", str(tmp_path / "remote")], repo, env)
    run(["dvc", "add", "-q", "data"], repo, env)
    run(["git", "add", "-A"], repo, env)
    run(["git", "commit", "-qm", "Seattle data and params"], repo, env)
    return repo


@pytest.fixture(scope="session")
def sparams() -> Params:
    return load_params(PARAMS)


@pytest.fixture(scope="session")
def days(sparams: Params) -> pd.DataFrame:
    """The 1461 days validated as the raw data: timestamp built, month and dayofyear computed."""
    return read_raw(shipped(), sparams)


@pytest.fixture(scope="session")
def smodel(tmp_path_factory: pytest.TempPathFactory, days: pd.DataFrame, sparams: Params) -> Path:
    """A 10-tree forest on the training year (2012), saved as the pipeline saves it."""
    train = days[days["timestamp"] < "2013-01-01"]
    few = sparams.train.model_copy(update={"n_est": 10})
    model = build_estimator(few, sparams.features, sparams.contract)
    model.fit(train[sparams.features.columns], train[sparams.features.target])
    path = tmp_path_factory.mktemp("smodel") / "model.skops"
    save_model(model, path, {"estimator": "random_forest", "features": sparams.features.model_dump(),
                             "window": {"start": "2012-01-01T00:00:00", "end": "2013-01-01T00:00:00"}})
    return path
