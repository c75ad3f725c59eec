"""The replay on two processes: runs that share fits stay together, and nothing it reports changes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from staleguard.errors import DataError
from staleguard.replay import parallel
from staleguard.replay.replay_job import replay, specs
from tests.replay.conftest import with_replay


def test_runs_that_share_fits_stay_in_one_group(params):
    """weekly and monitor (one window) at every delay together; weekly-all on its own."""
    runs = specs(params)
    parts = parallel.groups(runs, 2)
    names = [{runs[i].name for i in part} for part in parts]
    sliding = {"weekly", "weekly@1w", "weekly@2w", "monitor", "monitor@1w", "monitor@2w"}
    assert len(parts) == 2 and sorted(i for p in parts for i in p) == list(range(len(runs)))
    assert any(sliding <= n for n in names) and any({"weekly-all", "weekly-all@1w"} <= n for n in names)
    assert not any(sliding & n and "weekly-all" in n for n in names)
    assert parallel.groups(runs, 1) == [list(range(len(runs)))]


def _fail(part: list[int], tick: Any, pace: Any) -> parallel.Played:
    raise DataError(f"part {part} cannot")


def test_a_workers_error_is_raised_in_the_parent():
    with pytest.raises(DataError, match=r"part \[\d\] cannot"):
        parallel.run(_fail, [[0], [1]], lambda k: None)


@pytest.mark.slow
def test_two_processes_write_the_same_files_as_one(raw_csv: Path, params, tmp_path: Path):
    """Three weeks, labels on time and two weeks late: byte-identical outputs, same fit counts."""
    got = []
    for workers in (1, 2):
        p = with_replay(params, raw_csv, tmp_path / str(workers), "2011-02-22",
                        ["never", "weekly", "monitor"])
        p = p.model_copy(update={"replay": p.replay.model_copy(update={"label_delays_weeks": [0, 2]})})
        got.append(replay(p, progress=False, workers=workers))
    one, two = ({p.name: p.read_bytes() for p in r.outputs} for r in got)
    assert set(one) == {"freshness.json", "freshness.md", "freshness.png", "monitor-history.json"}
    assert one == two
    assert (got[0].fits, got[0].assessments) == (got[1].fits, got[1].assessments)
    assert got[0].trainer is not None and got[1].trainer is None
