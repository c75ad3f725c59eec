"""Open a page in headless Chromium and collect console errors and uncaught exceptions (DevTools);
offline visits check images and save a screenshot."""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--no-first-run", "--no-default-browser-check", "--remote-debugging-port=0"]


def chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if path := shutil.which(name):
            return path
    pytest.skip("chromium not installed (apt-get install -y chromium)")


def _devtools_port(profile: Path, proc: subprocess.Popen, timeout: float = 30) -> int:
    port_file = profile / "DevToolsActivePort"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if port_file.exists() and port_file.read_text().strip():
            return int(port_file.read_text().split()[0])
        if proc.poll() is not None:
            raise RuntimeError(f"chromium exited {proc.returncode}")
        time.sleep(0.1)
    raise TimeoutError("chromium did not open its DevTools port")


@contextmanager
def _page_socket() -> Iterator[Any]:
    """A fresh headless Chromium (own profile) and the DevTools websocket of its blank page."""
    from websockets.sync.client import connect

    with tempfile.TemporaryDirectory(prefix="staleguard-chromium-") as profile:
        proc = subprocess.Popen([chromium(), *FLAGS, f"--user-data-dir={profile}", "about:blank"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            port = _devtools_port(Path(profile), proc)
            targets = json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10))
            ws_url = next(t["webSocketDebuggerUrl"] for t in targets if t["type"] == "page")
            with connect(ws_url, max_size=None, open_timeout=10) as ws:
                yield ws
        finally:
            proc.terminate()
            proc.wait(timeout=10)


def console_errors(page: Path, settle: float = 2.0, timeout: float = 60) -> tuple[list[str], int]:
    """(errors, length of the rendered body text) after `page` loaded and ran its scripts."""
    with _page_socket() as ws:
        return _collect(ws, page, settle, timeout)


@dataclass
class Visit:
    """What a page did offline: console errors, its images (src, loaded), every URL it fetched."""

    errors: list[str]
    images: list[tuple[str, bool]]
    requests: list[str]


def visit_offline(page: Path, screenshot: Path, width: int = 1000, timeout: float = 60) -> Visit:
    """Open `page` from its file:// URL with the network emulated off; check every image and save
    a full-page PNG screenshot to `screenshot`."""
    with _page_socket() as ws:
        ids = iter(range(1000, 100_000))
        call(ws, ids, "Network.enable")
        call(ws, ids, "Network.emulateNetworkConditions",
             {"offline": True, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1})
        call(ws, ids, "Emulation.setDeviceMetricsOverride",
             {"width": width, "height": 800, "deviceScaleFactor": 1, "mobile": False})
        requests: list[str] = []
        errors, _ = _collect(ws, page, 1.0, timeout, requests)
        images = evaluate(ws, ids, "Array.from(document.images).map(i => [i.getAttribute('src'), "
                                   "i.complete && i.naturalWidth > 0])")
        height = evaluate(ws, ids, "document.documentElement.scrollHeight")
        call(ws, ids, "Emulation.setDeviceMetricsOverride",
             {"width": width, "height": int(height), "deviceScaleFactor": 1, "mobile": False})
        shot = call(ws, ids, "Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True})
        screenshot.write_bytes(base64.b64decode(shot["data"]))
        return Visit(errors, [(str(a), bool(b)) for a, b in images], requests)


def call(ws: Any, ids: Iterator[int], method: str, params: dict[str, Any] | None = None) -> Any:
    """Send one DevTools command and wait for its answer (events meanwhile are dropped)."""
    req = next(ids)
    ws.send(json.dumps({"id": req, "method": method, "params": params or {}}))
    while True:
        msg = json.loads(ws.recv(timeout=30))
        if msg.get("id") == req:
            if "error" in msg:
                raise RuntimeError(f"{method}: {msg['error']}")
            return msg.get("result", {})


def evaluate(ws: Any, ids: Iterator[int], expression: str) -> Any:
    return call(ws, ids, "Runtime.evaluate", {"expression": expression,
                                              "returnByValue": True})["result"].get("value")


def _collect(ws, page: Path, settle: float, timeout: float,
             requests: list[str] | None = None) -> tuple[list[str], int]:
    ids = iter(range(1, 1000))
    for method in ("Runtime.enable", "Log.enable", "Page.enable"):
        ws.send(json.dumps({"id": next(ids), "method": method}))
    ws.send(json.dumps({"id": next(ids), "method": "Page.navigate", "params": {"url": page.as_uri()}}))
    errors: list[str] = []
    loaded_at = None
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and (loaded_at is None or time.monotonic() < loaded_at + settle):
        try:
            msg = json.loads(ws.recv(timeout=0.5))
        except TimeoutError:
            continue
        method, params = msg.get("method"), msg.get("params", {})
        if method == "Network.requestWillBeSent" and requests is not None:
            requests.append(params["request"]["url"])
        elif method == "Page.loadEventFired":
            loaded_at = time.monotonic()
        elif method == "Runtime.exceptionThrown":
            errors.append(params["exceptionDetails"].get("exception", {}).get("description")
                          or params["exceptionDetails"].get("text", "exception"))
        elif method == "Runtime.consoleAPICalled" and params.get("type") == "error":
            errors.append(" ".join(str(a.get("value", a.get("description"))) for a in params["args"]))
        elif method == "Log.entryAdded" and params["entry"]["level"] == "error":
            errors.append(params["entry"]["text"])
    if loaded_at is None:
        raise TimeoutError(f"{page} did not finish loading within {timeout} s")
    req = next(ids)
    ws.send(json.dumps({"id": req, "method": "Runtime.evaluate",
                        "params": {"expression": "document.body.innerText.length", "returnByValue": True}}))
    while True:
        msg = json.loads(ws.recv(timeout=10))
        if msg.get("id") == req:
            return errors, int(msg["result"]["result"].get("value") or 0)


def evaluate_page(page: Path, expression: str, screenshot: Path | None = None,
                  width: int = 1000, height: int = 1400, timeout: float = 60) -> object:
    """Load `page` at `width`×`height`, evaluate `expression` (returned by value) and, with
    `screenshot`, save the viewport as a PNG there (for people to look at)."""
    import base64

    with _page_socket() as ws:
        ids = iter(range(1, 10_000))

        def call(method: str, **params: object) -> dict:
            req = next(ids)
            ws.send(json.dumps({"id": req, "method": method, "params": params}))
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                msg = json.loads(ws.recv(timeout=timeout))
                if msg.get("id") == req:
                    return msg.get("result", {})
            raise TimeoutError(method)

        call("Page.enable")
        call("Emulation.setDeviceMetricsOverride", width=width, height=height,
             deviceScaleFactor=1, mobile=False)
        call("Page.navigate", url=page.as_uri())
        deadline = time.monotonic() + timeout
        while call("Runtime.evaluate", expression="document.readyState",
                   returnByValue=True)["result"].get("value") != "complete":
            if time.monotonic() > deadline:
                raise TimeoutError(f"{page} did not load")
            time.sleep(0.1)
        value = call("Runtime.evaluate", expression=expression,
                     returnByValue=True)["result"].get("value")
        if screenshot is not None:
            shot = call("Page.captureScreenshot", format="png")
            screenshot.write_bytes(base64.b64decode(shot["data"]))
        return value
