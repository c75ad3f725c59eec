"""The DuckDB and Spark window summariser (monitor.engine duckdb|spark) of the monitor's one loop
(monitor/decision.py `decide_windows`).

The store's batches are never loaded into one frame: each window [start, start + week_days)
is summarised where the files live (labeled rows only) and compared with artifacts/reference.json
by `compare()`; the judge, the Outcome, the plan, the job summary and the reports are the pandas
engine's. Differences, documented in docs/scale.md: duplicate timestamps across batches are not
de-duplicated (a later batch does not replace an earlier one), and a window with batches logged by
another model version is re-predicted as a whole (file-level: the batch's model_version
statistics), as the pandas engine does.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pandas as pd

from staleguard.drift.sketch import engines
from staleguard.drift.sketch.window_summary import Summary
from staleguard.errors import DataError
from staleguard.monitor import store
from staleguard.monitor.decision import Summarised, WindowCheck
from staleguard.params import Params
from staleguard.stages.drift_sketch import engines_result, validate

MODEL_VERSION = "model_version"


def _versions(url: str) -> set[str] | None:
    """The model versions a batch file holds, from its Parquet statistics (None: unknown)."""
    import pyarrow.parquet as pq

    with engines._open(url) as fh:
        meta = pq.ParquetFile(fh).metadata
        if MODEL_VERSION not in meta.schema.names:
            return None
        idx = meta.schema.names.index(MODEL_VERSION)
        out: set[str] = set()
        for g in range(meta.num_row_groups):
            stats = meta.row_group(g).column(idx).statistics
            if stats is None or not stats.has_min_max:
                return None
            out |= {str(stats.min), str(stats.max)}
        return out


def windows(refs: list[store.BatchRef], start: datetime, days: int) -> list[tuple[datetime, datetime,
                                                                                   list[store.BatchRef]]]:
    """Consecutive windows from `start` up to the newest batch, with the batches overlapping each."""
    end = max(r.last for r in refs)
    step = timedelta(days=days)
    out = []
    lo = start
    while lo <= end:
        hi = lo + step
        out.append((lo, hi, [r for r in refs if r.first < hi and r.last >= lo]))
        lo = hi
    return [w for w in out if w[2]]


class Sketches:
    """Windows summarised on monitor.engine where the batch files live, against the reference
    summary `train` froze (artifacts/reference.json)."""

    def __init__(self, params: Params, refs: list[store.BatchRef], reference: Summary, model: Any,
                 version: str) -> None:
        self.engine: str = params.monitor.engine
        self.params, self.reference, self.model, self.version = params, reference, model, version
        self._batches = {lo: batch for lo, _, batch in
                         windows(refs, params.windows.train.end, params.windows.week_days)}
        self._step = timedelta(days=params.windows.week_days)
        self._summaries: dict[datetime, Summary] = {}
        self._lasts: list[Any] = []

    def spans(self) -> list[tuple[datetime, datetime]]:
        return [(lo, lo + self._step) for lo in self._batches]

    def summarise(self, start: datetime, end: datetime) -> Summarised:
        mon, urls = self.params.monitor, [r.url for r in self._batches[start]]
        foreign = any(_versions(u) not in ({self.version}, None) for u in urls)
        cur = engines.summary_of(self.engine, urls, self.reference.layout, model=self.model,
                                 features=self.params.features.columns, window=(start, end), labeled=True,
                                 drop_prediction=foreign, batch_rows=mon.batch_rows, master=mon.spark_master)
        self._lasts += [cur.last] if cur.last is not None else []
        if cur.rows < mon.min_rows:
            return Summarised(cur.rows, None, f"{cur.rows} rows < monitor.min_rows {mon.min_rows}")
        validate(cur, self.params, f"window {start:%Y-%m-%d}")
        self._summaries[start] = cur
        return Summarised(cur.rows, cur)

    def compare(self, start: datetime, window: Any) -> Any:
        return engines_result(self.reference, window, self.params, self.engine)

    def newest(self) -> datetime:
        if not self._lasts:
            raise DataError(f"no labeled production rows at or after "
                            f"{self.params.windows.train.end:%Y-%m-%d %H:%M}")
        newest: datetime = pd.Timestamp(max(self._lasts)).to_pydatetime()
        return newest

    def rows(self, window: WindowCheck) -> tuple[pd.DataFrame, pd.DataFrame] | None:
        """A window of at most drift.sample_rows rows read back from the store, labeled rows only
        and re-predicted as its summary was, beside the rows the reference summary summarised."""
        from staleguard.data.history import history_frame
        from staleguard.data.windows import between, reference_rows, training_frame

        if window.rows > self.params.drift.sample_rows:
            return None
        urls = [r.url for r in self._batches[window.start]]
        rows = pd.concat([pd.read_parquet(u) for u in urls], ignore_index=True)
        part = rows[between(rows, window.start, window.end) & rows[self.params.features.target].notna()]
        if MODEL_VERSION in part and (part[MODEL_VERSION] != self.version).any():
            part = part.drop(columns=[store.PREDICTION])  # re-predicted, as the summary was
        ref = reference_rows(training_frame(self.params, history_frame(self.params)), self.params)[0]
        return ref, part.reset_index(drop=True)

    def summary(self, start: datetime) -> Summary | None:
        return self._summaries.get(start)
