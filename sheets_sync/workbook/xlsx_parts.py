"""Writes to an .xlsx by patching the zip parts they change; every other part is copied as is.

openpyxl loads and saves the whole workbook to change one tab: ~14 s and over 1 GB when
``pull`` rewrites a small ISSUES tab beside a 100k-row master. Here a tab that a batch
rewrites whole (or creates) gets a freshly streamed worksheet part with inline strings
(``t="inlineStr"``, so sharedStrings is never renumbered). Cells written inside an
existing tab (``Append``, ``CellUpdate``) are spliced into their rows, each keeping its
format; the other rows are copied as bytes. A ``Style`` becomes a frozen pane, an
autofilter, our data validations and cell formats derived from each cell's own (bold,
filled), appended to styles.xml: existing formats keep their numbers and identical ones
are reused, so a re-run adds nothing. New tabs are registered in workbook.xml, its rels
and [Content_Types].xml. Every other zip member (other tabs, sharedStrings, drawings, a
.xlsm's VBA) is copied compressed, byte for byte; a stale calcChain is dropped (Excel
rebuilds it). ``patch_plan`` answers ``None`` for what it does not take (a new file, a
new tab named like another in all but case, two Styles for one tab, an unusual package, a shared
formula's anchor overwritten); the caller then uses openpyxl.
"""

from __future__ import annotations

import copy
import dataclasses
import posixpath
import re
import time
from bisect import bisect_left
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import IO, Any
from xml.parsers import expat
from zipfile import ZIP64_LIMIT, ZIP_DEFLATED, BadZipFile, ZipFile, ZipInfo

from openpyxl.utils import column_index_from_string, get_column_letter

from canonical.errors import WorkbookError
from sheets_sync.workbook.base import Rows, Style, Value, WriteBatch, column_index

__all__ = ["MARKER", "Look", "PatchPlan", "native", "patch_plan", "tab_look", "write_patch"]

MARKER = "matsync"
"""Set as the error title of our data validations, so a repair replaces them."""
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PACKAGE_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
WORKSHEET_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
LAST_ROW = 1_048_576
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
_TAG = re.compile(rb"<[^\s/>]+(?:\s+[^\s=/>]+\s*=\s*(?:\"[^\"]*\"|'[^']*'))*\s*/?>")
_SHEET_DATA = re.compile(rb"<sheetData[\s/>]")
_ROW_NUMBER = re.compile(rb'\sr="(\d+)"')
_CELL_COLUMN = re.compile(rb'<c[\s/>][^>]*?\br="([A-Z]{1,3})\d+"')
_STYLE = re.compile(rb'\ss="(\d+)"')
_BOLD = re.compile(rb"<b(?:\s[^>]*)?(?:/>|>\s*</b>)")
_SPANS = re.compile(rb'\sspans="[^"]*"')
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


# -- the look of a tab, shared with the openpyxl writer -------------------------------------


@dataclass(frozen=True)
class Look:
    """A ``Style`` resolved against the tab's rows: cells, ranges and colours to apply."""

    frozen: int
    header_row: int
    bold_columns: int
    validations: Mapping[str, str]
    """Range (``B2:B1048576``) -> list formula, for our list validations."""
    filter_ref: str | None
    fill_width: int
    fills: Mapping[int, str]
    """Sheet row -> ARGB colour (``FFF4CCCC``)."""


def tab_look(style: Style, known: Mapping[str, Rows]) -> Look:
    """Resolve columns named by header text; ``WorkbookError`` for a missing one."""
    top = style.header_row
    rows = known.get(style.tab, [])
    header = rows[top - 1] if len(rows) >= top else []

    def letter(title: str) -> str:
        index = column_index(header, title)
        if index is None:
            raise WorkbookError(f"tab {style.tab} has no column {title!r} to format")
        return get_column_letter(index + 1)

    wanted: list[tuple[str, str]] = [(letter(t), '"TRUE,FALSE"') for t in style.checkboxes]
    for title, dropdown in style.dropdowns.items():
        if dropdown.source is not None:
            source_tab, source_col = dropdown.source
            source_rows = known.get(source_tab) or [[]]
            src = get_column_letter((column_index(source_rows[0], source_col) or 0) + 1)
            quoted = "'" + source_tab.replace("'", "''") + "'"
            wanted.append((letter(title), f"{quoted}!${src}$2:${src}${LAST_ROW}"))
        elif dropdown.values and len(",".join(dropdown.values)) < 250:
            listed = ",".join(v.replace('"', "") for v in dropdown.values)
            wanted.append((letter(title), f'"{listed}"'))
    return Look(
        frozen=top if style.frozen_rows is None else style.frozen_rows,
        header_row=top,
        bold_columns=len(header) if style.bold_header else 0,
        validations={f"{col}{top + 1}:{col}{LAST_ROW}": formula for col, formula in wanted},
        filter_ref=(
            f"A{top}:{get_column_letter(len(header))}{max(len(rows), top)}"
            if style.filter and header
            else None
        ),
        fill_width=max((len(r) for r in rows), default=0),
        fills={row: "FF" + colour.lstrip("#").upper() for row, colour in style.row_colors.items()},
    )


