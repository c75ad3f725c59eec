"""Fixtures for the replay: params pointing at a small real raw file (January-February 2011)."""

from __future__ import annotations

import zipfile
from datetime import datetime
from pathlib import Path

import pytest

from staleguard.params import Params, load_params
from tests.conftest import zip_path

ROOT = Path(__file__).resolve().parents[2]
LAST_DAY = "2011-02-28"


@pytest.fixture(scope="session")
def raw_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """hour.csv cut after February 2011: enough for a four-week replay, quick to read."""
    with zipfile.ZipFile(zip_path()) as zf:
        lines = zf.read("hour.csv").decode().splitlines(keepends=True)
    keep = [lines[0]] + [ln for ln in lines[1:] if ln.split(",")[1] <= LAST_DAY]
    path = tmp_path_factory.mktemp("raw") / "hour.csv"
    path.write_text("".join(keep))
    return path


def with_replay(params: Params, raw: Path, out: Path, end: str, policies: list[str]) -> Params:
    data = params.data.model_copy(update={"raw": raw, "batches": out / "no-batches"})
    replay = params.replay.model_copy(update={"end": datetime.fromisoformat(end), "out": out,
                                              "policies": policies, "variants": {},
                                              "label_delays_weeks": [0]})
    # every drift opens the PR here: these tests follow one retrain through the loop (the default
    # rule waits for the evidence: test_run.py::test_replay_decides_prs_with_the_monitors_rule...)
    monitor = params.monitor.model_copy(update={"retrain_when": "drift"})
    return params.model_copy(update={"data": data, "replay": replay, "monitor": monitor})


@pytest.fixture(scope="session")
def params() -> Params:
    return load_params(ROOT / "params.yaml")
