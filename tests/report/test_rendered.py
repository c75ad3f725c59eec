"""The PR comment and the retraining PR body as a reviewer sees them: Markdown → HTML (a
GitHub-like renderer: CommonMark + tables, raw HTML kept for <details>) in headless Chromium.
Both must lead with the verdict, and the retraining PR's weekly table must start folded.

Screenshots go to $STALEGUARD_SCREENSHOTS when set (else the test's tmp dir): look at them.
"""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from staleguard.monitor import decision, evidence, job_summary, retrain
from staleguard.params import Window
from staleguard.report.behind import Behind
from staleguard.report.render import render
from staleguard.verdict import Verdict
from tests.drift.chromium import evaluate_page
from tests.report.test_render import context, gate

CSS = """body{font:14px/1.5 -apple-system,'Segoe UI',Helvetica,Arial,sans-serif;max-width:880px;
margin:16px auto;color:#1f2328}table{border-collapse:collapse}td,th{border:1px solid #d1d9e0;
padding:4px 10px}h2{border-bottom:1px solid #d1d9e0}blockquote{color:#59636e;border-left:4px solid
#d1d9e0;margin:0;padding:0 12px}img{max-width:400px;height:120px;background:#eee}"""
# Where each part sits on the page, in CSS pixels from the top, and whether it is shown.
LAYOUT = """(() => {
  const find = (re) => [...document.querySelectorAll('p,h2,h3,summary,td,blockquote')]
      .find(e => re.test(e.textContent));
  const top = (e) => e ? Math.round(e.getBoundingClientRect().top + scrollY) : null;
  const shown = (e) => !!e && !e.closest('details:not([open])') && e.getClientRects().length > 0;
  const verdict = find(/(better|worse|no clear difference|not enough data)\\*?\\*?:?/i);
  const strong = [...document.querySelectorAll('strong')]
      .find(e => /^(🟢|🔴|⚪|⚫) /.test(e.textContent));
  const week = [...document.querySelectorAll('th')].find(e => e.textContent === 'week of');
  return {verdict: top(strong), verdictText: strong && strong.parentElement.textContent,
          weekTableShown: shown(week), summaries: [...document.querySelectorAll('summary')]
          .map(s => s.textContent), height: document.body.scrollHeight,
          firstText: document.body.innerText.split('\\n').filter(Boolean).slice(0, 3)};
})()"""


def shots() -> Path | None:
    out = os.environ.get("STALEGUARD_SCREENSHOTS")
    return Path(out) if out else None


def page(markdown: str, path: Path) -> Path:
    html = MarkdownIt("commonmark", {"html": True}).enable("table").render(markdown)
    path.write_text(f"<!doctype html><meta charset=utf-8><style>{CSS}</style>{html}")
    return path


def look(markdown: str, tmp_path: Path, name: str) -> dict:
    out = shots() or tmp_path
    out.mkdir(parents=True, exist_ok=True)
    layout = evaluate_page(page(markdown, out / f"{name}.html"), LAYOUT, out / f"{name}.png")
    assert isinstance(layout, dict)
    return layout


def test_the_pr_comment_leads_with_the_verdict_in_a_browser(tmp_path):
    behind = Behind("1a2b3c4d" + "0" * 32, "c93d974f" + "0" * 32, 1, ["params.yaml"])
    text = render(context(gate=gate("worse", passed=False, delta=0.48, ci=(0.40, 0.56)),
                          behind=behind), 30)
    layout = look(text, tmp_path, "pr-comment")
    assert layout["verdict"] is not None and layout["verdict"] < 200, layout
    assert layout["verdictText"].startswith("🔴 worse: mae +48.0% vs `main`"[:9]), layout
    assert layout["firstText"][0].endswith("staleguard model report"), layout
    assert layout["firstText"][1].startswith("🔴 worse: mae +48.0%"), layout


def retraining_body() -> str:
    """A retraining PR of 19 weeks (the case the issue saw ~1,000 px down), with evidence."""
    from staleguard.params import load_params
    from tests.conftest import ROOT

    params = load_params(ROOT / "params.yaml")
    windows = [decision.WindowCheck(datetime(2011, 2, 1) + i * (datetime(2011, 2, 8) - datetime(2011, 2, 1)),
                                 datetime(2011, 2, 8) + i * (datetime(2011, 2, 8) - datetime(2011, 2, 1)),
                                 168, i >= 16, ["cnt: Wasserstein 0.59 ≥ 0.30"] if i >= 16 else [])
               for i in range(19)]
    end = windows[-1].end
    train, ev = decision.next_windows(end, params)
    outcome = decision.Outcome(True, False, windows, windows[16], end, train, ev)
    verdict = Verdict("mae", "better", -0.21, (-0.30, -0.12), 0.9, 672, 28, 4,
                      "paired day-block bootstrap", champion=131.0, challenger=103.5,
                      margin=0.01, tolerance=0.02, note="the whole 90% CI [-30.0%, -12.0%] is below -1.0%")
    weeks = [Window(start=w.start, end=w.end) for w in windows[-4:]]
    ev_md = evidence.markdown(evidence.Evidence(verdict, weeks, 8, 3.1), "v0.0.1", params)
    drift_md = "### Drift check: 🔴 **drift**\n\n| column | score |\n|---|---|\n| cnt | 0.59 |\n"
    monitor_md = job_summary.markdown(outcome, params, "v0.0.1", "production", 19 * 168,
                                      drift_md, ev_md)
    plan = {"batches": [{}] * 19, "model_version": "v0.0.1", "windows": [],
            "retrain": {"branch": "retrain/v0.0.1", "base": "main",
                        "eval": {"start": ev.start.isoformat(), "end": ev.end.isoformat()},
                        "train": {"start": train.start.isoformat(), "end": train.end.isoformat()}}}
    return retrain.body(plan, monitor_md, Path("/nonexistent"), repo_token=False)


def test_the_retraining_pr_body_leads_with_the_decision_and_folds_the_weeks(tmp_path):
    layout = look(retraining_body(), tmp_path, "retraining-pr-body")
    assert layout["verdict"] is not None and layout["verdict"] < 250, layout
    assert layout["verdictText"].startswith("🟢 better"), layout
    assert not layout["weekTableShown"], layout           # folded in <details>
    assert any(s.startswith("Week by week: 19 week(s), 3 with drift") for s in layout["summaries"])
    assert layout["height"] < 1400, layout                # the whole body on one screen, folded


@pytest.fixture(autouse=True)
def _chromium_present():
    from tests.drift.chromium import chromium

    chromium()
