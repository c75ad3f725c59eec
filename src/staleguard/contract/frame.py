"""validate_frame(): a frame against the contract, for one role; the first problem is one DataError.

Roles differ only in which columns they carry (`layout`): the raw data (`prepare`), a production
batch (the store, the monitor, the retrain), a current window (`staleguard drift --current`) and
a file to predict (`staleguard predict`). The value checks are one pandera schema generated from
the contract; its first failure is described by contract.values, as the API describes a field.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from staleguard.contract.timestamp import TIMESTAMP, Calendar, build_timestamp, parse, source_columns
from staleguard.contract.values import derived_problem, kind_problem, missing_problem, value_problem
from staleguard.errors import DataError
from staleguard.params import ColumnSpec, Params

if TYPE_CHECKING:  # pandera is imported when a frame is checked (~0.5 s), not with the module
    import pandera.pandas as pa
    from pandera.errors import SchemaError

Role = Literal["raw", "batch", "current", "predict"]
PREDICTION = "prediction"        # what the deployed model answered (serving logs it)
MODEL_VERSION = "model_version"  # which model answered: 8-hex md5 prefix of its file
PREDICTION_SPEC = ColumnSpec(type="float")
TEXT_SPEC = ColumnSpec(type="str")
ROW_ID = "row_id"  # the id serving assigns a prediction when the contract names no key column


def id_column(params: Params) -> str:
    """The column that identifies a logged prediction and its label (docs/contract.md, row
    identity): the timestamp when unique, the key column, or the server-assigned `row_id`."""
    c = params.contract
    return TIMESTAMP if c.unique_timestamp else c.key_column or ROW_ID


def layout(params: Params, role: Role) -> tuple[list[str], list[str]]:
    """(required, optional) columns of a frame in `role`; anything else is an extra column."""
    f, c = params.features, params.contract
    if role == "raw":
        return [*source_columns(c), *c.columns], list(c.ignore)
    if role == "batch":
        ident = id_column(params)
        required = [TIMESTAMP, *([ident] if ident != TIMESTAMP else []), *f.columns, PREDICTION, f.target,
                    MODEL_VERSION]
    elif role == "current":
        required = [TIMESTAMP, *f.columns]
    else:
        required = list(f.columns)
    ids = [ROW_ID] if id_column(params) == ROW_ID else []
    system = [TIMESTAMP, f.target, PREDICTION, MODEL_VERSION, *ids]
    ignored = c.ignore if role == "predict" else []  # a file to predict may be cut from the raw data
    optional = dict.fromkeys(c for c in [*system, *params.contract.columns, *ignored] if c not in required)
    return required, list(optional)  # dict: the target is both a system and a contract column


def _nullable(name: str, spec: ColumnSpec, params: Params, role: Role) -> bool:
    """Only the contract's nullable columns, and the target outside the raw data (not yet labeled)."""
    return spec.nullable or (name == params.features.target and role != "raw")


def _columns(frame: pd.DataFrame, params: Params, role: Role, source: object) -> pd.DataFrame:
    required, optional = layout(params, role)
    expected = f"expected {required}" + (f" plus optionally {optional}" if optional else "")
    computed = derivable(params, role)
    missing = [c for c in required if c not in frame.columns and c not in computed]
    if missing:
        raise DataError(f"{source}: missing column(s) {missing}; {expected}")
    extra = [c for c in frame.columns if c not in required and c not in optional]
    if extra and params.contract.extra == "refuse":
        raise DataError(f"{source}: unexpected column(s) {extra}, which the contract does not describe "
                        f"(contract.extra: refuse); {expected}")
    drop = [*extra, *(params.contract.ignore if role in ("raw", "predict") else [])]
    frame = frame.drop(columns=[c for c in drop if c in frame.columns]) if drop else frame
    if frame.empty:
        raise DataError(f"{source}: holds no rows")
    return frame


