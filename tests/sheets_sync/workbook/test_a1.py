"""A1 addresses and built-in number formats agree with openpyxl's (the .xlsx patcher no longer imports it)."""

from __future__ import annotations

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles.numbers import BUILTIN_FORMATS_REVERSE
from openpyxl.utils import column_index_from_string, get_column_letter

from canonical.normalize import XML_CONTROL, XML_FORBIDDEN
from sheets_sync.workbook.a1 import column_letter, column_number
from sheets_sync.workbook.xlsx_patch.styles import BUILTIN_NUMBER_FORMATS


def test_column_letters_and_indexes_agree_with_openpyxl_across_excels_width() -> None:
    for number in range(1, 16_385):  # A .. XFD
        letters = get_column_letter(number)
        assert column_letter(number) == letters
        assert column_number(letters) == column_index_from_string(letters) == number
    assert column_number("xfd") == 16_384


def test_xml_control_characters_are_openpyxls_illegal_ones_and_forbidden_adds_non_characters() -> None:
    every = [chr(code) for code in range(0x110000)]
    ours = [c for c in every if XML_CONTROL.match(c)]
    assert ours == [c for c in every if ILLEGAL_CHARACTERS_RE.match(c)]
    non_xml = [chr(c) for c in (*range(0xD800, 0xE000), 0xFFFE, 0xFFFF)]
    assert [c for c in every if XML_FORBIDDEN.match(c)] == sorted([*ours, *non_xml])


def test_the_patchers_builtin_number_formats_are_openpyxls() -> None:
    assert {code: int(i) for code, i in BUILTIN_FORMATS_REVERSE.items()} == BUILTIN_NUMBER_FORMATS
