"""`staleguard simulate`: play the raw data's held-back weeks into the production store, as serving would.

Rows after the deployed model's training window, up to and including `through`, are cut into
weekly batches anchored at the window's end, predicted by the current model and labeled with the
real target. Names are deterministic, so running it again rewrites the same batches.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import pandas as pd

from staleguard import artifacts
from staleguard.contract import ROW_ID, TIMESTAMP, id_column, read_raw
from staleguard.data.windows import between, split_windows
from staleguard.errors import ConfigError
from staleguard.model import load_model
from staleguard.monitor import store
from staleguard.monitor.monitor_job import deployed_version
from staleguard.params import Params

SOURCE = "simulate"


def labeled_batches(raw: pd.DataFrame, model: Any, version: str, params: Params,
                    through: date) -> list[pd.DataFrame]:
    """Weekly frames in the store format for [train end, through + 1 day)."""
    start = params.windows.train.end
    end = datetime.combine(through, datetime.min.time()) + timedelta(days=1)
    if end <= start:
        raise ConfigError(f"--through {through} is before the training window's end "
                          f"{start:%Y-%m-%d}; pick a later date")
    rows = raw[between(raw, start, end)]
    ident = id_column(params)
    ids = [] if ident == TIMESTAMP else [ident]
    if ident == ROW_ID:  # contract.key: none: serving would assign ids; here the raw row number
        rows = rows.assign(**{ROW_ID: "raw-" + rows.index.astype(str)})
    out = []
    for _, _, part in split_windows(rows, start, params.windows.week_days):
        frame = part[[TIMESTAMP, *ids, *params.features.columns, params.features.target]].copy()
        frame.insert(len(frame.columns) - 1, store.PREDICTION,
                     model.predict(frame[params.features.columns]))
        frame[store.MODEL_VERSION] = version
        out.append(frame)
    return out


def simulate(params: Params, through: date, store_url: str | None = None) -> list[str]:
    """Write the batches; returns their URLs."""
    url = store.resolve(store_url, params)
    raw = read_raw(params.data.raw, params)
    frames = labeled_batches(raw, load_model(artifacts.MODEL), deployed_version(), params, through)
    return [store.write_batch(url, f, params, SOURCE) for f in frames]
