"""Frames and settings for the drift tests: real hour.csv windows and params with overrides."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

from staleguard.params import Params, load_params
from tests.conftest import ROOT


@pytest.fixture(scope="session")
def params() -> Params:
    return load_params(ROOT / "params.yaml")


def with_drift(params: Params, columns: dict[str, dict] | None = None, **changes: Any) -> Params:
    """`params` with drift settings replaced; nested sections given as dicts are merged; `columns`:
    per-feature overrides, set as contract.columns.<name>.drift; then the whole is validated."""
    current = params.drift.model_dump()
    merged = {k: {**current[k], **v} if isinstance(v, dict) and isinstance(current.get(k), dict)
              else v for k, v in changes.items()}
    doc = params.model_dump(by_alias=True)
    doc["drift"] = {**current, **merged}
    for name, over in (columns or {}).items():
        doc["contract"]["columns"][name]["drift"] = over
    return Params.model_validate(doc)


def with_train(params: Params, **changes: Any) -> Params:
    train = params.train.model_validate({**params.train.model_dump(), **changes})
    return params.model_copy(update={"train": train})


def window(hour: pd.DataFrame, params: Params, start: str, end: str) -> pd.DataFrame:
    """Rows of hour.csv in [start, end) with the pipeline's columns (timestamp, features, target)."""
    ts = hour["timestamp"]
    part = hour.loc[(ts >= start) & (ts < end), ["timestamp", *params.features.columns, "cnt"]]
    return part.reset_index(drop=True)