# -- reading XML parts as byte spans ----------------------------------------------------------


@dataclass
class _Node:
    """An element of a part with its byte offsets, so untouched bytes are kept exactly."""

    name: str
    attrs: dict[str, str]
    start: int
    inner: int
    """Just past the start tag."""
    empty: bool
    close: int = 0
    """Where the end tag starts (``inner`` for an empty element)."""
    end: int = 0
    children: list[_Node] = field(default_factory=list)

    def find(self, name: str) -> list[_Node]:
        return [c for c in self.children if c.name == name]


def _tree(raw: bytes, depth: int) -> _Node | None:
    """The elements down to ``depth`` below the root, or ``None`` when the part is not plain XML."""
    if b"<!DOCTYPE" in raw[:1024] or not raw.lstrip(b"\xef\xbb\xbf \r\n\t").startswith(b"<"):
        return None
    parser = expat.ParserCreate()
    stack: list[_Node] = []
    roots: list[_Node] = []
    level = 0

    def start(name: str, attrs: dict[str, str]) -> None:
        nonlocal level
        if level <= depth:
            at = parser.CurrentByteIndex
            tag = _TAG.match(raw, at)
            if tag is None:
                raise ValueError(f"no start tag at byte {at}")
            node = _Node(name, attrs, at, tag.end(), raw[tag.end() - 2 : tag.end()] == b"/>")
            (stack[-1].children if stack else roots).append(node)
            stack.append(node)
        level += 1

    def end(_name: str) -> None:
        nonlocal level
        level -= 1
        if level <= depth:
            node = stack.pop()
            if node.empty:
                node.close = node.end = node.inner
            else:
                node.close = parser.CurrentByteIndex
                node.end = raw.index(b">", node.close) + 1

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    try:
        parser.Parse(raw, True)
    except (expat.ExpatError, ValueError):
        return None
    return roots[0] if len(roots) == 1 else None


