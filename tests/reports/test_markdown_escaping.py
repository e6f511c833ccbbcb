"""Markdown reports quote user text as text: read back by a CommonMark parser (with GitHub's
tables), every table keeps its columns, a hostile name is one cell holding exactly the
name, and nothing in it became HTML, a link, emphasis or code."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st
from markdown_it import MarkdownIt
from markdown_it.token import Token

from reports.etl import etl_markdown
from reports.health import Check, HealthReport, Progress, RunSummary, health_markdown
from reports.markdown import cell, with_code
from reports.plan import plan_markdown
from tests.reports.review_plan import HOSTILE, review_plan

MORE = ("two\nlines", "back\\slash | pipe", "&lt;b&gt; entity", "_under_ *star* ~strike~", "a\r\nb")
"""Beside ``HOSTILE``: line breaks, a backslash before a pipe, an entity, emphasis marks."""


def parse(markdown: str) -> list[Token]:
    return MarkdownIt("commonmark").enable("table").parse(markdown)


def tables(tokens: list[Token]) -> list[list[list[Token]]]:
    """Each table as rows of cells, a cell as its inline token."""
    found: list[list[list[Token]]] = []
    row: list[Token] = []
    for i, token in enumerate(tokens):
        if token.type == "table_open":
            found.append([])
        elif token.type == "tr_open":
            row = []
        elif token.type in ("th_open", "td_open"):
            row.append(tokens[i + 1])
        elif token.type == "tr_close":
            found[-1].append(row)
    return found


def text(inline: Token) -> str:
    return "".join(child.content for child in inline.children or [] if child.type in ("text", "code_inline"))


def markup(tokens: list[Token], allowed: frozenset[str] = frozenset()) -> list[str]:
    """Inline markup that came out of the text: HTML, links, images, emphasis, code."""
    found = []
    for token in tokens:
        if token.type == "html_block":
            found.append(token.content)
        for child in token.children or []:
            if child.type == "html_inline" and child.content not in allowed:
                found.append(child.content)
            elif child.type in ("link_open", "image", "em_open", "strong_open", "s_open"):
                found.append(child.type)
    return found


@pytest.mark.parametrize("name", [*HOSTILE, *MORE])
def test_a_cell_reads_back_as_the_text(name: str) -> None:
    line = f"| a | b |\n|---|---|\n| {cell(name)} | end |\n"

    tokens = parse(line)

    (row,) = tables(tokens)[0][1:]
    assert [text(c) for c in row] == [" ".join(name.replace("\r\n", "\n").splitlines()), "end"]
    assert markup(tokens) == []


@given(st.text(alphabet="ab1 _*`[]|~&<>\\#!:/;\n", max_size=12).map(str.strip))
def test_any_mix_of_markup_characters_reads_back_as_the_text(name: str) -> None:
    """Plain cells take a short cut (returned as they are): mixed with every mark, each
    still reads back as its text."""
    line = f"| a | b |\n|---|---|\n| {cell(name)} | end |\n"

    tokens = parse(line)

    (row,) = tables(tokens)[0][1:]
    assert [text(c) for c in row] == [" ".join(name.splitlines()).strip(), "end"]
    assert markup(tokens) == []


def test_a_note_keeps_its_code_and_nothing_else() -> None:
    note = "no canonical projects yet: run `matsync ppak-import` <b>|</b>"

    tokens = parse(f"| n |\n|---|\n| {with_code(note)} |\n")

    (cells,) = tables(tokens)[0][1:]
    codes = [c.content for c in cells[0].children or [] if c.type == "code_inline"]
    assert codes == ["matsync ppak-import"] and text(cells[0]) == note.replace("`", "")
    assert markup(tokens) == []


def test_the_plan_keeps_its_columns_and_shows_names_as_typed() -> None:
    plan = review_plan()

    tokens = parse(plan_markdown(plan))

    innergy, ppak = tables(tokens)[2:]
    assert all(len(row) == 7 for row in innergy) and all(len(row) == 8 for row in ppak)
    names = {text(row[3]) for row in innergy[1:]}
    assert set(HOSTILE) <= names
    assert markup(tokens, allowed=frozenset({"<br>"})) == []  # our line breaks, nothing else
    hostile_create = next(row for row in innergy if text(row[3]) == HOSTILE[0])
    assert f"name: (blank) -> {HOSTILE[0]}" in text(hostile_create[4])


def test_health_and_etl_reports_keep_their_columns() -> None:
    hostile = [(name, 1) for name in (*HOSTILE, *MORE)]
    health = HealthReport(
        datetime(2026, 12, 3, tzinfo=UTC),
        (Check("unmapped_skus", len(hostile), 0, tuple(hostile), note=HOSTILE[3]),),
        (Progress("materials_linked", HOSTILE[2], 1, 2, note=HOSTILE[0]),),
        (RunSummary(HOSTILE[1], "push", "2026-12-03T13:35:00+00:00", "ok", 3),),
    )
    summary = {
        "counts": dict.fromkeys(("files", "files_read", "materials", "projects", "project_lines"), 0)
        | {"errors": 1, "warnings": 0},
        "files": [],
        "unmapped": {"skus": [{"value": v, "count": 1, "examples": [v]} for v, _ in hostile]},
        "problems": [
            {"severity": "error", "source": v, "row": 2, "column": v, "value": v, "message": v}
            for v, _ in hostile
        ],
    }

    for markdown in (health_markdown(health), etl_markdown(summary)):
        tokens = parse(markdown)
        for table in tables(tokens):
            assert len({len(row) for row in table}) == 1, markdown
        cells = [c for table in tables(tokens) for row in table for c in row]
        assert markup(cells) == []  # (outside tables, only our own bold labels)
        shown = set(map(text, cells))
        assert {" ".join(v.splitlines()) for v, _ in hostile} <= shown
