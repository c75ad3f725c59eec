"""The production store: a folder or fsspec URL of labeled Parquet batches (docs/monitor.md).

Serving writes batches here; `simulate` writes the held-back UCI weeks here; the monitor reads
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

from staleguard.data.schema import TIMESTAMP, coerce_numeric, require_columns
from staleguard.errors import DataError
from staleguard.io import write_with
from staleguard.params import Params

STORE_ENV = "STALEGUARD_STORE"
PREDICTION = "prediction"
MODEL_VERSION = "model_version"
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
    """Every column a batch must hold, in file order."""
    return [TIMESTAMP, *params.features.columns, PREDICTION, params.features.target, MODEL_VERSION]


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


def parse_batch(data: bytes, source: str, params: Params) -> pd.DataFrame:
    """Bytes of one batch → a validated frame; any format problem is a DataError naming `source`."""
    if not data:
        raise DataError(f"{source}: empty file (0 bytes); expected a Parquet batch")
    try:
        frame = pd.read_parquet(io.BytesIO(data))
    except Exception as err:  # pyarrow raises several types for non-Parquet bytes
        raise DataError(f"{source}: not a readable Parquet file ({type(err).__name__}: {err})") from err
    return validate(frame, source, params)


def validate(frame: pd.DataFrame, source: str, params: Params) -> pd.DataFrame:
    """Check a batch against the store format and return it with a tz-naive timestamp."""
    cols = columns(params)
    require_columns(frame, cols, source)
    if frame.empty:
        raise DataError(f"{source}: batch holds no rows")
    target = params.features.target
    frame = coerce_numeric(frame, [*params.features.columns, PREDICTION], source)
    if frame[target].notna().any():  # an all-empty actual is fine: not labeled yet
        frame = coerce_numeric(frame, [target], source)
    ts = frame[TIMESTAMP]
    if not pd.api.types.is_datetime64_any_dtype(ts):
        raise DataError(f"{source}: column {TIMESTAMP!r} must be a datetime, got {ts.dtype}")
    if getattr(ts.dt, "tz", None) is not None:
        frame[TIMESTAMP] = ts.dt.tz_convert("UTC").dt.tz_localize(None)
    for col in (TIMESTAMP, *params.features.columns, PREDICTION, MODEL_VERSION):
        if frame[col].isna().any():
            raise DataError(f"{source}: column {col!r} has {int(frame[col].isna().sum())} "
                            "missing value(s); only the actual "
                            f"{target!r} may be missing (not yet labeled)")
    dup = frame[TIMESTAMP].duplicated()
    if dup.any():
        raise DataError(f"{source}: duplicated timestamp {frame.loc[dup, TIMESTAMP].iloc[0]}")
    return frame[cols]


def read_batch(ref: BatchRef, params: Params) -> pd.DataFrame:
    return parse_batch(read_bytes(ref.url), ref.url, params)


def to_bytes(frame: pd.DataFrame) -> bytes:
    buf = io.BytesIO()
    frame.to_parquet(buf, index=False)
    return buf.getvalue()


def write_batch(store: str, frame: pd.DataFrame, params: Params, source: str = "serve") -> str:
    """Validate `frame` and write it as one batch; returns its URL. Local writes are atomic."""
    frame = validate(frame.copy(), f"batch for {store}", params)
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