def _escape(text: str) -> str:
    """Element text; a carriage return as a reference, or a parser would read it as a line feed."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;")


def _attr(text: str) -> str:
    return _escape(text).replace('"', "&quot;").replace("\n", "&#10;").replace("\t", "&#9;")


def _element(name: str, attrs: Mapping[str, str], inner: bytes | None = None) -> bytes:
    head = "<" + name + "".join(f' {k}="{_attr(v)}"' for k, v in attrs.items())
    if inner is None:
        return (head + "/>").encode()
    return (head + ">").encode() + inner + f"</{name}>".encode()


def _splice(raw: bytes, edits: list[tuple[int, int, bytes]]) -> bytes:
    """``raw`` with each (start, stop) span replaced; spans do not overlap."""
    out, at = [], 0
    for start, stop, text in sorted(edits, key=lambda e: (e[0], e[1])):
        out += [raw[at:start], text]
        at = stop
    return b"".join([*out, raw[at:]])


def _main_root(raw: bytes, name: str, depth: int) -> _Node | None:
    """The root of a SpreadsheetML part when it is ``name`` in the default namespace."""
    root = _tree(raw, depth)
    return root if root is not None and root.name == name and root.attrs.get("xmlns") == MAIN else None


def _rels_path(part: str) -> str:
    folder, name = posixpath.split(part)
    return posixpath.join(folder, "_rels", name + ".rels")


def _target(part: str, target: str) -> str:
    if target.startswith("/"):
        return target.lstrip("/")
    return posixpath.normpath(posixpath.join(posixpath.dirname(part), target))


# -- styles.xml: the formats a look needs, appended --------------------------------------------


class _Styles:
    """styles.xml with cell formats appended on demand; existing numbers never change."""

    def __init__(self, raw: bytes, root: _Node) -> None:
        self.raw = raw
        self.sections = {name: root.find(name)[0] for name in ("fonts", "fills", "cellXfs")}
        self.added: dict[str, list[bytes]] = {name: [] for name in self.sections}
        self.cache: dict[tuple[int, bool, str | None], int] = {}

    @classmethod
    def parse(cls, raw: bytes) -> _Styles | None:
        root = _main_root(raw, "styleSheet", 2)
        if root is None or any(
            len(root.find(n)) != 1 or not root.find(n)[0].children for n in ("fonts", "fills", "cellXfs")
        ):
            return None
        return cls(raw, root)

    def _index(self, section: str, entry: bytes) -> int:
        node = self.sections[section]
        existing = [self.raw[c.start : c.end] for c in node.children] + self.added[section]
        if entry in existing:
            return existing.index(entry)
        self.added[section].append(entry)
        return len(existing)

    def xf(self, base: int, bold: bool, fill: str | None) -> int:
        """The cellXfs number of format ``base`` made bold and/or filled (IndexError when absent)."""
        key = (base, bold, fill)
        if key not in self.cache:
            node = self.sections["cellXfs"].children[base]
            attrs = dict(node.attrs)
            if bold:
                attrs["fontId"] = str(self._index("fonts", self._bold_font(int(attrs.get("fontId", "0")))))
                attrs["applyFont"] = "1"
            if fill is not None:
                solid = (
                    '<fill><patternFill patternType="solid">'
                    f'<fgColor rgb="{_attr(fill)}"/><bgColor indexed="64"/></patternFill></fill>'
                )
                attrs["fillId"] = str(self._index("fills", solid.encode()))
                attrs["applyFill"] = "1"
            inner = None if node.empty else self.raw[node.inner : node.close]
            self.cache[key] = self._index("cellXfs", _element(node.name, attrs, inner))
        return self.cache[key]

    def _bold_font(self, index: int) -> bytes:
        """Font ``index`` with ``<b val="1"/>`` as its first child (any other ``<b>`` removed)."""
        font = self.sections["fonts"].children[index]
        raw = _BOLD.sub(b"", self.raw[font.start : font.end])
        if raw.endswith(b"/>"):
            return raw[:-2].rstrip() + b'><b val="1"/></font>'
        head = raw.index(b">") + 1
        return raw[:head] + b'<b val="1"/>' + raw[head:]

    def patched(self) -> bytes | None:
        """The new styles.xml, or ``None`` when nothing was added."""
        edits = []
        for name, entries in self.added.items():
            if entries:
                node = self.sections[name]
                attrs = {**node.attrs, "count": str(len(node.children) + len(entries))}
                start_tag = _element(node.name, attrs)[:-2] + b">"
                edits += [(node.start, node.inner, start_tag), (node.close, node.close, b"".join(entries))]
        return _splice(self.raw, edits) if edits else None


# -- a worksheet part ---------------------------------------------------------------------------


def _cell(ref: str, value: Value, xf: int) -> str:
    style = f' s="{xf}"' if xf else ""
    value = native(value)
    if value is None or value == "":
        return f'<c r="{ref}"{style}/>' if xf else ""
    if isinstance(value, bool):
        return f'<c r="{ref}"{style} t="b"><v>{int(value)}</v></c>'
    if isinstance(value, int | float):
        return f'<c r="{ref}"{style}><v>{value!r}</v></c>'
    text = str(value)
    text = _escape(_ESCAPE_X.sub(r"_x005F_\1", text) if "_x" in text else text)
    return f'<c r="{ref}"{style} t="inlineStr"><is><t xml:space="preserve">{text}</t></is></c>'


def _row_formats(look: Look) -> dict[int, list[tuple[bool, str | None]]]:
    """Sheet row -> (bold, fill) of each cell from column A: the header and the coloured rows."""
    kinds: dict[tuple[int, str | None], list[tuple[bool, str | None]]] = {}  # rows alike share a list
    formats = {}
    for number in sorted({*look.fills, look.header_row}):
        kind = (look.bold_columns if number == look.header_row else 0, look.fills.get(number))
        if kind not in kinds:
            bold, fill = kind
            span = max(bold, look.fill_width if fill else 0)
            kinds[kind] = [(c < bold, fill if c < look.fill_width else None) for c in range(span)]
        if kinds[kind]:
            formats[number] = kinds[kind]
    return formats


def _styled_rows(look: Look, styles: _Styles) -> dict[int, list[int]]:
    """Sheet row -> cellXfs number of each new cell from column A (see ``_row_formats``)."""
    numbers: dict[int, list[int]] = {}
    styled = {}
    for row, line in _row_formats(look).items():
        if id(line) not in numbers:
            numbers[id(line)] = [styles.xf(0, bold, fill) for bold, fill in line]
        styled[row] = numbers[id(line)]
    return styled


def _sheet_data(values: Sequence[Sequence[Value]], styled: Mapping[int, list[int]]) -> Iterator[bytes]:
    """``<sheetData>`` in chunks of rows; empty cells only where they are formatted."""
    last = max([len(values), *styled])
    width = max([0, *(len(r) for r in values), *(len(x) for x in styled.values())])
    letters = [get_column_letter(c) for c in range(1, width + 1)]
    plain = [0] * width
    chunk = ["<sheetData>"]
    for number in range(1, last + 1):
        row = values[number - 1] if number <= len(values) else ()
        xfs = styled.get(number, plain)
        cells = "".join(
            _cell(f"{letters[c]}{number}", row[c] if c < len(row) else None, xfs[c] if c < len(xfs) else 0)
            for c in range(max(len(row), len(xfs)))
        )
        if cells:
            chunk.append(f'<row r="{number}">{cells}</row>')
        if len(chunk) >= _CHUNK_ROWS:
            yield "".join(chunk).encode()
            chunk = []
    chunk.append("</sheetData>")
    yield "".join(chunk).encode()


def _views(old: _Node | None, shell: bytes, frozen: int) -> bytes:
    """``<sheetViews>`` with the first view's pane frozen through ``frozen`` rows (kept attributes)."""
    pane = (
        f'<pane ySplit="{frozen}" topLeftCell="A{frozen + 1}" activePane="bottomLeft" state="frozen"/>'
        f'<selection pane="bottomLeft" activeCell="A{frozen + 1}" sqref="A{frozen + 1}"/>'
        if frozen
        else ""
    ).encode()
    views = old.find("sheetView") if old is not None else []
    first = _element("sheetView", views[0].attrs if views else {"workbookViewId": "0"}, pane)
    rest = b"".join(shell[v.start : v.end] for v in views[1:])
    return b"<sheetViews>" + first + rest + b"</sheetViews>"


