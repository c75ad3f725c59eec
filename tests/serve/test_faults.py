"""Faults the server survives without losing a row, with real processes: the store going away
(moto_server stopped and continued; a local folder moved away and back), `kill -9` in the middle
of a flush, and a full disk under the journal."""

from __future__ import annotations

import http.client
import io
import json
import os
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from staleguard.monitor import store
from staleguard.params import Params
from staleguard.serve.predlog import predictions_url
from tests.conftest import free_port, wait_for_http
from tests.serve.process import call, serving, start, stop
from tests.serve.test_journal import tiny_disk  # noqa: F401  (the fixture)

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("serve-http")]
BUCKET = "staleguard-faults"
S3_TIMEOUTS = json.dumps({"config_kwargs": {"connect_timeout": 1, "read_timeout": 1,
                                            "retries": {"max_attempts": 1}}})


@pytest.fixture(scope="module")
def bodies(hour: pd.DataFrame, params: Params) -> list[dict[str, Any]]:
    """Every real hour of 2011-2012 as a /predict row: each one a distinct hour of the store."""
    cats = params.features.categorical
    frame = hour[["timestamp", *params.features.columns]]
    return [{c: (int(r[c]) if c in cats else float(r[c])) for c in params.features.columns}
            | {"timestamp": r["timestamp"].isoformat()} for r in frame.to_dict("records")]


class Sender(threading.Thread):
    """Single-row /predict calls on one keep-alive connection, about 100 a second, until stopped."""

    def __init__(self, url: str, bodies: list[dict[str, Any]]) -> None:
        super().__init__(daemon=True)
        self.port = int(url.rsplit(":", 1)[1])
        self.bodies, self.sent, self.failed = bodies, [], []
        self.halt = threading.Event()

    def run(self) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        for body in self.bodies:
            if self.halt.is_set():
                break
            try:
                conn.request("POST", "/predict", json.dumps(body), {"Content-Type": "application/json"})
                resp = conn.getresponse()
                resp.read()
                (self.sent if resp.status == 200 else self.failed).append(body["timestamp"])
            except OSError as err:
                self.failed.append(f"{body['timestamp']}: {err}")
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            time.sleep(0.01)

    def wait_for(self, n: int, timeout: float = 120) -> None:
        until(lambda: len(self.sent) >= n, timeout, f"{n} answered predictions")


