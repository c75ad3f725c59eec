"""The prediction log: requests append their rows to a local journal; a background thread ships
them to the store as batches.

The request path does one append to the journal (serve/journal.py: no DataFrame, no store I/O),
so an answered request is on local disk before the client sees it. The shipper thread seals a
segment every `flush_rows` rows or `flush_seconds`, and once more on shutdown, and writes it to
`<store>/predictions/` in the store's batch format (monitor/store.py) with the target still
empty; a store that is down is retried, and the rows wait in the journal meanwhile. /actuals later
joins ground truth to these rows and writes labeled batches to the store root, which is what the
monitor reads.
A shadow model's predictions of the same rows (serve/shadow.py) go beside them, in the same
format with the shadow's model id, to `<store>/predictions/shadow/`.
"""

from __future__ import annotations

import io
import os
import sys
import time
from collections import deque
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from staleguard.contract import TIMESTAMP, dedupe, period_start, read_parquet
from staleguard.io import write_with
from staleguard.monitor import store
from staleguard.params import Params
from staleguard.serve.journal import JOURNAL_ENV, Journal, Segment, default_folder
from staleguard.serve.worker import QueueWorker

PREDICTIONS = "predictions"
SHADOW = "shadow"
Item = tuple[list[dict[str, Any]], np.ndarray, str]  # (records, predictions, model id)
STALL_SECONDS = 5.0  # a store write unanswered this long counts as an unreachable store


def stamps(values: list[datetime | None], params: Params) -> pd.Series:
    """Request timestamps as the store keys them: naive UTC, a missing one now, and the start of
    its period when the timestamp identifies the row (contract/identity.py `period_start`)."""
    now = datetime.now(UTC).replace(tzinfo=None)
    clean = [(v.astimezone(UTC).replace(tzinfo=None) if v.tzinfo else v) if v else now for v in values]
    return period_start(pd.Series(pd.to_datetime(clean), dtype="datetime64[ns]"), params)


def write_parquet(url: str, frame: pd.DataFrame) -> None:
    """Local folders: encoded into a temporary file, renamed when whole (a reader never sees it
    before); object stores: one PUT of the encoded bytes, which is all-or-nothing already."""
    if "://" not in url or url.startswith("file://"):
        write_with(url.removeprefix("file://"), lambda tmp: frame.to_parquet(tmp, index=False))
        return
    import fsspec

    buf = io.BytesIO()
    frame.to_parquet(buf, index=False)
    with fsspec.open(url, "wb") as fh:
        fh.write(buf.getvalue())


def predictions_url(store_url: str, shadow: bool = False) -> str:
    return f"{store_url.rstrip('/')}/{PREDICTIONS}" + (f"/{SHADOW}" if shadow else "")


def as_batch(items: list[Item], params: Params) -> pd.DataFrame:
    """Queued (records, predictions, model id) → one batch: store columns, one row per id
    (contract.key; a re-sent period or key replaces the earlier prediction, `none` keeps all)."""
    frame = pd.DataFrame([rec for records, _, _ in items for rec in records])
    frame[TIMESTAMP] = stamps(list(frame[TIMESTAMP]), params).to_numpy()
    frame[store.PREDICTION] = np.concatenate([pred for _, pred, _ in items])
    frame[store.MODEL_VERSION] = [v for records, _, v in items for _ in records]
    frame[params.features.target] = np.nan
    frame = dedupe(frame, params).sort_values(TIMESTAMP, kind="stable")
    return frame[store.columns(params)].reset_index(drop=True)


def write_predictions(store_url: str, frame: pd.DataFrame, shadow: bool = False,
                      source: str | None = None) -> str:
    """Write an unlabeled batch under <store>/predictions/[shadow/] (atomic for local folders);
    the same `source` and rows give the same file name, so a repeated write replaces, not adds."""
    name = store.batch_name(frame, source or f"serve-{time.time_ns()}")
    url = f"{predictions_url(store_url, shadow)}/{name}"
    write_parquet(url, frame)
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
    frames = [read_parquet(store.read_bytes(r.url)) for r in refs]  # bytes via an Arrow buffer
    if not frames:
        return None
    frame = pd.concat(frames, ignore_index=True)
    if first is not None and last is not None:
        frame = frame[(frame[TIMESTAMP] >= first) & (frame[TIMESTAMP] <= last)]
    return dedupe(frame, params)


