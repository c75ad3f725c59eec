"""The prediction log's journal: whole lines or nothing, recovery after a crash, one batch per
segment however often it is shipped, and a full disk that costs memory, not answers."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from staleguard.errors import ConfigError
from staleguard.monitor import store
from staleguard.serve.journal import Journal, read_lines
from staleguard.serve.predlog import PredictionLog, predictions_url, read_predictions


def records(row, n, start="2011-02-01T00:00:00"):
    base = pd.Timestamp(start)
    return [{**row, "timestamp": (base + pd.Timedelta(hours=i)).to_pydatetime()} for i in range(n)]


def item(row, n, start="2011-02-01T00:00:00", shadow=False):
    return records(row, n, start), np.arange(float(n)), "aaaa1111", shadow


def stamps(store_url: str) -> list[pd.Timestamp]:
    """Every logged hour in the store's prediction batches, repeats kept."""
    refs = store.list_batches(predictions_url(store_url))
    return [t for r in refs for t in pd.read_parquet(r.url.removeprefix("file://"))["timestamp"]]


def test_journal_recovery_cuts_a_torn_last_line_and_keeps_the_whole_ones(tmp_path, row):
    journal = Journal(tmp_path / "j", memory_rows=10)
    journal.append(item(row, 2), rotate_rows=100)
    journal.append(item(row, 3, "2011-03-01"), rotate_rows=100)
    (path,) = (tmp_path / "j").glob("*.open")
    with path.open("ab") as fh:  # what a kill -9 in the middle of a write leaves
        fh.write(b'{"r": [{"season": 1, "yr"')
    journal.close()
    again = Journal(tmp_path / "j", memory_rows=10)
    (seg,) = again.recover()
    assert seg.rows == 5 and again.pending_rows == 5 and seg.path and seg.path.suffix == ".jsonl"
    assert [len(r) for r, *_ in seg.items()] == [2, 3]
    assert seg.path.read_bytes().endswith(b"\n")
    assert seg.items()[1][0][0]["timestamp"] == datetime(2011, 3, 1)


def test_journal_fills_in_the_hour_a_row_without_timestamp_was_served(tmp_path, row):
    journal = Journal(tmp_path / "j", memory_rows=10)
    rec = {k: v for k, v in row.items() if k != "timestamp"}
    journal.append(([rec], np.array([1.0]), "aaaa1111", False), rotate_rows=1)
    (path,) = (tmp_path / "j").glob("*.jsonl")
    (logged,) = read_lines(path.read_bytes())[0][0][0]
    now = datetime.now(UTC).replace(tzinfo=None)
    assert abs((now - logged["timestamp"]).total_seconds()) < 60


def test_journal_refuses_a_second_server_on_the_same_folder(tmp_path):
    first = Journal(tmp_path / "j", memory_rows=10)
    with pytest.raises(ConfigError, match=r"journal .*j is in use by another `staleguard serve`"):
        Journal(tmp_path / "j", memory_rows=10)
    first.close()
    Journal(tmp_path / "j", memory_rows=10).close()  # free again once the first has gone


def test_a_segment_shipped_twice_is_one_batch_in_the_store(tmp_path, params, row):
    """A crash after the store write but before the journal delete ships the segment again."""
    store_url, folder = str(tmp_path / "store"), tmp_path / "j"
    log = PredictionLog(store_url, params, flush_rows=1000, flush_seconds=60, journal=folder).start()
    log.put(*item(row, 24)[:3])
    sealed = log.journal.seal()
    assert sealed is not None and sealed.path is not None
    kept = shutil.copy(sealed.path, tmp_path / sealed.path.name)
    log.queue.put(sealed)
    assert log.flush(timeout=30)
    log.close()
    shutil.copy(kept, folder / Path(kept).name)  # the segment is back, as if never deleted
    again = PredictionLog(store_url, params, flush_rows=1000, flush_seconds=60, journal=folder).start()
    assert again.pending_rows == 24
    assert again.flush(timeout=30)
    again.close()
    assert len(store.list_batches(predictions_url(store_url))) == 1
    assert sorted(stamps(store_url)) == [r["timestamp"] for r in records(row, 24)]


