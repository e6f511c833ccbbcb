"""A worksheet part written anew: its rows streamed, its other elements in schema order.

A tab that a batch rewrites whole (or creates) gets a freshly streamed part with inline
strings (``t="inlineStr"``, so sharedStrings is never renumbered). A look becomes a
frozen pane, an autofilter and our data validations; every other element of the old
part is kept as its bytes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from itertools import chain, repeat
from typing import Any

from sheets_sync.workbook.a1 import column_letter
from sheets_sync.workbook.base import Value
from sheets_sync.workbook.xlsx_patch.styles import MARKER, PROTECTION, Look, Styles, Validation, styled_rows
from sheets_sync.workbook.xlsx_patch.xml_spans import MAIN, RELS, START_TAG, Node, element, escape, main_root

__all__ = [
    "PRINT_WIDE",
    "Sheet",
    "cell_xml",
    "look_elements",
    "native",
    "row_height",
    "rows_span",
    "sheet_shell",
    "whole_sheet",
]

_ORDER = [
    "sheetPr",
    "dimension",
    "sheetViews",
    "sheetFormatPr",
    "cols",
    "sheetData",
    "sheetCalcPr",
    "sheetProtection",
    "protectedRanges",
    "scenarios",
    "autoFilter",
    "sortState",
    "dataConsolidate",
    "customSheetViews",
    "mergeCells",
    "phoneticPr",
    "conditionalFormatting",
    "dataValidations",
    "hyperlinks",
    "printOptions",
    "pageMargins",
    "pageSetup",
    "headerFooter",
    "rowBreaks",
    "colBreaks",
    "customProperties",
    "cellWatches",
    "ignoredErrors",
    "smartTags",
    "drawing",
    "legacyDrawing",
    "legacyDrawingHF",
    "drawingHF",
    "picture",
    "oleObjects",
    "controls",
    "webPublishItems",
    "tableParts",
    "extLst",
]
"""Children of a worksheet in the order the schema requires."""
_SHEET_DATA = re.compile(rb"<sheetData[\s/>]")
_ESCAPE_X = re.compile(r"_(x[0-9A-Fa-f]{4}_)")
"""Excel reads ``_x0041_`` in cell text as "A"; its own escape keeps such text literal."""
_CHUNK_ROWS = 2_000
_DECLARATION = b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'


def native(value: Value) -> Any:
    """A value as an .xlsx holds it: dates as ISO text, a Decimal as a float when exact."""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value) if Decimal(repr(float(value))) == value.normalize() or value == 0 else str(value)
    return value


def _cell(column: str, row: str, style: str, value: Value) -> str:
    """``cell_xml`` at ``column`` ``row`` with its format as the attribute (`` s="N"`` or
    nothing); text, the common case, goes straight to its element, escaped only when it
    holds what needs it."""
    if value.__class__ is not str:
        if value is None:
            return f'<c r="{column}{row}"{style}/>' if style else ""
        value = native(value)
        if isinstance(value, bool):
            return f'<c r="{column}{row}"{style} t="b"><v>{int(value)}</v></c>'
        if isinstance(value, int | float):
            return f'<c r="{column}{row}"{style}><v>{value!r}</v></c>'
        value = str(value)
    if not value:
        return f'<c r="{column}{row}"{style}/>' if style else ""
    if "&" in value or "<" in value or ">" in value or "\r" in value or "_x" in value:
        value = escape(_ESCAPE_X.sub(r"_x005F_\1", value) if "_x" in value else value)
    return f'<c r="{column}{row}"{style} t="inlineStr"><is><t xml:space="preserve">{value}</t></is></c>'


def cell_xml(ref: str, value: Value, xf: int) -> str:
    """A ``<c>`` holding ``value`` in format ``xf``; nothing for an empty unformatted cell."""
    return _cell(ref, "", f' s="{xf}"' if xf else "", value)


def row_height(points: float | None) -> str:
    """A ``<row>``'s height attributes (none for the default height)."""
    return f' ht="{points:g}" customHeight="1"' if points else ""


