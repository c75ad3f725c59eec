"""Rendering the PR comment from a gathered Context: sections, notes and the size limit."""

from __future__ import annotations

import re

import pytest

from staleguard.params import Window
from staleguard.report.champion import Duel
from staleguard.report.gate import Gate
from staleguard.report.markdown import GITHUB_LIMIT
from staleguard.report.render import Context, artifact_url, base_name, render
from staleguard.verdict import Verdict

METRICS = {"mae": 13.5832, "rmse": 20.7535, "r2": 0.8564, "mape": 0.3672}
PR_METRICS = {"mae": 13.6861, "rmse": 20.9131, "r2": 0.8542, "mape": 0.3581}


def verdict(name: str = "no clear difference", delta: float = 0.0076,
            ci: tuple[float, float] = (-0.004, 0.02), folds: int = 4) -> Verdict:
    return Verdict("mae", name, delta, ci, 0.9, 672, 28, folds, "paired day-block bootstrap",
                   champion=13.5832, challenger=13.6861, margin=0.01, tolerance=0.02,
                   note="the 90% CI spans both sides")


WEEKS = [Window(start=f"2011-05-{d:02d}", end=f"2011-05-{d + 7:02d}") for d in (3, 10, 17, 24)]


def gate(name: str = "no clear difference", passed: bool = True, **kw) -> Gate:
    return Gate(verdict(name, **kw), "walk-forward", passed, weeks=WEEKS)


def context(**overrides) -> Context:
    base = dict(base="origin/main", base_sha="c93d974f" + "0" * 32,
                params_old={"train": {"n_est": 100, "seed": 42}},
                params_new={"train": {"n_est": 300, "seed": 42}},
                metrics_old=METRICS, metrics_new=PR_METRICS,
                duel=Duel(METRICS, PR_METRICS, "mae", 0.02), window="2011-02-01 → 2011-02-07",
                plots=[("Predicted vs actual", "base_pva.png", "pr_pva.png")], gate=gate())
    base.update(overrides)
    return Context(**base)


def test_render_shows_the_params_row_and_both_metric_values():
    text = render(context(), max_rows=30)
    assert "| `train.n_est` | 100 | 300 |" in text
    assert "seed" not in text  # only what changed
    assert "| mae | 13.5832 | 13.6861 | +0.1029 | +0.8% | toward worse |" in text
    assert "| mape | 0.3672 | 0.3581 | -0.0091 | -2.5% | toward better |" in text


def test_render_places_base_and_pr_plots_side_by_side():
    text = render(context(), max_rows=30)
    assert re.search(r"\| !\[[^]]*\]\(base_pva\.png\) \| !\[[^]]*\]\(pr_pva\.png\) \|", text)
    assert "base_pva.png" not in render(context(), max_rows=30, images=False)


def test_render_leads_with_one_verdict_line_and_what_it_was_computed_on():
    text = render(context(), max_rows=30)
    first = text.split("\n\n")[1]
    assert first == ("**⚪ no clear difference**: mae +0.8% vs `main`, 13.58 → 13.69 (90% CI "
                     "−0.4% to +2.0%; 672 rows, 28 days, 4 folds) · ✅ gate passes")
    assert "walk-forward backtest" in text and "2011-05-03 → 2011-05-31" in text
    assert "passes the gate (`report.undecided`); it is not evidence of an improvement" in text


def test_render_a_worse_verdict_fails_the_gate():
    text = render(context(gate=gate("worse", passed=False, delta=0.9, ci=(0.75, 1.1))),
                  max_rows=30)
    assert "**🔴 worse**: mae +90.0%" in text and "❌ **gate fails**" in text


def test_render_says_why_it_fell_back_to_one_window():
    g = Gate(verdict(folds=1), "single window", True, why="the history holds 1 week")
    text = render(context(gate=g), max_rows=30)
    assert "Computed on one window" in text and "the history holds 1 week" in text


def test_render_shows_one_metrics_table_not_two():
    text = render(context(), max_rows=30)
    assert text.count("| metric |") == 1 and "Champion vs challenger" not in text
    assert "both models on the evaluation window 2011-02-01 → 2011-02-07" in text


