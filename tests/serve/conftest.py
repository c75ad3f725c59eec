"""Fixtures for the serving tests: params, a small real forest saved with skops, a row of input."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from staleguard.model import build_estimator, save_model
from staleguard.params import Params, TrainParams, load_params

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def params() -> Params:
    return load_params(ROOT / "params.yaml")


@pytest.fixture(scope="session")
def january(hour: pd.DataFrame, params: Params) -> pd.DataFrame:
    """The real January 2011 rows: timestamp, features, target."""
    part = hour[hour["timestamp"] < "2011-02-01"]
    return part[["timestamp", *params.features.columns, params.features.target]].reset_index(drop=True)


@pytest.fixture(scope="session")
def model_file(tmp_path_factory: pytest.TempPathFactory, january: pd.DataFrame, params: Params) -> Path:
    """A 10-tree random forest fit on January 2011, saved as the pipeline saves it."""
    model = build_estimator(TrainParams(n_est=10, seed=0), params.features)
    model.fit(january[params.features.columns], january[params.features.target])
    path = tmp_path_factory.mktemp("model") / "model.skops"
    save_model(model, path, {"estimator": "random_forest", "features": params.features.model_dump(),
                             "window": {"start": "2011-01-01T00:00:00", "end": "2011-02-01T00:00:00"}})
    return path


@pytest.fixture
def row(january: pd.DataFrame, params: Params) -> dict[str, Any]:
    """One valid /predict row (2011-01-10 08:00) as JSON-ready values."""
    rec = january.iloc[200]
    out = {c: (int(rec[c]) if c in params.features.categorical else float(rec[c]))
           for c in params.features.columns}
    out["timestamp"] = rec["timestamp"].isoformat()
    return out


@pytest.fixture(autouse=True)
def journal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test's prediction log journals into its own folder (servers it starts inherit it)."""
    folder = tmp_path / "journal"
    monkeypatch.setenv("STALEGUARD_JOURNAL", str(folder))
    return folder
