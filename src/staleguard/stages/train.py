"""train: fit the estimator from params.yaml on the training window and save it with skops."""

from __future__ import annotations

from typing import Any

import pandas as pd

from staleguard.errors import DataError
from staleguard.model import build_estimator, save_model
from staleguard.params import Params
from staleguard.stages import paths


def train(frame: pd.DataFrame, params: Params) -> Any:
    """Fit on the feature columns only; leak columns never reach here (params validation)."""
    model = build_estimator(params.train, params.features)
    model.fit(frame[params.features.columns], frame[params.features.target])
    return model


def model_meta(params: Params, frame: pd.DataFrame) -> dict[str, Any]:
    """What serving and the monitor need to know about the model without loading it."""
    return {
        "features": params.features.model_dump(),
        "estimator": params.train.estimator,
        "train": params.train.model_dump(),
        "window": {"start": params.windows.train.start.isoformat(),
                   "end": params.windows.train.end.isoformat()},
        "rows": len(frame),
    }


def check_rows(frame: pd.DataFrame, params: Params) -> None:
    """A model fitted on a handful of rows is no model: refuse it in one line, naming the file."""
    if len(frame) < params.train.min_rows:
        raise DataError(f"{paths.TRAIN_SET}: {len(frame)} row(s) in windows.train "
                        f"{params.windows.train.label()}, fewer than train.min_rows "
                        f"({params.train.min_rows})")


def main(params: Params) -> None:
    frame = pd.read_parquet(paths.TRAIN_SET)
    check_rows(frame, params)
    model = train(frame, params)
    save_model(model, paths.MODEL, model_meta(params, frame))
    write_reference_summary(frame, params, model)
    print(f"train: {params.train.estimator} on {len(frame)} rows → {paths.MODEL}, {paths.REFERENCE_SUMMARY}")


def write_reference_summary(frame: pd.DataFrame, params: Params, model: Any) -> None:
    """The reference summary (frozen bins, counts, the model's predictions and out-of-sample
    quality) that windows of any size are compared with; tracked with the model."""
    from staleguard.scale import io
    from staleguard.scale.check import reference_summary

    io.write(paths.REFERENCE_SUMMARY, reference_summary(frame, params, model), reference=True)
