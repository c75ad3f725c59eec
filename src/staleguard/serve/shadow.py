"""Shadow scoring: a second model predicts every served row, off the request path.

The request path hands the rows it already built (records and the feature matrix) to a queue and
returns; it never waits for, and never sees, the shadow's answer. A worker thread drains the queue,
predicts everything queued in one call, and logs the predictions beside the served ones
(serve/predlog.py, `<store>/predictions/shadow/`) with the shadow's model id. When actuals arrive
both are labeled, and the monitor compares them on the same rows (monitor/shadow_evidence.py).
"""

from __future__ import annotations

import queue
import sys
import threading
from typing import Any

import numpy as np

from staleguard.serve.loader import LoadedModel
from staleguard.serve.predlog import PredictionLog

_STOP = object()
MAX_QUEUE_ROWS = 100_000  # beyond this backlog, rows are dropped from the shadow (never from serving)


class ShadowScorer:
    """Scores queued rows with `model` and logs them as shadow predictions."""

    def __init__(self, model: LoadedModel, log: PredictionLog) -> None:
        self.model, self.log = model, log
        self.queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self.lock = threading.Lock()
        self.backlog = 0
        self.dropped = 0
        self.scored = 0
        self.thread = threading.Thread(target=self._run, name="shadow-scoring", daemon=True)

    def start(self) -> ShadowScorer:
        self.thread.start()
        return self

    def put(self, records: list[dict[str, Any]], x: np.ndarray) -> None:
        """Called on the request path: O(1). A shadow that falls behind sheds rows, not latency."""
        with self.lock:
            if self.backlog >= MAX_QUEUE_ROWS:
                self.dropped += len(records)
                return
            self.backlog += len(records)
        self.queue.put((records, x))

    def flush(self, timeout: float = 30) -> None:
        """Wait until everything queued so far is scored and handed to the log (/actuals)."""
        done = threading.Event()
        self.queue.put(done)
        done.wait(timeout)

    def close(self) -> None:
        """Score what is queued, then stop (before the prediction log's last flush)."""
        self.queue.put(_STOP)
        self.thread.join(timeout=60)

    def _run(self) -> None:
        while True:
            items = [self.queue.get()]
            while True:  # everything queued meanwhile: one predict call for all of it
                try:
                    items.append(self.queue.get_nowait())
                except queue.Empty:
                    break
            self._score([item for item in items if isinstance(item, tuple)])
            for item in items:
                if isinstance(item, threading.Event):
                    item.set()
            if any(item is _STOP for item in items):
                return

    def _score(self, items: list[tuple[list[dict[str, Any]], np.ndarray]]) -> None:
        if not items:
            return
        rows = sum(len(records) for records, _ in items)
        try:
            pred = self.model.predict_array(np.vstack([x for _, x in items]))
        except Exception as err:  # the shadow must never take serving down
            print(f"staleguard serve: shadow {self.model.model_version}: {rows} rows not scored "
                  f"({type(err).__name__}: {err})", file=sys.stderr)
        else:
            start = 0
            for records, _ in items:
                self.log.put_shadow(records, pred[start:start + len(records)], self.model.model_version)
                start += len(records)
            with self.lock:
                self.scored += rows
        with self.lock:
            self.backlog -= rows
