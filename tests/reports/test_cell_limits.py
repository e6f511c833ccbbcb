"""Cells cut to the workbook's limit: exact, at a line end when it can be, never half a pair.

``fit_cell`` is held to its rule on made-up texts (hypothesis) and on the naughty-strings
corpus; the tab builders (DIFF_INNERGY, DIFF_PPAK, ISSUES) are held to cutting what is
long, with a note naming where the whole is, and to leaving the rest exactly as it was,
written to both backends and read back.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from canonical import Library, Material, UomMapping
from canonical.models import Problem
from canonical.plan import Plan, build_plan
from canonical.projection import project_material
from reports.cells import cell_size, fit_cell
from reports.plan import HEADER_ROW, change_lines, diff_innergy_rows, diff_ppak_rows
from reports.rows import issue_rows
from sheets_sync.config import Settings
from sheets_sync.connect import open_workbook
from sheets_sync.workbook import Rewrite
from sheets_sync.workbook.google import GoogleWorkbook
from sheets_sync.workbook.xlsx import XlsxWorkbook, unstorable

EA = UomMapping(source_uom="EA", canonical_uom="EA", innergy_uom_group="Each", innergy_common_uom="EA")
NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
GOOGLE, XLSX = GoogleWorkbook.max_cell_chars, XlsxWorkbook.max_cell_chars
PLAN_FILE = "plans/P1.json"
HIGH, LOW = "\ud83d", "\ude00"
"""The halves of 😀 as two code points (what a JSON ``\\ud83d\\ude00`` held apart decodes to)."""


def note(text: str, where: str) -> str:
    return f"… [cut: {cell_size(text):,} characters; {where}]"


def test_the_backends_declare_their_limits() -> None:
    assert (GOOGLE, XLSX) == (50_000, 32_767)


def test_a_text_at_the_limit_is_kept_one_more_character_is_cut_to_exactly_the_limit() -> None:
    assert fit_cell("x" * XLSX, XLSX, "w") == "x" * XLSX
    cut = fit_cell("x" * (XLSX + 1), XLSX, "w")
    assert cell_size(cut) == XLSX
    assert cut.endswith(note("x" * (XLSX + 1), "w")) and cut.startswith("x" * 30_000)
    assert fit_cell("x" * (XLSX + 1), None, "w") == "x" * (XLSX + 1)


def test_the_cut_falls_at_a_line_end_when_there_is_one() -> None:
    lines = [f"field {n}: {'o' * 900} -> {'n' * 900}\n" for n in range(40)]
    text, where = "".join(lines).rstrip("\n"), "the whole change is in plans/P1.json"
    budget, whole_lines = XLSX - cell_size(note(text, where)), ""
    for line in lines:
        if cell_size(whole_lines + line) > budget:
            break
        whole_lines += line
    assert fit_cell(text, XLSX, where) == whole_lines + note(text, where)


@pytest.mark.parametrize("limit", [XLSX, XLSX - 1])  # the head's budget odd once, even once
def test_emoji_count_two_and_are_never_split(limit: int) -> None:
    text = "😀" * 20_000  # 40,000 UTF-16 code units in 20,000 code points
    cut = fit_cell(text, limit, "w")
    assert cell_size(cut) in (limit - 1, limit) and cut.encode("utf-16-le")  # strict: no lone half
    apart = (HIGH + LOW) * 20_000
    head = fit_cell(apart, limit, "w").removesuffix(note(apart, "w"))
    assert len(head) % 2 == 0 and apart.startswith(head) and len(head) >= limit - 100


def test_a_note_longer_than_the_cell_is_refused() -> None:
    with pytest.raises(ValueError, match="cannot hold the note"):
        fit_cell("x" * 100, 20, "the whole change is in plans/P1.json")


ONE_LINE = ["a", "bb", "é", "😀", HIGH, LOW, HIGH + LOW, " "]
TEXTS = st.sampled_from([ONE_LINE, [*ONE_LINE, "\n", "\r\n"]]).flatmap(
    lambda pieces: st.lists(st.sampled_from(pieces), max_size=80)
)
"""Lines, or one long line: with a line end in nearly every head, a mid-line cut would go untried."""


@given(pieces=TEXTS, spare=st.integers(min_value=0, max_value=60))
def test_any_text_is_cut_to_its_longest_fitting_head(pieces: list[str], spare: int) -> None:
    """Within the limit: unchanged. Beyond: the note, after the longest head that fits, at the
    last line end within it if any, never between the halves of a pair."""
    text, where = "".join(pieces), "w"
    limit = cell_size(note(text, where)) + spare
    cut = fit_cell(text, limit, where)
    if cell_size(text) <= limit:
        assert cut == text
        return
    head = cut.removesuffix(note(text, where))
    assert cut == head + note(text, where) and text.startswith(head)
    assert cell_size(cut) <= limit
    assert not (head and head[-1] == HIGH and text[len(head)] == LOW)
    budget = limit - cell_size(note(text, where))
    if "\n" in head:
        following = text.find("\n", len(head))
        assert head.endswith("\n") and (following < 0 or cell_size(text[: following + 1]) > budget)
    else:
        step = 2 if text[len(head) : len(head) + 2] == HIGH + LOW else 1
        assert cell_size(text[: len(head) + step]) > budget


def test_the_naughty_strings_are_never_cut_within_the_limit_and_cut_to_a_literal_head_beyond(
    naughty_strings: list[str],
) -> None:
    for text in naughty_strings:
        assert fit_cell(text, XLSX, "w") == fit_cell(text, GOOGLE, "w") == text
        long = text * (GOOGLE // max(len(text), 1) + 1) if text else "x" * (GOOGLE + 1)
        if cell_size(long) > GOOGLE:
            cut = fit_cell(long, GOOGLE, "w")
            assert cell_size(cut) <= GOOGLE and long.startswith(cut.removesuffix(note(long, "w")))


def long_plan(size: int) -> Plan:
    """A description of ``size`` characters changed on both sides, and a PPak item as long."""
    old, new = ("old " * size)[:size] + "|", ("new " * size)[:size] + "|"
    master = Material(sku="S1", name="Panel", category="Hardware", uom="EA", cost=10, description=new)
    record = project_material(master, EA).model_copy(update={"innergy_id": "g1", "description": old})
    ppak = Material(sku="S1", name="Panel", category="Hardware", uom="EA", cost=10, description=old * 2)
    new_item = Material(sku="NEW-1", name="n" * (size * 2), category="Hardware", uom="EA", cost=1)
    library = Library(materials=(master,), uoms=(EA,))
    return build_plan(library, [record], ppak=[ppak, new_item], now=NOW)


@pytest.mark.parametrize("limit", [GOOGLE, XLSX])
def test_diff_rows_cut_changes_and_names_to_the_limit_naming_the_plan_file(limit: int) -> None:
    plan = long_plan(limit * 3 // 5)
    innergy = diff_innergy_rows(plan, limit=limit, plan_file=PLAN_FILE)[HEADER_ROW:]
    ppak = {r[3]: r for r in diff_ppak_rows(plan, limit=limit, plan_file=PLAN_FILE)[HEADER_ROW:]}
    whole = change_lines(plan.changes[0].changes)
    assert [r[2] for r in innergy] == ["update"] and "\n" not in whole and cell_size(whole) > limit
    cut = note(whole, f"the whole change is in {PLAN_FILE}")
    assert innergy[0][5] == whole[: limit - len(cut)] + cut  # one line of plain text: exactly the limit
    differs = change_lines(plan.ppak_changes[0].changes)
    assert ppak["S1"][6].endswith(note(differs, f"the whole change is in {PLAN_FILE}"))
    name = plan.ppak_changes[1].name
    assert ppak["NEW-1"][5].endswith(note(name, f"the whole name is in {PLAN_FILE}"))
    cells = [c for r in [*innergy, *ppak.values()] for c in r if isinstance(c, str)]
    assert max(map(cell_size, cells)) <= limit
    assert diff_innergy_rows(plan)[HEADER_ROW][5] == whole  # no limit: whole, as for the reports


@pytest.mark.parametrize("limit", [GOOGLE, XLSX])
def test_issue_values_and_messages_are_cut_naming_the_cell_they_came_from(limit: int) -> None:
    value = "9" * limit
    problem = Problem(
        source="MATERIAL_LIBRARY_MASTER", row=7, column="Cost", value=value, message=f"cost {value!r} is bad"
    )
    short = Problem(source="a.csv", row=2, value="=cmd|' /C calc'!A0", message="kept as typed")
    rows = issue_rows([problem, short], limit)
    where = "MATERIAL_LIBRARY_MASTER, row 7, column Cost"
    assert rows[0][4] == value  # fits: the same cell held it
    assert rows[0][5].endswith(note(problem.message, f"the value it quotes is in {where}"))
    assert cell_size(rows[0][5]) <= limit
    assert rows[1] == ["error", "a.csv", 2, "", "=cmd|' /C calc'!A0", "kept as typed"]
    longer = issue_rows([problem.model_copy(update={"value": value + "9"})], limit)[0]
    assert longer[4].endswith(note(value + "9", f"the whole value is in {where}"))


def naughty_plan(naughty_strings: list[str], keep: Callable[[str], bool]) -> Plan:
    names = list(dict.fromkeys(s.strip() for s in naughty_strings if s.strip() and keep(s)))
    rows = tuple(
        Material(sku=f"S{i}", name=name, category="Hardware", uom="EA", cost=10, description=name)
        for i, name in enumerate(names)
    )
    return build_plan(Library(materials=rows, uoms=(EA,)), [], now=NOW)


def _round_trip(settings: Settings, plan: Plan, limit: int) -> None:
    rows = diff_innergy_rows(plan, limit=limit, plan_file=PLAN_FILE)
    assert rows == diff_innergy_rows(plan)  # nothing is near the limit: nothing is cut
    with open_workbook(settings) as workbook:
        assert workbook.max_cell_chars == limit
        workbook.write([Rewrite("DIFF_INNERGY", rows)])
        read = workbook.read_tabs(["DIFF_INNERGY"])["DIFF_INNERGY"]
    assert [r[3:6] for r in read[HEADER_ROW:]] == [r[3:6] for r in rows[HEADER_ROW:]]


def test_naughty_strings_round_trip_through_the_cut_on_google(google_sheet, naughty_strings) -> None:
    _round_trip(google_sheet.settings, naughty_plan(naughty_strings, lambda s: True), GOOGLE)


def test_naughty_strings_round_trip_through_the_cut_in_an_xlsx(tmp_path: Path, naughty_strings) -> None:
    path = tmp_path / "book.xlsx"
    XlsxWorkbook(path, create=True).write([Rewrite("T", [["x"]])])
    plan = naughty_plan(naughty_strings, lambda s: unstorable(s.strip()) is None)
    _round_trip(Settings(workbook=str(path), output_dir=tmp_path / "out"), plan, XLSX)
