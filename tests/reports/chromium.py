"""Headless Chromium as a test instrument: open a report page as a person would, and hear
what the browser says about it.

Driven over the DevTools protocol on a pipe (``--remote-debugging-pipe``: file descriptors
3 and 4, messages ending in NUL), so no websocket library and no port are needed, and the
page is tested exactly as written (nothing injected into it). What the browser reports is
collected from the protocol's own events: console errors, uncaught exceptions, and log
entries (a Content-Security-Policy violation, a resource that failed to load). Layout
facts come from ``Runtime.evaluate``, which runs beside the page, not in it.
"""

from __future__ import annotations

import base64
import json
import os
import select
import shutil
import subprocess
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

BINARIES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
WAIT = 60.0
"""Seconds to wait for one protocol answer before calling the browser stuck (not a timing
assertion: a guard so a broken browser fails the test instead of hanging it)."""

PROBE = """(() => {
  const box = e => { const r = e.getBoundingClientRect(); return {w: r.width, h: r.height, right: r.right}; };
  return {
    charts: [...document.querySelectorAll('svg')].map(s => ({
      label: s.getAttribute('aria-label') || '', width: s.getAttribute('width'),
      height: s.getAttribute('height'), ...box(s)})),
    text: document.body.innerText,
    tags: [...new Set([...document.querySelectorAll('*')].map(e => e.localName))],
    attributes: [...new Set([...document.querySelectorAll('*')].flatMap(e => e.getAttributeNames()))],
    rows: [...document.querySelectorAll('tr')].map(tr => [...tr.cells].map(c => c.innerText)),
    pageWidth: document.documentElement.clientWidth,
    scrollWidth: document.documentElement.scrollWidth,
  };
})()"""


@dataclass
class Tab:
    """A tab's protocol session, and the events heard on it so far."""

    browser: Browser
    session: str
    events: list[dict[str, Any]]

    def call(self, method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        return self.browser._call(method, params, self.session, self.events)


@dataclass(frozen=True)
class Chart:
    label: str
    width: str | None
    height: str | None
    """The SVG's own width / height attributes."""
    w: float
    h: float
    right: float
    """Its laid-out size and right edge, in CSS pixels."""


@dataclass(frozen=True)
class Opened:
    """A page as the browser laid it out, and everything it complained about."""

    errors: tuple[str, ...]
    charts: tuple[Chart, ...]
    text: str
    tags: frozenset[str]
    attributes: frozenset[str]
    rows: tuple[tuple[str, ...], ...]
    page_width: int
    scroll_width: int

    def row_with(self, text: str) -> tuple[str, ...]:
        """The first table row with a cell holding exactly ``text``."""
        return next(row for row in self.rows if text in row)


def find_binary() -> str | None:
    return next((path for name in BINARIES if (path := shutil.which(name))), None)


class Browser:
    """One headless Chromium; ``open`` loads a file in a fresh tab and reads it."""

    def __init__(self, binary: str) -> None:
        self._profile = tempfile.TemporaryDirectory(prefix="matsync-chromium-")
        to_browser, self._write_end = os.pipe()
        self._read_end, from_browser = os.pipe()

        def descriptors() -> None:  # in the child: the protocol's fds 3 (in) and 4 (out)
            source = os.dup(from_browser) if from_browser == 3 else from_browser  # not overwritten next
            os.dup2(to_browser, 3)
            os.dup2(source, 4)

        self._process = subprocess.Popen(
            [binary, "--headless", "--disable-gpu", "--no-sandbox", "--remote-debugging-pipe",
             "--no-first-run", "--no-default-browser-check", "--hide-scrollbars",
             f"--user-data-dir={self._profile.name}", "about:blank"],
            pass_fds=(3, 4),  # kept open in the child once ``descriptors`` put the pipe there
            preexec_fn=descriptors,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        os.close(to_browser)
        os.close(from_browser)
        self._buffer = b""
        self._next_id = 0

    # -- the protocol --------------------------------------------------------------------

    def _send(self, method: str, params: dict[str, Any] | None = None, session: str | None = None) -> int:
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self._write_end, json.dumps(message).encode() + b"\0")
        return self._next_id

    def _receive(self) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            ready, _, _ = select.select([self._read_end], [], [], WAIT)
            if not ready:
                raise TimeoutError(f"Chromium said nothing for {WAIT:.0f} s")
            chunk = os.read(self._read_end, 1 << 16)
            if not chunk:
                raise EOFError("Chromium closed the DevTools pipe")
            self._buffer += chunk
        message, _, self._buffer = self._buffer.partition(b"\0")
        return json.loads(message)

    def _call(
        self, method: str, params: dict[str, Any] | None = None, session: str | None = None,
        events: list[dict[str, Any]] | None = None,
    ) -> dict[str, Any]:  # fmt: skip
        """Send a command and wait for its answer; events meanwhile go to ``events``."""
        sent = self._send(method, params, session)
        while True:
            message = self._receive()
            if message.get("id") == sent:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})
            if events is not None and "method" in message:
                events.append(message)

    # -- pages ---------------------------------------------------------------------------

    @contextmanager
    def _tab(self, path: Path, setup: Iterable[tuple[str, dict[str, Any]]] = ()) -> Iterator[Tab]:
        """A new tab with ``setup`` commands applied, ``path`` loaded; closed afterwards."""
        events: list[dict[str, Any]] = []
        target = self._call("Target.createTarget", {"url": "about:blank"}, events=events)["targetId"]
        attached = self._call("Target.attachToTarget", {"targetId": target, "flatten": True}, events=events)
        tab = Tab(self, attached["sessionId"], events)
        try:
            for method in ("Runtime.enable", "Log.enable", "Page.enable"):
                tab.call(method)
            for method, params in setup:
                tab.call(method, params)
            tab.call("Page.navigate", {"url": path.resolve().as_uri()})
            while not any(e["method"] == "Page.loadEventFired" for e in events):
                events.append(self._receive())
            yield tab
        finally:
            self._call("Target.closeTarget", {"targetId": target}, events=events)

    def open(self, path: Path, *, width: int = 1280, media: str = "screen") -> Opened:
        """Load ``path`` in a tab ``width`` CSS pixels wide, with ``media`` (``print`` lays it
        out as a printout is), and read what the browser made of it."""
        metrics = {"width": width, "height": 900, "deviceScaleFactor": 1, "mobile": False}
        setup = [
            ("Emulation.setDeviceMetricsOverride", metrics),
            ("Emulation.setEmulatedMedia", {"media": media}),
        ]
        with self._tab(path, setup) as tab:
            found = tab.call("Runtime.evaluate", {"expression": PROBE, "returnByValue": True})["result"][
                "value"
            ]
            events = list(tab.events)
        return Opened(
            errors=tuple(_complaints(events)),
            charts=tuple(Chart(**chart) for chart in found["charts"]),
            text=found["text"],
            tags=frozenset(found["tags"]),
            attributes=frozenset(found["attributes"]),
            rows=tuple(tuple(row) for row in found["rows"]),
            page_width=found["pageWidth"],
            scroll_width=found["scrollWidth"],
        )

    def pdf(self, path: Path) -> tuple[bytes, tuple[str, ...]]:
        """``path`` printed to PDF (Letter, default margins, backgrounds on), and the browser's
        complaints meanwhile."""
        with self._tab(path) as tab:
            data = tab.call("Page.printToPDF", {"printBackground": True})["data"]
            events = list(tab.events)
        return base64.b64decode(data), tuple(_complaints(events))

    def close(self) -> None:
        with suppress(EOFError, OSError, TimeoutError, RuntimeError):  # it may be gone already
            self._call("Browser.close")
        try:
            self._process.wait(timeout=WAIT)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        os.close(self._write_end)
        os.close(self._read_end)
        self._profile.cleanup()


