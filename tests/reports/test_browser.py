"""The report opens in a real browser (headless Chromium, driven over the DevTools protocol):
no console errors, no network request other than the file itself, every chart drawn (its SVG
traces laid out on screen, with hover values), tables full.

Needs /usr/bin/chromium (Debian package; `make test` installs it). Skipped when missing, except
in CI (the CI environment variable is set), where a missing browser fails the test.
"""
from __future__ import annotations

import base64
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from reports.daily import write_report

REPO_ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO_ROOT / "test-artifacts"
CHROMIUM_FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-extensions", "--disable-default-apps", "--disable-domain-reliability",
    "--no-first-run", "--no-default-browser-check", "--no-pings", "--mute-audio", "--hide-scrollbars",
    "--allow-file-access-from-files", "--remote-debugging-port=0",
)

PAGE_PROBE = """
(() => {
  const charts = [...document.querySelectorAll('.js-chart')].map(fig => {
    const svg = fig.querySelector('svg.chart-svg');
    const marks = svg ? [...svg.querySelectorAll('g.trace path')] : [];
    return {
      id: fig.id,
      traces: svg ? svg.querySelectorAll('g.trace').length : 0,
      svgs: svg ? 1 : 0,
      // drawn: trace paths the browser actually laid out (a non-empty box on screen)
      drawn: marks.filter(p => { const b = p.getBoundingClientRect(); return b.width + b.height > 0; }).length,
      hovers: svg ? svg.querySelectorAll('.hover title').length : 0,
      width: svg ? Math.round(svg.getBoundingClientRect().width) : 0,
    };
  });
  const tables = {};
  document.querySelectorAll('table[id]').forEach(t => { tables[t.id] = t.querySelectorAll('tbody tr').length; });
  document.querySelectorAll('div[id^="table-changes"] table').forEach(t => {
    tables[t.parentElement.id] = t.querySelectorAll('tbody tr').length; });
  return {charts, tables, title: document.title, scripts: document.scripts.length};
})()
"""

def chromium_binary() -> str | None:
    for candidate in ("/usr/bin/chromium", shutil.which("chromium"), shutil.which("chromium-browser")):
        if candidate and Path(candidate).exists():
            return candidate
    return None


@dataclass
class PageReport:
    console_errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    probe: dict[str, Any] = field(default_factory=dict)


class Cdp:
    """A minimal synchronous DevTools-protocol client over one websocket (flattened sessions)."""

    def __init__(self, ws_url: str) -> None:
        from websockets.sync.client import connect

        self.ws = connect(ws_url, max_size=None, open_timeout=20)
        self.next_id = 0
        self.events: list[dict[str, Any]] = []

    def send(self, method: str, params: dict[str, Any] | None = None, session: str | None = None,
             timeout_s: float = 30) -> dict[str, Any]:
        self.next_id += 1
        message: dict[str, Any] = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        self.ws.send(json.dumps(message))
        deadline = time.monotonic() + timeout_s
        while True:
            reply = json.loads(self.ws.recv(timeout=max(0.1, deadline - time.monotonic())))
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def wait_event(self, name: str, timeout_s: float = 30) -> dict[str, Any]:
        deadline = time.monotonic() + timeout_s
        while True:
            for event in self.events:
                if event.get("method") == name:
                    return event
            self.events.append(json.loads(self.ws.recv(timeout=max(0.1, deadline - time.monotonic()))))

    def close(self) -> None:
        self.ws.close()


def _devtools_url(proc: subprocess.Popen, timeout_s: float = 30) -> str:
    found: list[str] = []
    lines: list[str] = []

    def read() -> None:
        assert proc.stderr is not None
        for raw in proc.stderr:
            line = raw.decode(errors="replace")
            lines.append(line)
            match = re.search(r"DevTools listening on (ws://\S+)", line)
            if match:
                found.append(match.group(1))
                # keep draining stderr so Chromium never blocks on a full pipe
    threading.Thread(target=read, daemon=True).start()
    deadline = time.monotonic() + timeout_s
    while not found:
        if proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError("Chromium did not start:\n" + "".join(lines[-20:]))
        time.sleep(0.05)
    return found[0]