def until(check: Callable[[], Any], timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = check()
        if got:
            return got
        time.sleep(0.1)
    raise AssertionError(f"no {what} within {timeout} s")


def logged(read: Callable[[], list[pd.DataFrame]]) -> list[str]:
    """Every served hour in the store's prediction batches, repeats kept (exactly once = no repeat)."""
    return [t.isoformat() for frame in read() for t in frame["timestamp"]]


class Moto:
    """A moto_server of its own (stopped and continued by the test), with one bucket."""

    def __init__(self) -> None:
        if shutil.which("moto_server") is None:
            pytest.skip("moto[server] not installed")
        self.port = free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.env = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                    "AWS_DEFAULT_REGION": "us-east-1", "AWS_ENDPOINT_URL": self.endpoint,
                    "FSSPEC_S3": S3_TIMEOUTS}
        self.start()

    def start(self) -> None:
        """A new moto_server on the same port, with an empty bucket (moto keeps state in memory)."""
        self.proc = subprocess.Popen(["moto_server", "-H", "127.0.0.1", "-p", str(self.port)],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for_http(f"{self.endpoint}/moto-api/", self.proc)
        self.s3().create_bucket(Bucket=BUCKET)

    def kill(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=30)

    def s3(self) -> Any:
        import boto3

        return boto3.client("s3", endpoint_url=self.endpoint, aws_access_key_id="testing",
                            aws_secret_access_key="testing", region_name="us-east-1")

    def batches(self) -> list[pd.DataFrame]:
        listed = self.s3().list_objects_v2(Bucket=BUCKET, Prefix="prod/predictions/")
        keys = [o["Key"] for o in listed.get("Contents", []) if "/shadow/" not in o["Key"]]
        assert not listed["IsTruncated"]
        return [pd.read_parquet(io.BytesIO(self.s3().get_object(Bucket=BUCKET, Key=k)["Body"].read()))
                for k in keys]


@pytest.fixture
def moto() -> Iterator[Moto]:
    server = Moto()
    try:
        yield server
    finally:
        server.proc.send_signal(signal.SIGCONT)
        server.proc.terminate()
        server.proc.wait(timeout=30)


def folder_batches(root: Path) -> list[pd.DataFrame]:
    return [pd.read_parquet(r.url) for r in store.list_batches(predictions_url(str(root)))]


@pytest.mark.parametrize("kind", ["s3", "s3-restart", "folder"])
def test_store_outage_while_predictions_flow_loses_no_row_and_repeats_none(
        kind, request, tmp_path, model_file, bodies, row):
    """S3: moto_server stopped (SIGSTOP: connections hang) and continued (SIGCONT). S3 restart:
    moto_server terminated (connections refused) and a new one started on the same port: its
    bucket starts empty, so only rows not yet shipped at the kill can be checked. Folder: moved
    away, a file in its place, moved back. Serving answers throughout; /health names the outage."""
    if kind.startswith("s3"):
        moto: Moto = request.getfixturevalue("moto")
        url, env, read = f"s3://{BUCKET}/prod", moto.env, moto.batches
        down, back = (lambda: moto.proc.send_signal(signal.SIGSTOP)), (lambda: moto.proc.send_signal(
            signal.SIGCONT))
        if kind == "s3-restart":
            down, back = moto.kill, moto.start
    else:
        root = tmp_path / "store"
        url, env, read = str(root), {}, lambda: folder_batches(root)

        def down() -> None:
            root.mkdir(exist_ok=True)
            root.rename(tmp_path / "away")
            root.write_text("not a folder: the store is gone")

        def back() -> None:
            root.unlink()
            (tmp_path / "away").rename(root)

    with serving(tmp_path, model_file, store=url, env=env, flush_rows=20, flush_seconds=0.2,
                 retry_seconds=0.5) as (server, _):
        sender = Sender(server, bodies[:6000])
        sender.start()
        sender.wait_for(100)
        at_down = len(sender.sent)
        down()
        line = until(lambda: [ln for ln in call(f"{server}/health")[1]["log"] if "unreachable" in ln], 60,
                     "outage on /health")[0]
        assert line.startswith("store unreachable since ") and " rows pending (" in line
        during = len(sender.sent)
        sender.wait_for(during + 300)
        status, body = call(f"{server}/actuals", [{"timestamp": row["timestamp"], "cnt": 1}])
        assert status == 503 and body["message"].startswith("store unavailable: ")
        assert call(f"{server}/health")[1]["pending_log_rows"] >= 300
        back()
        until(lambda: call(f"{server}/health")[1]["log"] == [], 120, "recovery on /health")
        sender.wait_for(len(sender.sent) + 100)
        sender.halt.set()
        sender.join(timeout=60)
    assert sender.failed == []
    got = logged(read)
    assert len(got) == len(set(got))  # nothing twice
    if kind == "s3-restart":  # the first moto took what was shipped before the kill with it
        assert set(sender.sent[at_down:]) <= set(got) <= set(sender.sent)
        return
    assert len(got) == len(sender.sent) > during + 300
    assert set(got) == set(sender.sent)


def test_kill_9_during_a_flush_leaves_no_readable_partial_file_and_the_journal_replays(
        tmp_path, model_file, bodies, params):
    """The server is run in slices of microseconds until a batch is half written (its temp file exists in
    the store), then killed with SIGKILL; a new server on the same journal ships the rows."""
    root = tmp_path / "store"
    settings = {"flush_rows": 5600, "max_rows": 2800, "max_body_bytes": 10_000_000}
    server, proc = start(tmp_path, model_file, store=str(root), **settings)
    sent: list[str] = []
    caught = None
    try:
        for attempt in range(6):
            chunk = bodies[attempt * 2800:(attempt + 1) * 2800]
            assert call(f"{server}/predict", chunk, timeout=120)[0] == 200  # answered: in the journal
            sent += [b["timestamp"] for b in chunk]
            if attempt % 2 == 1:  # 5600 rows: the segment is sealed, the shipper is writing it now
                caught = step_until_half_written(proc, root / "predictions")
                if caught:
                    break
        assert caught, "never caught a batch half written in 3 flushes"
        proc.kill()
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGCONT)
        stop(proc)
    assert caught.name.endswith(".tmp") and caught.exists()  # what the kill left: a temp file...
    refs = store.list_batches(predictions_url(str(root)))  # ...that no reader lists
    assert all(r.name.endswith(".parquet") for r in refs)
    for ref in refs:
        pd.read_parquet(ref.url)
    store.list_batches(str(root))  # the monitor's own listing of the store root works
    assert list((tmp_path / "journal").glob("*[0-9].*"))  # the rows wait in the journal

    with serving(tmp_path, model_file, store=str(root), **settings) as (server, _):
        until(lambda: call(f"{server}/health")[1]["pending_log_rows"] == 0, 120, "journal replayed")
    got = logged(lambda: folder_batches(root))
    assert len(got) == len(set(got)) == len(sent)
    assert set(got) == set(sent)
    assert "left in journal" in (tmp_path / "serve.err").read_text()