def test_an_unwritable_store_keeps_rows_in_the_journal_until_it_returns(tmp_path, params, row):
    """A local folder store that goes away: the log says since when, and nothing is lost."""
    store_url, folder = tmp_path / "store", tmp_path / "j"
    store_url.write_text("a file where the store folder should be")
    log = PredictionLog(str(store_url), params, flush_rows=10, flush_seconds=60, journal=folder,
                        retry_seconds=0.1).start()
    for day in range(5):
        log.put(*item(row, 10, f"2011-02-0{day + 1}")[:3])
    assert not log.flush(timeout=1)
    (line,) = log.problems()
    assert line.startswith("store unreachable since ") and ", 50 rows pending (" in line
    store_url.unlink()
    assert log.flush(timeout=30)
    assert log.problems() == [] and log.pending_rows == 0
    log.close()
    assert len(stamps(str(store_url))) == len(set(stamps(str(store_url)))) == 50
    assert list(folder.glob("*[0-9].*")) == []


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[Path]:
    """A 64 KiB tmpfs: a journal that runs out of space (needs root, as on the build machine)."""
    mount = tmp_path / "tiny"
    mount.mkdir()
    if os.geteuid() != 0 or subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mount)],
                                           capture_output=True).returncode != 0:
        pytest.skip("mounting a tmpfs needs root")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=True)


def test_a_full_journal_holds_rows_in_memory_then_drops_beyond_its_bound(tiny_disk, tmp_path, params, row):
    blocked = tmp_path / "store"
    blocked.write_text("the store is down too: rows pile up in the journal")
    log = PredictionLog(str(blocked), params, flush_rows=200, flush_seconds=60, journal=tiny_disk,
                        retry_seconds=60).start()
    log.journal.memory_rows = 400
    for day in range(30):  # 30 x 24 rows of about 330 bytes: far more than 64 KiB
        log.put(*item(row, 24, f"2011-0{1 + day // 28}-{1 + day % 28:02d}")[:3])
    problem = log.journal.problem()
    assert problem is not None and "No space left on device" in problem
    assert f"{log.journal.held_rows} rows held in memory (at most 400)" in problem
    assert log.journal.held_rows <= 400 and log.journal.dropped_rows > 0
    on_disk = sum(len(r) for p in tiny_disk.glob("*[0-9].*") for r, *_ in read_lines(p.read_bytes())[0])
    for path in tiny_disk.glob("*[0-9].*"):
        data = path.read_bytes()  # failed appends were cut back: whole lines only
        assert data == b"" or data.endswith(b"\n")
    assert on_disk + log.journal.held_rows + log.journal.dropped_rows == 30 * 24
    assert any("cannot be written since" in p for p in log.problems())
    held = log.journal.held_rows
    blocked.unlink()
    log.next_try = 0.0
    assert log.flush(timeout=30)
    log.close()
    got = read_predictions(str(blocked), datetime(2011, 1, 1), datetime(2011, 3, 1), params)
    assert got is not None and len(got) == on_disk + held


def test_ids_left_in_the_journal_by_a_crashed_server_are_known_to_the_next_one(tmp_path, row, params):
    """serve.corrections: refuse sees rows an earlier process journaled but never shipped, and the
    store's, and not the shadow's: app.logged_index reads both, then one lookup per row."""
    from staleguard.serve.app import logged_index
    from staleguard.serve.ids import AlreadyLogged

    url = str(tmp_path / "store")
    shipped = PredictionLog(url, params, 100, 600, journal=tmp_path / "j").start()
    shipped.put(records(row, 2, "2011-03-01"), np.zeros(2), "aaaa1111")
    shipped.close()  # in the store now
    crashed = PredictionLog(url, params, 100, 600, journal=tmp_path / "j")
    crashed.put(records(row, 3), np.zeros(3), "aaaa1111")
    crashed.put(records(row, 1, "2011-04-01"), np.zeros(1), "bbbb2222", shadow=True)
    crashed.journal.close()  # a kill: nothing shipped, the rows stay in the journal
    again = PredictionLog(url, params, 100, 600, journal=tmp_path / "j")
    logged = logged_index(params, url, again)
    assert logged is not None and len(logged.known) == 5
    for hour in ("2011-02-01T02:30:00", "2011-03-01T01:00:00"):  # journaled / shipped; by period
        period = hour[:13].replace("T", " ") + ":00:00"
        with pytest.raises(AlreadyLogged, match=f"timestamp {period} already logged"):
            logged.claim(records(row, 1, hour))
    logged.claim(records(row, 1, "2011-04-01"))  # only a shadow scored it: free
    with pytest.raises(AlreadyLogged):
        logged.claim(records(row, 1, "2011-04-01T00:59:00"))  # claimed just now
    replace = params.model_copy(update={"serve": params.serve.model_copy(update={"corrections": "replace"})})
    assert logged_index(replace, url, again) is None
    again.journal.close()