def _sheet_data(
    values: Sequence[Sequence[Value]], styled: Mapping[int, list[int]], heights: Mapping[int, float]
) -> Iterator[bytes]:
    """``<sheetData>`` in chunks of rows; empty cells only where they are formatted.

    Cells are made by ``map`` over each row with every format's attribute made once per
    distinct line of formats: a DIFF tab of 2,500 changes is 30,000 cells."""
    last = max([len(values), *styled])
    width = max([0, *(len(r) for r in values), *(len(x) for x in styled.values())])
    letters = [column_letter(c) for c in range(1, width + 1)]
    plain = [""] * width
    attributes: dict[int, list[str]] = {}
    for line in styled.values():
        if id(line) not in attributes:
            attributes[id(line)] = [f' s="{xf}"' if xf else "" for xf in line] + plain[len(line) :]
    chunk = ["<sheetData>"]
    for number in range(1, last + 1):
        row = values[number - 1] if number <= len(values) else ()
        xfs = styled.get(number)
        count = max(len(row), len(xfs) if xfs is not None else 0)
        formats = plain if xfs is None else attributes[id(xfs)]
        cells = "".join(map(_cell, letters[:count], repeat(str(number)), formats, chain(row, repeat(None))))
        if cells:
            chunk.append(f'<row r="{number}"{row_height(heights.get(number))}>{cells}</row>')
        if len(chunk) >= _CHUNK_ROWS:
            yield "".join(chunk).encode()
            chunk = []
    chunk.append("</sheetData>")
    yield "".join(chunk).encode()


def _views(old: Node | None, shell: bytes, frozen: int) -> bytes:
    """``<sheetViews>`` with the first view's pane frozen through ``frozen`` rows (kept attributes)."""
    pane = (
        f'<pane ySplit="{frozen}" topLeftCell="A{frozen + 1}" activePane="bottomLeft" state="frozen"/>'
        f'<selection pane="bottomLeft" activeCell="A{frozen + 1}" sqref="A{frozen + 1}"/>'
        if frozen
        else ""
    ).encode()
    views = old.find("sheetView") if old is not None else []
    first = element("sheetView", views[0].attrs if views else {"workbookViewId": "0"}, pane)
    rest = b"".join(shell[v.start : v.end] for v in views[1:])
    return b"<sheetViews>" + first + rest + b"</sheetViews>"


def _rule(area: str, rule: Validation) -> bytes:
    """One ``<dataValidation>`` of ours: a list, or a custom rule whose warning may be overruled."""
    attrs = {"type": "list", "allowBlank": "1", "showErrorMessage": "0"}
    if rule.warning is not None:
        attrs = {"type": "custom", "errorStyle": "warning", "allowBlank": "1", "showErrorMessage": "1"}
        attrs["error"] = rule.warning
    attrs |= {"errorTitle": MARKER, "sqref": area}
    return element("dataValidation", attrs, b"<formula1>" + escape(rule.formula).encode() + b"</formula1>")


def _validations(old: Node | None, shell: bytes, wanted: Mapping[str, Validation]) -> bytes:
    """``<dataValidations>``: the user's rules kept, ours for the same ranges replaced."""
    kept = [
        shell[v.start : v.end]
        for v in (old.children if old is not None else [])
        if not (v.attrs.get("errorTitle") == MARKER and v.attrs.get("sqref") in wanted)
    ]
    ours = [_rule(area, rule) for area, rule in wanted.items()]
    entries = kept + ours
    return element("dataValidations", {"count": str(len(entries))}, b"".join(entries)) if entries else b""


def _cols(look: Look, styles: Styles | None) -> bytes:
    """``<cols>`` of a fitted look: widths, and the formats of empty cells."""
    entries = []
    for column in look.columns:
        attrs = {"min": str(column.first), "max": str(column.last)}
        if column.width is not None:
            attrs |= {"width": f"{column.width:g}", "customWidth": "1"}
        if column.format and styles is not None:
            attrs["style"] = str(styles.xf(0, column.format))
        entries.append(element("col", attrs))
    return element("cols", {}, b"".join(entries)) if entries else b""


PRINT_WIDE = {"orientation": "landscape", "fitToWidth": "1", "fitToHeight": "0"}
"""A fitted tab's ``<pageSetup>``: landscape, every column on one page wide, as long as it takes."""


