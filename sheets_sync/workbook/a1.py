"""Cell addresses in A1 notation, shared by the Google Sheets and .xlsx backends.

Here rather than from ``openpyxl.utils``: importing any part of openpyxl loads the whole
package (and numpy, where installed), about 0.3 s that a plan or a pull patching the zip
never needs."""

from __future__ import annotations

__all__ = ["column_letter", "column_number"]


def column_letter(number: int) -> str:
    """1 -> A, 27 -> AA."""
    letters = ""
    while number > 0:
        number, rest = divmod(number - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def column_number(letters: str) -> int:
    """A -> 1, AA -> 27 (case ignored)."""
    number = 0
    for letter in letters.upper():
        number = number * 26 + ord(letter) - 64
    return number