def _validations(old: _Node | None, shell: bytes, wanted: Mapping[str, str]) -> bytes:
    """``<dataValidations>``: the user's rules kept, ours for the same ranges replaced."""
    kept = [
        shell[v.start : v.end]
        for v in (old.children if old is not None else [])
        if not (v.attrs.get("errorTitle") == MARKER and v.attrs.get("sqref") in wanted)
    ]
    ours = [
        _element(
            "dataValidation",
            {"type": "list", "allowBlank": "1", "showErrorMessage": "0", "errorTitle": MARKER, "sqref": area},
            b"<formula1>" + _escape(formula).encode() + b"</formula1>",
        )
        for area, formula in wanted.items()
    ]
    entries = kept + ours
    return _element("dataValidations", {"count": str(len(entries))}, b"".join(entries)) if entries else b""


def _look_elements(look: Look | None, root: _Node | None, shell: bytes) -> dict[str, bytes]:
    """The worksheet elements a look replaces: pane, our validations, filter."""
    if look is None:
        return {}
    old = {c.name: c for c in root.children} if root is not None else {}
    made = {
        "sheetViews": _views(old.get("sheetViews"), shell, look.frozen),
        "dataValidations": _validations(old.get("dataValidations"), shell, look.validations),
    }
    if look.filter_ref:
        made["autoFilter"] = _element("autoFilter", {"ref": look.filter_ref})
    return made


@dataclass
class _Sheet:
    """A worksheet part to write: its ``<sheetData>``, the elements made anew, the old part's others."""

    rows: Iterable[bytes]
    made: Mapping[str, bytes]
    """Element name -> its new bytes (empty: dropped)."""
    shell: bytes = b""
    root: _Node | None = None

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


def _whole(
    values: list[list[Value]],
    look: Look | None,
    styles: _Styles | None,
    shell: bytes = b"",
    root: _Node | None = None,
) -> _Sheet:
    """A tab rewritten whole (or new): rows streamed, hyperlinks of the old cells dropped."""
    width, height = max((len(r) for r in values), default=0), len(values)
    ref = f"A1:{get_column_letter(width)}{height}" if width and height else "A1"
    made = {"dimension": _element("dimension", {"ref": ref}), "hyperlinks": b""}
    styled = _styled_rows(look, styles) if look is not None and styles is not None else {}
    return _Sheet(_sheet_data(values, styled), {**made, **_look_elements(look, root, shell)}, shell, root)


def _rows_span(raw: bytes) -> tuple[int, int, int, int] | None:
    """``<sheetData>`` in a worksheet part: its start, content start, end tag start, end."""
    found = _SHEET_DATA.search(raw)
    tag = _TAG.match(raw, found.start()) if found is not None else None
    if found is None or tag is None:
        return None
    inner = tag.end()
    if raw[inner - 2 : inner] == b"/>":
        return found.start(), inner, inner, inner
    close = raw.find(b"</sheetData>", inner)
    return (found.start(), inner, close, close + len(b"</sheetData>")) if close >= 0 else None


