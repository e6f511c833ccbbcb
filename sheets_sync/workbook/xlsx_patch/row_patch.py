"""Cells written inside an existing tab (``Append``, ``CellUpdate``), spliced into its rows.

Each written cell keeps its format unless the look makes it bold or filled; the rows not
written are copied as bytes. A push writes two cells in each of 100k rows of 28, so cells
are found by their reference with C-level searches, not parsed one by one.
"""

from __future__ import annotations

import dataclasses
import re
from bisect import bisect_left
from collections.abc import Mapping
from dataclasses import dataclass, field

from sheets_sync.workbook.a1 import column_letter, column_number
from sheets_sync.workbook.base import Value
from sheets_sync.workbook.xlsx_patch.styles import Format, Look, Styles
from sheets_sync.workbook.xlsx_patch.unpatchable import Unpatchable
from sheets_sync.workbook.xlsx_patch.worksheet import (
    Sheet,
    cell_xml,
    look_elements,
    row_height,
    rows_span,
    sheet_shell,
)
from sheets_sync.workbook.xlsx_patch.xml_spans import START_TAG, element

__all__ = ["Edit", "cell_edits", "edited_sheet"]

_ROW_NUMBER = re.compile(rb'\sr="(\d+)"')
_CELL_COLUMN = re.compile(rb'<c[\s/>][^>]*?\br="([A-Z]{1,3})\d+"')
_STYLE = re.compile(rb'\ss="(\d+)"')
_SPANS = re.compile(rb'\sspans="[^"]*"')
_HEIGHT = re.compile(rb'\s(?:ht|customHeight)="[^"]*"')


@dataclass(frozen=True)
class Edit:
    """What happens to one cell inside a tab: a new value and/or a format set over its own."""

    value: Value = None
    write: bool = True
    """``False``: the cell keeps its value, only its format changes."""
    look: Format = field(default_factory=Format)


def cell_edits(values: Mapping[int, Mapping[int, Value]], look: Look | None) -> dict[int, dict[int, Edit]]:
    """Cells written inside a tab and, with a look, the cells it formats."""
    cells = {number: {col: Edit(value) for col, value in line.items()} for number, line in values.items()}
    formatted: dict[int, dict[int, Edit]] = {}  # rows alike share a line: its edits are made once
    for number, line in (look.cells if look is not None else {}).items():
        if id(line) not in formatted:
            formatted[id(line)] = {
                col: Edit(write=False, look=fmt) for col, fmt in enumerate(line, start=1) if fmt
            }
        row = cells.get(number)
        if row is None:
            cells[number] = dict(formatted[id(line)])
            continue
        for col, edit in formatted[id(line)].items():
            row[col] = dataclasses.replace(row[col], look=edit.look) if col in row else edit
    for number in look.heights if look is not None else ():
        cells.setdefault(number, {})
    return cells


def _column_key(letters: bytes) -> tuple[int, bytes]:
    return len(letters), letters


def _patch_row(
    row: bytes, number: int, edits: Mapping[int, Edit], styles: Styles | None, height: float | None = None
) -> bytes | Unpatchable:
    """A ``<row>`` with ``edits`` (column -> edit) applied, each cell keeping its own format
    but for what the edit sets over it, and ``height`` (points) when given; ``Unpatchable``
    when the row is unusual (a cell found in text, a formula others share overwritten)."""
    tag = START_TAG.match(row)
    if tag is None:
        return Unpatchable(f"row {number} has no start tag the patcher reads")
    head = _SPANS.sub(b"", row[: tag.end()])  # the hint of used columns may grow
    if height is not None:
        head = _HEIGHT.sub(b"", head)
        cut = len(head) - (2 if head.endswith(b"/>") else 1)
        head = head[:cut].rstrip() + row_height(height).encode() + head[cut:]
    empty = head.endswith(b"/>")
    body = b"" if empty else row[tag.end() : -len(b"</row>")]
    for col, edit in edits.items():
        column = column_letter(col)
        letters, ref = column.encode(), f"{column}{number}"
        found = body.find(b' r="%s%d"' % (letters, number))
        if found >= 0:
            start = body.rfind(b"<c", 0, found)
            cell = START_TAG.match(body, start) if start >= 0 else None
            if cell is None or cell.end() <= found:
                return Unpatchable(f"the reference {ref} is found in text, not in a cell's tag")
            stop = body.find(b"<c", cell.end())
            stop = len(body) if stop < 0 else stop
        else:  # a new cell, before the first one to its right
            columns = _CELL_COLUMN.findall(body)
            at = bisect_left(columns, _column_key(letters), key=_column_key)
            right = body.find(b' r="%s%d"' % (columns[at], number)) if at < len(columns) else len(body)
            start = stop = body.rfind(b"<c", 0, right) if at < len(columns) and right >= 0 else right
            if start < 0:
                return Unpatchable(f"no place for the new cell {ref} among the cells of row {number}")
        old = body[start:stop]
        if edit.write and b"<f" in old and b" ref=" in old:
            return Unpatchable(f"cell {ref} is written but anchors a shared or array formula")
        tag_end = old.find(b">") + 1
        style = _STYLE.search(old, 0, tag_end)
        xf = int(style.group(1)) if style else 0
        if edit.look:
            if styles is None:
                return Unpatchable(f"cell {ref} is to be formatted but styles.xml is missing or unusual")
            xf = styles.xf(xf, edit.look)
        if edit.write or not old:
            new = cell_xml(ref, edit.value if edit.write else None, xf).encode()
        elif style:
            new = old[: style.start()] + b' s="%d"' % xf + old[style.end() :]
        else:
            new = b'<c s="%d"' % xf + old[2:]
        body = body[:start] + new + body[stop:]
    return (head[:-2].rstrip() + b">" if empty else head) + body + b"</row>"