def derivable(params: Params, role: Role) -> list[str]:
    """Calendar columns (contract `derived`) computed from the timestamp when a frame lacks them:
    the data need not carry what its own timestamp says (the hour that builds it excepted)."""
    if role == "predict":  # a file to predict need not carry a timestamp
        return []
    return [n for n, s in params.contract.columns.items()
            if s.derived is not None and n != params.contract.timestamp.hour]


def _with_calendar(frame: pd.DataFrame, params: Params, role: Role) -> pd.DataFrame:
    absent = [n for n in derivable(params, role) if n not in frame]
    if not absent:
        return frame
    cal = Calendar(frame[TIMESTAMP])
    return frame.assign(**{n: cal.field(d) for n in absent
                           if (d := params.contract.columns[n].derived) is not None})


def _first_of_wrong_kind(values: pd.Series, name: str, spec: ColumnSpec) -> str | None:
    """The contract's words (contract.values.kind_problem) for the column's first value of the wrong
    kind, as the API words that value in a request field: in a number column the first text that
    is no number ('abc'), else the first value (a text column of digits, booleans); in a text
    column the first value."""
    present = values.dropna()
    if present.empty:
        return None
    first = present.iloc[0]
    if spec.type != "str":
        bad = present[pd.to_numeric(present, errors="coerce").isna()]
        first = bad.iloc[0] if len(bad) else first
    return kind_problem(name, spec, first.item() if isinstance(first, np.generic) else first)


def _text(values: pd.Series, name: str, nullable: bool, source: object) -> None:
    """A text category column holds text (or nulls where nullable), never numbers."""
    present = values.dropna()
    if present.empty and not nullable:
        raise DataError(f"{source}: column {name!r} is entirely empty")
    if pd.api.types.is_numeric_dtype(values) and not present.empty:  # mixed text: the categories' check
        raise DataError(f"{source}: {_first_of_wrong_kind(present, name, TEXT_SPEC)}")


def _numeric(values: pd.Series, name: str, nullable: bool, source: object) -> None:
    empty = values.isna().all()
    if empty and not nullable:
        raise DataError(f"{source}: column {name!r} is entirely empty (all NaN)")
    if not empty and (pd.api.types.is_bool_dtype(values) or not pd.api.types.is_numeric_dtype(values)):
        problem = _first_of_wrong_kind(values, name, PREDICTION_SPEC)
        raise DataError(f"{source}: {problem or f'column {name!r} must be numeric (dtype {values.dtype})'}")


def _whole(values: pd.Series) -> Any:
    if pd.api.types.is_integer_dtype(values):
        return True  # a scalar: nothing to scan (the 5M-row drift path)
    return (values % 1 == 0) | ~np.isfinite(values)  # inf is the range check's to name


def _finite(values: pd.Series) -> Any:
    return True if pd.api.types.is_integer_dtype(values) else np.isfinite(values)


def _in_range(lo: float, hi: float) -> Any:
    """lo <= value <= hi. A column's min and max decide a valid column without the two per-row
    comparisons pandera's in_range makes (~70 ms a column of fresh memory on 5M rows)."""

    def check(values: pd.Series) -> Any:
        if len(values) and pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
            low, high = values.min(), values.max()  # NaN skipped: nulls are the null check's
            if lo <= low and high <= hi:
                return True
        return (values >= lo) & (values <= hi)

    return check


def _in_categories(categories: list[Any]) -> Any:
    """Membership in `categories`: for whole-number categories on an integer column a lookup table
    (a hash per row, pandas' isin, was a quarter of the contract's cost on a 1M-row window)."""
    whole = all(isinstance(c, int | float) and not isinstance(c, bool) and float(c).is_integer()
                for c in categories)
    lo = int(min(categories)) if whole and categories else 0
    hi = int(max(categories)) if whole and categories else -1
    table = np.zeros(hi - lo + 1, dtype=bool) if whole and hi - lo < 1 << 16 else None
    if table is not None:
        table[np.asarray(categories, dtype="int64") - lo] = True
    known = np.zeros(0, dtype=bool) if table is None else table
    from_zero = np.concatenate([np.zeros(max(lo, 0), dtype=bool), known])  # indexed by the value itself

    def check(values: pd.Series) -> Any:
        if table is None or not pd.api.types.is_integer_dtype(values):
            return values.isin(categories)
        raw = values.to_numpy()
        if len(raw) and lo <= raw.min() and raw.max() <= hi:
            if table.all():
                return True  # categories filling their range: min and max say it all (no per-row
                # array; each fresh one cost ~70 ms of page faults on the 5M-row drift path)
            if lo >= 0:
                return pd.Series(from_zero[raw], index=values.index)
        idx = raw.astype("int64", copy=False) - lo
        inside = (idx >= 0) & (idx < len(table))
        inside[inside] = table[idx[inside]]
        return pd.Series(inside, index=values.index)

    return check