def _shell(raw: bytes) -> tuple[bytes, _Node] | None:
    """A worksheet part without its rows (``<sheetData/>``), parsed; ``None`` when unusual."""
    span = _rows_span(raw)
    if span is None:
        return None
    shell = raw[: span[0]] + b"<sheetData/>" + raw[span[3] :]
    root = _main_root(shell, "worksheet", 2)
    if root is None or any(c.name not in _ORDER for c in root.children):
        return None
    names = [c.name for c in root.children]
    if len(set(names)) != len(names) or "sheetData" not in names:
        return None
    return shell, root


# -- cells edited inside a tab ------------------------------------------------------------------


def _column_key(letters: bytes) -> tuple[int, bytes]:
    return len(letters), letters


@dataclass(frozen=True)
class _Edit:
    """What happens to one cell inside a tab: a new value and/or a format made bold or filled."""

    value: Value = None
    write: bool = True
    """``False``: the cell keeps its value, only its format changes."""
    bold: bool = False
    fill: str | None = None


def _patch_row(row: bytes, number: int, edits: Mapping[int, _Edit], styles: _Styles | None) -> bytes | None:
    """A ``<row>`` with ``edits`` (column -> edit) applied, each cell keeping its own format
    unless made bold or filled; ``None`` when the row is unusual (a cell found in text, a
    formula others share overwritten).

    Cells are found by their reference with C-level searches, not parsed one by one: a
    push writes two cells in each of 100k rows of 28."""
    tag = _TAG.match(row)
    if tag is None:
        return None
    head = _SPANS.sub(b"", row[: tag.end()])  # the hint of used columns may grow
    empty = head.endswith(b"/>")
    body = b"" if empty else row[tag.end() : -len(b"</row>")]
    for col, edit in edits.items():
        letters = get_column_letter(col).encode()
        found = body.find(b' r="%s%d"' % (letters, number))
        if found >= 0:
            start = body.rfind(b"<c", 0, found)
            cell = _TAG.match(body, start) if start >= 0 else None
            if cell is None or cell.end() <= found:
                return None
            stop = body.find(b"<c", cell.end())
            stop = len(body) if stop < 0 else stop
        else:  # a new cell, before the first one to its right
            columns = _CELL_COLUMN.findall(body)
            at = bisect_left(columns, _column_key(letters), key=_column_key)
            right = body.find(b' r="%s%d"' % (columns[at], number)) if at < len(columns) else len(body)
            start = stop = body.rfind(b"<c", 0, right) if at < len(columns) and right >= 0 else right
            if start < 0:
                return None
        old = body[start:stop]
        if edit.write and b"<f" in old and b" ref=" in old:  # the anchor of a shared or array formula
            return None
        tag_end = old.find(b">") + 1
        style = _STYLE.search(old, 0, tag_end)
        xf = int(style.group(1)) if style else 0
        if edit.bold or edit.fill:
            if styles is None:
                return None
            xf = styles.xf(xf, edit.bold, edit.fill)
        if edit.write or not old:
            new = _cell(f"{letters.decode()}{number}", edit.value if edit.write else None, xf).encode()
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
    width = max(column_index_from_string(match.group(1)), cols)
    return f"{first}:{get_column_letter(width)}{max(int(match.group(2)), rows)}"


def _edited(
    raw: bytes, cells: Mapping[int, Mapping[int, _Edit]], look: Look | None, styles: _Styles | None
) -> _Sheet | None:
    """A tab with ``cells`` (row -> column -> edit) changed in place; other rows copied as bytes."""
    parsed, span = _shell(raw), _rows_span(raw)
    if parsed is None or span is None:
        return None
    shell, root = parsed
    _, inner, close, _ = span
    made = _look_elements(look, root, shell)
    dimension = root.find("dimension")
    if dimension and "ref" in dimension[0].attrs:
        cols = max((max(line) for line in cells.values() if line), default=1)
        made["dimension"] = _element(
            "dimension", {"ref": _grown(dimension[0].attrs["ref"], max(cells, default=1), cols)}
        )
    pieces = [b"<sheetData>"]
    waiting = sorted(cells, reverse=True)
    copied = at = inner
    while (at := raw.find(b"<row", at, close)) >= 0:
        tag = _TAG.match(raw, at)
        number = _ROW_NUMBER.search(raw, at, tag.end()) if tag is not None else None
        if tag is None or number is None:
            return None
        stop = (
            tag.end()
            if raw[tag.end() - 2 : tag.end()] == b"/>"
            else raw.find(b"</row>", tag.end(), close) + 6
        )
        if stop < tag.end():
            return None
        row = int(number.group(1))
        if waiting and waiting[-1] <= row:
            pieces.append(raw[copied:at])
            copied = at
            while waiting and waiting[-1] <= row:
                added = waiting.pop()
                patched = _patch_row(
                    raw[at:stop] if added == row else b'<row r="%d"/>' % added, added, cells[added], styles
                )
                if patched is None:
                    return None
                pieces.append(patched)
                copied = stop if added == row else copied
        at = stop
    pieces.append(raw[copied:close])
    for added in reversed(waiting):
        patched = _patch_row(b'<row r="%d"/>' % added, added, cells[added], styles)
        if patched is None:
            return None
        pieces.append(patched)
    pieces.append(b"</sheetData>")
    return _Sheet([b"".join(pieces)], made, shell, root)


