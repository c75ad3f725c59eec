"""The monitor's history beside the store: idempotent appends, refusals that leave the file alone."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest

from staleguard import cli
from staleguard.monitor import logbook
from staleguard.monitor import monitor_job as run
from tests.dashboard.conftest import plan

RUN = {"id": "1", "url": None, "at": "2011-03-01T06:17:00+00:00"}
START = datetime(2011, 2, 1)


def test_logbook_two_runs_over_the_same_weeks_leave_the_same_rows(tmp_path: Path):
    url = logbook.url_of(str(tmp_path / "store"))
    rows = logbook.rows_from_plan(plan(START, 3, "abcd1234", 0, drift_at=2), 0.5, RUN)
    first = logbook.append(url, rows)
    text = Path(url).read_text()
    again = logbook.append(url, logbook.rows_from_plan(plan(START, 3, "abcd1234", 0, drift_at=2), 0.5, RUN))
    assert again == first == logbook.read(url) and Path(url).read_text() == text
    assert [r["start"][:10] for r in first] == ["2011-02-01", "2011-02-08", "2011-02-15"]
    assert [r["decision"] for r in first] == ["no drift", "no drift", "drift"]
    row = first[2]
    assert row["run"]["trigger"] == "2011-02-15" and row["run"]["retrain"] is True
    assert set(row["drift_scores"]["features"]) >= {"temp", "hum"} and row["drift_scores"]["target"]
    assert row["measured"]["mae"] > 0 and row["estimated"]["mae"] > 0 and row["baseline"] == {
        "mae": 40.0, "rmse": 56.0} and row["tolerance"] == 0.5
    doc = json.loads(text)
    assert (doc["format"], doc["schema_version"]) == ("staleguard-monitor-history", logbook.SCHEMA)


def test_logbook_a_later_run_replaces_the_weeks_it_rechecked_and_keeps_the_rest(tmp_path: Path):
    url = logbook.url_of(str(tmp_path))
    logbook.append(url, logbook.rows_from_plan(plan(START, 2, "abcd1234", 0), 0.5, RUN))
    later = logbook.rows_from_plan(plan(datetime(2011, 2, 8), 2, "abcd1234", 1, drift_at=1), 0.5,
                                   {**RUN, "id": "2"})
    rows = logbook.append(url, later)
    assert [(r["start"][:10], r["run"]["id"], r["decision"]) for r in rows] == [
        ("2011-02-01", "1", "no drift"), ("2011-02-08", "2", "no drift"), ("2011-02-15", "2", "drift")]


def test_logbook_a_week_stays_with_the_model_that_served_it(tmp_path: Path):
    """The retrained model re-checks its own evaluation week: the drift the old model saw stays."""
    url = logbook.url_of(str(tmp_path))
    logbook.append(url, logbook.rows_from_plan(plan(START, 2, "old00000", 0, drift_at=1), 0.5, RUN))
    later = logbook.rows_from_plan(plan(datetime(2011, 2, 8), 2, "new00000", 1), 0.5, {**RUN, "id": "2"})
    rows = logbook.append(url, later)
    assert [(r["start"][:10], r["model_version"], r["decision"]) for r in rows] == [
        ("2011-02-01", "old00000", "no drift"), ("2011-02-08", "old00000", "drift"),
        ("2011-02-15", "new00000", "no drift")]


def test_logbook_update_writes_the_pr_onto_the_runs_weeks(tmp_path: Path):
    url = logbook.url_of(str(tmp_path))
    rows = logbook.append(url, logbook.rows_from_plan(plan(START, 2, "abcd1234", 0, drift_at=1), 0.5, RUN))
    pr = {"branch": "retrain/abcd1234", "pr": "https://github.com/o/r/pull/3", "action": "opened"}
    assert logbook.update(url, {r["start"] for r in rows}, {"retrain": pr}) == 2
    assert [r["retrain"] for r in logbook.read(url)] == [pr, pr]


BAD = {
    "not JSON": (b"\x00\x01 not json", r"not a staleguard monitor history \(not JSON"),
    "foreign JSON": (b'{"weeks": []}', r"not a staleguard monitor history \(no \"format\""),
    "newer schema": (b'{"format": "staleguard-monitor-history", "schema_version": 99, "weeks": []}',
                     r"history schema 99 is newer than this staleguard reads \(1\); upgrade"),
    "corrupt rows": (b'{"format": "staleguard-monitor-history", "schema_version": 1, "weeks": [{}]}',
                     r"\"weeks\" must be a list of rows .* the file is corrupt"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_logbook_refuses_a_file_that_is_not_its_history_and_leaves_it_untouched(tmp_path, case):
    data, message = BAD[case]
    path = tmp_path / logbook.NAME
    path.write_bytes(data)
    before = path.stat().st_mtime_ns
    rows = logbook.rows_from_plan(plan(START, 1, "abcd1234", 0), 0.5, RUN)
    with pytest.raises(logbook.HistoryError, match=message) as err:
        logbook.append(str(path), rows)
    assert "\n" not in str(err.value) and str(path) in str(err.value)
    assert path.read_bytes() == data and path.stat().st_mtime_ns == before
    assert [p.name for p in tmp_path.iterdir()] == [logbook.NAME]   # no temp file left behind


def test_monitor_refuses_a_corrupt_history_before_any_work(tmp_path, monkeypatch, params, make_batch):
    from staleguard.monitor import store as batches
    from tests.monitor.test_run import LOCK

    store = tmp_path / "store"
    batches.write_batch(str(store), make_batch("2011-02-01", "2011-02-08"), params, "serve")
    (store / logbook.NAME).write_text("[1, 2")
    (tmp_path / "dvc.lock").write_text(LOCK)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(logbook.HistoryError, match=r"monitor-history.json: not a staleguard monitor"):
        run.monitor(params, str(store), out=tmp_path / "reports")
    assert (store / logbook.NAME).read_text() == "[1, 2" and not (tmp_path / "reports").exists()


def test_cli_dashboard_refuses_a_foreign_history_in_one_line(tmp_path, capsys):
    path = tmp_path / "h.json"
    path.write_text('{"some": "other tool"}')
    assert cli.main(["dashboard", "--history", str(path), "--out", str(tmp_path / "site")]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith(f"staleguard: error: {path}: not a staleguard")
    assert not (tmp_path / "site").exists() and path.read_text() == '{"some": "other tool"}'


def test_logbook_reads_and_writes_through_fsspec(tmp_path: Path):
    url = "memory://prod/" + logbook.NAME
    rows = logbook.append(url, logbook.rows_from_plan(plan(START, 2, "abcd1234", 0), 0.5, RUN))
    assert logbook.read(url) == rows and len(rows) == 2


def test_logbook_keeps_an_unreliable_estimate_out_of_estimated_and_the_dashboard_says_why():
    """Schema 1 with the optional `estimate_unreliable`: no number where the estimate was not
    trusted (older readers show none either), the reason in the dashboard's table; old rows read
    as before."""
    from staleguard.dashboard import life, page

    p = plan(START, 2, "abcd1234", 0, labeled_until=0)
    p["windows"][1]["estimate"].update(reliable=False, unreliable="40% of rows outside the reference's range")
    old, new = logbook.rows_from_plan(p, 0.5, RUN)
    assert old["estimated"] == {"mae": p["windows"][0]["estimate"]["estimated"]}
    assert old["estimate_unreliable"] is None
    assert new["estimated"] is None
    assert new["estimate_unreliable"]["mae"] == p["windows"][1]["estimate"]["estimated"]
    weeks = life.life([old, new]).weeks
    cells = {r[0]: r[6] for r in page.week_rows(weeks)}
    assert cells["2011-02-08"] == "no reliable estimate (40% of rows outside the reference's range)"
    assert cells["2011-02-01"] == f"{old['estimated']['mae']:.1f}"
    legacy = {k: v for k, v in old.items() if k != "estimate_unreliable"}   # a row written before the key
    assert life.week_of(legacy).estimated == old["estimated"]["mae"]
    assert life.week_of(legacy).unreliable is None
