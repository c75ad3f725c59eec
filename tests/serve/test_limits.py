"""Request limits over real HTTP: body size (413), rows (422), time (503), one line each."""

from __future__ import annotations

import json
import re
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.serve.process import call, serving

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("serve-http")]


@pytest.fixture(scope="module")
def server(tmp_path_factory, model_file) -> Iterator[str]:
    tmp: Path = tmp_path_factory.mktemp("limits")
    with serving(tmp, model_file, max_body_bytes=4096, max_rows=5, timeout=1.5, corrections="replace",
                 env={"STALEGUARD_JOURNAL": str(tmp / "journal")}) as (url, _):
        yield url


def test_a_body_over_the_limit_is_413_before_it_is_read(server, row):
    status, body = call(f"{server}/predict", [row] * 40)
    assert status == 413
    size = len(json.dumps([row] * 40))
    assert body == {"message": f"request body too large: {size} bytes, at most 4096 (serve.max_body_bytes)"}
    assert call(f"{server}/predict", row)[0] == 200  # the server goes on


def test_a_chunked_body_over_the_limit_is_413_too(server, row):
    """Sent in one write: the server may answer 413 and close before a chunk-by-chunk client is done."""
    host, port = server.removeprefix("http://").split(":")
    chunks = [json.dumps([row] * 5).encode()] * 6  # no Content-Length: counted while read
    assert sum(map(len, chunks)) > 4096
    body = b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk) for chunk in chunks) + b"0\r\n\r\n"
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        sock.sendall(b"POST /predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     b"Transfer-Encoding: chunked\r\n\r\n" + body)
        answer = _read_response(sock)
    assert answer.startswith("HTTP/1.1 413 ") and "a chunked body, at most 4096" in answer


def test_too_many_rows_is_422_naming_the_limit(server, row):
    status, body = call(f"{server}/predict", [row] * 6)
    assert status == 422 and "at most 5" in json.dumps(body["detail"])


def _read_response(sock: socket.socket) -> str:
    """Read one whole HTTP response: a single recv() may return the head without the body."""
    data = b""
    while b"\r\n\r\n" not in data or len(data.partition(b"\r\n\r\n")[2]) < _length(data):
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    return data.decode()


def _length(data: bytes) -> int:
    match = re.search(rb"content-length: *(\d+)", data.partition(b"\r\n\r\n")[0], re.IGNORECASE)
    return int(match.group(1)) if match else 0


def test_a_request_not_answered_in_time_is_503(server, row):
    """A client that sends half its body and stalls (slowloris) gets its 503 at the deadline."""
    host, port = server.removeprefix("http://").split(":")
    body = json.dumps(row).encode()
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        sock.sendall(b"POST /predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     b"Content-Length: %d\r\n\r\n" % len(body) + body[:10])
        started = time.monotonic()
        answer = _read_response(sock)
        waited = time.monotonic() - started
    assert answer.startswith("HTTP/1.1 503 ")
    assert answer.endswith('{"message":"no answer within 1.5 s (serve.timeout); try again later"}')
    assert 1.4 < waited < 10
    assert call(f"{server}/predict", row)[0] == 200
