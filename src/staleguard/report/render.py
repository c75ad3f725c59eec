"""The PR comment as Markdown: a pure function of the gathered `Context`.

Kept apart from gathering (git, DVC, model scoring) so layout and the size limit are tested
without a repository.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from staleguard import artifacts
from staleguard.report.champion import Duel
from staleguard.report.diff import MISSING, metrics_diff, params_diff
from staleguard.report.markdown import BUDGET, fit, fmt, table
from staleguard.verdict.text import verdict_line

TITLE = "## {title}"   # report.title (params.yaml)
# Point estimates only: the verdict line is the one place that says better/worse (it has a CI).
MARK = {"better": "toward better", "worse": "toward worse", "same": "same", "": ""}


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
    gate: Any = None              # report.gate.Gate: the verdict and what it was computed on
    data_changed: bool = False    # data.dvc differs from the base's
    behind: Any = None            # report.behind.Behind: the base's pipeline changes not in the branch
    title: str = "staleguard model report"   # report.title


def base_name(ref: str) -> str:
    return ref.removeprefix("refs/remotes/").removeprefix("origin/").removeprefix("refs/heads/")


def artifact_url(env: dict[str, str] | os._Environ[str] = os.environ) -> str | None:
    """The run page holding the `reports` artifact, when running in GitHub Actions."""
    parts = [env.get(k) for k in ("GITHUB_SERVER_URL", "GITHUB_REPOSITORY", "GITHUB_RUN_ID")]
    return f"{parts[0]}/{parts[1]}/actions/runs/{parts[2]}" if all(parts) else None


def render(ctx: Context, max_rows: int, images: bool = True, budget: int | None = BUDGET) -> str:
    """The whole comment: the verdict first, then params, one metrics table, plots, drift.

    With a `budget`, the longest sections are cut (each says so) until the comment fits GitHub's
    limit whatever the number of params and features; `budget=None` is the full report.
    """
    name = base_name(ctx.base)
    sections = [("head", f"{TITLE.format(title=ctx.title)}\n\n{headline(ctx, name)}"),
                *(("note", n) for n in notes(ctx, name)),
                ("params diff", params_section(ctx, name, max_rows)),
                ("metrics table", metrics_section(ctx, name, max_rows))]
    if images and ctx.plots:
        sections.append(("plots", plots_section(ctx, name)))
    sections.append(("drift summary", drift_section(ctx, images, max_rows)))
    sections.append(("footer", footer(ctx, name)))
    sections = [(k, t) for k, t in sections if t]
    if budget is not None:
        sections = fit(sections, budget - DETAILS, keep={"head", "footer"}, where=WHERE)
    return "\n\n".join(wrap_drift(ctx, k, t) for k, t in sections) + "\n"


WHERE = "the full report is in the job summary and in `reports/pr/report.full.md` (workflow artifact)"
DETAILS = 200   # room for the <details> wrapper added after fitting


def headline(ctx: Context, name: str) -> str:
    """The one line people merge on: verdict, Δ, CI, gate, and what it was computed on."""
    g = ctx.gate
    if g is None:
        return f"Compared with `{name}` ({ctx.base_sha[:8]})."
    gate = "✅ gate passes" if g.passed else "❌ **gate fails**"
    line = f"{verdict_line(g.verdict, f'`{name}`')} · {gate}"
    v = g.verdict
    if g.basis == "walk-forward":
        how = (f"_Computed on a walk-forward backtest: `{name}`'s recipe (its params, this PR's "
               f"code) and the PR's, each refitted before each of {v.folds} weeks "
               f"({g.weeks[0].start:%Y-%m-%d} → {g.weeks[-1].end:%Y-%m-%d}) and scored on it: "
               f"{v.rows} paired rows over {v.days} days._")
        if g.unseen:
            how += f" _⚠️ Not in this verdict: {g.unseen}._"
    elif v.verdict == "not compared":
        how = (f"_Not computed: the walk-forward would fit `{name}`'s recipe and the PR's "
               "identically in every fold, and a difference of zero would say nothing about "
               "this PR._")
    else:
        how = (f"_Computed on one window: `{name}`'s model and the PR's on the evaluation window "
               f"{ctx.window}, paired per row. A walk-forward backtest was not possible: "
               f"{g.why or 'see report.backtest'}._")
    why = f" _Why: {v.note}._" if v.note else ""
    undecided = ""
    if v.verdict in ("no clear difference", "not enough data", "not compared"):
        undecided = (f" _`{v.verdict}` {'passes' if g.passed else 'fails'} the gate "
                     "(`report.undecided`); it is not evidence of an improvement._")
    return f"{line}\n\n{how}{why}{undecided}"


def notes(ctx: Context, name: str) -> list[str]:
    out = []
    if ctx.behind is not None:
        b = ctx.behind
        shown = ", ".join(f"`{p}`" for p in b.paths[:5]) + (
            f" and {len(b.paths) - 5} more" if len(b.paths) > 5 else "")
        out.append(f"> ⚠️ **Update this branch before merging.** `{name}` gained {b.commits} "
                   f"commit(s) since this branch left it (`{b.fork_point[:8]}`) that change the "
                   f"pipeline: {shown}. These results are of the branch's own head, compared "
                   f"with `{name}` as it is now; the merge of the two was not run. Merge or "
                   f"rebase `{name}` into the branch: the next run recomputes on it.")
    if not ctx.persisted:
        out.append("> ⚠️ **No DVC remote is configured**: the data was bootstrapped from "
                   "the official source (`data.url`), and these results are **not persisted** "
                   "(nothing was pushed or committed back) until a remote is set. See "
                   "docs/pr-workflow.md.")
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
    """One table: both models on the PR's evaluation window when the base model was scored,
    else the base's committed metrics.json (measured on its own window)."""
    d = ctx.duel
    same_window = d is not None and d.champion is not None
    base = d.champion if same_window and d is not None else ctx.metrics_old
    rows = metrics_diff(base, ctx.metrics_new)
    naive = d.baseline if d is not None and d.baseline is not None else None
    body = [(r.name, "" if r.base is None else fmt(r.base), "" if r.new is None else fmt(r.new),
             signed(r.delta), signed_pct(r.delta_pct), MARK[r.verdict],
             *([fmt(naive[r.name]) if r.name in naive else ""] if naive is not None else []))
            for r in rows]
    if same_window:
        where = f"both models on the evaluation window {ctx.window}"
    elif ctx.metrics_old is not None:
        where = (f"`{name}`'s committed `{artifacts.METRICS}` (its own window: the `{name}` model "
                 f"could not be scored here{': ' + d.note if d and d.note else ''})")
    else:
        where = f"the PR's `{artifacts.METRICS}`"
    note = "\n\n_This PR does not change the model._" if d and d.note.startswith("This PR") else ""
    if d is not None and naive is not None:
        beats = d.beats_baseline()
        note += (f"\n\n_baseline: {d.baseline_name}, on the same rows (report.baseline)._"
                 + ("" if beats is not False else
                    f"\n\n**The PR's model does not beat the naive baseline** on {d.metric}: "
                    f"{fmt(d.challenger[d.metric])} vs {fmt(naive[d.metric])}."))
    header = ["metric", name, "PR", "Δ", "Δ%", "direction", *(["baseline"] if naive is not None else [])]
    return (f"### Metrics\n\n_{where}; point estimates, so only the verdict above accounts "
            f"for noise; r2 changes are absolute._\n\n"
            + table(header, body, max_rows, "metrics")
            + note)


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
    return "\n\n".join(p for p in parts if p)


