"""The PR comment as Markdown: a pure function of the gathered `Context`.

Kept apart from gathering (git, DVC, model scoring) so layout and the size limit are tested
without a repository.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from staleguard.report.champion import Duel
from staleguard.report.diff import MISSING, metrics_diff, params_diff
from staleguard.report.markdown import BUDGET, clip, fmt, table
from staleguard.stages import paths

TITLE = "## 🚲 staleguard model report"
MARK = {"better": "🟢 better", "worse": "🔴 worse", "same": "⚪ same", "": ""}


@dataclass
class Context:
    """Everything the comment shows, gathered once."""

    base: str
    base_sha: str
    params_old: dict[str, Any] | None
    params_new: dict[str, Any]
    metrics_old: dict[str, Any] | None
    metrics_new: dict[str, Any]
    duel: Duel | None = None
    window: str = ""
    plots: list[tuple[str, str | None, str]] = field(default_factory=list)
    drift: dict[str, Any] = field(default_factory=dict)
    drift_plots: list[str] = field(default_factory=list)
    artifact_url: str | None = None
    persisted: bool = True


def base_name(ref: str) -> str:
    return ref.removeprefix("refs/remotes/").removeprefix("origin/").removeprefix("refs/heads/")


def artifact_url(env: dict[str, str] | os._Environ[str] = os.environ) -> str | None:
    """The run page holding the `reports` artifact, when running in GitHub Actions."""
    parts = [env.get(k) for k in ("GITHUB_SERVER_URL", "GITHUB_REPOSITORY", "GITHUB_RUN_ID")]
    return f"{parts[0]}/{parts[1]}/actions/runs/{parts[2]}" if all(parts) else None


def render(ctx: Context, max_rows: int, images: bool = True) -> str:
    """The whole comment; under GitHub's limit whatever the number of params and features."""
    name = base_name(ctx.base)
    parts = [TITLE, headline(ctx, name), *notes(ctx, name),
             params_section(ctx, name, max_rows), metrics_section(ctx, name, max_rows),
             duel_section(ctx, name)]
    if images and ctx.plots:
        parts.append(plots_section(ctx, name))
    parts.append(drift_section(ctx, images, max_rows))
    parts.append(footer(ctx, name))
    text = "\n\n".join(p for p in parts if p) + "\n"
    return clip(text, BUDGET, "_… report cut to fit GitHub's comment limit; the full report is "
                "in the workflow artifact._")


def headline(ctx: Context, name: str) -> str:
    d = ctx.duel
    if d is None or d.change is None:
        return f"Compared with `{name}` ({ctx.base_sha[:8]})."
    verdict = "✅ **challenger passes**" if d.passed else "❌ **challenger fails**"
    return (f"{verdict} the gate: {d.metric} {signed_pct(d.relative)} vs the `{name}` model on "
            f"the same window ({'better' if d.change <= 0 else 'worse'}; tolerance "
            f"{d.tolerance:.1%} worse).")


def notes(ctx: Context, name: str) -> list[str]:
    out = []
    if not ctx.persisted:
        out.append("> ⚠️ **No DVC remote is configured**: the data was bootstrapped from the "
                   "official UCI URL, and these results are **not persisted** (nothing was pushed "
                   "or committed back) until a remote is set. See docs/pr-workflow.md.")
    if ctx.metrics_old is None:
        out.append(f"> ℹ️ `{name}` has no metrics yet (first PR): there is nothing to compare "
                   "with, so only this PR's values are shown.")
    return out


def params_section(ctx: Context, name: str, max_rows: int) -> str:
    rows = params_diff(ctx.params_old, ctx.params_new)
    if ctx.params_old is None:
        return f"### Params\n\n_`{name}` has no params.yaml._"
    if not rows:
        return "### Params\n\n_No params changed._"
    body = [(f"`{k}`", show(old), show(new)) for k, old, new in rows]
    return "### Params changed\n\n" + table(["param", name, "PR"], body, max_rows, "params")


def show(value: Any) -> str:
    return "_(absent)_" if value is MISSING else fmt(value)