def _sheet_pr(old: Node | None, shell: bytes) -> bytes:
    """``<sheetPr>`` with ``fitToPage`` set (what makes Excel honour ``fitToWidth``), the rest kept."""
    kept = [
        shell[c.start : c.end] for c in (old.children if old is not None else []) if c.name != "pageSetUpPr"
    ]
    fitted = [c.attrs for c in (old.children if old is not None else []) if c.name == "pageSetUpPr"]
    setup = element("pageSetUpPr", {**(fitted[0] if fitted else {}), "fitToPage": "1"})
    return element("sheetPr", old.attrs if old is not None else {}, b"".join(kept) + setup)


def look_elements(
    look: Look | None, root: Node | None, shell: bytes, styles: Styles | None = None
) -> dict[str, bytes]:
    """The worksheet elements a look replaces: pane, our validations, filter, and on a fitted
    tab its columns; a locked tab's protection (a tab no longer locked keeps the one it has)."""
    if look is None:
        return {}
    old = {c.name: c for c in root.children} if root is not None else {}
    made = {
        "sheetViews": _views(old.get("sheetViews"), shell, look.frozen),
        "dataValidations": _validations(old.get("dataValidations"), shell, look.validations),
    }
    if look.filter_ref:
        made["autoFilter"] = element("autoFilter", {"ref": look.filter_ref})
    if look.columns:
        made["cols"] = _cols(look, styles)
    if look.protect:
        made["sheetProtection"] = element("sheetProtection", PROTECTION)
    if look.print_wide:
        made["sheetPr"] = _sheet_pr(old.get("sheetPr"), shell)
        made["pageSetup"] = element("pageSetup", PRINT_WIDE)
    return made


@dataclass
class Sheet:
    """A worksheet part to write: its ``<sheetData>``, the elements made anew, the old part's others."""

    rows: Iterable[bytes]
    made: Mapping[str, bytes]
    """Element name -> its new bytes (empty: dropped)."""
    shell: bytes = b""
    root: Node | None = None

    def pieces(self) -> Iterator[bytes]:
        """The worksheet XML in schema order: old elements kept as bytes unless made anew."""
        old = {c.name: c for c in self.root.children} if self.root is not None else {}
        if self.root is None:
            yield _DECLARATION + f'<worksheet xmlns="{MAIN}" xmlns:r="{RELS}">'.encode()
        else:
            yield self.shell[: self.root.inner]
        for name in _ORDER:
            if name == "sheetData":
                yield from self.rows
            elif name in self.made:
                yield self.made[name]
            elif name in old:
                yield self.shell[old[name].start : old[name].end]
        yield b"</worksheet>"


def whole_sheet(
    values: list[list[Value]],
    look: Look | None,
    styles: Styles | None,
    shell: bytes = b"",
    root: Node | None = None,
) -> Sheet:
    """A tab rewritten whole (or new): rows streamed, hyperlinks of the old cells dropped."""
    width, height = max((len(r) for r in values), default=0), len(values)
    ref = f"A1:{column_letter(width)}{height}" if width and height else "A1"
    made = {"dimension": element("dimension", {"ref": ref}), "hyperlinks": b""}
    styled = styled_rows(look, styles) if look is not None and styles is not None else {}
    heights = look.heights if look is not None else {}
    made |= look_elements(look, root, shell, styles)
    return Sheet(_sheet_data(values, styled, heights), made, shell, root)


def rows_span(raw: bytes) -> tuple[int, int, int, int] | None:
    """``<sheetData>`` in a worksheet part: its start, content start, end tag start, end."""
    found = _SHEET_DATA.search(raw)
    tag = START_TAG.match(raw, found.start()) if found is not None else None
    if found is None or tag is None:
        return None
    inner = tag.end()
    if raw[inner - 2 : inner] == b"/>":
        return found.start(), inner, inner, inner
    close = raw.find(b"</sheetData>", inner)
    return (found.start(), inner, close, close + len(b"</sheetData>")) if close >= 0 else None


def sheet_shell(raw: bytes) -> tuple[bytes, Node] | None:
    """A worksheet part without its rows (``<sheetData/>``), parsed; ``None`` when unusual."""
    span = rows_span(raw)
    if span is None:
        return None
    shell = raw[: span[0]] + b"<sheetData/>" + raw[span[3] :]
    root = main_root(shell, "worksheet", 2)
    if root is None or any(c.name not in _ORDER for c in root.children):
        return None
    names = [c.name for c in root.children]
    if len(set(names)) != len(names) or "sheetData" not in names:
        return None
    return shell, root
