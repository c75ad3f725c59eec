"""The real FastAPI app, in-process: /predict the week's rows, then /actuals with their truth.

The predictions, the prediction log and the labeled batches in the store are the serving code's
own. A deploy swaps the model the app serves (what a restart of `staleguard serve` on the new
version does, without paying for a restart every week).
"""

from __future__ import annotations

import warnings
from typing import Any, cast

import numpy as np
import pandas as pd

from staleguard.contract import TIMESTAMP
from staleguard.errors import DataError
from staleguard.params import Params
from staleguard.serve.app import create_app
from staleguard.serve.loader import LoadedModel


def rows_json(frame: pd.DataFrame, params: Params) -> list[dict[str, Any]]:
    """The week's rows as /predict bodies: categoricals as ints, the hour as ISO text."""
    out = frame[params.features.columns].astype(float)
    for col in params.features.categorical:
        out[col] = frame[col].astype(int)
    out[TIMESTAMP] = frame[TIMESTAMP].dt.strftime("%Y-%m-%dT%H:%M:%S")
    return out.to_dict("records")


class Service:
    """One running deployment; `close()` stops it (the prediction log flushes on shutdown)."""

    def __init__(self, params: Params, store: str, model: LoadedModel) -> None:
        with warnings.catch_warnings():  # starlette's notice about httpx, not ours to fix
            warnings.simplefilter("ignore")
            from fastapi.testclient import TestClient

        self.params, self.model = params, model
        self.client = TestClient(create_app(params, "replay", store, model))
        self.client.__enter__()

    def deploy(self, model: LoadedModel) -> None:
        """Serve the next requests with `model` (the app reads it from its state per request)."""
        self.model = cast(Any, self.client.app).state.model = model

    def week(self, frame: pd.DataFrame) -> np.ndarray:
        """Predict the rows, then report their actuals; returns the served predictions."""
        rows = rows_json(frame, self.params)
        target = self.params.features.target
        got = self._post("/predict", rows)
        actuals = [{TIMESTAMP: r[TIMESTAMP], target: float(v)}
                   for r, v in zip(rows, frame[target], strict=True)]
        recorded = self._post("/actuals", actuals)
        if recorded["labeled"] != len(frame):
            raise DataError(f"replay: /actuals labeled {recorded['labeled']} of {len(frame)} rows "
                            f"of the week from {frame[TIMESTAMP].min()}")
        return np.asarray(got["predictions"], dtype=float)

    def _post(self, path: str, body: list[dict[str, Any]]) -> dict[str, Any]:
        response = self.client.post(path, json=body)
        if response.status_code != 200:
            raise DataError(f"replay: POST {path} answered {response.status_code}: {response.text[:200]}")
        return response.json()

    def close(self) -> None:
        self.client.__exit__(None, None, None)
