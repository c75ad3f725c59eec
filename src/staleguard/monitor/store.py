"""The production store: a folder or fsspec URL of labeled Parquet batches (docs/monitor.md).

Serving writes batches here; `simulate` writes the raw data's held-back weeks here; the monitor reads
them. One batch = one file `<first>_<last>_<source>.parquet`, where first/last are the batch's
min/max timestamps as `YYYYMMDDTHHMM`, so the monitor picks new batches by name without opening
old ones. A batch that breaks the format is refused by name, never merged into training data.
"""

from __future__ import annotations

import io
import os
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pandas as pd

from staleguard.contract import (
    MODEL_VERSION,
    PREDICTION,
    TIMESTAMP,
    check_batch,
    layout,
    read_table,
    validate_frame,
)
from staleguard.errors import DataError
from staleguard.io import write_with
from staleguard.params import Params

STORE_ENV = "STALEGUARD_STORE"
__all__ = ["MODEL_VERSION", "PREDICTION", "BatchRef", "StoreError", "list_batches", "parse_batch",
           "read_batch", "validate", "write_batch"]
STAMP = "%Y%m%dT%H%M"
NAME = re.compile(r"^(?P<first>\d{8}T\d{4})_(?P<last>\d{8}T\d{4})_(?P<source>[A-Za-z0-9.-]+)\.parquet$")


class StoreError(DataError):
    """The store cannot be reached or listed (as opposed to one bad batch)."""


@dataclass(frozen=True)
class BatchRef:
    """One batch file: its URL and the time range its name declares."""

    url: str
    name: str
    first: datetime
    last: datetime


def resolve(store: str | None, params: Params) -> str:
    """The store to use: --store, else $STALEGUARD_STORE, else params.yaml monitor.store."""
    return store or os.environ.get(STORE_ENV) or params.monitor.store


def columns(params: Params) -> list[str]:
    """Every column a batch must hold, in file order (the contract's `batch` layout)."""
    return layout(params, "batch")[0]


def batch_name(frame: pd.DataFrame, source: str) -> str:
    """The file name for a batch: its first/last timestamps and who wrote it."""
    if not re.fullmatch(r"[A-Za-z0-9.-]+", source):
        raise DataError(f"batch source {source!r} must match [A-Za-z0-9.-]+ (it goes in a file name)")
    ts = frame[TIMESTAMP]
    return f"{ts.min():{STAMP}}_{ts.max():{STAMP}}_{source}.parquet"


def _fs(store: str) -> tuple[Any, str]:
    """(fsspec filesystem, root path inside it)."""
    import fsspec

    try:
        return fsspec.core.url_to_fs(store)
    except (ImportError, ValueError) as err:
        raise StoreError(f"store {store}: unsupported URL ({err})") from err


def _join(store: str, name: str) -> str:
    return f"{store.rstrip('/')}/{name}"


def list_batches(store: str) -> list[BatchRef]:
    """Every batch in the store, sorted by name (= by first timestamp).

    A missing or unreachable store is a StoreError; a `.parquet` file whose name breaks the
    convention is a DataError naming it (the monitor cannot tell which window it belongs to).
    """
    fs, root = _fs(store)
    try:
        if not fs.isdir(root):
            raise StoreError(f"store {store}: not found (or not a folder); run `staleguard simulate` "
                             "or point --store / $STALEGUARD_STORE at the serving logs")
        names = sorted(p.rstrip("/").rsplit("/", 1)[-1] for p in fs.ls(root, detail=False))
    except StoreError:
        raise
    except Exception as err:  # botocore/aiohttp/OS errors: the store is unreachable
        raise StoreError(f"store {store}: cannot list batches ({type(err).__name__}: {err})") from err
    refs, bad = [], []
    for name in (n for n in names if n.endswith(".parquet")):
        m = NAME.match(name)
        if not m:
            bad.append(name)
            continue
        refs.append(BatchRef(_join(store, name), name, datetime.strptime(m["first"], STAMP),
                             datetime.strptime(m["last"], STAMP)))
    if bad:
        raise DataError(f"store {store}: batch file(s) {bad} refused: names must be "
                        "<first>_<last>_<source>.parquet with YYYYMMDDTHHMM times")
    return refs


def read_bytes(url: str) -> bytes:
    import fsspec

    try:
        with fsspec.open(url, "rb") as fh:
            return fh.read()
    except FileNotFoundError as err:
        raise StoreError(f"{url}: batch vanished while reading") from err
    except Exception as err:
        raise StoreError(f"{url}: cannot read ({type(err).__name__}: {err})") from err


def parse_batch(data: bytes, source: str, params: Params, now: pd.Timestamp | None = None) -> pd.DataFrame:
    """Bytes of one batch → a validated frame; any problem is one DataError naming `source`.

    The contract's checks (contract.validate_frame, role `batch`) and the batch rules
    (contract.check_batch): the span its file name declares, row count, coverage, training start.
    """
    frame = validate(read_table(data, source, "parquet"), source, params, now)
    m = NAME.match(source.rstrip("/").rsplit("/", 1)[-1])
    named = (datetime.strptime(m["first"], STAMP), datetime.strptime(m["last"], STAMP)) if m else None
    check_batch(frame, params, source, named)
    return frame


def validate(frame: pd.DataFrame, source: str, params: Params, now: pd.Timestamp | None = None
             ) -> pd.DataFrame:
    """Check a batch against the contract and return it in the store's column order (naive UTC)."""
    now = now if now is not None else pd.Timestamp.now(tz="UTC").tz_localize(None)
    return validate_frame(frame, params, "batch", source, now)


def read_batch(ref: BatchRef, params: Params) -> pd.DataFrame:
    return parse_batch(read_bytes(ref.url), ref.url, params)


def to_bytes(frame: pd.DataFrame) -> bytes:
    buf = io.BytesIO()
    frame.to_parquet(buf, index=False)
    return buf.getvalue()


def write_batch(store: str, frame: pd.DataFrame, params: Params, source: str = "serve") -> str:
    """Validate `frame` and write it as one batch; returns its URL. Local writes are atomic."""
    frame = validate(frame.copy(), f"batch for {store}", params)
    check_batch(frame, params, f"batch for {store}")
    name = batch_name(frame, source)
    url = _join(store, name)
    fs, root = _fs(store)
    if "://" not in store or store.startswith("file://"):
        write_with(_join(root, name), lambda tmp: frame.to_parquet(tmp, index=False))
        return url
    try:
        fs.makedirs(root, exist_ok=True)
        with fs.open(_join(root, name), "wb") as fh:
            fh.write(to_bytes(frame))
    except Exception as err:
        raise StoreError(f"store {store}: cannot write {name} ({type(err).__name__}: {err})") from err
    return url