def _grid(cells: Mapping[int, Mapping[int, Value]]) -> list[list[Value]]:
    """Cells (row -> column -> value) of a new tab as rows from A1."""
    grid: list[list[Value]] = [[] for _ in range(max(cells, default=0))]
    for number, line in cells.items():
        row = grid[number - 1]
        for col, value in line.items():
            row.extend([None] * (col - len(row)))
            row[col - 1] = value
    return grid


def _edits(values: Mapping[int, Mapping[int, Value]], look: Look | None) -> dict[int, dict[int, _Edit]]:
    """Cells written inside a tab and, with a look, the header and coloured rows reformatted."""
    cells = {number: {col: _Edit(value) for col, value in line.items()} for number, line in values.items()}
    for number, line in (_row_formats(look) if look is not None else {}).items():
        row = cells.setdefault(number, {})
        for col, (bold, fill) in enumerate(line, start=1):
            row[col] = dataclasses.replace(row.get(col, _Edit(write=False)), bold=bold, fill=fill)
    return cells


# -- the package ----------------------------------------------------------------------------


def _relationships(raw: bytes) -> _Node | None:
    root = _tree(raw, 1)
    ok = root is not None and root.name == "Relationships" and root.attrs.get("xmlns") == PACKAGE_RELS
    return root if ok and root is not None and not root.empty else None