def test_render_notes_a_first_pr_without_base_metrics():
    text = render(context(metrics_old=None, duel=Duel(None, PR_METRICS, "mae", 0.02)),
                  max_rows=30)
    assert "`main` has no metrics yet (first PR)" in text
    assert "| mae |  | 13.6861 |" in text


def test_render_says_results_are_not_persisted_without_a_remote():
    assert "not persisted" in render(context(persisted=False), max_rows=30)
    assert "not persisted" not in render(context(), max_rows=30)


def test_render_explains_an_unavailable_base_model():
    duel = Duel(None, PR_METRICS, "mae", 0.02, "FileNotFoundError: no remote")
    text = render(context(duel=duel), max_rows=30)
    assert "the `main` model could not be scored here: FileNotFoundError: no remote" in text
    assert "| mae | 13.5832 | 13.6861 |" in text  # main's committed metrics.json


def test_render_degrades_gracefully_without_drift_outputs():
    assert "No drift report in this run" in render(context(), max_rows=30)


def test_render_uses_drift_md_and_its_plots_when_present():
    drift = {"md": "### Drift check: 🟢 **no drift**\n\n| column | score |", "html": True,
             "json": {"drift": False}}
    text = render(context(drift=drift, drift_plots=["drift_scores.png"], data_changed=True),
                  max_rows=30)
    assert "### Drift check: 🟢 **no drift**" in text
    assert "![drift scores](drift_scores.png)" in text and "drift.html" in text


def test_render_summarises_drift_json_when_md_is_absent():
    drift = {"json": {"drift": True, "share": 0.75, "reasons": ["target drifted"]}}
    text = render(context(drift=drift), max_rows=30)
    assert "⚠️ **drift detected** (drifted feature share 75%)" in text
    assert "- target drifted" in text


def test_render_folds_drift_unless_found_or_the_pr_changes_its_inputs():
    drift = {"md": "### Drift check: 🟢 **no drift**\n\n| column | score |", "json": {"drift": False}}
    folded = render(context(drift=drift), max_rows=30)
    assert "<details><summary>Drift check: 🟢 no drift" in folded and "</details>" in folded
    windows = {"train": {"n_est": 300}, "windows": {"eval": {"start": "2011-03-01"}}}
    for ctx in (context(drift={**drift, "json": {"drift": True}}),
                context(drift=drift, params_new=windows), context(drift=drift, data_changed=True)):
        assert "<details>" not in render(ctx, max_rows=30)


def big(n: int) -> Context:
    old = {"features": {f"f{i:05d}": "x" * 200 for i in range(n)}}
    new = {"features": {f"f{i:05d}": "y" * 200 for i in range(n)}}
    metrics = {f"m{i}": float(i) for i in range(n)}
    drift = {"md": "| col | score |\n" + "\n".join(f"| c{i} | 0.1 |" for i in range(n * 5))}
    return context(params_old=old, params_new=new, metrics_old=metrics, metrics_new=metrics,
                   drift=drift, duel=None)


@pytest.mark.parametrize("n", [10, 5_000])
def test_render_stays_under_githubs_limit_whatever_the_params_count(n):
    text = render(big(n), max_rows=30)
    assert len(text) < GITHUB_LIMIT - 2_000
    if n > 30:
        assert f"… {n - 30} more params not shown" in text


def test_render_at_the_limit_cuts_sections_says_what_and_keeps_the_verdict():
    """Tables as long as the params diff itself (max_rows huge): the comment still fits, each cut
    section says so, and the full render keeps every row."""
    ctx = big(2_000)
    text = render(ctx, max_rows=100_000)
    assert len(text) <= GITHUB_LIMIT - 4_000
    assert text.split("\n\n")[1].startswith("**⚪ no clear difference**")
    assert "_… params diff cut here to fit GitHub's 65,536-character comment limit" in text
    assert re.findall(r"_… (\w+ \w+) cut here", text) == ["params diff", "metrics table",
                                                          "drift summary"]
    assert "reports/pr/report.full.md" in text and text.rstrip().endswith("`staleguard report pr`")
    full = render(ctx, max_rows=100_000, budget=None)
    assert len(full) > GITHUB_LIMIT and "`features.f01999`" in full and "cut here" not in full


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
