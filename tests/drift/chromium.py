"""Open a page in headless Chromium and collect console errors and uncaught exceptions (DevTools)."""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

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


def console_errors(page: Path, settle: float = 2.0, timeout: float = 60) -> tuple[list[str], int]:
    """(errors, length of the rendered body text) after `page` loaded and ran its scripts."""
    from websockets.sync.client import connect

    with tempfile.TemporaryDirectory(prefix="staleguard-chromium-") as profile:
        proc = subprocess.Popen([chromium(), *FLAGS, f"--user-data-dir={profile}", "about:blank"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            port = _devtools_port(Path(profile), proc)
            targets = json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10))
            ws_url = next(t["webSocketDebuggerUrl"] for t in targets if t["type"] == "page")
            with connect(ws_url, max_size=None, open_timeout=10) as ws:
                return _collect(ws, page, settle, timeout)
        finally:
            proc.terminate()
            proc.wait(timeout=10)


def _collect(ws, page: Path, settle: float, timeout: float) -> tuple[list[str], int]:
    ids = iter(range(1, 10_000))
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
        if method == "Page.loadEventFired":
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

    from websockets.sync.client import connect

    with tempfile.TemporaryDirectory(prefix="staleguard-chromium-") as profile:
        proc = subprocess.Popen([chromium(), *FLAGS, f"--user-data-dir={profile}",
                                 f"--window-size={width},{height}", "about:blank"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            port = _devtools_port(Path(profile), proc)
            targets = json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10))
            ws_url = next(t["webSocketDebuggerUrl"] for t in targets if t["type"] == "page")
            with connect(ws_url, max_size=None, open_timeout=10) as ws:
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
        finally:
            proc.terminate()
            proc.wait(timeout=10)