@dataclass
class _Package:
    """The parts that list the tabs (workbook.xml, its rels, [Content_Types].xml) and edits to them."""

    book: ZipFile
    workbook_part: str
    raw: dict[str, bytes]
    """workbook.xml, its rels and [Content_Types].xml by part name."""
    sheets: _Node
    rels: _Node
    types: _Node
    rel_attr: str
    edits: dict[str, list[tuple[int, int, bytes]]] = field(default_factory=dict)
    defined: list[_Node] = field(default_factory=list)
    """workbook.xml's defined names."""
    added: list[str] = field(default_factory=list)
    """Relationship ids of the tabs added."""

    @classmethod
    def read(cls, book: ZipFile) -> _Package | None:
        package = _relationships(book.read("_rels/.rels"))
        office = [
            r.attrs["Target"]
            for r in (package.children if package else [])
            if r.attrs.get("Type") == RELS + "/officeDocument" and "Target" in r.attrs
        ]
        if len(office) != 1:
            return None
        workbook_part = _target("", office[0])
        names = (workbook_part, _rels_path(workbook_part), "[Content_Types].xml")
        raw = {name: book.read(name) for name in names}
        workbook, rels, types = (
            _main_root(raw[names[0]], "workbook", 2),
            _relationships(raw[names[1]]),
            _tree(raw[names[2]], 1),
        )
        if workbook is None or rels is None or types is None or types.name != "Types" or types.empty:
            return None
        sheets = workbook.find("sheets")
        prefix = next((k[6:] for k, v in workbook.attrs.items() if k.startswith("xmlns:") and v == RELS), "r")
        if len(sheets) != 1 or sheets[0].empty:
            return None
        defined = [d for node in workbook.find("definedNames") for d in node.children]
        return cls(
            book, workbook_part, raw, sheets[0], rels, types, prefix + ":id", {n: [] for n in names}, defined
        )

    @property
    def names(self) -> list[str]:
        return list(self.raw)

    def target(self, rel: Mapping[str, str]) -> str:
        return _target(self.workbook_part, rel.get("Target", ""))

    def tabs(self) -> dict[str, Mapping[str, str]]:
        """Tab name -> its relationship (empty when dangling)."""
        by_id = {r.attrs.get("Id"): r.attrs for r in self.rels.children}
        return {
            s.attrs.get("name", ""): by_id.get(s.attrs.get(self.rel_attr), {}) for s in self.sheets.children
        }

    def of_type(self, kind: str) -> list[_Node]:
        return [r for r in self.rels.children if r.attrs.get("Type") == RELS + "/" + kind]

    def add_tab(self, tab: str, part: str) -> None:
        """Register a new worksheet part as the last tab."""
        workbook, rels, types = self.names
        taken = {r.attrs.get("Id") for r in self.rels.children} | set(self.added)
        rel_id = next(f"rId{n}" for n in range(1, len(taken) + 2) if f"rId{n}" not in taken)
        ids = [int(s.attrs["sheetId"]) for s in self.sheets.children if s.attrs.get("sheetId", "").isdigit()]
        sheet_id = max([*ids, 0]) + len(self.added) + 1
        self.added.append(rel_id)
        at = (self.sheets.close, self.sheets.close)
        self.edits[workbook].append(
            (*at, _element("sheet", {"name": tab, "sheetId": str(sheet_id), "r:id": rel_id, "xmlns:r": RELS}))
        )
        relative = posixpath.relpath(part, posixpath.dirname(self.workbook_part))
        link = {"Id": rel_id, "Type": RELS + "/worksheet", "Target": relative}
        self.edits[rels].append((self.rels.close, self.rels.close, _element("Relationship", link)))
        kind = {"PartName": "/" + part, "ContentType": WORKSHEET_TYPE}
        self.edits[types].append((self.types.close, self.types.close, _element("Override", kind)))

    def refilter(self, tab: str, ref: str) -> None:
        """Point Excel's hidden name for the filtered range of ``tab``, when it has one, at ``ref``."""
        index = str([s.attrs.get("name") for s in self.sheets.children].index(tab))
        quoted = "'" + tab.replace("'", "''") + "'!" + re.sub(r"([A-Z]+)(\d+)", r"$\1$\2", ref)
        self.edits[self.names[0]] += [
            (d.inner, d.close, _escape(quoted).encode())
            for d in self.defined
            if d.attrs.get("name") == "_xlnm._FilterDatabase"
            and d.attrs.get("localSheetId") == index
            and not d.empty
        ]

    def drop(self, rel: _Node) -> str:
        """Unlist the part ``rel`` points to; its name, for the writer to leave out."""
        _, rels, types = self.names
        part = self.target(rel.attrs)
        self.edits[rels].append((rel.start, rel.end, b""))
        self.edits[types] += [
            (t.start, t.end, b"") for t in self.types.children if t.attrs.get("PartName") == "/" + part
        ]
        return part

    def patched(self) -> dict[str, bytes]:
        return {name: _splice(self.raw[name], edits) for name, edits in self.edits.items() if edits}


@dataclass
class PatchPlan:
    """Everything decided before a byte is written: parts written whole, replaced and dropped."""

    source: Path
    sheets: dict[str, _Sheet] = field(default_factory=dict)
    """Part name -> a worksheet written anew (rewritten, new or edited)."""
    replaced: dict[str, bytes] = field(default_factory=dict)
    dropped: set[str] = field(default_factory=set)


def _is_sheet(rel: Mapping[str, str] | None) -> bool:
    return rel is not None and rel.get("Type") == RELS + "/worksheet" and rel.get("TargetMode") != "External"


def patch_plan(path: Path, batch: WriteBatch, known: Mapping[str, Rows]) -> PatchPlan | None:
    """How to apply ``batch`` by patching parts, or ``None`` when it needs openpyxl.

    Patched, in an existing, ordinary .xlsx package: tabs rewritten whole or new
    (``Rewrite``), cells written inside existing tabs (``Append``, ``CellUpdate``), and a
    ``Style`` (at most one per tab) on either.
    """
    whole = set(batch.clear_below)
    styled = [s.tab for s in batch.styles]
    if not path.is_file() or len(set(styled)) != len(styled):
        return None
    values: dict[str, list[list[Value]]] = {}
    edits: dict[str, dict[int, dict[int, Value]]] = {}
    for block in batch.blocks:
        if block.tab in whole:
            if block.tab in values or (block.row, block.col) != (1, 1):
                return None
            values[block.tab] = block.values
            continue
        cells = edits.setdefault(block.tab, {})
        for number, row in enumerate(block.values, start=block.row):
            cells.setdefault(number, {}).update(enumerate(row, start=block.col))
    if not whole.issubset(values):
        return None
    try:
        with ZipFile(path) as book:
            usual = all(
                not i.flag_bits & 0x01 and max(i.file_size, i.compress_size) < ZIP64_LIMIT
                for i in book.infolist()
            )
            package = _Package.read(book) if usual else None
            if package is None:
                return None
            return _plan(PatchPlan(path), package, batch, values, edits, known)
    except (BadZipFile, OSError, KeyError, IndexError, ValueError, UnicodeDecodeError):
        return None


