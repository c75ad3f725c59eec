"""The second data set: pvlib's bundled TMY3 weather year as the raw data of a template copy.

Fixtures only: the data file, and a template copy whose params.yaml is tests/fixtures/tmy3/params.yaml.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from tests.conftest import ROOT, copy_worktree, run

PARAMS = ROOT / "tests" / "fixtures" / "tmy3" / "params.yaml"
TMY3 = "723170TYA.CSV"   # Greensboro Piedmont Triad Intl., NC: 8760 hours, shipped in pvlib's wheel
COLUMNS = {              # pvlib's names (map_variables=True) → the contract's
    "ghi_extra": "etr", "temp_air": "temp_air", "temp_dew": "temp_dew",
    "relative_humidity": "relative_humidity", "pressure": "pressure", "wind_speed": "wind_speed",
    "TotCld (tenths)": "total_cloud", "OpqCld (tenths)": "opaque_cloud", "ghi": "ghi",
}


def write_tmy3(dest: Path) -> Path:
    """The shipped file read by pvlib's own reader as one calendar year (a TMY takes each month
    from a different year), in local standard time, written as a plain CSV."""
    pvlib = pytest.importorskip("pvlib")
    frame, _ = pvlib.iotools.read_tmy3(Path(pvlib.__file__).parent / "data" / TMY3,
                                       coerce_year=2021, map_variables=True)
    out = frame[list(COLUMNS)].rename(columns=COLUMNS)
    local = frame.index.tz_localize(None)
    out.insert(0, "time", local.strftime("%Y-%m-%d %H:%M"))
    out.insert(len(out.columns) - 1, "hour", local.hour)
    dest.parent.mkdir(parents=True, exist_ok=True)
    out.sort_values("time").to_csv(dest, index=False)
    return dest


@pytest.fixture
def tmy3_repo(tmp_path: Path, env: dict[str, str]) -> Path:
    """A template copy on the TMY3 data: its params file, the data added with DVC, a local remote."""
    repo = copy_worktree(tmp_path / "repo")
    shutil.copy2(PARAMS, repo / "params.yaml")
    write_tmy3(repo / "data" / "tmy3.csv")
    run(["staleguard", "setup", "--remote", str(tmp_path / "remote")], repo, env)
    run(["dvc", "add", "-q", "data"], repo, env)
    run(["git", "add", "-A"], repo, env)
    run(["git", "commit", "-qm", "TMY3 data and params"], repo, env)
    return repo


def frame_of(path: Path) -> pd.DataFrame:
    return pd.read_parquet(path) if path.suffix == ".parquet" else pd.read_csv(path)
