"""Fixtures for the monitor tests: params, and store-format batches cut from the real data."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from staleguard.monitor import store
from staleguard.params import Params, load_params

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def params() -> Params:
    return load_params(ROOT / "params.yaml")


@pytest.fixture
def make_batch(hour: pd.DataFrame, params: Params) -> Callable[..., pd.DataFrame]:
    """A labeled batch in the store format for [start, end) of the real data."""

    def make(start: str, end: str, version: str = "abcd1234") -> pd.DataFrame:
        ts = hour["timestamp"]
        part = hour[(ts >= pd.Timestamp(start)) & (ts < pd.Timestamp(end))]
        frame = part[["timestamp", *params.features.columns, params.features.target]].copy()
        frame.insert(len(frame.columns) - 1, store.PREDICTION, frame[params.features.target] * 0.9)
        frame[store.MODEL_VERSION] = version
        return frame.reset_index(drop=True)

    return make
