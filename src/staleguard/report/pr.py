"""`staleguard report pr`: the PR comment (Markdown + PNGs beside it) from the workspace vs a base ref.

Gathering (git, DVC, model scoring) is kept apart from rendering, which is a pure function of
the gathered `Context`, so the layout and the size limit are tested without a repository.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from staleguard import plots
from staleguard.errors import ModelError
from staleguard.io import write_text
from staleguard.params import Params
from staleguard.report import sources
from staleguard.report.champion import Duel, duel, window_label
from staleguard.report.diff import MISSING, metrics_diff, params_diff
from staleguard.report.markdown import BUDGET, clip, fmt, table
from staleguard.stages import paths

TITLE = "## 🚲 staleguard model report"
MARK = {"better": "🟢 better", "worse": "🔴 worse", "same": "⚪ same", "": ""}
PLOTS = (("Predicted vs actual", "predicted_vs_actual"), ("Residuals over time", "residuals"),
         ("Feature importance", "importance"))


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


# ---------------------------------------------------------------- rendering (pure)
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
               f"❌ The challenger fails: its {d.metric} is {100 * d.change:.1f}% worse than the "
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


# ---------------------------------------------------------------- gathering (git, DVC, models)
def gather(base: str, outdir: Path, params: Params, params_file: Path) -> Context:
    sha = sources.resolve(base)
    metrics_new = sources.json_at_path(paths.METRICS)
    ctx = Context(base=base, base_sha=sha, params_old=sources.yaml_at(sha, params_file),
                  params_new=yaml.safe_load(params_file.read_text()),
                  metrics_old=sources.json_at(sha, paths.METRICS), metrics_new=metrics_new,
                  artifact_url=artifact_url(), persisted=remote_configured())
    ctx.duel, ctx.window = champion_vs_challenger(sha, params, metrics_new)
    ctx.plots = draw_plots(sha, outdir, base_name(base))
    ctx.drift = sources.drift_outputs()
    for png in ctx.drift.get("plots", []):
        shutil.copy2(png, outdir / png.name)
        ctx.drift_plots.append(png.name)
    return ctx


def remote_configured() -> bool:
    from staleguard import dvc_ops

    return bool(dvc_ops.default_remote())


def champion_vs_challenger(sha: str, params: Params,
                           measured: dict[str, Any] | None = None) -> tuple[Duel, str]:
    """Base model vs workspace model on the workspace's eval window (the latest labeled week).

    `measured` is evaluate's metrics.json: the workspace model on that same window already.
    """
    if not paths.EVAL_SET.exists() or not paths.MODEL.exists():
        raise ModelError(f"{paths.EVAL_SET} or {paths.MODEL} not found; run `dvc repro` first")
    frame = pd.read_parquet(paths.EVAL_SET)
    cfg = params.report
    same = sources.model_md5(sources.yaml_at(sha, "dvc.lock")) == current_md5()
    with tempfile.TemporaryDirectory(prefix="staleguard-base-") as tmp:
        champion: Path | None = Path(tmp) / "model.skops"
        reason = None if same else sources.fetch_model(sha, champion)
        if same:
            champion = paths.MODEL
        elif reason:
            champion = None
        known = measured if measured and cfg.metric in measured else None
        challenger = ({k: float(v) for k, v in known.items()
                       if isinstance(v, int | float) and not isinstance(v, bool)}
                      if known else paths.MODEL)
        result = duel(champion, challenger, frame, params.features.target, cfg.metric,
                      cfg.tolerance, unavailable=reason or "")
    if same:
        result = Duel(result.champion, result.challenger, result.metric, result.tolerance,
                      "This PR does not change the model.")
    return result, window_label(frame)


def current_md5() -> str | None:
    lock = Path("dvc.lock")
    return sources.model_md5(yaml.safe_load(lock.read_text())) if lock.exists() else None


def draw_plots(sha: str, outdir: Path, name: str) -> list[tuple[str, str | None, str]]:
    """Base plots redrawn from its committed plot data, beside the PR's, in `outdir`."""
    frames = {"base": (sources.predictions_at(sha), sources.csv_at(sha, paths.IMPORTANCE)),
              "pr": (read_csv(paths.PREDICTIONS), read_csv(paths.IMPORTANCE))}
    out: list[tuple[str, str | None, str]] = []
    for title, stem in PLOTS:
        names: dict[str, str | None] = {}
        for side, (pred, imp) in frames.items():
            data = imp if stem == "importance" else pred
            if data is None:
                names[side] = None
                continue
            png = outdir / f"{side}_{stem}.png"
            label = f"{title}, {name if side == 'base' else 'PR'}"
            {"predicted_vs_actual": plots.predicted_vs_actual, "residuals": plots.residuals_over_time,
             "importance": plots.importance}[stem](data, png, label)
            names[side] = png.name
        if names["pr"]:
            out.append((title, names["base"], names["pr"]))
    return out


def read_csv(path: Path) -> pd.DataFrame | None:
    return pd.read_csv(path) if path.exists() else None


def build(base: str, output: Path, params: Params, params_file: Path = Path("params.yaml"),
          summary: Path | None = None) -> str:
    """Write the comment to `output` (PNGs beside it) and, optionally, a no-image job summary."""
    output.parent.mkdir(parents=True, exist_ok=True)
    ctx = gather(base, output.parent, params, params_file)
    text = render(ctx, params.report.max_rows)
    write_text(output, text)
    if summary is not None:
        with summary.open("a") as fh:  # GITHUB_STEP_SUMMARY is appended to, never replaced
            fh.write(render(ctx, params.report.max_rows, images=False))
    return text
