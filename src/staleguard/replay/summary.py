"""Per-policy figures from the replayed weeks: pure arithmetic, the table users read first.

Quality tolerance: a week counts as "above tolerance" when the model serving it did more than
`drift.quality.tolerance` (50 % by default) worse than the MAE it was merged with, i.e. its MAE on its own
evaluation window (the number in its PR's reports/metrics.json). That bar is the same kind of
promise for every policy, and it is not the monitor's own decision rule (which compares with the
reference's cross-validated MAE), so the monitor is not graded on its own rubric.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from statistics import fmean

from staleguard.errors import StaleguardError
from staleguard.replay.loop import Week


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

    def to_dict(self) -> dict[str, float | int | str | None]:
        return {"weeks": self.weeks, "mean_mae": self.mean_mae, "worst_mae": self.worst_mae,
                "worst_week": self.worst_week, "retrains": self.retrains,
                "weeks_above_tolerance": self.weeks_above, "drift_weeks": self.drift_weeks}


def summarize(policy: str, weeks: Iterable[Week]) -> PolicySummary:
    """Mean and worst weekly MAE (each week weighs the same), retrains, weeks above the bar."""
    mine = [w for w in weeks if w.policy == policy]
    if not mine:
        raise StaleguardError(f"replay: policy {policy!r} has no replayed weeks to summarize")
    worst = max(mine, key=lambda w: w.mae)
    asked = any(w.drift is not None for w in mine)
    return PolicySummary(
        policy=policy, weeks=len(mine), mean_mae=round(fmean(w.mae for w in mine), 4),
        worst_mae=round(worst.mae, 4), worst_week=f"{worst.start:%Y-%m-%d}",
        retrains=sum(w.retrained is not None for w in mine),
        weeks_above=sum(w.mae > w.bar for w in mine),
        drift_weeks=sum(bool(w.drift) for w in mine) if asked else None)


def ratio(summaries: dict[str, PolicySummary], num: str, den: str) -> float | None:
    """mean MAE of `num` / mean MAE of `den` (None when either policy was not replayed)."""
    if num not in summaries or den not in summaries or not summaries[den].mean_mae:
        return None
    return round(summaries[num].mean_mae / summaries[den].mean_mae, 4)
