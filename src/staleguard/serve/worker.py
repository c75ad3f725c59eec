"""One base for the server's background workers (the prediction log's shipper, the shadow scorer).

Both take items from a queue filled on the request path (each subclass's `put`: O(1), no store
I/O) and work on them in a daemon thread. A caller can wait until everything queued so far is
done (`flush`, used by /actuals) and stop the thread after it finishes what is queued (`close`).
A subclass says what to do with a drained list of items (`work`) and, optionally, what to do when
nothing arrived for `tick()` seconds (`idle`).
"""

from __future__ import annotations

import queue
import sys
import threading
from typing import Any, Generic, Self, TypeVar

T = TypeVar("T")
_STOP = object()


class QueueWorker(Generic[T]):
    """A thread that drains a queue in groups; `work` returns True when nothing is left over."""

    name = "worker"

    def __init__(self) -> None:
        self.queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self.thread = threading.Thread(target=self._run, name=self.name, daemon=True)
        self.stopping = False

    def start(self) -> Self:
        self.thread.start()
        return self

    def flush(self, timeout: float = 30) -> bool:
        """Wait until everything queued before this call is done; False if not within `timeout`."""
        done = threading.Event()
        self.queue.put(done)
        return done.wait(timeout)

    def close(self, timeout: float = 60) -> None:
        """Finish what is queued (one last `work` call), then stop the thread."""
        self.queue.put(_STOP)
        self.thread.join(timeout=timeout)

    def work(self, items: list[T]) -> bool:
        """Do the work for `items` (possibly none); True when nothing queued so far is left undone."""
        raise NotImplementedError

    def tick(self) -> float | None:
        """Seconds to wait for an item before `idle` runs; None waits for ever."""
        return None

    def idle(self) -> None:
        """Runs when no item arrived within `tick()` seconds (time-based flushes, retries)."""

    def _run(self) -> None:
        waiting: list[threading.Event] = []
        while True:
            try:
                items = [self.queue.get(timeout=self.tick())]
            except queue.Empty:
                self.idle()
                items = []
            while True:  # everything queued meanwhile is handled in one go
                try:
                    items.append(self.queue.get_nowait())
                except queue.Empty:
                    break
            self.stopping = any(item is _STOP for item in items)
            waiting += [item for item in items if isinstance(item, threading.Event)]
            work = [item for item in items if item is not _STOP and not isinstance(item, threading.Event)]
            try:
                done = self.work(work)
            except Exception as err:  # a bug must not stop the thread for good: say it, go on
                print(f"staleguard serve: {self.name}: {type(err).__name__}: {err}", file=sys.stderr,
                      flush=True)
                done = False
            if done:
                for event in waiting:
                    event.set()
                waiting = []
            if self.stopping:
                return