DRIFT_INPUTS = ("data.", "windows.", "features.")


def drift_open(ctx: Context) -> bool:
    """Show drift unfolded when it matters to this PR: drift found, or the PR changed the data,
    the windows or the features."""
    found = bool((ctx.drift.get("json") or {}).get("drift"))
    changed = any(k.startswith(DRIFT_INPUTS) for k, _, _ in params_diff(ctx.params_old,
                                                                         ctx.params_new))
    return found or changed or ctx.data_changed


def wrap_drift(ctx: Context, key: str, text: str) -> str:
    """The drift section folded in <details> unless `drift_open`."""
    if key != "drift summary" or not ctx.drift or drift_open(ctx):
        return text
    head, _, body = text.partition("\n")
    title = head.lstrip("#").strip().replace("**", "") or "Drift"  # no Markdown in <summary>
    return (f"<details><summary>{title} (this PR changes no data, windows or features)"
            f"</summary>\n\n{body.strip()}\n\n</details>")


def footer(ctx: Context, name: str) -> str:
    html = ["metrics, plots", "drift.html" if ctx.drift.get("html") else None]
    what = " and ".join(h for h in html if h)
    where = (f"[workflow artifact `reports`]({ctx.artifact_url})" if ctx.artifact_url
             else "`reports/` (local run)")
    return (f"---\nFull reports ({what}): {where} · base `{name}` @ `{ctx.base_sha[:8]}` · "
            "generated by `staleguard report pr`")
