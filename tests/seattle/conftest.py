"""The daily data set: Seattle's weather 2012–2015 as vega_datasets ships it in its wheel.

Fixtures only: the file copied as is (no column added: the calendar features are computed from
the date by the contract), and a template copy whose params.yaml is tests/fixtures/seattle/params.yaml.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.conftest import ROOT, copy_worktree, run

PARAMS = ROOT / "tests" / "fixtures" / "seattle" / "params.yaml"
FILE = "seattle-weather.csv"  # date, precipitation, temp_max, temp_min, wind, weather: 1461 days


def shipped() -> Path:
    """The CSV inside the installed vega_datasets package (local: no download)."""
    vega = pytest.importorskip("vega_datasets")
    return Path(vega.__file__).parent / "_data" / FILE


@pytest.fixture
def seattle_repo(tmp_path: Path, env: dict[str, str]) -> Path:
    """A template copy on the Seattle data: its params file, the data added with DVC, a local remote."""
    repo = copy_worktree(tmp_path / "repo")
    shutil.copy2(PARAMS, repo / "params.yaml")
    (repo / "data").mkdir(exist_ok=True)
    shutil.copy2(shipped(), repo / "data" / FILE)
    run(["staleguard", "setup", "--remote", str(tmp_path / "remote")], repo, env)
    run(["dvc", "add", "-q", "data"], repo, env)
    run(["git", "add", "-A"], repo, env)
    run(["git", "commit", "-qm", "Seattle data and params"], repo, env)
    return repo
