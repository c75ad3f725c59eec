"""A synthetic monitor history: weeks of rows in the logbook's format, with drift, retrains,
deploys, a retraining PR per cycle, late labels at the end and a shadow in the last weeks."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import numpy as np
import pytest

from staleguard.monitor import logbook

FEATURES = ["season", "mnth", "hr", "holiday", "weekday", "workingday", "weathersit", "temp",
            "atemp", "hum", "windspeed"]


def plan(start: datetime, weeks: int, version: str, seed: int, drift_at: int | None = None,
         labeled_until: int | None = None, evidence: str | None = None) -> dict[str, Any]:
    """A monitor plan (reports/monitor/monitor.json) over `weeks` weeks from `start`."""
    rng = np.random.default_rng(seed)
    windows = []
    for k in range(weeks):
        lo = start + timedelta(weeks=k)
        labeled = 168 if labeled_until is None or k < labeled_until else 0
        mae = 40 + 6 * k + rng.normal(0, 3)
        score = {n: {"method": "wasserstein", "score": float(rng.uniform(0, 0.15 + 0.02 * k)),
                     "threshold": 0.1, "drifted": False} for n in FEATURES}
        drift = k == drift_at
        windows.append({
            "start": lo.isoformat(), "end": (lo + timedelta(weeks=1)).isoformat(), "rows": 168,
            "labeled": labeled, "drift": drift,
            "reasons": [f"quality drop: mae {mae:.1f} vs 40.0 (+{mae / 40 - 1:.0%})"] if drift else [],
            "quality": {"mae": mae, "rmse": mae * 1.4} if labeled else None,
            "estimate": {"estimated": mae * 0.9, "actual": mae if labeled else None, "reference": 40.0},
            "baseline": {"mae": 40.0, "rmse": 56.0},
            "scores": {"features": score,
                       "target": {"method": "wasserstein", "score": 0.05 * k, "threshold": 0.1,
                                  "drifted": 0.05 * k >= 0.1},
                       "prediction": {"method": "wasserstein", "score": 0.03 * k, "threshold": 0.1,
                                      "drifted": 0.03 * k >= 0.1}},
        })
    trigger = windows[drift_at]["start"][:10] if drift_at is not None else None
    out: dict[str, Any] = {"drift": drift_at is not None, "forced": False, "model_version": version,
                           "windows": windows, "trigger": trigger}
    if evidence:
        out["evidence"] = {"verdict": evidence, "metric": "mae", "delta": -0.12, "ci": [-0.2, -0.05]}
    return out


def history(cycles: int = 3, weeks: int = 8, shadow: bool = True) -> list[dict[str, Any]]:
    """`cycles` deployments of `weeks` weeks each; each ends in drift and a merged retraining PR."""
    rows: list[dict[str, Any]] = []
    start = datetime(2011, 2, 1)
    for c in range(cycles):
        version = f"{c + 1:08x}"
        last = c == cycles - 1
        for seen in range(1, weeks + 1):   # one monitor run per week, re-checking every week so far
            drift_at = seen - 1 if seen == weeks and not last else None
            p = plan(start, seen, version, seed=c, drift_at=drift_at,
                     labeled_until=seen - 1 if last and seen == weeks else None,
                     evidence="better" if drift_at is not None else None)
            run = {"id": f"{c}-{seen}", "url": None,
                   "at": (start + timedelta(weeks=seen)).isoformat()}
            shadows = {w["start"]: {"served": version, "shadow": "shadow01", "rows": 168,
                                    "mae_served": 50.0 + k, "mae_shadow": 45.0 + k}
                       for k, w in enumerate(p["windows"])} if shadow and last else None
            new = logbook.rows_from_plan(p, 0.5, run, shadows)
            if drift_at is not None:
                for r in new:
                    r["retrain"] = {"branch": f"retrain/{version}", "action": "opened",
                                    "pr": f"https://github.com/octo/staleguard/pull/{c + 1}"}
            rows = logbook.merge(rows, new)
        start += timedelta(weeks=weeks)
    return rows


@pytest.fixture
def rows() -> list[dict[str, Any]]:
    return history()
