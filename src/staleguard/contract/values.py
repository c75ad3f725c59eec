"""One value against its column's contract: the problem text, shared by frames and the API.

Frames find their first bad value with vectorised checks and describe it here, the API's
validators describe each field here, so the same bad value reads the same on every path.
"""

from __future__ import annotations

import math
from datetime import datetime

from staleguard.params import ColumnSpec, Derived


def _num(value: float) -> str:
    return f"{float(value):g}"


def _values(values: list[float]) -> str:
    return "[" + ", ".join(_num(v) for v in values) + "]"


def value_problem(name: str, spec: ColumnSpec, value: float | str) -> str | None:
    """Why `value` breaks column `name`'s contract (None when it does not); never for a missing value."""
    if spec.type == "str" or isinstance(value, str):
        return text_problem(name, spec, value)
    if spec.type == "int" and math.isfinite(value) and value != int(value):
        return f"column {name!r} must hold whole numbers, got {_num(value)}"
    if spec.categories is not None and value not in spec.categories:
        return (f"column {name!r} has unseen category {_num(value)}; "
                f"known values are {_values([float(v) for v in spec.categories])}")
    if spec.range is not None and not spec.range[0] <= value <= spec.range[1]:
        return f"column {name!r} has value {_num(value)} outside its range {_values(list(spec.range))}"
    if not math.isfinite(value):
        return f"column {name!r} has the non-finite value {_num(value)}"
    return None


def missing_problem(name: str, count: int = 1) -> str:
    """A missing value (null, empty cell, absent field) in a column the contract says is not nullable."""
    return f"column {name!r} has {count} missing value(s); contract.columns.{name}.nullable is false"


def kind_problem(name: str, spec: ColumnSpec, value: object) -> str | None:
    """A value of the wrong kind: text (even "45428") or a boolean in a number column, a number in
    a text column. Strict on every path: a file's column and a request's field alike."""
    if spec.type == "str":
        return None if isinstance(value, str) else f"column {name!r} must be text, got {value!r}"
    if isinstance(value, bool) or not isinstance(value, int | float):
        return f"column {name!r} must be numeric, got {value!r}"
    return None


def text_problem(name: str, spec: ColumnSpec, value: object, encode_unknown: bool = False
                 ) -> str | None:
    """A text category column's value: text, one of its categories (unless unknowns are encoded)."""
    if spec.type != "str":
        return f"column {name!r} must be numeric, got {value!r}"
    kind = kind_problem(name, spec, value)
    if kind:
        return kind
    if spec.categories is not None and value not in spec.categories and not encode_unknown:
        return (f"column {name!r} has unseen category {value!r}; allowed values are "
                f"{list(spec.categories)} (contract.columns.{name}.unknown: refuse)")
    return None


def describe(derived: Derived) -> str:
    """How the contract derives a field, for messages: 'month', 'year - 2011', 'dayofweek (Sunday = 0)'."""
    text: str = derived.source
    if derived.offset:
        text += f" - {derived.offset}" if derived.offset > 0 else f" + {-derived.offset}"
    if derived.sunday is not None:
        text += f" (Sunday = {derived.sunday})"
    return text


def derived_problem(name: str, derived: Derived, got: float, timestamp: datetime, expected: int) -> str:
    """A calendar column that contradicts its own timestamp."""
    return (f"column {name!r} is {_num(got)} at {timestamp:%Y-%m-%d %H:%M}, but the contract derives "
            f"{expected} from that timestamp ({name} = {describe(derived)})")


def calendar_of(derived: Derived, when: datetime) -> int:
    """The field `derived` of one timestamp (the scalar twin of timestamp.calendar)."""
    if derived.source == "dayofweek":
        monday0 = when.isoweekday() - 1
        value = monday0 if derived.sunday is None else (monday0 + 1 + derived.sunday) % 7
    elif derived.source == "dayofyear":
        value = when.timetuple().tm_yday
    elif derived.source == "quarter":
        value = (when.month - 1) // 3 + 1
    else:
        value = getattr(when, derived.source)
    return value - derived.offset