class PredictionLog(QueueWorker[Segment]):
    """Journals logged rows on the request path and ships sealed segments to the store in order.

    A segment is sealed at `flush_rows` rows or after `flush_seconds` (not by time while the store
    is unreachable: fewer, larger batches to catch up with). A failed store write leaves the segment
    in the journal and is retried with a backoff of up to `retry_seconds`; segments left by an
    earlier process (a crash, a store still down at shutdown) are shipped first.
    """

    name = "prediction-log"

    def __init__(self, store_url: str, params: Params, flush_rows: int, flush_seconds: float,
                 journal: Path | str | None = None, retry_seconds: float | None = None) -> None:
        super().__init__()
        self.store_url, self.params = store_url, params
        self.flush_rows, self.flush_seconds = flush_rows, flush_seconds
        self.retry_seconds = retry_seconds or params.serve.retry_seconds
        folder = journal or params.serve.journal
        self.journal = Journal(folder or default_folder(store_url), params.serve.buffer_rows,
                               tidy=folder is None and not os.environ.get(JOURNAL_ENV))
        self.backlog: deque[Segment] = deque(self.journal.recover())
        if self.backlog:
            print(f"staleguard serve: prediction log: {self.journal.pending_rows} rows left in journal "
                  f"{self.journal.folder} by an earlier run; shipping them to {store_url} first",
                  file=sys.stderr, flush=True)
        self.written: list[str] = []
        self.down_since: datetime | None = None
        self.last_error = ""
        self.writing_since: datetime | None = None  # a store write under way (it may hang)
        self.failures = 0
        self.backoff = 0.0
        self.next_try = 0.0
        self.bad: list[str] = []

    @property
    def pending_rows(self) -> int:
        return self.journal.pending_rows

    def put(self, records: list[dict[str, Any]], predictions: np.ndarray, model_version: str,
            shadow: bool = False) -> None:
        """Called on the request path: one append to the journal (no store I/O, no DataFrame)."""
        sealed = self.journal.append((records, predictions, model_version, shadow), self.flush_rows)
        if sealed is not None:
            self.queue.put(sealed)

    def put_shadow(self, records: list[dict[str, Any]], predictions: np.ndarray, model_version: str) -> None:
        """A shadow model's predictions of rows already logged (called by the shadow worker)."""
        self.put(records, predictions, model_version, shadow=True)

    def flush(self, timeout: float = 30) -> bool:
        """Ship everything logged so far (/actuals needs the latest predictions in the store)."""
        sealed = self.journal.seal()
        if sealed is not None:
            self.queue.put(sealed)
        return super().flush(timeout)

    def close(self, timeout: float = 60) -> None:
        """Seal and ship what is left (one try); what the store refuses stays in the journal."""
        sealed = self.journal.seal()
        if sealed is not None:
            self.queue.put(sealed)
        super().close(timeout)
        if self.pending_rows:
            print(f"staleguard serve: prediction log: {self.pending_rows} rows not yet in {self.store_url} "
                  f"stay in journal {self.journal.folder}; the next server on it ships them",
                  file=sys.stderr, flush=True)
        self.journal.close()

    def problems(self) -> list[str]:
        """One line per reason the log is behind (for /health)."""
        lines = []
        since = self.unreachable_since()
        if since is not None:
            why = self.last_error if self.down_since else (
                f"a write has been waiting {(datetime.now(UTC) - since).total_seconds():.0f} s for an answer")
            lines.append(f"store unreachable since {since:%Y-%m-%d %H:%M:%S} UTC, "
                         f"{self.pending_rows} rows pending ({why})")
        journal = self.journal.problem()
        if journal:
            lines.append(journal)
        if self.bad:
            lines.append(f"{len(self.bad)} journal segment(s) unreadable, set aside: {', '.join(self.bad)}")
        return lines

    def unreachable_since(self) -> datetime | None:
        """Since when the store fails writes, or has not answered one for STALL_SECONDS; else None."""
        writing = self.writing_since
        if self.down_since is None and writing is not None:
            return writing if (datetime.now(UTC) - writing).total_seconds() > STALL_SECONDS else None
        return self.down_since

    def tick(self) -> float:
        waits = [self.flush_seconds - (self.journal.age() or 0.0)] if self.down_since is None else []
        if self.backlog:
            waits.append(self.next_try - time.monotonic())
        return max(0.01, min(waits)) if waits else self.flush_seconds

    def idle(self) -> None:
        if self.down_since is None:
            sealed = self.journal.seal(older_than=self.flush_seconds)
            if sealed is not None:
                self.backlog.append(sealed)

    def work(self, items: list[Segment]) -> bool:
        self.backlog.extend(items)
        if self.backlog and (self.stopping or time.monotonic() >= self.next_try):
            self._ship()
        return not self.backlog

    def _ship(self) -> None:
        while self.backlog:
            seg = self.backlog[0]
            try:
                batches = self._batches(seg)
            except Exception as err:  # a segment that cannot become a batch must not block the rest
                bad = self.journal.set_aside(seg)
                self.bad.append(str(bad or seg.name))
                self._say(f"journal segment {seg.name} set aside ({type(err).__name__}: {err})")
                self.backlog.popleft()
                continue
            self.writing_since = datetime.now(UTC)
            try:
                urls = [write_predictions(self.store_url, frame, shadow, source=f"serve-{seg.name}")
                        for shadow, frame in batches]
            except Exception as err:  # keep serving and keep the rows: retried after a backoff
                self._down(seg, err)
                return
            finally:
                self.writing_since = None
            self.written += urls
            self.journal.shipped(seg)
            self.backlog.popleft()
            if self.down_since is not None:
                self._say(f"store {self.store_url} reachable again after "
                          f"{(datetime.now(UTC) - self.down_since).total_seconds():.0f} s")
            self.down_since, self.backoff = None, 0.0

    def _batches(self, seg: Segment) -> list[tuple[bool, pd.DataFrame]]:
        items = seg.items()
        return [(shadow, as_batch([i[:3] for i in items if i[3] == shadow], self.params))
                for shadow in (False, True) if any(i[3] == shadow for i in items)]

    def _down(self, seg: Segment, err: Exception) -> None:
        capped = self.backoff >= self.retry_seconds
        self.failures = 0 if self.down_since is None else self.failures + 1
        self.backoff = min(max(self.backoff * 2, 0.5), self.retry_seconds)
        self.next_try = time.monotonic() + self.backoff
        self.last_error = f"{type(err).__name__}: {err}".splitlines()[0][:300]
        if self.down_since is None:  # since the write that began the outage
            self.down_since = self.writing_since or datetime.now(UTC)
        if capped and self.failures % 10:
            return  # a long outage: one line per ten tries
        self._say(f"{self.pending_rows} rows not yet written to {predictions_url(self.store_url)} "
                  f"({self.last_error}); kept in journal {self.journal.folder}, next try in "
                  f"{self.backoff:g} s")

    def _say(self, message: str) -> None:
        print(f"staleguard serve: prediction log: {message}", file=sys.stderr, flush=True)