def _plan(
    plan: PatchPlan,
    package: _Package,
    batch: WriteBatch,
    values: Mapping[str, list[list[Value]]],
    edits: Mapping[str, Mapping[int, Mapping[int, Value]]],
    known: Mapping[str, Rows],
) -> PatchPlan | None:
    names = set(package.book.namelist())
    styles_rel = package.of_type("styles")
    styles_part = package.target(styles_rel[0].attrs) if len(styles_rel) == 1 else ""
    styles = _Styles.parse(package.book.read(styles_part)) if styles_part in names else None
    if batch.styles and styles is None:
        return None
    tabs = package.tabs()
    folded = {name.casefold() for name in tabs}
    looks = {s.tab: tab_look(s, known) for s in batch.styles}
    for tab in batch.tabs:
        rel, look = tabs.get(tab), looks.get(tab)
        if rel is None:  # a new tab, under a name no tab has in any case
            if tab.casefold() in folded:
                return None
            part = next(
                p for n in range(1, len(names) + 2) if (p := f"xl/worksheets/sheet{n}.xml") not in names
            )
            names.add(part)
            package.add_tab(tab, part)
            plan.sheets[part] = _whole(values.get(tab) or _grid(edits.get(tab, {})), look, styles)
            continue
        part = package.target(rel)
        if part not in names or not _is_sheet(rel):
            return None
        if tab not in values and tab not in edits and look is None:
            continue  # nothing to write (an Append of no rows)
        raw = package.book.read(part)
        if tab in values:
            shell = _shell(raw)
            sheet = _whole(values[tab], look, styles, *shell) if shell is not None else None
        else:
            sheet = _edited(raw, _edits(edits.get(tab, {}), look), look, styles)
        if sheet is None:
            return None
        plan.sheets[part] = sheet
        if look is not None and look.filter_ref:
            package.refilter(tab, look.filter_ref)
    if len(plan.sheets) > len(package.added):  # the calculation chain may list formulas now overwritten
        plan.dropped.update(package.drop(chain) for chain in package.of_type("calcChain"))
    plan.replaced = package.patched()
    if styles is not None and (patched := styles.patched()) is not None:
        plan.replaced[styles_part] = patched
    return plan


def _copy_member(source: IO[bytes], info: ZipInfo, out: ZipFile) -> None:
    """Copy one member's compressed bytes as they are (no inflate, no deflate)."""
    source.seek(info.header_offset)
    local = source.read(30)
    if local[:4] != b"PK\x03\x04":
        raise WorkbookError(f"the workbook is damaged: no local header for its part {info.filename}")
    source.seek(
        info.header_offset
        + 30
        + int.from_bytes(local[26:28], "little")
        + int.from_bytes(local[28:30], "little")
    )
    copied = copy.copy(info)
    copied.flag_bits &= ~0x08  # sizes and CRC go in the local header: no data descriptor
    assert out.fp is not None
    copied.header_offset = out.fp.tell()
    out.fp.write(copied.FileHeader())
    left = info.compress_size
    while left:
        data = source.read(min(left, 1 << 20))
        if not data:
            raise WorkbookError(f"the workbook is damaged: its part {info.filename} is truncated")
        out.fp.write(data)
        left -= len(data)
    out.filelist.append(copied)
    out.NameToInfo[copied.filename] = copied
    out.start_dir = out.fp.tell()


def _new_member(out: ZipFile, name: str, chunks: Iterator[bytes]) -> None:
    info = ZipInfo(name, time.localtime()[:6])
    info.compress_type = ZIP_DEFLATED
    with out.open(info, "w") as stream:
        for chunk in chunks:
            stream.write(chunk)


def write_patch(plan: PatchPlan, target: Path) -> None:
    """Write the patched package to ``target``: the original order, new tabs at the end."""
    styled = {part: sheet.pieces() for part, sheet in plan.sheets.items()}
    with (
        ZipFile(plan.source) as book,
        open(plan.source, "rb") as source,
        ZipFile(target, "w", ZIP_DEFLATED) as out,
    ):
        for info in book.infolist():
            if info.filename in styled:
                _new_member(out, info.filename, styled.pop(info.filename))
            elif info.filename in plan.replaced:
                _new_member(out, info.filename, iter([plan.replaced[info.filename]]))
            elif info.filename not in plan.dropped:
                _copy_member(source, info, out)
        for part, chunks in styled.items():
            _new_member(out, part, chunks)
