"""A1 addresses and built-in number formats agree with openpyxl's (the .xlsx patcher no longer imports it)."""

from __future__ import annotations

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles.numbers import BUILTIN_FORMATS_REVERSE
from openpyxl.utils import column_index_from_string, get_column_letter

from sheets_sync.workbook.a1 import CONTROL_CHARACTERS, column_index, column_letter
from sheets_sync.workbook.xlsx_patch.styles import BUILTIN_NUMBER_FORMATS


def test_column_letters_and_indexes_agree_with_openpyxl_across_excels_width() -> None:
    for number in range(1, 16_385):  # A .. XFD
        letters = get_column_letter(number)
        assert column_letter(number) == letters
        assert column_index(letters) == column_index_from_string(letters) == number
    assert column_index("xfd") == 16_384


def test_control_characters_are_openpyxls_illegal_characters() -> None:
    every = [chr(code) for code in range(0x110000) if not 0xD800 <= code <= 0xDFFF]
    ours = [c for c in every if CONTROL_CHARACTERS.match(c)]
    assert ours == [c for c in every if ILLEGAL_CHARACTERS_RE.match(c)]


def test_the_patchers_builtin_number_formats_are_openpyxls() -> None:
    assert {code: int(i) for code, i in BUILTIN_FORMATS_REVERSE.items()} == BUILTIN_NUMBER_FORMATS
