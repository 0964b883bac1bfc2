"""The report as a person sees it: rendered in headless Chromium (Debian's ``chromium``),
driven over the DevTools protocol with a small standard-library WebSocket client (no browser
package needed). Checks: the page loads with no console error and no request outside the file
itself (self-contained), every image decodes, the screenshot is not blank, it fits a phone's
width without sideways scrolling, and the print stylesheet applies and prints.

Skipped with the reason when chromium is absent, unless ``CI`` is set: in CI it must run
(``.ci/run`` installs chromium).
"""

from __future__ import annotations

import base64
import io
import json
import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.parse
import urllib.request
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("matplotlib")

import crashcompat as cc  # noqa: E402
from crashcompat.report import build_report  # noqa: E402

CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium"
                                        if os.path.exists("/usr/bin/chromium") else None)
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-extensions", "--disable-default-apps", "--mute-audio",
         "--remote-debugging-address=127.0.0.1", "--remote-debugging-port=0"]
#: seconds to wait for Chromium to start, and for one protocol reply
START_S, REPLY_S = 15.0, 15.0

SPEC = {"subjects": ["kei/honda-n-box", "kei/suzuki-alto"],
        "partners": ["us-truck/ford-f-150", "us-suv/chevrolet-tahoe"],
        "configurations": ["frontal", "side"], "closing_speed_kph": "30:60:30",
        "angle_deg": [0], "overlap": [1], "measures": "dv,risk,pulse"}


def _need_chromium():
    if CHROMIUM:
        return
    if os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no"):
        pytest.fail("CI is set but Debian's chromium is not installed; .ci/run installs it "
                    "with apt-get")
    pytest.skip("Debian's chromium is not installed (apt-get install chromium); in CI "
                "(CI=true) this test runs")


