"""train: fit the estimator from params.yaml on the training window and save it with skops."""

from __future__ import annotations

from typing import Any

import pandas as pd

from staleguard import artifacts
from staleguard.data.sizes import training_problems
from staleguard.errors import DataError
from staleguard.model import save_model
from staleguard.params import Params
from staleguard.recipe import Recipe


def train(frame: pd.DataFrame, params: Params) -> Any:
    """The shipped recipe fitted on the training window (`windows.retrain.policy: weighted`
    weighs recent rows more): the one fit every retrain, replay and evidence shares."""
    return Recipe.shipped(params).fit(frame, params.windows.train.end)


def model_meta(params: Params, frame: pd.DataFrame) -> dict[str, Any]:
    """What serving and the monitor need to know about the model without loading it."""
    return {
        "description": params.model.description,
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
        raise DataError(f"{artifacts.TRAIN_SET}: {len(frame)} row(s) in windows.train "
                        f"{params.windows.train.label()}, fewer than train.min_rows "
                        f"({params.train.min_rows})")


def main(params: Params) -> None:
    from staleguard.drift.estimate import fit_from_model

    frame = pd.read_parquet(artifacts.TRAIN_SET)
    check_rows(frame, params)
    problems = training_problems(frame, params)  # before the fit, not minutes into it
    if problems:
        raise DataError(f"{artifacts.TRAIN_SET}: {problems[0]}")
    model = train(frame, params)
    save_model(model, artifacts.MODEL, model_meta(params, frame))
    estimator, quality = fit_from_model(model, frame, params)  # one set of out-of-fold fits for both
    save_model(estimator, artifacts.ESTIMATOR, {"of": str(artifacts.MODEL), "reference_quality": quality,
                                            "method": "direct loss estimation (drift/estimate.py)"})
    write_reference_summary(frame, params, model, quality)
    print(f"train: {params.train.estimator} on {len(frame)} rows → {artifacts.MODEL}, {artifacts.ESTIMATOR}, "
          f"{artifacts.REFERENCE_SUMMARY}")


def write_reference_summary(frame: pd.DataFrame, params: Params, model: Any,
                            quality: dict[str, float] | None = None) -> None:
    """The reference summary (frozen bins, counts, the model's predictions and out-of-sample
    quality) that windows of any size are compared with; tracked with the model. It summarises
    the rows `windows.reference` selects; the quality is the whole training window's."""
    from staleguard.data.windows import reference_rows
    from staleguard.drift.sketch import sketch_json
    from staleguard.drift.sketch.compare_sketches import reference_summary

    rows, info = reference_rows(frame, params)
    sketch_json.write(artifacts.REFERENCE_SUMMARY,
                      reference_summary(rows, params, model, quality, frame, info), reference=True)
