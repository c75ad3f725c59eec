"""The replay's monitor history: each replayed week's monitor decision, appended as the monitor
appends it (monitor/logbook.py, the same rows and the same merge), so `staleguard dashboard`
draws the 100 replayed weeks exactly as it draws a real store's history."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from staleguard.monitor import job_summary, logbook
from staleguard.monitor.decision import Outcome
from staleguard.replay.trainer import Deployment

NAME = "monitor-history.json"


class Journal:
    """The rows one replayed monitor policy would have written to its store's history."""

    def __init__(self) -> None:
        self.rows: list[dict[str, Any]] = []
        self.last: set[str] = set()

    def decided(self, outcome: Outcome, dep: Deployment, store: str, at: datetime) -> None:
        """One monitor run at `at` (the end of the replayed week): its weeks replace older rows."""
        plan = job_summary.plan(outcome, dep.params, dep.model_id, store, [])
        run = {"id": f"replay {at:%Y-%m-%d}", "url": None, "at": at.isoformat()}
        rows = logbook.rows_from_plan(plan, dep.params.drift.quality.tolerance, run, model=dep.version)
        self.rows = logbook.merge(self.rows, rows)
        kept = {id(r) for r in self.rows}
        self.last = {r["start"] for r in rows if id(r) in kept}   # not weeks another model owns

    def retrained(self, old: Deployment, new: Deployment) -> None:
        """The run's retraining 'PR', merged and deployed at once (the replay has no review)."""
        for row in self.rows:
            if row["start"] in self.last:
                row["retrain"] = {"branch": f"retrain/{old.model_id}", "pr": None,
                                  "action": f"simulated: merged, {new.version} serves next"}
