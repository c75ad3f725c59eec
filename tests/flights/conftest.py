"""Fixtures for the event-level data set (tests/flights/data.py): its params, a few weeks of two
origins, and a forest fitted on their first two weeks and saved as the pipeline saves it."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from staleguard.contract import validate_frame
from staleguard.model import build_estimator, save_model
from staleguard.params import Params, load_params
from tests.conftest import ROOT
from tests.flights.data import flights

PARAMS = ROOT / "tests" / "fixtures" / "flights" / "params.yaml"
SLICE = {"start": "2013-01-01", "end": "2013-02-12", "origins": ("EWR", "LGA")}


@pytest.fixture(scope="session")
def fparams() -> Params:
    return load_params(PARAMS)


@pytest.fixture(scope="session")
def events(fparams: Params) -> pd.DataFrame:
    """Six weeks of EWR and LGA departures, validated as the raw data (timestamp built)."""
    return validate_frame(flights(**SLICE), fparams, "raw", "flights")  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def fmodel(tmp_path_factory: pytest.TempPathFactory, events: pd.DataFrame, fparams: Params) -> Path:
    """The flights params' forest on the first two weeks, saved with skops."""
    train = events[events["timestamp"] < "2013-01-15"]
    model = build_estimator(fparams.train, fparams.features, fparams.contract)
    model.fit(train[fparams.features.columns], train[fparams.features.target])
    path = tmp_path_factory.mktemp("fmodel") / "model.skops"
    save_model(model, path, {"estimator": "random_forest", "features": fparams.features.model_dump(),
                             "window": {"start": "2013-01-01T00:00:00", "end": "2013-01-15T00:00:00"}})
    return path
