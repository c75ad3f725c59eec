"""`staleguard report pr`: the PR comment (Markdown + PNGs beside it) from the workspace vs a base ref.

This module gathers (git, DVC, model scoring, plots); `render` turns the result into Markdown.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import tempfile
from dataclasses import replace
from pathlib import Path

import pandas as pd
import yaml

from staleguard import artifacts, model_plots
from staleguard.errors import ModelError
from staleguard.io import write_json, write_text
from staleguard.params import Params
from staleguard.report import gate, sources
from staleguard.report.behind import behind
from staleguard.report.champion import Duel, duel, window_label, with_baseline
from staleguard.report.render import Context, artifact_url, base_name, render

GATE = "gate.json"
FULL = "report.full.md"       # every row, nothing cut: the artifact's copy of the comment
FULL_ROWS = 100_000
SUMMARY_LIMIT = 1_000_000     # GitHub's job summary limit is 1 MiB per step
PLOTS = (("Predicted vs actual", "predicted_vs_actual"), ("Residuals over time", "residuals"),
         ("Feature importance", "importance"))


def gather(base: str, outdir: Path, params: Params, params_file: Path) -> Context:
    sha = sources.resolve(base)
    metrics_new = sources.json_at_path(artifacts.METRICS)
    ctx = Context(base=base, base_sha=sha, params_old=sources.yaml_at(sha, params_file),
                  params_new=yaml.safe_load(params_file.read_text()),
                  metrics_old=sources.json_at(sha, artifacts.METRICS), metrics_new=metrics_new,
                  artifact_url=artifact_url(), persisted=remote_configured(), title=params.report.title)
    ctx.duel, ctx.window, frame = champion_vs_challenger(sha, params)
    ctx.gate = gate.decide(params, ctx.params_old, ctx.duel, frame)
    ctx.data_changed = sources.show(sha, "data.dvc") != read_text(Path("data.dvc"))
    ctx.behind = behind(sha)
    ctx.plots = draw_plots(sha, outdir, base_name(base))
    ctx.drift = sources.drift_outputs()
    for png in ctx.drift.get("plots", []):
        shutil.copy2(png, outdir / png.name)
        ctx.drift_plots.append(png.name)
    return ctx


def remote_configured() -> bool:
    from staleguard import dvc_ops

    return bool(dvc_ops.default_remote())


def champion_vs_challenger(sha: str, params: Params) -> tuple[Duel, str, pd.DataFrame]:
    """Base model vs workspace model on the workspace's eval window, per row (and the window)."""
    if not artifacts.EVAL_SET.exists() or not artifacts.MODEL.exists():
        raise ModelError(f"{artifacts.EVAL_SET} or {artifacts.MODEL} not found; run `dvc repro` first")
    frame = pd.read_parquet(artifacts.EVAL_SET)
    cfg = params.report
    same = artifacts.recorded_md5(sources.yaml_at(sha, "dvc.lock")) == current_md5()
    with tempfile.TemporaryDirectory(prefix="staleguard-base-") as tmp:
        fetched = Path(tmp) / "model.skops"
        champion: Path | None = fetched
        reason = None if same else sources.fetch_model(sha, fetched)
        if same:
            champion = artifacts.MODEL
        elif reason:
            champion = None
        result = duel(champion, artifacts.MODEL, frame, params.features.target, cfg.metric,
                      cfg.tolerance, unavailable=reason or "")
    if same:
        result = replace(result, note="This PR does not change the model.")
    if artifacts.TRAIN_SET.exists():
        result = with_baseline(result, frame, pd.read_parquet(artifacts.TRAIN_SET), cfg.baseline,
                               params.features.target)
    return result, window_label(frame), frame


def current_md5() -> str | None:
    """The work tree's model md5 from dvc.lock, or None before the first `dvc repro`."""
    lock = artifacts.LOCK
    return artifacts.recorded_md5(yaml.safe_load(lock.read_text())) if lock.exists() else None


def draw_plots(sha: str, outdir: Path, name: str) -> list[tuple[str, str | None, str]]:
    """Base plots redrawn from its committed plot data, beside the PR's, in `outdir`."""
    frames = {"base": (sources.predictions_at(sha), sources.csv_at(sha, artifacts.IMPORTANCE)),
              "pr": (read_csv(artifacts.PREDICTIONS), read_csv(artifacts.IMPORTANCE))}
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
            {"predicted_vs_actual": model_plots.predicted_vs_actual,
             "residuals": model_plots.residuals_over_time,
             "importance": model_plots.importance}[stem](data, png, label)
            names[side] = png.name
        if names["pr"]:
            out.append((title, names["base"], names["pr"]))
    return out


def read_text(path: Path) -> str | None:
    return path.read_text() if path.exists() else None


def read_csv(path: Path) -> pd.DataFrame | None:
    return pd.read_csv(path) if path.exists() else None


MARKER = "<!-- staleguard results digest {} -->"


def digest(ctx: Context, outdir: Path, max_rows: int) -> str:
    """What the comment says, as a hash: its text without this run's link, and the bytes of
    every image it shows. The workflow leaves a comment that already holds it untouched (no
    upload, no edit): a re-run or a push that changes no result changes nothing on the PR."""
    h = hashlib.sha256(render(replace(ctx, artifact_url=None), max_rows).encode())
    for ref in sorted({*(n for _, old, new in ctx.plots for n in (old, new) if n),
                       *ctx.drift_plots}):
        h.update(ref.encode() + b"\0" + (outdir / ref).read_bytes())
    return h.hexdigest()[:16]


def digest_in(text: str) -> str:
    """The digest `build` put into a comment ("" when there is none)."""
    m = re.search(MARKER.format(r"([0-9a-f]+)"), text)
    return m[1] if m else ""


def marker(value: str) -> str:
    """An HTML comment: invisible on GitHub, kept by CML, found by `gh api … --jq`."""
    return "\n" + MARKER.format(value) + "\n"


def build(base: str, output: Path, params: Params, params_file: Path = Path("params.yaml"),
          summary: Path | None = None) -> tuple[str, gate.Gate | None]:
    """Write the comment to `output` (PNGs beside it), the full report and gate.json beside it,
    and optionally a no-image job summary. The comment fits GitHub's limit; the full report
    (every row, nothing cut) goes to the artifact and the summary."""
    output.parent.mkdir(parents=True, exist_ok=True)
    ctx = gather(base, output.parent, params, params_file)
    text = render(ctx, params.report.max_rows)
    text += marker(digest(ctx, output.parent, params.report.max_rows))
    write_text(output, text)
    write_text(output.with_name(FULL), render(ctx, FULL_ROWS, budget=None))
    if ctx.gate is not None:
        write_json(output.with_name(GATE), ctx.gate.to_dict())
    if summary is not None:
        with summary.open("a") as fh:  # GITHUB_STEP_SUMMARY is appended to, never replaced
            fh.write(render(ctx, FULL_ROWS, images=False, budget=SUMMARY_LIMIT))
    return text, ctx.gate
