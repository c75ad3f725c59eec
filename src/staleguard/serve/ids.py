"""Prediction ids for row identity by key or by nothing (contract.key, docs/contract.md).

A request row carries its key column, or the server assigns one; /predict returns the ids and
/actuals labels predictions by them, so many rows of the same timestamp stay apart.
"""

from __future__ import annotations

import uuid
from typing import Any

from staleguard.errors import DataError
from staleguard.params import Params


class Ids:
    """Prediction ids (docs/contract.md, row identity): the request's key column when it carries
    one, else assigned here (`row_id` for contract.key: none); returned with the predictions."""

    def __init__(self, column: str, params: Params) -> None:
        spec = params.contract.columns.get(column)
        self.column, self.numeric = column, spec is not None and spec.type == "int"

    def new(self) -> str | int:
        return uuid.uuid4().int >> 66 if self.numeric else uuid.uuid4().hex

    def fill(self, records: list[dict[str, Any]]) -> list[str | int]:
        """Each record's id, assigning the missing ones in place; a repeated id is refused."""
        out = []
        for rec in records:
            value = rec.get(self.column)
            if value is None:
                value = rec[self.column] = self.new()
            elif self.numeric and not isinstance(value, int):
                value = rec[self.column] = self.cast([value])[0]
            out.append(value)
        if len(set(out)) != len(out):
            raise DataError(f"{self.column} {next(v for v in out if out.count(v) > 1)!r} appears twice in "
                            "this request; each row needs its own id")
        return out

    def cast(self, values: list[Any]) -> list[Any]:
        """Ids as the store holds them: whole numbers for an int key column."""
        if not self.numeric:
            return [str(v) for v in values]
        try:
            return [int(v) for v in values]
        except ValueError as err:
            raise DataError(f"{self.column} must be a whole number ({err})") from None
