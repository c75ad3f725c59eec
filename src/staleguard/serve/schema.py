"""Request and response schemas, generated from params.yaml: the features and the target, with the
types, ranges, categories and calendar derivations of their `contract.columns` entries.

Each field is checked by contract.values, so a bad value gets the same words as in a file
(`staleguard predict`, `drift --current`, the monitor), and the 422 names the field.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    PlainValidator,
    Tag,
    create_model,
    model_validator,
)

from staleguard.contract import ROW_ID, TIMESTAMP, calendar_of, derived_problem, id_column, value_problem
from staleguard.contract.values import kind_problem, missing_problem
from staleguard.params import ColumnSpec, Params

TIMESTAMP_DOC = ("the time this row describes (UTC if no offset); default: now. With contract.key: "
                 "timestamp, any time in a period of contract.timestamp.freq names that period's row")
YEARS = (1900, 2200)  # inside pandas' nanosecond range, so every accepted time can be stored


def _utc(value: datetime) -> datetime:
    """Naive UTC. Not floored here: the store keys it by the contract (serve/predlog.py `stamps`)."""
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    if not YEARS[0] <= value.year < YEARS[1]:
        raise ValueError(f"timestamp year must be in [{YEARS[0]}, {YEARS[1]}), got {value.year}")
    return value


Stamp = Annotated[datetime, AfterValidator(_utc)]


def _number(value: Any) -> Any:
    """A JSON integer too large for a float is infinite: the contract's range words it."""
    if isinstance(value, int) and not isinstance(value, bool):
        try:
            return float(value)
        except OverflowError:
            return math.inf if value > 0 else -math.inf
    return value


def _checker(name: str, spec: ColumnSpec) -> Any:
    """The field's only validator: strict (no number from text, no text from a number), every
    problem in the contract's words, so a request's 422 reads as the same value in a file."""
    def check(value: Any) -> Any:
        if value is None:
            if spec.nullable:
                return None
            raise ValueError(missing_problem(name))
        problem = kind_problem(name, spec, value) or value_problem(name, spec, _number(value))
        if problem and not (spec.type == "str" and spec.unknown == "encode" and isinstance(value, str)):
            raise ValueError(problem)
        if spec.type == "str":
            return value
        return int(value) if spec.type == "int" else float(value)

    return check


def _field(name: str, spec: ColumnSpec) -> Any:
    """A contract column as a request field: a number (ints come back as int) or a text category;
    JSON null only when nullable; absent is refused with the contract's missing-value words."""
    low, high = spec.range or (None, None)
    kind: Any = str if spec.type == "str" else int if spec.type == "int" else float
    what = (f"column {name!r} ({'text' if spec.type == 'str' else spec.type}"
            + (f", {low:g}..{high:g}" if spec.range else "")
            + (f", one of {spec.categories}" if spec.categories else "") + ")")
    schema_type = kind | None if spec.nullable else kind
    field = Annotated[Any, PlainValidator(_checker(name, spec), json_schema_input_type=schema_type),
                      Field(description=what)]
    return (field, None) if spec.nullable else (field, ...)


def missing_messages(params: Params) -> dict[str, str]:
    """A required field absent from a request → the contract's words (the 422 handler's table)."""
    out = {name: missing_problem(name) for name, spec in params.contract.columns.items() if not spec.nullable}
    derived = derived_features(params)
    if derived:
        out[TIMESTAMP] = (f"a row without a timestamp: the contract derives {', '.join(derived)} from it, "
                          "so each row must give the time it describes (it is not taken from the time "
                          "it is logged)")
    return out


def derived_features(params: Params) -> list[str]:
    """The features the contract derives from the timestamp (bike: yr, mnth, hr, weekday)."""
    return [n for n in params.features.columns if params.contract.columns[n].derived is not None]


def _calendar_agrees(params: Params) -> Any:
    """A row's calendar features must agree with its timestamp, when it gives one."""
    derived = {n: how for n in derived_features(params) if (how := params.contract.columns[n].derived)}

    def check(row: Any) -> Any:
        when = getattr(row, TIMESTAMP, None)
        for name, how in derived.items():
            got = getattr(row, name)
            if when is not None and got is not None and got != calendar_of(how, when):
                raise ValueError(derived_problem(name, how, got, when, calendar_of(how, when)))
        return row

    return model_validator(mode="after")(check)


