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

from staleguard.contract import TIMESTAMP, id_column
from staleguard.errors import DataError
from staleguard.params import Params
from staleguard.serve.app import create_app
from staleguard.serve.loader import LoadedModel


def rows_json(frame: pd.DataFrame, params: Params) -> list[dict[str, Any]]:
    """The week's rows as /predict bodies: numeric categoricals as ints, text as text, missing
    values as JSON null (never NaN), the timestamp as ISO text, and the key column when rows have one."""
    text = params.contract.text(params.features.columns)
    out = frame[[c for c in params.features.columns if c not in text]].astype(float).astype(object)
    for col in text:
        out[col] = frame[col].astype(object)
    for col in params.features.categorical:
        if col not in text:
            out[col] = frame[col].map(lambda v: None if pd.isna(v) else int(v)).astype(object)
    key = params.contract.key_column
    if key is not None and key in frame:
        out[key] = frame[key].astype(object)
    out = out.where(frame[out.columns].notna(), None)
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
        ident = id_column(self.params)
        ids = [r[TIMESTAMP] for r in rows] if ident == TIMESTAMP else got["ids"]
        actuals = [{ident: i, target: float(v)} for i, v in zip(ids, frame[target], strict=True)]
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
