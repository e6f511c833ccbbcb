"""What a command shows: logging and progress on stderr, one result on stdout.

Every command returns an ``Outcome``; the CLI prints it as one JSON object (``--json``)
or as a few human lines, and exits with its code. Secrets are redacted from everything
that reaches a stream.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from canonical.errors import ExitCode

__all__ = ["OK_CODES", "Outcome", "RedactingFilter", "configure_logging", "progress", "redact"]

from canonical.secrets import hide_url_passwords

T = TypeVar("T")
REDACTED = "[redacted]"
log = logging.getLogger("matsync")


def redact(text: str, secrets: Sequence[str]) -> str:
    """``text`` without any of ``secrets`` and without the password of any URL in it."""
    text = hide_url_passwords(text)
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, REDACTED)
    return text


class RedactingFilter(logging.Filter):
    """Rewrites every record so that no secret reaches a log handler."""

    def __init__(self, secrets: Sequence[str]) -> None:
        super().__init__()
        self.secrets = list(secrets)

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage(), self.secrets)
        record.args = None
        return True


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever ``sys.stderr`` is now (test runners swap it per invocation)."""

    @property  # type: ignore[override]
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, _: Any) -> None:
        pass


def configure_logging(verbose: bool, secrets: Sequence[str]) -> None:
    handler = _StderrHandler()
    handler.setFormatter(logging.Formatter("%(message)s"))
    handler.addFilter(RedactingFilter(secrets))
    root = logging.getLogger()
    for old in list(root.handlers):
        if getattr(old, "_matsync", False):
            root.removeHandler(old)
    handler._matsync = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    for noisy in ("httpx", "httpcore", "urllib3", "google", "gspread"):
        logging.getLogger(noisy).setLevel(logging.DEBUG if verbose else logging.WARNING)


def progress(items: Iterable[T], description: str, total: int | None = None) -> Iterator[T]:
    """A progress bar on a terminal, a start and an end line otherwise."""
    if sys.stderr.isatty():
        from rich.progress import track

        yield from track(items, description=description, total=total, console=None, transient=True)
        return
    log.info("%s ...", description)
    count = 0
    for item in items:
        count += 1
        yield item
    log.info("%s: %d done", description, count)


OK_CODES = frozenset({ExitCode.OK, ExitCode.NEEDS_PERSON})
"""The exits after which a run did its job (3: it did, and a person has something to review)."""


@dataclass
class Outcome:
    """What a command did: the JSON summary, the human lines, the exit code.

    The summary always carries ``ok`` (exit 0 or 3) and ``exit_code``, set here from the
    exit code so that no command can say them differently (Otto acts on them).
    """

    summary: dict[str, Any]
    exit_code: ExitCode = ExitCode.OK
    lines: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.summary = {**self.summary, "ok": self.exit_code in OK_CODES, "exit_code": int(self.exit_code)}

    def render(self, as_json: bool) -> str:
        if as_json:
            return json.dumps(self.summary, ensure_ascii=False, sort_keys=True, default=str)
        return "\n".join(self.lines or [f"{k}: {v}" for k, v in self.summary.items()])