def _complaints(events: list[dict[str, Any]]) -> list[str]:
    """What the browser reported as wrong: console errors and warnings, uncaught exceptions,
    log entries of level error or warning (CSP violations, failed loads)."""
    found = []
    for event in events:
        method, params = event["method"], event.get("params", {})
        if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "warning", "assert"):
            found.append(
                "console: " + " ".join(str(a.get("value", a.get("description"))) for a in params["args"])
            )
        elif method == "Runtime.exceptionThrown":
            found.append("exception: " + params["exceptionDetails"].get("text", ""))
        elif method == "Log.entryAdded" and params["entry"]["level"] in ("error", "warning"):
            found.append(f"{params['entry']['source']}: {params['entry']['text']}")
    return found


@contextmanager
def browser() -> Iterator[Browser]:
    binary = find_binary()
    if binary is None:
        raise FileNotFoundError("no Chromium on PATH")
    running = Browser(binary)
    try:
        yield running
    finally:
        running.close()


SAFE_TAGS = frozenset(
    {
        *("html", "head", "meta", "title", "style", "body", "h1", "h2", "h3", "p", "b", "code", "span"),
        *("div", "ul", "li", "figure", "figcaption", "table", "thead", "tbody", "tr", "th", "td"),
        *("svg", "rect", "text", "line"),
    }
)
"""What a report page is made of: text, tables, lists and inline SVG. No script, image,
link, frame, object or form: a name that became one of those would be a hole."""


def assert_sound(opened: Opened, *, print_width: int | None = None) -> None:
    """The page as a reader gets it: the browser complained of nothing, the page is made of
    safe elements only (no attribute that loads or runs anything), and every chart has a
    size, set in its SVG and laid out. With ``print_width``, charts and page also fit a
    sheet of paper that wide."""
    assert opened.errors == (), opened.errors
    assert opened.tags <= SAFE_TAGS, opened.tags - SAFE_TAGS
    risky = {a for a in opened.attributes if a.startswith("on") or a in ("src", "href", "srcset", "action")}
    assert risky == set()
    assert opened.charts, "no chart on the page"
    for chart in opened.charts:
        assert float(chart.width or 0) > 0 and float(chart.height or 0) > 0, chart
        assert chart.w > 0 and chart.h > 0, chart
        if print_width is not None:
            assert chart.right <= print_width, chart
    if print_width is not None:
        assert opened.scroll_width <= opened.page_width, (opened.scroll_width, opened.page_width)
