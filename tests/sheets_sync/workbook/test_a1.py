"""A1 addresses agree with openpyxl's, which the .xlsx backend no longer imports to get them."""

from __future__ import annotations

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.utils import column_index_from_string, get_column_letter

from sheets_sync.workbook.a1 import CONTROL_CHARACTERS, column_index, column_letter


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