def row_model(params: Params) -> type[BaseModel]:
    """One observation: every feature, optional timestamp, nothing else (the contract's fields)."""
    columns = params.contract.columns
    fields: dict[str, Any] = {name: _field(name, columns[name]) for name in params.features.columns}
    if derived_features(params):  # a missing timestamp would contradict the derived features
        fields[TIMESTAMP] = (Stamp, Field(description=TIMESTAMP_DOC.replace("; default: now", "")))
    else:
        fields[TIMESTAMP] = (Stamp | None, Field(None, description=TIMESTAMP_DOC))
    key = params.contract.key_column
    if key is not None:  # the request's own id; without it the server assigns one
        fields[key] = (Id | None, Field(None, description=f"this row's id ({key}); default: assigned"))
    return create_model("Row", __config__=ConfigDict(extra="forbid"),
                        __validators__={"calendar": _calendar_agrees(params)}, **fields)


ONE, MANY = "row", "rows"  # the /predict body's two shapes (their label in a 422's `loc`)


def _shape(body: Any) -> str:
    return MANY if isinstance(body, list) else ONE


def rows_body(params: Params) -> Any:
    """The /predict body type: one row or a non-empty list of at most serve.max_rows rows. The
    JSON's shape picks the branch, so a 422 lists only that branch's problems."""
    row = row_model(params)
    many = Annotated[list[row], Field(min_length=1, max_length=params.serve.max_rows)]  # type: ignore[valid-type]
    return Annotated[Annotated[row, Tag(ONE)] | Annotated[many, Tag(MANY)], Discriminator(_shape)]


def actual_model(params: Params) -> type[BaseModel]:
    """Ground truth for one prediction, matched to it by its id (docs/contract.md, row identity):
    its period (`timestamp`) when the timestamp is unique, else the key column or `row_id`."""
    target = params.features.target
    spec = params.contract.columns[target].model_copy(update={"nullable": False})
    ident = id_column(params)
    key: Any = ((Stamp, Field(description="its timestamp (any time in its period), as sent to /predict"))
                if ident == TIMESTAMP
                else (Id, Field(description=f"the prediction's id ({ident}), as /predict returned it")))
    return create_model("Actual", __config__=ConfigDict(extra="forbid"), **{ident: key},
                        **{target: _field(target, spec)})


Id = Annotated[str | int, Field(union_mode="left_to_right")]
ID_DOC = ("each row's id, as /actuals takes it: its period's timestamp (contract.key: timestamp), its "
          f"key column, or `{ROW_ID}` assigned by the server (contract.key: none)")


class Prediction(BaseModel):
    predictions: list[float]
    model_version: str = Field(description="8-hex md5 id of the model file (as in dvc.lock)")
    ids: list[str | int] | None = Field(None, description=ID_DOC)


class Recorded(BaseModel):
    labeled: int = Field(description="actuals joined to a logged prediction and written to the store")
    unmatched: list[datetime] = Field(description="timestamps with no logged prediction (not stored)")


class Refusal(BaseModel):
    version: str | None = Field(description="the registry version that was refused")
    md5: str | None
    reason: str = Field(description="the check it failed, in one line")
    at: datetime


class Following(BaseModel):
    stage: str = Field(description="the registry stage the server follows")
    every: float = Field(description="seconds between checks of the origin's tags")
    last_check: datetime | None
    last_error: str | None = Field(description="why the last check could not complete, if it failed")
    refused: Refusal | None = Field(description="the newest model at the stage that failed its checks; "
                                                "the served model is kept")


class Health(BaseModel):
    status: str
    model_version: str
    pending_log_rows: int = Field(description="logged rows not yet in the store (in the journal)")
    log: list[str] = Field(default_factory=list, description="why the prediction log is behind, one line "
                           "each (\"store unreachable since …, N rows pending\"); empty when all is well")
    follow: Following | None = Field(None, description="present when the server follows the registry")


class ModelInfo(BaseModel):
    version: str | None = Field(description="registry version (v0.0.3) when the model is in the registry")
    model_version: str = Field(description="8-hex md5 id of the model file")
    md5: str
    estimator: str | None
    training_window: dict[str, str] | None
    features: list[str]
    metrics: dict[str, float] | None
    since: datetime = Field(description="when this model began serving (start-up or a registry swap)")
