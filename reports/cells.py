"""Text that fits a workbook cell: cut, when it must be, with a note saying where the whole is.

Google holds 50,000 characters a cell and an .xlsx 32,767 (each backend's
``max_cell_chars``); a longer value makes the whole write fail, so every plan would fail
until someone shortened the text. Both count UTF-16 code units (an emoji is two), and
so does ``cell_size``. A text within the limit is returned as it is; a longer one keeps
its longest head that fits beside the note, ending at a line end when there is one, and
never ends between the halves of a surrogate pair.
"""

from __future__ import annotations

from bisect import bisect_right

__all__ = ["cell_size", "fit_cell"]

_HIGH, _LOW = range(0xD800, 0xDC00), range(0xDC00, 0xE000)


def cell_size(text: str) -> int:
    """Characters as Google and Excel count them: UTF-16 code units."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def fit_cell(text: str, limit: int | None, where: str) -> str:
    """``text`` cut to ``limit`` characters, its note included: ``… [cut: N characters; where]``.

    ``where`` says where the whole text is (``the whole change is in plans/<id>.json``);
    ``limit`` ``None`` keeps every text whole (rows not meant for a workbook).
    """
    if limit is None or 2 * len(text) <= limit:
        return text
    size = cell_size(text)
    if size <= limit:
        return text
    note = f"… [cut: {size:,} characters; {where}]"
    budget = limit - cell_size(note)
    if budget < 0:
        raise ValueError(f"a cell of {limit} characters cannot hold the note {note!r}")
    end = bisect_right(range(len(text) + 1), budget, key=lambda k: cell_size(text[:k])) - 1
    if end and ord(text[end - 1]) in _HIGH and ord(text[end]) in _LOW:
        end -= 1  # a pair held as two code points (as JSON escapes it): keep both halves or neither
    line_end = text.rfind("\n", 0, end)
    return text[: line_end + 1 if line_end >= 0 else end] + note
