"""Prediction ids (contract.key, docs/contract.md): assigned, and checked against the log.

A request row carries its key column, or the server assigns one; /predict returns the ids and
/actuals labels predictions by them, so many rows of the same timestamp stay apart. `Logged`
remembers every id the prediction log holds (a period, a key), so a repeat is refused.
"""

from __future__ import annotations

import sys
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pandas as pd

from staleguard.contract import TIMESTAMP
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


EPOCH, MICROSECOND = datetime(1970, 1, 1), timedelta(microseconds=1)


class AlreadyLogged(DataError):
    """/predict for an id the prediction log already holds, with serve.corrections: refuse (409)."""


class Logged:
    """The ids the prediction log holds, in memory, so that a /predict repeating one is refused
    (serve.corrections: refuse) with one set lookup per row, never a store scan per request.

    Loaded once at start-up from the id column of the store's prediction batches and of the
    journal's unshipped segments; each accepted request adds its ids under a lock (two concurrent
    requests with one id: the second is refused). Memory grows with the ids logged: a Python int
    or str each (~70-100 bytes in the set), ~100 MB per million ids.
    """

    def __init__(self, column: str, params: Params, known: set[Any] | None = None) -> None:
        self.column, self.params = column, params
        self.ids = None if column == TIMESTAMP else Ids(column, params)
        self.period_ns = round(params.contract.timestamp.period_seconds * 1e9)
        self.known: set[Any] = known if known is not None else set()
        self.lock = threading.Lock()

    def keys(self, records: list[dict[str, Any]]) -> list[Any]:
        """Each record's id as the store holds it: the start of its period in ns since the epoch
        (contract/identity.py `period_start`, in plain Python: a pandas Series cost ~1 ms a
        request), or its cast key."""
        if self.ids is not None:
            return self.ids.cast([rec[self.column] for rec in records])
        now = None
        out = []
        for rec in records:  # a missing timestamp is the time it is logged: fixed here, journaled as is
            when = rec.get(TIMESTAMP)
            if when is None:
                when = rec[TIMESTAMP] = now = now or datetime.now(UTC).replace(tzinfo=None)
            elif when.tzinfo is not None:
                when = when.astimezone(UTC).replace(tzinfo=None)
            ns = (when - EPOCH) // MICROSECOND * 1000
            out.append(ns - ns % self.period_ns)
        return out

    def claim(self, records: list[dict[str, Any]]) -> None:
        """Add the records' ids, or refuse them all (nothing added) when one is logged already."""
        keys = self.keys(records)
        if len(set(keys)) != len(keys):
            twice = next(k for k in keys if keys.count(k) > 1)
            raise DataError(f"{self.column} {self._show([twice])} appears twice in this request; the "
                            "contract keeps one row per id (serve.corrections: refuse)")
        with self.lock:
            seen = [k for k in keys if k in self.known]
            if not seen:
                self.known.update(keys)
                return
        more = f" and {len(seen) - 5} more" if len(seen) > 5 else ""
        raise AlreadyLogged(f"{self.column} {self._show(seen[:5])}{more} already logged by an earlier "
                            "request; nothing written for this request (serve.corrections: refuse; set it "
                            "to replace to let a later prediction correct a logged one)")

    def _show(self, keys: list[Any]) -> str:
        if self.ids is None:
            keys = [f"{pd.Timestamp(k):%Y-%m-%d %H:%M:%S}" for k in keys]
        return ", ".join(map(str, keys))

    @classmethod
    def load(cls, column: str, params: Params, store_url: str, pending: list[list[dict[str, Any]]]
             ) -> Logged:
        """The ids in the store's prediction batches plus `pending` (the journal's unshipped rows)."""
        logged = cls(column, params)
        for frame in logged_ids(store_url, column):
            if column == TIMESTAMP:
                logged.known.update(frame.astype("datetime64[ns]").astype("int64").tolist())
            else:
                logged.known.update(logged.keys([{column: v} for v in frame.tolist()]))
        for records in pending:
            logged.known.update(logged.keys(records))
        return logged


def logged_ids(store_url: str, column: str) -> Iterator[pd.Series]:
    """The id column of each prediction batch in the store (only that column is decoded)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from staleguard.monitor import store
    from staleguard.serve.predlog import predictions_url

    url = predictions_url(store_url)
    try:
        refs = store.list_batches(url)
    except store.StoreError as err:
        if "not found" not in str(err):  # not the first start: repeats of earlier ids go unseen
            print(f"staleguard serve: prediction log: {err}; ids logged before this start are not "
                  "checked for repeats", file=sys.stderr, flush=True)
        return
    for ref in refs:
        table = pq.read_table(pa.BufferReader(store.read_bytes(ref.url)), columns=[column])
        yield table.column(0).to_pandas()