CheckFn = Callable[[pd.Series], Any]
Rules = dict[str, tuple[bool, list[tuple[str, CheckFn]]]]  # column → (nullable, named checks)


def _plain_checks(spec: ColumnSpec, role: Role = "raw") -> list[tuple[str, CheckFn]]:
    """The column's checks as (name, function of the column → True or a per-row mask)."""
    if spec.type == "str":  # unseen text: refused, unless the column encodes it outside the raw data
        encode = spec.unknown == "encode" and role != "raw"
        allowed = spec.categories
        return [] if encode or allowed is None else [("categories", _in_text(list(allowed)))]
    checks: list[tuple[str, CheckFn]] = []
    if spec.type == "int":
        checks.append(("whole", _whole))
    if spec.categories is not None:
        checks.append(("categories", _in_categories(list(spec.categories))))
    if spec.range is not None:
        checks.append(("range", _in_range(*spec.range)))
    if spec.range is None and spec.categories is None:  # else those already refuse inf
        checks.append(("finite", _finite))
    return checks


def _in_text(allowed: list[Any]) -> CheckFn:
    return lambda values: values.isin(allowed)


def _plain_schema(params: Params, role: Role, present: list[str]) -> Rules:
    """Per present column: (nullable, checks), the contract's rules for a frame in `role`."""
    out = {name: (_nullable(name, spec, params, role), _plain_checks(spec, role))
           for name, spec in params.contract.columns.items() if name in present}
    if PREDICTION in present:
        out[PREDICTION] = (role == "current", _plain_checks(PREDICTION_SPEC))
    if MODEL_VERSION in present:
        out[MODEL_VERSION] = (False, [])
    return out


def schema(params: Params, role: Role, present: list[str]) -> pa.DataFrameSchema:
    """The pandera schema of a frame in `role` holding the columns `present`."""
    import pandera.pandas as pa

    return pa.DataFrameSchema({
        name: pa.Column(None, checks=[pa.Check(fn, name=check) for check, fn in checks], nullable=nullable)
        for name, (nullable, checks) in _plain_schema(params, role, present).items()})


def _passes(frame: pd.DataFrame, rules: Rules) -> bool:
    """Whether every column keeps its rules, checked directly (nulls pass a check, as in pandera):
    pandera's machinery costs ~3 ms a column and is only needed to describe a failure."""
    for name, (nullable, checks) in rules.items():
        values = frame[name]
        gaps = values.isna().to_numpy() if values.hasnans or values.dtype == object else None
        if gaps is not None and not nullable and gaps.any():
            return False
        for _, fn in checks:
            result = fn(values)
            if result is True:
                continue
            ok = np.asarray(result, dtype=bool)
            if not (ok | gaps).all() if gaps is not None else not ok.all():
                return False
    return True


def _spec(params: Params, name: str) -> ColumnSpec:
    return params.contract.columns.get(name, PREDICTION_SPEC)


def _describe(err: SchemaError, frame: pd.DataFrame, params: Params, source: object) -> str:
    """pandera's first failure as the contract's one-line message."""
    from pandera.errors import SchemaErrorReason

    name = str(getattr(err.schema, "name", ""))
    if err.reason_code == SchemaErrorReason.SERIES_CONTAINS_NULLS:
        n = int(frame[name].isna().sum())
        if name in params.contract.columns:
            return f"{source}: {missing_problem(name, n)}"
        return f"{source}: column {name!r} has {n} missing value(s); every row needs one"
    cases = err.failure_cases
    first = cases["failure_case"].iloc[0] if isinstance(cases, pd.DataFrame) and len(cases) else cases
    spec = _spec(params, name)
    problem = value_problem(name, spec, first if spec.type == "str" else float(first))
    return f"{source}: {problem or err}"