class DevTools:
    """A minimal DevTools-protocol client over one WebSocket (RFC 6455: text frames, client
    masking, fragmented and control frames handled)."""

    def __init__(self, ws_url: str):
        u = urllib.parse.urlparse(ws_url)
        self.sock = socket.create_connection((u.hostname, u.port), timeout=REPLY_S)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall((f"GET {u.path} HTTP/1.1\r\nHost: {u.hostname}:{u.port}\r\n"
                           "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                           f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
                           ).encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise ConnectionError("DevTools closed the connection during the handshake")
            head += chunk
        head, self.buf = head.split(b"\r\n\r\n", 1)
        assert b" 101 " in head.split(b"\r\n")[0], head
        self.next_id = 0
        self.events: list[dict] = []

    def _exact(self, n: int) -> bytes:
        while len(self.buf) < n:
            chunk = self.sock.recv(max(65536, n - len(self.buf)))
            if not chunk:
                raise ConnectionError("DevTools closed the connection")
            self.buf += chunk
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def _send(self, payload: bytes, opcode: int = 0x1) -> None:
        n = len(payload)
        head = bytearray([0x80 | opcode])
        if n < 126:
            head.append(0x80 | n)
        elif n < 1 << 16:
            head += bytes([0x80 | 126]) + n.to_bytes(2, "big")
        else:
            head += bytes([0x80 | 127]) + n.to_bytes(8, "big")
        mask = os.urandom(4)
        body = (np.frombuffer(payload, np.uint8)
                ^ np.resize(np.frombuffer(mask, np.uint8), n)).tobytes()
        self.sock.sendall(bytes(head) + mask + body)

    def _message(self) -> dict:
        parts = []
        while True:
            b0, b1 = self._exact(2)
            n = b1 & 0x7F
            if n == 126:
                n = int.from_bytes(self._exact(2), "big")
            elif n == 127:
                n = int.from_bytes(self._exact(8), "big")
            mask = self._exact(4) if b1 & 0x80 else None
            data = self._exact(n)
            if mask:
                data = bytes(b ^ mask[i % 4] for i, b in enumerate(data))
            opcode = b0 & 0x0F
            if opcode == 0x8:
                raise ConnectionError("DevTools closed the WebSocket")
            if opcode == 0x9:
                self._send(data, 0xA)
                continue
            if opcode == 0xA:
                continue
            parts.append(data)
            if b0 & 0x80:
                return json.loads(b"".join(parts))

    def call(self, method: str, **params):
        self.next_id += 1
        mid = self.next_id
        self._send(json.dumps({"id": mid, "method": method, "params": params}).encode())
        while True:
            msg = self._message()
            if msg.get("id") == mid:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                return msg.get("result", {})
            self.events.append(msg)

    def wait_for(self, event: str, timeout: float = REPLY_S) -> dict:
        end = time.monotonic() + timeout
        for msg in self.events:
            if msg.get("method") == event:
                return msg
        while time.monotonic() < end:
            msg = self._message()
            self.events.append(msg)
            if msg.get("method") == event:
                return msg
        raise TimeoutError(event)

    def evaluate(self, expression: str):
        r = self.call("Runtime.evaluate", expression=expression, awaitPromise=True,
                      returnByValue=True)
        if "exceptionDetails" in r:
            raise RuntimeError(r["exceptionDetails"])
        return r["result"].get("value")

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


@pytest.fixture(scope="module")
def report_file(tmp_path_factory):
    """The report of a small grid, with its headline and bands where this crashcompat has the
    Monte Carlo and the exposure (issue 11); (path, number of figures)."""
    import inspect

    path = tmp_path_factory.mktemp("report") / "report.html"
    mc = {}
    if "exposure" in inspect.signature(cc.run_grid).parameters:
        mc = dict(samples=16, seed=1, exposure="us")
    report = build_report(cc.run_grid(SPEC, **mc), validation="auto")
    report.write(path)
    return path, len(report.figures)


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    _need_chromium()
    profile = tmp_path_factory.mktemp("chromium-profile")
    proc = subprocess.Popen([CHROMIUM, *FLAGS, f"--user-data-dir={profile}", "about:blank"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    try:
        port_file = profile / "DevToolsActivePort"
        end = time.monotonic() + START_S
        while not (port_file.exists() and port_file.read_text().strip()):
            if proc.poll() is not None:
                pytest.fail(f"chromium exited with {proc.returncode} before it listened")
            if time.monotonic() > end:
                pytest.fail(f"chromium did not open its DevTools port in {START_S:.0f} s")
            time.sleep(0.05)
        port = int(port_file.read_text().split()[0])
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list",
                                    timeout=REPLY_S) as r:
            pages = [t for t in json.load(r) if t.get("type") == "page"]
        dt = DevTools(pages[0]["webSocketDebuggerUrl"])
        yield dt
        dt.close()
    finally:
        # only the process group this fixture started
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=5)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


def _png_pixels(data: bytes) -> np.ndarray:
    from matplotlib.image import imread

    return imread(io.BytesIO(data), format="png")


def test_report_renders_in_chromium(browser, report_file, tmp_path):
    dt = browser
    for domain in ("Page", "Runtime", "Log", "Network"):
        dt.call(f"{domain}.enable")
    dt.call("Emulation.setDeviceMetricsOverride", width=1200, height=900,
            deviceScaleFactor=1, mobile=False)
    path, n_figures = report_file
    url = Path(path).resolve().as_uri()
    t0 = time.monotonic()
    dt.call("Page.navigate", url=url)
    dt.wait_for("Page.loadEventFired")
    state = dt.evaluate("""(async () => {
        const imgs = [...document.images];
        await Promise.all(imgs.map(i => i.decode().catch(() => null)));
        return {n: imgs.length,
                decoded: imgs.filter(i => i.complete && i.naturalWidth > 0).length,
                bad: imgs.filter(i => !(i.naturalWidth > 0)).map(i => i.alt),
                text: document.body.innerText.length,
                title: document.title,
                sections: [...document.querySelectorAll('main section h2')]
                          .map(h => h.textContent)};
    })()""")
    load_s = time.monotonic() - t0

    # console errors, uncaught exceptions, and any request for something not in the file
    errors = [m for m in dt.events if
              (m.get("method") == "Runtime.consoleAPICalled"
               and m["params"]["type"] in ("error", "assert"))
              or m.get("method") == "Runtime.exceptionThrown"
              or (m.get("method") == "Log.entryAdded"
                  and m["params"]["entry"]["level"] == "error")]
    requests = [m["params"]["request"]["url"] for m in dt.events
                if m.get("method") == "Network.requestWillBeSent"]
    outside = [u for u in requests if u != url and not u.startswith("data:")]
    assert errors == [], errors
    assert outside == [], outside
    assert n_figures >= 4 and state["n"] == n_figures and state["decoded"] == n_figures, state
    assert state["sections"] == ["Headline", "Figures", "Validation",
                                 "Assumptions and their sources", "Limits", "Provenance"]
    assert state["title"].startswith("Crash compatibility: kei against")
    assert load_s < 10, load_s

    # not blank: many colours (figures) and a good share of non-white pixels
    shot = base64.b64decode(dt.call("Page.captureScreenshot", format="png",
                                    captureBeyondViewport=True,
                                    clip={"x": 0, "y": 0, "width": 1200, "height": 2400,
                                          "scale": 1})["data"])
    (tmp_path / "desktop.png").write_bytes(shot)
    px = (_png_pixels(shot)[..., :3] * 255).round().astype(np.uint8)
    colours = len(np.unique(px.reshape(-1, 3), axis=0))
    ink = float(np.mean(np.any(px < 235, axis=-1)))
    assert colours > 200, colours
    assert ink > 0.03, ink

    # a phone: 390 CSS px wide; nothing wider than the screen, figures scaled to fit
    dt.call("Emulation.setDeviceMetricsOverride", width=390, height=844, deviceScaleFactor=2,
            mobile=True)
    phone = dt.evaluate("""(() => ({
        inner: window.innerWidth,
        scroll: document.documentElement.scrollWidth,
        // figures fit the screen; a wide one scrolls inside its own box, which fits
        widest_img: Math.max(...[...document.images].map(i => (i.classList.contains('wide')
                             ? i.parentElement : i).getBoundingClientRect().right)),
        font: parseFloat(getComputedStyle(document.body).fontSize)}))()""")
    assert phone["inner"] == 390, phone
    assert phone["scroll"] <= phone["inner"], phone
    assert phone["widest_img"] <= phone["inner"], phone
    assert phone["font"] >= 14, phone
    shot = dt.call("Page.captureScreenshot", format="png")["data"]
    (tmp_path / "phone.png").write_bytes(base64.b64decode(shot))

    # print: the navigation is hidden and it prints to a PDF of a few pages
    dt.call("Emulation.clearDeviceMetricsOverride")
    dt.call("Emulation.setEmulatedMedia", media="print")
    nav = dt.evaluate("getComputedStyle(document.querySelector('nav')).display")
    assert nav == "none"
    pdf = base64.b64decode(dt.call("Page.printToPDF", printBackground=False)["data"])
    assert pdf.startswith(b"%PDF")
    pages = pdf.count(b"/Type /Page") - pdf.count(b"/Type /Pages")
    assert 2 <= pages <= 20, pages
    (tmp_path / "report.pdf").write_bytes(pdf)
