"""The dashboard site: what it draws from a history, and the page in headless Chromium, offline."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from staleguard.dashboard import life, page
from staleguard.errors import DataError
from tests.dashboard.conftest import history

PR1 = "https://github.com/octo/staleguard/pull/1"


def test_life_marks_retrains_at_a_models_last_week_and_deploys_at_the_next_models_first(rows):
    view = life.life(rows)
    assert [f"{d:%Y-%m-%d}" for d in view.retrains] == ["2011-03-22", "2011-05-17"]
    assert [(f"{d:%Y-%m-%d}", m) for d, m in view.deploys] == [("2011-03-29", "00000002"),
                                                               ("2011-05-24", "00000003")]
    assert [(p.branch, p.url, p.verdict, f"{p.first:%m-%d}") for p in view.prs] == [
        ("retrain/00000001", PR1, "better", "03-22"),
        ("retrain/00000002", "https://github.com/octo/staleguard/pull/2", "better", "05-17")]
    assert life.serving(view.weeks)[0] == "00000003"
    last = view.weeks[-1]
    assert last.measured is None and last.estimated is not None and last.labeled == 0  # labels late
    assert last.bar == pytest.approx(60.0) and last.scores["[target]"] > 0


def test_page_build_writes_index_readme_and_one_png_per_figure(rows, tmp_path: Path):
    index = page.build(rows, tmp_path, "cnt", {"version": "v0.0.3", "model": "00000003", "tag":
                       "model#prod#3", "since": "2011-05-24T09:00:00+00:00", "stage": "prod"},
                       {PR1: "merged"}, source="memory://store/monitor-history.json")
    html = index.read_text()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["README.md", "drift.png", "error.png",
                                                         "index.html", "rows.png", "shadow.png"]
    assert "<script" not in html and "http://" not in html
    assert re.findall(r'<img src="([^"]+)"', html) == ["error.png", "drift.png", "shadow.png", "rows.png"]
    assert ("<b>v0.0.3</b> (model <code>00000003</code>) at stage <code>prod</code> since "
            "2011-05-24 09:00") in html
    assert f'<a href="{PR1}">pull/1</a>' in html and "<td>merged</td>" in html
    assert "<td>unknown</td>" in html   # PR 2: no outcome known
    md = (tmp_path / "README.md").read_text()
    assert "![weekly error" in md and "(error.png)" in md and "| week of |" in md
    assert all(p.stat().st_mode & 0o044 == 0o044 for p in tmp_path.iterdir())   # world-readable


def test_page_build_without_a_shadow_draws_no_shadow_figure_and_removes_an_old_one(tmp_path: Path):
    page.build(history(), tmp_path)
    page.build(history(shadow=False), tmp_path)
    assert not (tmp_path / "shadow.png").exists()
    assert "shadow.png" not in (tmp_path / "index.html").read_text()


def test_page_build_of_an_empty_history_is_refused(tmp_path: Path):
    with pytest.raises(DataError, match=r"h.json: the monitor history has no weeks yet; run `staleguard"):
        page.build([], tmp_path / "site", source="h.json")
    assert not (tmp_path / "site").exists()


def test_page_opens_offline_from_a_file_url_with_every_image_and_no_console_error(rows, tmp_path: Path):
    from tests.drift.chromium import visit_offline

    index = page.build(rows, tmp_path / "site", "cnt", None, {PR1: "merged"})
    shot = tmp_path / "dashboard.png"
    seen = visit_offline(index, shot)
    assert seen.errors == []
    assert [src for src, _ in seen.images] == ["error.png", "drift.png", "shadow.png", "rows.png"]
    assert all(ok for _, ok in seen.images), seen.images
    assert seen.requests and all(u.startswith("file://") for u in seen.requests), seen.requests
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 50_000
    keep = Path("/tmp/staleguard-dashboard-screenshot.png")   # for a person to look at
    shutil.copy(shot, keep)