def _grown(ref: str, rows: int, cols: int) -> str:
    """A ``dimension`` reference grown to hold ``rows`` x ``cols``."""
    last = ref.rsplit(":", 1)[-1]
    match = re.fullmatch(r"([A-Z]{1,3})(\d+)", last)
    if match is None:
        return ref
    first = ref.split(":")[0] if ":" in ref else "A1"
    width = max(column_number(match.group(1)), cols)
    return f"{first}:{column_letter(width)}{max(int(match.group(2)), rows)}"


def edited_sheet(
    raw: bytes, cells: Mapping[int, Mapping[int, Edit]], look: Look | None, styles: Styles | None
) -> Sheet | Unpatchable:
    """A tab with ``cells`` (row -> column -> edit) changed in place; other rows copied as bytes."""
    parsed, span = sheet_shell(raw), rows_span(raw)
    if parsed is None or span is None:
        return Unpatchable("its worksheet part is not as the patcher reads it")
    shell, root = parsed
    _, inner, close, _ = span
    made = look_elements(look, root, shell, styles)
    dimension = root.find("dimension")
    if dimension and "ref" in dimension[0].attrs:
        cols = max((max(line) for line in cells.values() if line), default=1)
        made["dimension"] = element(
            "dimension", {"ref": _grown(dimension[0].attrs["ref"], max(cells, default=1), cols)}
        )
    heights = look.heights if look is not None else {}
    pieces = [b"<sheetData>"]
    waiting = sorted(cells, reverse=True)
    copied = at = inner
    while (at := raw.find(b"<row", at, close)) >= 0:
        tag = START_TAG.match(raw, at)
        number = _ROW_NUMBER.search(raw, at, tag.end()) if tag is not None else None
        if tag is None or number is None:
            return Unpatchable(f"the row at byte {at} of its worksheet part has no number")
        stop = (
            tag.end()
            if raw[tag.end() - 2 : tag.end()] == b"/>"
            else raw.find(b"</row>", tag.end(), close) + 6
        )
        if stop < tag.end():
            return Unpatchable(f"row {int(number.group(1))} of its worksheet part is not closed")
        row = int(number.group(1))
        if waiting and waiting[-1] <= row:
            pieces.append(raw[copied:at])
            copied = at
            while waiting and waiting[-1] <= row:
                added = waiting.pop()
                patched = _patch_row(
                    raw[at:stop] if added == row else b'<row r="%d"/>' % added,
                    added,
                    cells[added],
                    styles,
                    heights.get(added),
                )
                if isinstance(patched, Unpatchable):
                    return patched
                pieces.append(patched)
                copied = stop if added == row else copied
        at = stop
    pieces.append(raw[copied:close])
    for added in reversed(waiting):
        patched = _patch_row(b'<row r="%d"/>' % added, added, cells[added], styles, heights.get(added))
        if isinstance(patched, Unpatchable):
            return patched
        pieces.append(patched)
    pieces.append(b"</sheetData>")
    return Sheet([b"".join(pieces)], made, shell, root)
