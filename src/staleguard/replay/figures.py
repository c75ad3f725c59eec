"""Per-policy figures from the replayed weeks: pure arithmetic, the table users read first.

Quality tolerance: a week counts as "above tolerance" (a *breach*) when the model serving it did
more than `drift.quality.tolerance` (50 % by default) worse than the MAE it was merged with, i.e.
its MAE on its own evaluation window (the number in its PR's reports/metrics.json). That bar is
the same kind of promise for every policy, and it is not the monitor's own decision rule (which
compares with the reference's cross-validated MAE), so the monitor is not graded on its own rubric.

Detector metrics, named as in the drift-detection literature (CapyMOA's EvaluateDriftDetector,
Alibi Detect): a breach *onset* is a breach week after a week without one; its *detection delay*
is the number of weeks from the onset to the first retraining decision (0: decided right after
the breach week); an onset with no retrain within HORIZON weeks is a *missed breach*. A *false
alarm* is a retrain after which the new model was not better than the one it replaced on the
weeks it served (at most two), both scored on the same weeks.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from statistics import fmean
from typing import Any

from staleguard.errors import StaleguardError
from staleguard.replay.loop import Week

HORIZON = 4   # weeks after a breach onset within which a retrain counts as its detection


@dataclass(frozen=True)
class PolicySummary:
    policy: str
    weeks: int
    mean_mae: float
    worst_mae: float
    worst_week: str         # YYYY-MM-DD, start of the worst week
    retrains: int
    weeks_above: int        # weeks above the quality tolerance
    drift_weeks: int | None  # weeks the monitor said drift (None: the policy does not ask it)
    onsets: int = 0                         # breach onsets
    detection_delay: float | None = None    # mean weeks from onset to the retraining decision
    missed: int = 0                         # onsets without a retrain within HORIZON weeks
    false_alarms: int = 0                   # retrains that did not beat the replaced model
    estimate_error: float | None = None     # mean |estimate - actual| / actual of the weekly MAE
    estimate_bias: float | None = None      # mean (estimate - actual) / actual
    prs: int = 0                            # retraining PRs a reviewer would have seen
    run: dict[str, Any] = field(default_factory=dict)  # variant, policy, window, reference, delay

    @property
    def false_alarms_per_52(self) -> float:
        return round(self.false_alarms * 52 / self.weeks, 2) if self.weeks else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {**self.run, "weeks": self.weeks, "mean_mae": self.mean_mae, "worst_mae": self.worst_mae,
                "worst_week": self.worst_week, "retrains": self.retrains, "prs": self.prs,
                "weeks_above_tolerance": self.weeks_above, "drift_weeks": self.drift_weeks,
                "breach_onsets": self.onsets, "detection_delay_weeks": self.detection_delay,
                "missed_breaches": self.missed, "false_alarms": self.false_alarms,
                "false_alarms_per_52_weeks": self.false_alarms_per_52,
                "estimate_error": self.estimate_error, "estimate_bias": self.estimate_bias}


def detection(mine: list[Week]) -> tuple[int, float | None, int]:
    """Breach onsets, mean detection delay in weeks (None: nothing detected), missed breaches."""
    breach = [w.mae > w.bar for w in mine]
    onsets = [i for i, b in enumerate(breach) if b and (i == 0 or not breach[i - 1])]
    delays, missed = [], 0
    for i in onsets:
        hit = next((j - i for j in range(i, min(i + HORIZON, len(mine))) if mine[j].retrained), None)
        if hit is None:
            missed += 1
        else:
            delays.append(hit)
    return len(onsets), (round(fmean(delays), 4) if delays else None), missed


def false_alarms(mine: list[Week]) -> int:
    """Retrains whose model did worse than (or equal to) the replaced one on the weeks it served."""
    count = 0
    for i, week in enumerate(mine):
        if week.retrained is None:
            continue
        after = [w for w in mine[i + 1:i + 3]
                 if w.version == week.retrained.version and w.previous_mae is not None]
        if after and fmean(w.mae for w in after) >= fmean(w.previous_mae for w in after):  # type: ignore[misc]
            count += 1
    return count


def estimate_errors(mine: list[Week]) -> tuple[float | None, float | None]:
    """Mean relative |error| and bias of the label-free weekly MAE estimate vs the real one."""
    pairs = [(w.estimate, w.mae) for w in mine if w.estimate is not None and w.mae]
    if not pairs:
        return None, None
    rel = [e / a - 1 for e, a in pairs]
    return round(fmean(abs(r) for r in rel), 4), round(fmean(rel), 4)


def summarize(policy: str, weeks: Iterable[Week], run: dict[str, Any] | None = None) -> PolicySummary:
    """Mean and worst weekly MAE (each week weighs the same), retrains, weeks above the bar, and
    the detector metrics."""
    mine = [w for w in weeks if w.policy == policy]
    if not mine:
        raise StaleguardError(f"replay: policy {policy!r} has no replayed weeks to summarize")
    worst = max(mine, key=lambda w: w.mae)
    asked = any(w.drift is not None for w in mine)
    onsets, delay, missed = detection(mine)
    error, bias = estimate_errors(mine)
    return PolicySummary(
        policy=policy, weeks=len(mine), mean_mae=round(fmean(w.mae for w in mine), 4),
        worst_mae=round(worst.mae, 4), worst_week=f"{worst.start:%Y-%m-%d}",
        retrains=sum(w.retrained is not None for w in mine),
        prs=sum(w.opened is not None for w in mine) if asked else sum(w.retrained is not None for w in mine),
        weeks_above=sum(w.mae > w.bar for w in mine),
        drift_weeks=sum(bool(w.drift) for w in mine) if asked else None,
        onsets=onsets, detection_delay=delay, missed=missed, false_alarms=false_alarms(mine),
        estimate_error=error, estimate_bias=bias, run=run or {})


def best_every_week(summaries: dict[str, PolicySummary]) -> PolicySummary | None:
    """The on-time every-week policy with the lowest mean weekly MAE (any window)."""
    weekly = [s for s in summaries.values() if s.run.get("policy") == "weekly"
              and not s.run.get("label_delay_weeks")]
    return min(weekly, key=lambda s: s.mean_mae) if weekly else None


def ratio(summaries: dict[str, PolicySummary], num: str, den: str) -> float | None:
    """mean MAE of `num` / mean MAE of `den` (None when either policy was not replayed)."""
    if num not in summaries or den not in summaries or not summaries[den].mean_mae:
        return None
    return round(summaries[num].mean_mae / summaries[den].mean_mae, 4)