def step_until_half_written(proc: subprocess.Popen[str], folder: Path, seconds: float = 60) -> Path | None:
    """Run the server in short slices; return the temp file it is writing when paused beside one
    (the server is then left stopped, so the kill lands mid-write), None if the flush slipped by."""
    deadline = time.monotonic() + seconds
    finals = len(list(folder.glob("*.parquet"))) if folder.exists() else 0
    while time.monotonic() < deadline:
        proc.send_signal(signal.SIGSTOP)
        wait_stopped(proc.pid)
        if folder.exists():
            temps = [p for p in folder.iterdir() if p.name.endswith(".tmp")]
            if temps:
                return temps[0]
            if len(list(folder.glob("*.parquet"))) > finals:
                break
        proc.send_signal(signal.SIGCONT)  # and at once SIGSTOP again: a slice of a few microseconds
    proc.send_signal(signal.SIGCONT)
    return None


def wait_stopped(pid: int) -> None:
    """SIGSTOP is asynchronous: wait until every thread of `pid` is in state T."""
    for _ in range(1000):
        states = []
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/stat") as fh:
                states.append(fh.read().rsplit(")", 1)[1].split()[0])
        if all(s in ("T", "t") for s in states):
            return
        time.sleep(0.0001)


def test_a_full_disk_under_the_journal_is_one_line_on_health_and_serving_goes_on(
        tiny_disk, tmp_path, model_file, bodies):  # noqa: F811
    root = tmp_path / "store"
    root.write_text("the store is down as well, so rows pile up in the journal")
    env = {"STALEGUARD_JOURNAL": str(tiny_disk)}
    with serving(tmp_path, model_file, store=str(root), env=env, flush_rows=50, buffer_rows=1000,
                 retry_seconds=0.5) as (server, _):
        for body in bodies[:400]:  # 400 rows of ~300 bytes: more than the 64 KiB disk holds
            assert call(f"{server}/predict", body)[0] == 200
        status, health = call(f"{server}/health")
        assert status == 200 and health["status"] == "ok"
        (full,) = [ln for ln in health["log"] if ln.startswith("journal ")]
        assert "cannot be written since" in full and "No space left on device" in full
        assert " rows held in memory (at most 1000), 0 dropped" in full
        root.unlink()
        until(lambda: call(f"{server}/health")[1]["pending_log_rows"] == 0, 120, "rows shipped")
    got = logged(lambda: folder_batches(root))
    assert len(got) == len(set(got)) == 400
