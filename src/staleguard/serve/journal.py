"""The prediction log's journal: each logged request is appended to a local file before its answer
leaves, and the file is deleted only once the store holds its rows.

A segment is one file of JSON lines, one line per logged request (records, predictions, model id,
served or shadow), written with a single `write` on an `O_APPEND` descriptor. A `kill -9` can
leave at most a torn last line (no newline), which recovery cuts off; that request was never
answered. A failed append (disk full) is truncated back, so no partial line stays; its rows are
then held in memory (at most `memory_rows`, beyond that counted as dropped) and /health says so.

Segments are named by their creation time in ns. The store batch of a segment is named from that
(`serve-<ns>`), so shipping a segment twice (a crash between the store write and the delete)
writes the same file twice: the store holds each row once.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import orjson

from staleguard.contract import TIMESTAMP
from staleguard.errors import ConfigError

JOURNAL_ENV = "STALEGUARD_JOURNAL"
OPEN, SEALED, LOCK = ".open", ".jsonl", ".lock"
Item = tuple[list[dict[str, Any]], np.ndarray, str, bool]  # (records, predictions, model id, shadow)


def default_folder(store_url: str) -> Path:
    """$STALEGUARD_JOURNAL, else one folder per store under ~/.cache (survives restarts)."""
    if os.environ.get(JOURNAL_ENV):
        return Path(os.environ[JOURNAL_ENV])
    key = hashlib.sha256(store_url.encode()).hexdigest()[:12]
    return Path.home() / ".cache" / "staleguard" / "journal" / key


def encode(item: Item) -> bytes:
    records, predictions, version, shadow = item
    return orjson.dumps({"r": records, "p": predictions.tolist(), "v": version, "s": shadow},
                        option=orjson.OPT_APPEND_NEWLINE)


def decode(line: bytes) -> Item:
    obj = orjson.loads(line)
    records = obj["r"]
    for rec in records:
        rec[TIMESTAMP] = datetime.fromisoformat(rec[TIMESTAMP])
    return records, np.asarray(obj["p"], dtype=float), obj["v"], bool(obj["s"])


def read_lines(data: bytes) -> tuple[list[Item], int]:
    """Complete lines only: a torn tail (no newline) is left out. Returns (items, bytes used)."""
    end = data.rfind(b"\n") + 1
    return [decode(line) for line in data[:end].splitlines() if line], end


@dataclass
class Segment:
    """Rows not yet in the store: a journal file, or (journal unwritable) a list in memory."""

    name: str
    path: Path | None
    rows: int = 0
    started: float = field(default_factory=time.monotonic)
    memory: list[Item] = field(default_factory=list)

    def items(self) -> list[Item]:
        if self.path is None:
            return self.memory
        return read_lines(self.path.read_bytes())[0] + self.memory


class Journal:
    """Appends on the request path (thread-safe), seals segments, recovers them after a crash."""

    def __init__(self, folder: Path | str, memory_rows: int, tidy: bool = False) -> None:
        self.folder, self.tidy = Path(folder), tidy  # tidy: remove the folder when left empty
        self.memory_rows = memory_rows
        self.lock = threading.Lock()
        self.current: Segment | None = None
        self.fd: int | None = None
        self.size = 0
        self.pending_rows = 0   # rows appended or held, not yet shipped
        self.held_rows = 0      # of which in memory (the journal could not take them)
        self.dropped_rows = 0
        self.failing_since: datetime | None = None
        self.failure = ""
        self.last_name = 0
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            self.lock_fd = os.open(self.folder / LOCK, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        except OSError as err:
            raise ConfigError(f"journal {self.folder}: cannot be created ({err.strerror}); set serve.journal "
                              f"or ${JOURNAL_ENV} to a writable local folder") from err
        try:
            fcntl.flock(self.lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as err:
            os.close(self.lock_fd)
            raise ConfigError(f"journal {self.folder} is in use by another `staleguard serve`; give each "
                              f"server its own serve.journal (or ${JOURNAL_ENV})") from err

    def recover(self) -> list[Segment]:
        """Segments an earlier process left (oldest first), torn tails cut off, all sealed."""
        found = []
        for path in sorted(self.folder.glob("*[0-9].*")):
            if path.suffix not in (OPEN, SEALED) or not path.stem.isdigit():
                continue
            data = path.read_bytes()
            items, used = read_lines(data)
            if used < len(data):
                os.truncate(path, used)
            sealed = path.with_suffix(SEALED)
            os.replace(path, sealed)
            rows = sum(len(records) for records, *_ in items)
            found.append(Segment(path.stem, sealed, rows))
            self.pending_rows += rows
            self.last_name = max(self.last_name, int(path.stem))
        return found

    def append(self, item: Item, rotate_rows: int) -> Segment | None:
        """Log one request's rows; returns the sealed segment when it reached `rotate_rows`."""
        records = item[0]
        now = None
        for rec in records:
            if rec.get(TIMESTAMP) is None:  # the time it was served, fixed now (a replay is the same)
                now = now or datetime.now(UTC).replace(tzinfo=None)
                rec[TIMESTAMP] = now
        line = encode(item)
        with self.lock:
            seg = self.current or self._new()
            if not self._write(line):
                if self.held_rows + len(records) > self.memory_rows:
                    self.dropped_rows += len(records)
                    return None
                seg.memory.append(item)
                self.held_rows += len(records)
            seg.rows += len(records)
            self.pending_rows += len(records)
            return self._seal() if seg.rows >= rotate_rows else None

    def seal(self, older_than: float = 0.0) -> Segment | None:
        """Close the current segment (if it has rows and is older than `older_than` seconds)."""
        with self.lock:
            if self.current is None or time.monotonic() - self.current.started < older_than:
                return None
            return self._seal()

    def age(self) -> float | None:
        current = self.current
        return None if current is None else time.monotonic() - current.started

    def shipped(self, seg: Segment) -> None:
        """The store holds `seg`'s rows: forget them."""
        if seg.path is not None:
            seg.path.unlink(missing_ok=True)
        with self.lock:
            self.pending_rows -= seg.rows
            self.held_rows -= sum(len(records) for records, *_ in seg.memory)

    def set_aside(self, seg: Segment) -> Path | None:
        """A segment that cannot be made into a batch: kept under bad/ for a person, not retried."""
        self.shipped(seg)
        if seg.path is None:
            return None
        bad = self.folder / "bad" / seg.path.name
        try:
            bad.parent.mkdir(exist_ok=True)
            os.replace(seg.path, bad)
        except OSError:
            return None  # gone already (or no room to move it): nothing left to retry either
        return bad

    def problem(self) -> str | None:
        """One line for /health while appends fail, else None."""
        if self.failing_since is None:
            return None
        return (f"journal {self.folder} cannot be written since {self.failing_since:%Y-%m-%d %H:%M:%S} UTC "
                f"({self.failure}); {self.held_rows} rows held in memory (at most {self.memory_rows}), "
                f"{self.dropped_rows} dropped")

    def close(self) -> None:
        with self.lock:
            if self.fd is not None:
                os.close(self.fd)
                self.fd = None
        if self.tidy and self.pending_rows == 0 and {p.name for p in self.folder.iterdir()} == {LOCK}:
            with contextlib.suppress(OSError):
                (self.folder / LOCK).unlink()
                self.folder.rmdir()
        os.close(self.lock_fd)

    def _new(self) -> Segment:
        self.last_name = max(time.time_ns(), self.last_name + 1)
        name = str(self.last_name)
        path = self.folder / f"{name}{OPEN}"
        try:
            self.fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC, 0o600)
            self.size = 0
        except OSError as err:
            self._failed(err)
            self.fd, path = None, None  # type: ignore[assignment]
        self.current = Segment(name, path)
        return self.current

    def _write(self, line: bytes) -> bool:
        """One append of whole lines, or nothing: a short or failed write is truncated back."""
        if self.fd is None:
            return False
        try:
            done = os.write(self.fd, line)
            while done < len(line):
                done += os.write(self.fd, line[done:])
        except OSError as err:
            with contextlib.suppress(OSError):
                os.ftruncate(self.fd, self.size)
            self._failed(err)
            return False
        self.size += len(line)
        self.failing_since = None
        return True

    def _failed(self, err: OSError) -> None:
        if self.failing_since is None:
            self.failing_since = datetime.now(UTC)
        self.failure = f"{type(err).__name__}: {err.strerror or err}"

    def _seal(self) -> Segment | None:
        seg, self.current = self.current, None
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None
        if seg is None or seg.rows == 0:
            if seg is not None and seg.path is not None:
                seg.path.unlink(missing_ok=True)
            return None
        if seg.path is not None:
            try:
                os.replace(seg.path, seg.path.with_suffix(SEALED))
                seg.path = seg.path.with_suffix(SEALED)
            except OSError:
                pass  # recovery reads `.open` segments alike
        return seg