def _derived(frame: pd.DataFrame, ts: pd.Series, params: Params, source: object) -> None:
    cal: Calendar | None = None
    for name, spec in params.contract.columns.items():
        if spec.derived is None or name not in frame:
            continue
        cal = cal or Calendar(ts)
        expected = cal.field(spec.derived, narrow=True)
        got = frame[name].to_numpy()
        bad = got != expected
        if got.dtype.kind == "f":
            bad &= ~np.isnan(got)  # a nullable column's gaps are the null check's business
        if bad.any():
            i = int(bad.argmax())
            raise DataError(f"{source}: " + derived_problem(name, spec.derived, got[i],
                                                            ts.iloc[i].to_pydatetime(), int(expected[i])))


def _duplicates(ts: pd.Series, source: object, what: str = "timestamp") -> None:
    """A repeated timestamp (contract.key: timestamp) or key; sorted data needs one pass, not a hash."""
    values = ts.to_numpy()
    dup = (np.concatenate([[False], values[1:] == values[:-1]]) if ts.is_monotonic_increasing
           else ts.duplicated().to_numpy())
    if dup.any():
        raise DataError(f"{source}: duplicated {what} {ts.iloc[int(dup.argmax())]!s}")


def _future(ts: pd.Series, now: pd.Timestamp, source: object) -> None:
    future = ts > now
    if future.any():
        raise DataError(f"{source}: timestamp {ts[future].iloc[0]} is in the future "
                        f"(now {now:%Y-%m-%d %H:%M} UTC)")


def validate_frame(frame: pd.DataFrame, params: Params, role: Role, source: object,
                   now: pd.Timestamp | None = None) -> pd.DataFrame:
    """`frame` checked against the contract for `role`; returns it normalised (naive UTC
    `timestamp`, built and put first in the raw data; ignored raw columns and tolerated extras
    dropped; a batch in the store's column order).

    `now` (naive UTC): timestamps after it are refused (not for `predict`: forecasts are fine).
    """
    frame = _columns(frame, params, role, source)
    for name in frame.columns:
        if name in params.contract.columns:
            spec = params.contract.columns[name]
            check = _text if spec.type == "str" else _numeric
            check(frame[name], name, _nullable(name, spec, params, role), source)
        elif name == PREDICTION:
            _numeric(frame[name], name, role == "current", source)
    if role == "raw":
        ts = build_timestamp(frame, params.contract, source)
        frame = frame.drop(columns=[TIMESTAMP]) if TIMESTAMP in frame else frame  # `column: timestamp`
        frame.insert(0, TIMESTAMP, ts)
    elif TIMESTAMP in frame:
        ts = parse(frame[TIMESTAMP], TIMESTAMP, None, source)
        if ts is not frame[TIMESTAMP]:
            frame[TIMESTAMP] = ts
    if TIMESTAMP in frame:
        frame = _with_calendar(frame, params, role)
    if not _passes(frame, _plain_schema(params, role, list(frame.columns))):
        from pandera.errors import SchemaError

        try:  # pandera finds and names the first failure
            schema(params, role, list(frame.columns)).validate(frame, inplace=True)
        except SchemaError as err:
            raise DataError(_describe(err, frame, params, source)) from None
    key = id_column(params)
    if key != TIMESTAMP and key in frame:
        _duplicates(frame[key], source, f"key {key!r}")
    if TIMESTAMP in frame:
        if key == TIMESTAMP:
            _duplicates(frame[TIMESTAMP], source)
        if now is not None and role != "predict":
            _future(frame[TIMESTAMP], now, source)
        _derived(frame, frame[TIMESTAMP], params, source)
    if role == "batch":
        return frame[layout(params, "batch")[0]]
    return frame
