"""The model's life from the history's rows, pure: weekly series, retrain and deploy events, PRs.

No I/O: `page` reads the history, asks the registry and `gh`, and renders what this returns.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from itertools import pairwise
from typing import Any

Row = dict[str, Any]
METRIC = "mae"   # the error the dashboard plots: the one the label-free estimate estimates


@dataclass(frozen=True)
class Week:
    """One row of the history, typed for the plots."""

    start: datetime
    end: datetime
    rows: int
    labeled: int
    model: str                   # the deployed model's id (its name too, when the history has one)
    decision: str                # drift | no drift | not decided
    reasons: list[str]
    measured: float | None       # the deployed model's METRIC on the week's labeled rows
    estimated: float | None      # the label-free estimate of it
    baseline: float | None       # the deployed model's out-of-sample METRIC (its reference)
    tolerance: float | None      # relative: the quality trigger fires above baseline × (1 + tolerance)
    scores: dict[str, float]     # column (features, then target/prediction) → score / threshold
    shadow: Row | None = None
    unreliable: str | None = None  # why the week's estimate is not shown (no reliable estimate)

    @property
    def bar(self) -> float | None:
        """The tolerance line: the error above which the monitor's quality trigger fires."""
        if self.baseline is None or self.tolerance is None:
            return None
        return self.baseline * (1 + self.tolerance)


@dataclass(frozen=True)
class PullRequest:
    """One retraining PR (one branch per retraining cycle) as the history saw it."""

    branch: str
    url: str | None
    first: datetime              # the week that triggered it
    last_run: str                # when a run last opened or updated it
    action: str                  # opened | updated | unchanged | simulated
    verdict: str | None          # the evidence's verdict (keep or retrain), when gathered
    outcome: str = "unknown"     # merged | closed | open | unknown (filled in from gh)


@dataclass
class Life:
    weeks: list[Week]
    retrains: list[datetime] = field(default_factory=list)   # a model's last week, when it asked
                                                              # for a retrain (the PR's last run)
    deploys: list[tuple[datetime, str]] = field(default_factory=list)  # first week of a new model
    prs: list[PullRequest] = field(default_factory=list)


def _at(value: str) -> datetime:
    return datetime.fromisoformat(value)


def _metric(block: Row | None) -> float | None:
    value = (block or {}).get(METRIC)
    return None if value is None else float(value)


def _scores(block: Row | None) -> dict[str, float]:
    """score / threshold per column: 1 is the drift threshold whatever the method."""
    if not block:
        return {}
    cols = dict(block.get("features") or {})
    cols.update({f"[{k}]": block[k] for k in ("target", "prediction") if block.get(k)})
    return {name: c["score"] / c["threshold"] for name, c in cols.items()
            if c and c.get("threshold")}


def model_name(row: Row) -> str:
    return f"{row['model']} ({row['model_version']})" if row.get("model") else str(row["model_version"])


def week_of(row: Row) -> Week:
    return Week(_at(row["start"]), _at(row["end"]), int(row.get("rows") or 0),
                int(row.get("labeled") or 0), model_name(row), row.get("decision", "not decided"),
                list(row.get("reasons") or []), _metric(row.get("measured")),
                _metric(row.get("estimated")), _metric(row.get("baseline")), row.get("tolerance"),
                _scores(row.get("drift_scores")), row.get("shadow"),
                (row.get("estimate_unreliable") or {}).get("why"))


def life(rows: list[Row]) -> Life:
    """Weeks in order; retrains: the newest week of a model whose last run decided to retrain (the
    rows a model keeps are its last run's); deploys: the first week of each new model; PRs."""
    ordered = sorted(rows, key=lambda r: r["start"])
    weeks = [week_of(r) for r in ordered]
    out = Life(weeks)
    for (before, row), (now, _) in pairwise(zip(weeks, ordered, strict=True)):
        if now.model != before.model:
            out.deploys.append((now.start, now.model))
            if (row.get("run") or {}).get("retrain"):   # the model's last run asked for a retrain
                out.retrains.append(before.start)
    if ordered and (ordered[-1].get("run") or {}).get("retrain"):
        out.retrains.append(weeks[-1].start)   # decided, not deployed yet
    out.prs = pull_requests(rows)
    return out


def pull_requests(rows: list[Row]) -> list[PullRequest]:
    """One entry per retraining branch, from the rows its runs wrote (newest run wins)."""
    found: dict[str, PullRequest] = {}
    for row in sorted(rows, key=lambda r: ((r.get("run") or {}).get("at") or "", r["start"])):
        retrain, run = row.get("retrain"), row.get("run") or {}
        if not retrain or not retrain.get("branch"):
            continue
        branch = retrain["branch"]
        trigger = run.get("trigger")
        first = _at(trigger) if trigger else _at(row["start"])
        old = found.get(branch)
        verdict = (row.get("evidence") or {}).get("verdict")
        found[branch] = PullRequest(
            branch, retrain.get("pr") or (old.url if old else None),
            min(first, old.first) if old else first, run.get("at") or "",
            retrain.get("action") or "", verdict or (old.verdict if old else None))
    return sorted(found.values(), key=lambda p: p.first)


def serving(weeks: list[Week]) -> tuple[str, datetime] | None:
    """The newest week's model and the first week of its unbroken run (per the history)."""
    if not weeks:
        return None
    model, since = weeks[-1].model, weeks[-1].start
    for w in reversed(weeks):
        if w.model != model:
            break
        since = w.start
    return model, since
