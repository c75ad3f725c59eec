"""Rendering the PR comment from a gathered Context: sections, notes and the size limit."""

from __future__ import annotations

import re

import pytest

from staleguard.report.champion import Duel
from staleguard.report.markdown import GITHUB_LIMIT
from staleguard.report.render import Context, artifact_url, base_name, render

METRICS = {"mae": 13.5832, "rmse": 20.7535, "r2": 0.8564, "mape": 0.3672}
PR_METRICS = {"mae": 13.6861, "rmse": 20.9131, "r2": 0.8542, "mape": 0.3581}


def context(**overrides) -> Context:
    base = dict(base="origin/main", base_sha="c93d974f" + "0" * 32,
                params_old={"train": {"n_est": 100, "seed": 42}},
                params_new={"train": {"n_est": 300, "seed": 42}},
                metrics_old=METRICS, metrics_new=PR_METRICS,
                duel=Duel(METRICS, PR_METRICS, "mae", 0.02), window="2011-02-01 → 2011-02-07",
                plots=[("Predicted vs actual", "base_pva.png", "pr_pva.png")])
    base.update(overrides)
    return Context(**base)


def test_render_shows_the_params_row_and_both_metric_values():
    text = render(context(), max_rows=30)
    assert "| `train.n_est` | 100 | 300 |" in text
    assert "seed" not in text  # only what changed
    assert "| mae | 13.5832 | 13.6861 | +0.1029 | +0.8% | 🔴 worse |" in text
    assert "| mape | 0.3672 | 0.3581 | -0.0091 | -2.5% | 🟢 better |" in text


def test_render_places_base_and_pr_plots_side_by_side():
    text = render(context(), max_rows=30)
    assert re.search(r"\| !\[[^]]*\]\(base_pva\.png\) \| !\[[^]]*\]\(pr_pva\.png\) \|", text)
    assert "base_pva.png" not in render(context(), max_rows=30, images=False)


def test_render_gate_passes_within_tolerance_and_fails_beyond():
    assert "✅ **challenger passes**" in render(context(), max_rows=30)
    worse = {**PR_METRICS, "mae": 14.5}
    text = render(context(duel=Duel(METRICS, worse, "mae", 0.02)), max_rows=30)
    assert "❌ **challenger fails**" in text and "6.7% worse" in text


def test_render_gate_for_r2_treats_higher_as_better():
    duel = Duel({"r2": 0.80}, {"r2": 0.85}, "r2", 0.0)
    assert duel.passed and duel.change < 0
    assert not Duel({"r2": 0.80}, {"r2": 0.70}, "r2", 0.05).passed


def test_render_notes_a_first_pr_without_base_metrics():
    text = render(context(metrics_old=None), max_rows=30)
    assert "`main` has no metrics yet (first PR)" in text
    assert "| mae |  | 13.6861 |" in text


def test_render_says_results_are_not_persisted_without_a_remote():
    assert "not persisted" in render(context(persisted=False), max_rows=30)
    assert "not persisted" not in render(context(), max_rows=30)


def test_render_explains_an_unavailable_base_model():
    duel = Duel(None, PR_METRICS, "mae", 0.02, "FileNotFoundError: no remote")
    text = render(context(duel=duel), max_rows=30)
    assert "The `main` model is not available (FileNotFoundError: no remote)" in text


def test_render_degrades_gracefully_without_drift_outputs():
    assert "No drift report in this run" in render(context(), max_rows=30)


def test_render_uses_drift_md_and_its_plots_when_present():
    drift = {"md": "### Drift check: 🟢 **no drift**\n\n| column | score |", "html": True,
             "json": {"drift": False}}
    text = render(context(drift=drift, drift_plots=["drift_scores.png"]), max_rows=30)
    assert "### Drift check: 🟢 **no drift**" in text
    assert "![drift scores](drift_scores.png)" in text and "drift.html" in text


def test_render_summarises_drift_json_when_md_is_absent():
    drift = {"json": {"drift": True, "share": 0.75, "reasons": ["target drifted"]}}
    text = render(context(drift=drift), max_rows=30)
    assert "⚠️ **drift detected** (drifted feature share 75%)" in text
    assert "- target drifted" in text


@pytest.mark.parametrize("n", [10, 5_000])
def test_render_stays_under_githubs_limit_whatever_the_params_count(n):
    old = {"features": {f"f{i:05d}": "x" * 200 for i in range(n)}}
    new = {"features": {f"f{i:05d}": "y" * 200 for i in range(n)}}
    metrics = {f"m{i}": float(i) for i in range(n)}
    drift = {"md": "| col | score |\n" + "\n".join(f"| c{i} | 0.1 |" for i in range(n * 5))}
    text = render(context(params_old=old, params_new=new, metrics_old=metrics,
                          metrics_new=metrics, drift=drift), max_rows=30)
    assert len(text) < GITHUB_LIMIT - 2_000
    if n > 30:
        assert f"… {n - 30} more params not shown" in text


def test_artifact_url_needs_all_three_github_variables():
    env = {"GITHUB_SERVER_URL": "https://github.com", "GITHUB_REPOSITORY": "o/r",
           "GITHUB_RUN_ID": "42"}
    assert artifact_url(env) == "https://github.com/o/r/actions/runs/42"
    assert artifact_url({**env, "GITHUB_RUN_ID": ""}) is None
    text = render(context(artifact_url="https://github.com/o/r/actions/runs/42"), max_rows=30)
    assert "[workflow artifact `reports`](https://github.com/o/r/actions/runs/42)" in text


@pytest.mark.parametrize(("ref", "name"), [("origin/main", "main"), ("main", "main"),
                                           ("refs/remotes/origin/dev", "dev")])
def test_base_name_drops_the_remote_prefix(ref, name):
    assert base_name(ref) == name
