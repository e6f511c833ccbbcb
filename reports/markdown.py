"""Markdown that shows user text as text, for every Markdown report (plan, health, ETL).

Reports quote names, SKUs and PPak values exactly as people typed them, and Markdown
(GitHub's flavour included) reads some of their characters as markup: a ``|`` ends a
table cell and a newline the row, a backtick opens code, ``<script>`` and
``<img onerror=...>`` are raw HTML a viewer may render, ``[x](javascript:...)`` is a link,
``*`` and ``_`` emphasis, ``~`` strike-through, ``&lt;`` an entity. ``cell`` puts a
backslash before each markup character (CommonMark lets any ASCII punctuation be escaped
so), writes ``<`` as ``&lt;`` and an ``&`` that starts an entity as ``&amp;`` (every
Markdown, the oldest included, reads those as text), and folds line breaks to spaces, so a
table keeps its columns and a name reads as typed. What is harmless stays as typed, for
the raw file's sake: ``>`` away from a line's start (``cost: 1 -> 2``), an ``&`` before a
space, underscores inside a word (``INNERGY_API_KEY``: never emphasis in CommonMark), and
``$`` (GitHub's math ends only at a ``$`` not followed by a digit; an amount's always is).
``with_code`` does the same to a note of ours while keeping its backtick spans as code.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

__all__ = ["cell", "table", "with_code"]

_MARKUP = re.compile(r"([\\`*\[\]|~])")
_ENTITY = re.compile(r"&(?=#?\w+;)")
_UNDERSCORES = re.compile(r"_+")
_BREAKS = re.compile(r"\r\n|[\r\n\u2028\u2029]")
_CODE = re.compile(r"`([^`\r\n]+)`")
_PLAIN = re.compile(r"[^\\`*\[\]|~&<_\r\n\u2028\u2029]*")
"""Text none of the patterns above touch: most cells, returned as they are."""


def cell(value: Any) -> str:
    """``value`` as literal Markdown text on one line (``None`` is blank)."""
    text = "" if value is None else str(value)
    if _PLAIN.fullmatch(text):
        return text
    text = _ENTITY.sub("&amp;", _BREAKS.sub(" ", text)).replace("<", "&lt;")
    escaped = _MARKUP.sub(r"\\\1", text)
    return _UNDERSCORES.sub(lambda run: _underscores(run, escaped), escaped)


def _underscores(run: re.Match[str], text: str) -> str:
    """A run of ``_`` as is between two letters or digits, escaped anywhere else."""
    before, after = text[run.start() - 1 : run.start()], text[run.end() : run.end() + 1]
    inside = before.isalnum() and after.isalnum()
    return run[0] if inside else "\\_" * len(run[0])


def with_code(text: str) -> str:
    """A note with ``code`` spans (``run `matsync pull```) as Markdown: the spans stay code
    (a ``|`` in one escaped, as a table needs), the rest is ``cell`` text."""
    parts = _CODE.split(_BREAKS.sub(" ", text))  # odd positions: the spans' insides
    return "".join(_code(part) if i % 2 else cell(part) for i, part in enumerate(parts))


def _code(text: str) -> str:
    return "`" + text.replace("|", "\\|") + "`"


def table(header: Iterable[str], rows: Iterable[Iterable[str]]) -> list[str]:
    """A Markdown table of cells already escaped (``cell``, ``with_code``) or of our own text."""
    names = list(header)
    lines = ["| " + " | ".join(names) + " |", "|" + "---|" * len(names)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines
