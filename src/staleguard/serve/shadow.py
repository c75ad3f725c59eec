"""Shadow scoring: a second model predicts every served row, off the request path.

The request path hands the rows it already built (records and the feature matrix) to a queue and
returns; it never waits for, and never sees, the shadow's answer. A worker thread drains the queue,
predicts everything queued in one call, and logs the predictions beside the served ones
(serve/predlog.py, `<store>/predictions/shadow/`) with the shadow's model id. When actuals arrive
both are labeled, and the monitor compares them on the same rows (monitor/shadow_evidence.py).
"""

from __future__ import annotations

import sys
import threading
from typing import Any

import numpy as np

from staleguard.serve.loader import LoadedModel
from staleguard.serve.predlog import PredictionLog
from staleguard.serve.worker import QueueWorker

MAX_QUEUE_ROWS = 100_000  # beyond this backlog, rows are dropped from the shadow (never from serving)
Rows = tuple[list[dict[str, Any]], np.ndarray]


class ShadowScorer(QueueWorker[Rows]):
    """Scores queued rows with `model` and logs them as shadow predictions."""

    name = "shadow-scoring"

    def __init__(self, model: LoadedModel, log: PredictionLog) -> None:
        super().__init__()
        self.model, self.log = model, log
        self.lock = threading.Lock()
        self.backlog = 0
        self.dropped = 0
        self.scored = 0

    def put(self, records: list[dict[str, Any]], x: np.ndarray) -> None:
        """Called on the request path: O(1). A shadow that falls behind sheds rows, not latency."""
        with self.lock:
            if self.backlog >= MAX_QUEUE_ROWS:
                self.dropped += len(records)
                return
            self.backlog += len(records)
        self.queue.put((records, x))

    def work(self, items: list[Rows]) -> bool:
        """One predict call for everything queued meanwhile; the log gets each request's share."""
        if not items:
            return True
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
        return True
