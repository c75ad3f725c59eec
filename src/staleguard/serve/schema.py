"""Request and response schemas, generated from params.yaml's feature list with per-feature limits.

The ranges are the UCI dataset's documented domains (weather normalised to [0, 1], calendar
codes); `serve.limits` in params.yaml overrides or adds ranges for other data.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, create_model

from staleguard.params import Params

RANGES: dict[str, tuple[float, float]] = {
    "season": (1, 4), "yr": (0, 99), "mnth": (1, 12), "hr": (0, 23), "holiday": (0, 1),
    "weekday": (0, 6), "workingday": (0, 1), "weathersit": (1, 4),
    "temp": (0, 1), "atemp": (0, 1), "hum": (0, 1), "windspeed": (0, 1),
}
TIMESTAMP_DOC = "the hour this row describes (UTC if no offset); default: the current hour"
YEARS = (1900, 2200)  # inside pandas' nanosecond range, so every accepted hour can be stored


def _hour(value: datetime) -> datetime:
    """Naive UTC, floored to the hour: the store's one-row-per-hour key."""
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    if not YEARS[0] <= value.year < YEARS[1]:
        raise ValueError(f"timestamp year must be in [{YEARS[0]}, {YEARS[1]}), got {value.year}")
    return value.replace(minute=0, second=0, microsecond=0)


Hour = Annotated[datetime, AfterValidator(_hour)]


def _field(name: str, kind: type, limits: dict[str, tuple[float, float]]) -> Any:
    low, high = limits.get(name, RANGES.get(name, (None, None)))
    return (Annotated[kind, Field(ge=low, le=high, allow_inf_nan=False,
                                  description=f"feature {name!r}")], ...)


def row_model(params: Params) -> type[BaseModel]:
    """One observation: every feature (categoricals as ints), optional timestamp, nothing else."""
    limits = params.serve.limits
    fields: dict[str, Any] = {name: _field(name, float, limits) for name in params.features.numerical}
    fields.update({name: _field(name, int, limits) for name in params.features.categorical})
    fields["timestamp"] = (Hour | None, Field(None, description=TIMESTAMP_DOC))
    return create_model("Row", __config__=ConfigDict(extra="forbid"), **fields)


def rows_body(params: Params) -> Any:
    """The /predict body type: one row or a non-empty list of at most serve.max_rows rows."""
    row = row_model(params)
    return row | Annotated[list[row], Field(min_length=1, max_length=params.serve.max_rows)]  # type: ignore[valid-type]


def actual_model(params: Params) -> type[BaseModel]:
    """Ground truth for one hour (`timestamp` + the target), matched to its logged prediction."""
    target = (Annotated[float, Field(ge=0, le=1e9, allow_inf_nan=False)], ...)
    return create_model("Actual", __config__=ConfigDict(extra="forbid"),
                        timestamp=(Hour, Field(description="the hour, as sent to /predict")),
                        **{params.features.target: target})


class Prediction(BaseModel):
    predictions: list[float]
    model_version: str = Field(description="8-hex md5 id of the model file (as in dvc.lock)")


class Recorded(BaseModel):
    labeled: int = Field(description="actuals joined to a logged prediction and written to the store")
    unmatched: list[datetime] = Field(description="timestamps with no logged prediction (not stored)")


class Health(BaseModel):
    status: str
    model_version: str
    pending_log_rows: int


class ModelInfo(BaseModel):
    version: str | None = Field(description="registry version (v0.0.3) when the model is in the registry")
    model_version: str = Field(description="8-hex md5 id of the model file")
    md5: str
    estimator: str | None
    training_window: dict[str, str] | None
    features: list[str]
    metrics: dict[str, float] | None
