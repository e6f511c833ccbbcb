"""The INNERGY sandbox and the fake Sheets API, each in a process of its own, as INNERGY and
Google are: the product then shares its interpreter lock with neither (on 2 cores they
still share the processors), and the two servers do not share one with each other.

A server is asked over a pipe: ``Remote.ask(fn, *args)`` runs ``fn(server, *args)`` in the
server's process and returns what it gives (``fn`` a module-level function, sent by name).
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable
from typing import Any

from innergy_client.sandbox import Sandbox, running_sandbox
from tests.fakes.sheets_server import FakeSheets

__all__ = ["Remote", "latency", "requests", "sandbox", "sheets", "spreadsheet"]


def sandbox(conn: Any, seed: Callable[..., None] | None = None, *args: Any) -> None:
    """In the sandbox's own process: ``seed(sandbox, *args)``, then the parent's asks."""
    with running_sandbox() as server:
        if seed is not None:
            seed(server, *args)
        conn.send((server.url, server.api_key))
        _answer(conn, server)


def sheets(conn: Any) -> None:
    """In the fake Sheets API's own process: the parent's asks."""
    with FakeSheets() as server:
        conn.send((server.url, None))
        _answer(conn, server)


def _answer(conn: Any, server: Any) -> None:
    while (ask := conn.recv()) is not None:
        fn, args = ask
        conn.send(fn(server, *args))


def requests(server: Sandbox | FakeSheets) -> int:
    """The requests the server has answered so far."""
    return len(server.requests) if isinstance(server, Sandbox) else server.requests


def latency(server: Sandbox, seconds: float) -> None:
    server.faults.latency = seconds


def spreadsheet(server: FakeSheets, tabs: dict[str, list[list[Any]]]) -> str:
    """A new spreadsheet holding ``tabs``; its key."""
    return server.create_spreadsheet(tabs)


class Remote:
    """A server in another process (``sandbox`` or ``sheets``), asked over a pipe
    (``with``: started, then stopped)."""

    def __init__(self, target: Callable[..., None], *args: Any) -> None:
        context = multiprocessing.get_context("spawn")
        self.conn, theirs = context.Pipe()
        self.process = context.Process(target=target, args=(theirs, *args))

    def __enter__(self) -> Remote:
        self.process.start()
        self.url, self.api_key = self.conn.recv()
        return self

    def __exit__(self, *_: object) -> None:
        self.conn.send(None)
        self.process.join(timeout=60)

    def ask(self, fn: Callable[..., Any], *args: Any) -> Any:
        self.conn.send((fn, args))
        return self.conn.recv()
