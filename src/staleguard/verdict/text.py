"""The verdict in one Markdown line, the same in the PR comment and the retraining PR."""

from __future__ import annotations

from staleguard.verdict.paired import Verdict

MARK = {"better": "🟢", "worse": "🔴", "no clear difference": "⚪", "not enough data": "⚫",
        "not compared": "⚫"}
BLIND = "the backtest cannot see this change"   # a `not compared` verdict's line (its note says why)


def pct(value: float) -> str:
    return f"{value:+.1%}".replace("-", "−")


def folds(v: Verdict) -> str:
    return f"{v.folds} fold{'s' if v.folds != 1 else ''}"


def verdict_line(v: Verdict, versus: str) -> str:
    """`**🟢 better**: mae −3.1% vs main (90% CI −5.2% to −1.0%; 672 rows, 28 days, 4 folds)`."""
    head = f"**{MARK[v.verdict]} {v.verdict}**"
    if v.verdict == "not compared":
        return f"{head} with {versus}: {BLIND} ({folds(v)})"
    basis = f"{v.rows} rows, {v.days} days, {folds(v)}"
    if v.delta is None or v.ci is None:
        return f"{head}: {v.metric} vs {versus} ({basis})"
    values = ("" if v.champion is None or v.challenger is None
              else f", {v.champion:.4g} → {v.challenger:.4g}")
    return (f"{head}: {v.metric} {pct(v.delta)} vs {versus}{values} "
            f"({v.confidence:.0%} CI {pct(v.ci[0])} to {pct(v.ci[1])}; {basis})")


def status_line(v: Verdict, passed: bool, limit: int = 140) -> str:
    """The commit status description (GitHub allows 140 characters): the verdict, its CI, the
    gate. `worse: mae +5.1% (90% CI +3.0% to +7.2%, 4 folds) · gate fails`."""
    gate = "gate passes" if passed else "gate fails"
    if v.verdict == "not compared":
        text = f"{v.verdict}: {BLIND} ({folds(v)}) · {gate}"
    elif v.delta is None or v.ci is None:
        text = f"{v.verdict} ({v.rows} rows, {folds(v)}) · {gate}"
    else:
        text = (f"{v.verdict}: {v.metric} {pct(v.delta)} ({v.confidence:.0%} CI {pct(v.ci[0])} "
                f"to {pct(v.ci[1])}, {folds(v)}) · {gate}")
    return text if len(text) <= limit else text[: limit - 1] + "…"
