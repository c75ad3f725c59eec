"""The prediction log: requests hand rows to a queue; a background thread writes them as batches.

The request path only does `queue.put` (no DataFrame, no I/O). The writer thread flushes every
`flush_rows` rows or `flush_seconds`, and once more on shutdown, to `<store>/predictions/` in the
store's batch format (monitor/store.py) with the target still empty. /actuals later joins ground
truth to these rows and writes labeled batches to the store root, which is what the monitor reads.
A shadow model's predictions of the same rows (serve/shadow.py) go beside them, in the same
format with the shadow's model id, to `<store>/predictions/shadow/`.
"""

from __future__ import annotations

import io
import queue
import sys
import threading
import time
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd

from staleguard.contract import TIMESTAMP, dedupe
from staleguard.io import write_with
from staleguard.monitor import store
from staleguard.params import Params

PREDICTIONS = "predictions"
SHADOW = "shadow"
_STOP = object()
Item = tuple[list[dict[str, Any]], np.ndarray, str]  # (records, predictions, model id)


def hours(values: list[datetime | None]) -> pd.Series:
    """Timestamps as naive UTC, floored to the hour; a missing one is the current hour."""
    now = datetime.now(UTC).replace(tzinfo=None)
    clean = [(v.astimezone(UTC).replace(tzinfo=None) if v.tzinfo else v) if v else now for v in values]
    return pd.Series(pd.to_datetime(clean), dtype="datetime64[ns]").dt.floor("h")


def write_bytes(url: str, data: bytes) -> None:
    """Local folders: atomic rename; object stores: a single PUT is already all-or-nothing."""
    if "://" not in url or url.startswith("file://"):
        write_with(url.removeprefix("file://"), lambda tmp: tmp.write_bytes(data))
        return
    import fsspec

    with fsspec.open(url, "wb") as fh:
        fh.write(data)


def predictions_url(store_url: str, shadow: bool = False) -> str:
    return f"{store_url.rstrip('/')}/{PREDICTIONS}" + (f"/{SHADOW}" if shadow else "")


def as_batch(items: list[Item], params: Params) -> pd.DataFrame:
    """Queued (records, predictions, model id) → one batch: store columns, one row per id
    (contract.key; a re-sent hour or key replaces the earlier prediction, `none` keeps all)."""
    frame = pd.DataFrame([rec for records, _, _ in items for rec in records])
    frame[TIMESTAMP] = hours(list(frame[TIMESTAMP])).to_numpy()
    frame[store.PREDICTION] = np.concatenate([pred for _, pred, _ in items])
    frame[store.MODEL_VERSION] = [v for records, _, v in items for _ in records]
    frame[params.features.target] = np.nan
    frame = dedupe(frame, params).sort_values(TIMESTAMP, kind="stable")
    return frame[store.columns(params)].reset_index(drop=True)


def write_predictions(store_url: str, frame: pd.DataFrame, shadow: bool = False) -> str:
    """Write an unlabeled batch under <store>/predictions/[shadow/] (atomic for local folders)."""
    buf = io.BytesIO()
    frame.to_parquet(buf, index=False)
    url = f"{predictions_url(store_url, shadow)}/{store.batch_name(frame, f'serve-{time.time_ns()}')}"
    write_bytes(url, buf.getvalue())
    return url


def read_predictions(store_url: str, first: datetime | None, last: datetime | None, params: Params,
                     shadow: bool = False) -> pd.DataFrame | None:
    """Logged rows with timestamps in [first, last] (None: any; the latest per id wins), reading
    only overlapping batches."""
    try:
        refs = [r for r in store.list_batches(predictions_url(store_url, shadow))
                if (last is None or r.first <= last) and (first is None or r.last >= first)]
    except store.StoreError:
        return None  # nothing logged yet
    frames = [pd.read_parquet(io.BytesIO(store.read_bytes(r.url))) for r in refs]
    if not frames:
        return None
    frame = pd.concat(frames, ignore_index=True)
    if first is not None and last is not None:
        frame = frame[(frame[TIMESTAMP] >= first) & (frame[TIMESTAMP] <= last)]
    return dedupe(frame, params)


class PredictionLog:
    """Batches logged predictions off the request path; `close()` flushes what is left."""

    def __init__(self, store_url: str, params: Params, flush_rows: int, flush_seconds: float) -> None:
        self.store_url, self.params = store_url, params
        self.flush_rows, self.flush_seconds = flush_rows, flush_seconds
        self.queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self.pending: list[Item] = []
        self.shadow: list[Item] = []
        self.pending_rows = 0
        self.written: list[str] = []
        self.thread = threading.Thread(target=self._run, name="prediction-log", daemon=True)

    def start(self) -> PredictionLog:
        self.thread.start()
        return self

    def put(self, records: list[dict[str, Any]], predictions: np.ndarray, model_version: str) -> None:
        """Called on the request path: O(1), never blocks on I/O."""
        self.queue.put((records, predictions, model_version))

    def put_shadow(self, records: list[dict[str, Any]], predictions: np.ndarray, model_version: str) -> None:
        """A shadow model's predictions of rows already logged (called by the shadow worker)."""
        self.queue.put((records, predictions, model_version, SHADOW))

    def flush(self, timeout: float = 30) -> None:
        """Write everything queued so far (/actuals uses it to see the latest predictions)."""
        done = threading.Event()
        self.queue.put(done)
        done.wait(timeout)

    def close(self) -> None:
        self.queue.put(_STOP)
        self.thread.join(timeout=60)

    def _run(self) -> None:
        deadline = time.monotonic() + self.flush_seconds
        while True:
            try:
                item = self.queue.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                item = None
            if isinstance(item, tuple):
                (self.shadow if len(item) == 4 else self.pending).append(item[:3])
                self.pending_rows += len(item[0])
                if self.pending_rows < self.flush_rows:
                    continue
            self._write()
            deadline = time.monotonic() + self.flush_seconds
            if isinstance(item, threading.Event):
                item.set()
            if item is _STOP:
                return

    def _write(self) -> None:
        for shadow in (False, True):
            items = self.shadow if shadow else self.pending
            if not items:
                continue
            rows = sum(len(records) for records, _, _ in items)
            try:
                self.written.append(write_predictions(self.store_url, as_batch(items, self.params), shadow))
            except Exception as err:  # keep serving and keep the rows: the next flush retries them
                print(f"staleguard serve: prediction log: {rows} rows not yet written to "
                      f"{predictions_url(self.store_url, shadow)} ({type(err).__name__}: {err})",
                      file=sys.stderr)
                continue
            if shadow:
                self.shadow = []
            else:
                self.pending = []
            self.pending_rows -= rows