def open_in_chromium(page: Path, screenshot: Path | None, width: int = 1280) -> PageReport:
    """Load ``page`` in headless Chromium; collect console errors and requests; probe; screenshot."""
    binary = chromium_binary()
    assert binary, "chromium not found"
    page_url = page.resolve().as_uri()
    # Chromium's helper processes may still be writing the profile as the browser exits: the
    # whole process group is ended below, and a late file never fails the test's clean-up.
    with tempfile.TemporaryDirectory(prefix="pw-chromium-", ignore_cleanup_errors=True) as profile:
        proc = subprocess.Popen([binary, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "about:blank"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
        try:
            cdp = Cdp(_devtools_url(proc))
            target = cdp.send("Target.createTarget", {"url": "about:blank"})["targetId"]
            session = cdp.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
            for domain in ("Page", "Runtime", "Log", "Network"):
                cdp.send(f"{domain}.enable", session=session)
            cdp.send("Emulation.setDeviceMetricsOverride",
                     {"width": width, "height": 900, "deviceScaleFactor": 1, "mobile": False}, session=session)
            cdp.send("Page.navigate", {"url": page_url}, session=session)
            cdp.wait_event("Page.loadEventFired")  # a static page: laid out and drawn by then
            probe: dict[str, Any] = cdp.send("Runtime.evaluate", {"expression": PAGE_PROBE, "returnByValue": True},
                                             session=session)["result"]["value"]
            if screenshot is not None:
                size = cdp.send("Page.getLayoutMetrics", session=session)["cssContentSize"]
                shot = cdp.send("Page.captureScreenshot", {
                    "format": "png", "captureBeyondViewport": True,
                    "clip": {"x": 0, "y": 0, "width": width, "height": size["height"], "scale": 1},
                }, session=session, timeout_s=60)
                screenshot.parent.mkdir(parents=True, exist_ok=True)
                screenshot.write_bytes(base64.b64decode(shot["data"]))
            report = PageReport(probe=probe)
            for event in cdp.events:
                method, params = event.get("method"), event.get("params", {})
                if method == "Network.requestWillBeSent":
                    report.requests.append(params["request"]["url"])
                elif method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
                    report.console_errors.append(" ".join(str(a.get("value", a.get("description")))
                                                          for a in params.get("args", [])))
                elif method == "Runtime.exceptionThrown":
                    report.console_errors.append(str(params.get("exceptionDetails", {}).get("text")))
                elif method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
                    report.console_errors.append(params["entry"].get("text", ""))
            try:
                cdp.send("Browser.close", timeout_s=5)
            except Exception:  # noqa: BLE001 - the browser may close the socket first
                pass
            cdp.close()
        finally:
            _end_process_group(proc)
    return report


def _end_process_group(proc: subprocess.Popen) -> None:
    """SIGTERM the browser's whole process group, then SIGKILL whatever of it is left; reap the browser."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=10)
            time.sleep(0.2)  # let helpers of the group exit after the browser
        except subprocess.TimeoutExpired:
            continue


@pytest.fixture
def chromium() -> str:
    binary = chromium_binary()
    if binary is None:
        if os.environ.get("CI") or os.environ.get("PRICEWATCH_REQUIRE_BROWSER"):
            pytest.fail("chromium is missing but the browser test is required here (CI or `make test`): "
                        "install it (`make chromium`, or `apt-get install -y chromium`)")
        pytest.skip("chromium not installed: `apt-get install -y chromium` (or `make chromium`) to run the "
                    "browser test")
    return binary


@pytest.mark.slow
@pytest.mark.browser
@pytest.mark.timeout(180)
def test_report_opens_offline_with_every_chart_drawn_and_tables_filled(history, chromium):
    written = write_report(history)
    page = open_in_chromium(written.path, ARTIFACTS / "report.png")

    assert page.console_errors == []
    assert [u for u in page.requests if not u.startswith("data:")] == [written.path.resolve().as_uri()]
    charts = page.probe["charts"]
    assert page.probe["scripts"] == 0
    assert [c["id"] for c in charts] == [
        "chart-gpu-h100-sxm-80gb", "chart-gpu-a100-sxm-80gb", "chart-gpu-l40s-48gb", "chart-gpu-rtx-4090-24gb",
        "chart-gpu-v100-16gb", "chart-tokens-openai", "chart-tokens-together", "chart-scenarios", "chart-lifecycle",
    ]
    for chart in charts:
        assert chart["traces"] > 0 and chart["svgs"] > 0 and chart["drawn"] >= chart["traces"], chart
        assert chart["hovers"] > 0 and chart["width"] > 300, chart
    assert page.probe["tables"] == {
        "table-alerts": 3, "table-changes-1d": 2, "table-changes-30d": 4, "table-cheapest": 5,
        "table-offerings": 8, "table-tokens": 3, "table-scenarios": 2, "table-routes": 7,
        "table-not-used": 3, "table-lifecycle": 4, "table-sources": 6,
    }
    assert (ARTIFACTS / "report.png").stat().st_size > 10_000


@pytest.mark.slow
@pytest.mark.browser
@pytest.mark.timeout(120)
def test_empty_report_opens_without_errors(empty, chromium, tmp_path):
    written = write_report(empty, out=tmp_path / "empty.html")
    page = open_in_chromium(written.path, None)

    assert page.console_errors == []
    assert [u for u in page.requests if not u.startswith("data:")] == [written.path.resolve().as_uri()]
    assert page.probe["charts"] == [] and page.probe["scripts"] == 0
