"""What the monitor tells people and the workflow: Markdown summary, plan JSON, step outputs."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from staleguard.cadence import window_name, window_of
from staleguard.drift.reliability import no_number
from staleguard.monitor.decision import Outcome, WindowCheck
from staleguard.params import Params, Window

BODY_LIMIT = 60_000  # GitHub rejects PR bodies and comments over 65,536 characters
# The name monitor.yml uploads reports/ under (tests/workflows/test_monitor.py holds them equal).
ARTIFACT = "monitor-reports"
LOCAL_IMAGE = re.compile(r"!\[[^\]]*\]\((?!https?://)[^)]*\)")


def _w(window: Window) -> dict[str, str]:
    return {"start": window.start.isoformat(), "end": window.end.isoformat()}


def state(drift: bool | None) -> str:
    """The decision as the step output and the CLI print it: true | false | null (not decided)."""
    return "null" if drift is None else str(drift).lower()


def undecided_reason(outcome: Outcome, params: Params) -> str:
    """Why nothing was decided, in one line (the heading and the CLI's message)."""
    n = len(outcome.windows)
    return (f"none of the {n} window(s) had monitor.min_rows={params.monitor.min_rows} labeled rows "
            "(or rows to estimate on): the deployed model was not checked")


def headline(outcome: Outcome, params: Params) -> str:
    """The summary's heading: drift, no drift, or not decided (never 'no drift' for an unchecked run)."""
    if outcome.drift:
        return title(outcome, params)
    if outcome.drift is None:
        return f"Not decided: {undecided_reason(outcome, params)}"
    skipped = len(outcome.windows) - len(outcome.decided)
    rest = f" ({skipped} window(s) not decided)" if skipped else ""
    return f"No drift: the deployed model stays, no retraining PR{rest}"


def title(outcome: Outcome, params: Params) -> str:
    drifted = next((w for w in outcome.windows if w.drift), None)
    if drifted is not None:
        return f"Retrain: drift detected in {window_of(params.windows.week_days, drifted.label)}"
    return ("Retrain: forced on production data through "
            f"{outcome.data_end - timedelta(days=1):%Y-%m-%d}")


def plan(outcome: Outcome, params: Params, model_version: str, store: str,
         batches: list[dict[str, Any]]) -> dict[str, Any]:
    """reports/monitor/monitor.json: the decision and everything `staleguard retrain` needs to act on it."""
    return {
        "schema_version": 1,
        "drift": outcome.drift,
        "decision": "drift" if outcome.drift else "no drift" if outcome.drift is False else "not decided",
        "undecided": undecided_reason(outcome, params) if outcome.drift is None else None,
        "forced": outcome.forced,
        "reasons": outcome.reasons,
        "model_version": model_version,
        "store": store,
        "batches": batches,
        "windows": [{"start": w.start.isoformat(), "end": w.end.isoformat(), "rows": w.rows,
                     "labeled": w.labeled, "drift": w.drift, "reasons": w.reasons, "quality": _quality(w),
                     "estimate": _estimate(w), "reference": getattr(w.result, "reference", None) or None,
                     "baseline": _baseline(w), "scores": _scores(w)}
                    for w in outcome.windows],
        "label_delay_days": params.monitor.label_delay_days,
        "trigger": outcome.trigger.label if outcome.trigger else None,
        "retrain": {
            "branch": f"retrain/{model_version}",
            "base": params.monitor.base_branch,
            "title": title(outcome, params),
            "message": f"{title(outcome, params)}: retrain on production data through "
                       f"{outcome.data_end - timedelta(days=1):%Y-%m-%d}",
            "train": _w(outcome.train),
            "eval": _w(outcome.eval),
        },
    }


def _quality(window: WindowCheck) -> dict[str, float] | None:
    """The deployed model's metrics on the window, when the drift check measured them."""
    quality = getattr(window.result, "quality", None)
    return dict(quality.current) if quality is not None and quality.current else None


def _baseline(window: WindowCheck) -> dict[str, float] | None:
    """The deployed model's reference (out-of-sample) metrics the window's quality is judged by."""
    quality = getattr(window.result, "quality", None)
    return dict(quality.reference) if quality is not None and quality.reference else None


def _scores(window: WindowCheck) -> dict[str, Any] | None:
    """Drift score/threshold per feature, target and prediction (the history's heatmap)."""
    result = window.result
    if result is None or not hasattr(result, "features"):
        return None
    extra = {"target": result.target, "prediction": result.prediction}
    return {"features": {n: c.to_dict() for n, c in result.features.items()},
            **{k: None if c is None else c.to_dict() for k, c in extra.items()}}


def _estimate(window: WindowCheck) -> dict[str, Any] | None:
    """The label-free MAE estimate of the window (with the measured MAE once labels arrived)."""
    est = getattr(window.result, "estimate", None)
    if est is None:
        return None
    return {"estimated": est.estimated, "actual": est.actual, "reference": est.reference,
            "reliable": est.reliable, "unreliable": est.unreliable, "raw": est.raw, "ratio": est.ratio,
            "outside": est.outside, "auc": est.auc, "recent_error": est.recent_error}


def _mae(window: WindowCheck) -> str:
    """The measured MAE; 'est. 31.2 †' only for a window whose labels have not arrived ('–' when
    neither). An estimate is never shown beside a measurement: the measurement wins."""
    est = getattr(window.result, "estimate", None)
    quality = _quality(window)
    if quality and "mae" in quality:
        return f"{quality['mae']:.1f}"
    if est is not None and not est.reliable:
        return no_number(est)
    return f"est. {est.estimated:.1f} †" if est is not None else "–"


ESTIMATE_CAVEAT = ("† _est.: a label-free estimate of the MAE (direct loss estimation, "
                   "recalibrated by the latest labeled windows; docs/drift.md) for a window whose "
                   "labels have not arrived, shown only where the window stays within the reference's "
                   "support and the estimate's recent error is small (`drift.estimate`). On the "
                   "replay its error on such weeks is in reports/freshness.md: a hint, not a "
                   "measurement._")
FOLD = "<details>"   # where the folded detail starts: the retraining PR body inserts above it


def _verdict(drift: bool | None) -> str:
    return {True: "**drift**", False: "no drift", None: "not decided"}[drift]


def markdown(outcome: Outcome, params: Params, model_version: str, store: str,
             rows: int, drift_md: str = "", evidence_md: str = "", pr: Any = None) -> str:
    """The summary: job summary, and the head of the retraining PR's body. Top-down: the
    decision and its evidence, then the context, then the window-by-window table (weeks, or the
    n-day windows of windows.week_days) and the drift report folded (<details>). `pr`: whether
    a retraining PR opens and why (monitor/retrain_rule.Opening): its `why` is the first line,
    of the PR body too."""
    opened = outcome.drift if pr is None else pr.open
    first = pr.why if pr is not None and (pr.open or outcome.drift) else headline(outcome, params)
    lines = [f"## {first}"]
    if pr is not None and outcome.drift and not pr.open:
        lines += ["", f"Drift: {'; '.join(outcome.reasons)}."]
    if evidence_md:
        lines += ["", evidence_md.strip()]
    lines += ["", f"Deployed model `{model_version}`, trained on {params.windows.train.label()}. "
              f"Production store `{store}`: {rows} labeled rows newer than the training window."
              + _context(outcome, params)]
    if outcome.forced:
        lines += ["", "Retraining was **forced** (`force` input / `--force`)."]
    if opened:
        lines += ["", f"Retraining moves `windows.train` {params.windows.train.label()} → "
                  f"{outcome.train.label()} (up to the newest labeled row) and `windows.eval` "
                  f"{params.windows.eval.label()} → {outcome.eval.label()} (the week before "
                  "it, which the new model never fits)."]
    drifted = sum(1 for w in outcome.windows if w.drift)
    days = params.windows.week_days
    each = "week by week" if days == 7 else f"window by window ({window_name(days)}s)"
    count = f"{len(outcome.windows)} {'week' if days == 7 else 'window'}(s)"
    lines += ["", f"{FOLD}<summary>{each.capitalize()}: {count}, {drifted} with drift</summary>", "",
              f"| {window_of(days, '').strip()} | rows | decision | reasons | MAE |",
              "|---|---:|---|---|---:|"]
    for w in outcome.windows:
        reasons = "; ".join(w.reasons) or "–"
        count = f"{w.rows}" if w.labeled in (None, w.rows) else f"{w.rows} ({w.labeled} labeled)"
        lines.append(f"| {w.label} | {count} | {_verdict(w.drift)} | {reasons.replace('|', '/')} "
                     f"| {_mae(w)} |")
    if any("†" in _mae(w) for w in outcome.windows):
        lines += ["", ESTIMATE_CAVEAT]
    lines += ["", "</details>"]
    if drift_md and (window := outcome.report_window) is not None:
        lines += ["", f"<details><summary>Drift report, {window_of(days, window.label)}</summary>", "",
                  LOCAL_IMAGE.sub("", drift_md).strip(),
                  "", f"_Plots and the full Evidently report: the workflow run's `{ARTIFACT}` "
                  "artifact._", "", "</details>"]
    return clip("\n".join(lines) + "\n")


def _context(outcome: Outcome, params: Params) -> str:
    """Which reference the weeks were compared with, and the label delay, in one sentence."""
    from staleguard.drift.documents import reference_label

    ref = params.windows.reference
    info = next((w.result.reference for w in outcome.windows if getattr(w.result, "reference", None)),
                None) or {"policy": ref.policy, "weeks": ref.weeks}
    delay = params.monitor.label_delay_days
    late = (f" Labels arrive {delay} day(s) late (`monitor.label_delay_days`): windows without them are "
            "decided on the label-free MAE estimate (est.)." if delay else "")
    return f" Drift {reference_label(info)} (`windows.reference`).{late}"


def with_dashboard_link(text: str, params: Params) -> str:
    """`text` and a line linking the dashboard, when running on GitHub (monitor.yml publishes it
    after the run: docs/dashboard.md); `text` as it is elsewhere."""
    from staleguard.dashboard.publish import site_url

    url = site_url(params.report.images)
    if not url:
        return text
    return clip(f"{text}\n**Dashboard** (the model's life, updated at the end of this run): {url}\n")


def clip(text: str, limit: int = BODY_LIMIT) -> str:
    if len(text) <= limit:
        return text
    return text[: limit - 80].rsplit("\n", 1)[0] + "\n\n_(truncated to fit GitHub's limit)_\n"