def signed(value: float | None) -> str:
    return "" if value is None else ("+" if value > 0 else "") + fmt(value)


def signed_pct(value: float | None) -> str:
    return "" if value is None else f"{value:+.1f}%"


def metrics_section(ctx: Context, name: str, max_rows: int) -> str:
    rows = metrics_diff(ctx.metrics_old, ctx.metrics_new)
    body = [(r.name, "" if r.base is None else fmt(r.base), "" if r.new is None else fmt(r.new),
             signed(r.delta), signed_pct(r.delta_pct), MARK[r.verdict]) for r in rows]
    return (f"### Metrics (`{paths.METRICS}`)\n\n"
            + table(["metric", name, "PR", "Δ", "Δ%", ""], body, max_rows, "metrics"))


def duel_section(ctx: Context, name: str) -> str:
    d = ctx.duel
    if d is None:
        return ""
    head = (f"### Champion vs challenger\n\nBoth models scored on the most recent labeled window, "
            f"{ctx.window}.")
    if d.champion is None:
        return f"{head}\n\n_The `{name}` model is not available ({d.note}); only the PR's model " \
               "was scored._"
    rows = [(m, fmt(d.champion[m]), fmt(v), signed_pct(100 * (v - d.champion[m])
                                                        / abs(d.champion[m]) if d.champion[m]
                                                        else None))
            for m, v in d.challenger.items()]
    verdict = (f"✅ The challenger passes: its {d.metric} is not worse than the champion's by more "
               f"than {d.tolerance:.1%} (`report.tolerance`)." if d.passed else
               f"❌ The challenger fails: its {d.metric} is {100 * (d.change or 0.0):.1f}% worse than the "
               f"champion's, over the {d.tolerance:.1%} tolerance (`report.tolerance`).")
    note = f"\n\n_{d.note}_" if d.note else ""
    return (f"{head}\n\n" + table(["metric", f"champion (`{name}`)", "challenger (PR)", "Δ%"],
                                  rows, 50) + f"\n\n{verdict}{note}")


def plots_section(ctx: Context, name: str) -> str:
    lines = [f"### Plots: `{name}` vs PR", "", f"| `{name}` | PR |", "|---|---|"]
    for title, old, new in ctx.plots:
        left = f"![{title} ({name})]({old})" if old else f"_no {title.lower()} on `{name}`_"
        lines.append(f"| {left} | ![{title} (PR)]({new}) |")
    return "\n".join(lines)


def drift_section(ctx: Context, images: bool, max_rows: int) -> str:
    """The drift stage's own summary (drift.md) when present, else a line from drift.json."""
    drift = ctx.drift
    if not drift:
        return ("### Drift\n\n_No drift report in this run (`reports/drift.json` is absent; the "
                "drift stage did not run)._")
    parts = []
    if drift.get("md"):
        md = drift["md"].strip()
        parts.append(md if md.startswith("#") else f"### Drift\n\n{md}")
    else:
        summary = drift.get("json") or {}
        flag = "⚠️ **drift detected**" if summary.get("drift") else "🟢 **no drift**"
        share = summary.get("share")
        parts.append(f"### Drift\n\n{flag}" + (f" (drifted feature share {share:.0%})"
                                                 if isinstance(share, float) else ""))
        reasons = summary.get("reasons") or []
        parts.append("\n".join(f"- {r}" for r in reasons[:max_rows]))
    if images and ctx.drift_plots:
        parts.append(" ".join(f"![{Path(p).stem.replace('_', ' ')}]({p})" for p in ctx.drift_plots))
    text = "\n\n".join(p for p in parts if p)
    return clip(text, 16_000, "_… drift summary cut; the full report is in the artifact._")


def footer(ctx: Context, name: str) -> str:
    html = ["metrics, plots", "drift.html" if ctx.drift.get("html") else None]
    what = " and ".join(h for h in html if h)
    where = (f"[workflow artifact `reports`]({ctx.artifact_url})" if ctx.artifact_url
             else "`reports/` (local run)")
    return (f"---\nFull reports ({what}): {where} · base `{name}` @ `{ctx.base_sha[:8]}` · "
            "generated by `staleguard report pr`")
