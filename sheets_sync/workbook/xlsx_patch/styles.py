"""The look of a tab and the cell formats it needs in styles.xml.

A ``Style`` is resolved once into a ``Look`` that both writers apply (this patcher and
openpyxl): the ``Format`` of each cell it touches (bold header, filled rows, wrapped and
top-aligned text, number formats, cells left unlocked on a protected sheet), column
widths and default formats, row heights, validations and the sheet's protection. Cell
formats are derived from each cell's own and appended to styles.xml: existing formats
keep their numbers and identical ones are reused, so a re-run adds nothing.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

from canonical.errors import WorkbookError
from sheets_sync.workbook.a1 import column_letter
from sheets_sync.workbook.base import Rows, Style, column_index
from sheets_sync.workbook.layout import fit
from sheets_sync.workbook.xlsx_patch.xml_spans import Node, element, escape_attr, main_root, parse, splice

__all__ = [
    "BOOLEAN_FORMAT",
    "BUILTIN_NUMBER_FORMATS",
    "LAST_COLUMN",
    "MARKER",
    "PROTECTION",
    "Column",
    "Format",
    "Look",
    "Styles",
    "Validation",
    "styled_rows",
    "tab_look",
]

MARKER = "matsync"
"""Set as the error title of our data validations, so a repair replaces them."""
_LAST_ROW = 1_048_576
LAST_COLUMN = 16_384
_BOLD = re.compile(rb"<b(?:\s[^>]*)?(?:/>|>\s*</b>)")
BOOLEAN_FORMAT = '"TRUE";"TRUE";"FALSE"'
"""A checkbox column's number format: Excel shows a boolean cell as TRUE / FALSE whatever
its format, LibreOffice shows it through its format (1 / 0 under General)."""
PROTECTION = {"sheet": "1", "objects": "1", "scenarios": "1", "formatColumns": "0", "formatRows": "0"}
PROTECTION |= {"sort": "0", "autoFilter": "0"}
"""A locked tab's ``<sheetProtection>``: no password; widths, heights, filter and sort allowed
(Excel sorts only ranges without locked cells, whatever this says)."""
_LINE_POINTS, _MAX_POINTS = 14, 409
"""The height of a line of Calibri 11 and the most a row may have, in points."""
_WARNING = "{column} is written by matsync: edit it only to correct what the tool wrote"


BUILTIN_NUMBER_FORMATS: dict[str, int] = {
    "General": 0,
    "0": 1,
    "0.00": 2,
    "#,##0": 3,
    "#,##0.00": 4,
    '"$"#,##0_);("$"#,##0)': 5,
    '"$"#,##0_);[Red]("$"#,##0)': 6,
    '"$"#,##0.00_);("$"#,##0.00)': 7,
    '"$"#,##0.00_);[Red]("$"#,##0.00)': 8,
    "0%": 9,
    "0.00%": 10,
    "0.00E+00": 11,
    "# ?/?": 12,
    "# ??/??": 13,
    "mm-dd-yy": 14,
    "d-mmm-yy": 15,
    "d-mmm": 16,
    "mmm-yy": 17,
    "h:mm AM/PM": 18,
    "h:mm:ss AM/PM": 19,
    "h:mm": 20,
    "h:mm:ss": 21,
    "m/d/yy h:mm": 22,
    "#,##0_);(#,##0)": 37,
    "#,##0_);[Red](#,##0)": 38,
    "#,##0.00_);(#,##0.00)": 39,
    "#,##0.00_);[Red](#,##0.00)": 40,
    '_(* #,##0_);_(* \\(#,##0\\);_(* "-"_);_(@_)': 41,
    '_("$"* #,##0_);_("$"* \\(#,##0\\);_("$"* "-"_);_(@_)': 42,
    '_(* #,##0.00_);_(* \\(#,##0.00\\);_(* "-"??_);_(@_)': 43,
    '_("$"* #,##0.00_)_("$"* \\(#,##0.00\\)_("$"* "-"??_)_(@_)': 44,
    "mm:ss": 45,
    "[h]:mm:ss": 46,
    "mmss.0": 47,
    "##0.0E+0": 48,
    "@": 49,
}
"""Excel's built-in number formats by code (ECMA-376 Part 1, 18.8.30), which styles.xml
names by id without defining them; as openpyxl has them (a test compares), without its import."""


@dataclass(frozen=True)
class Format:
    """What a look sets on one cell, over the cell's own format."""

    bold: bool = False
    fill: str | None = None
    """ARGB (``FFF4CCCC``)."""
    wrap: bool = False
    top: bool = False
    number_format: str | None = None
    unlocked: bool = False
    left: bool = False

    def __bool__(self) -> bool:
        return self != _PLAIN


_PLAIN = Format()


@dataclass(frozen=True)
class Validation:
    """A data validation of ours: a drop-down list, or a formula that warns on any edit."""

    formula: str
    warning: str | None = None
    """Set: a custom rule (``formula`` is never true) whose warning a person may overrule."""


@dataclass(frozen=True)
class Column:
    """A ``<col>`` range: its width (characters) and the format of its empty cells."""

    first: int
    last: int
    width: float | None = None
    format: Format | None = None


@dataclass(frozen=True)
class Look:
    """A ``Style`` resolved against the tab's rows: cells, ranges and sizes to apply."""

    frozen: int
    header_row: int
    validations: Mapping[str, Validation]
    """Range (``B2:B1048576``) -> our rule."""
    filter_ref: str | None
    cells: Mapping[int, Sequence[Format]]
    """Sheet row -> the format of each cell from column A (rows alike share one list)."""
    columns: Sequence[Column] = ()
    """Replace the tab's ``<cols>`` when given (a fitted tab)."""
    heights: Mapping[int, float] = field(default_factory=dict)
    """Sheet row -> height in points."""
    protect: bool = False
    print_wide: bool = False
    """Printed landscape, all columns on one page wide (a fitted tab, read on paper or PDF)."""


def _argb(colour: str) -> str:
    return "FF" + colour.lstrip("#").upper()


def tab_look(style: Style, known: Mapping[str, Rows]) -> Look:
    """Resolve columns named by header text; ``WorkbookError`` for a missing one."""
    top = style.header_row
    rows = known.get(style.tab, [])
    header = rows[top - 1] if len(rows) >= top else []

    def index(title: str) -> int:
        at = column_index(header, title)
        if at is None:
            raise WorkbookError(f"tab {style.tab} has no column {title!r} to format")
        return at

    def letter(title: str) -> str:
        return column_letter(index(title) + 1)

    wanted: list[tuple[str, Validation]] = [(letter(t), Validation('"TRUE,FALSE"')) for t in style.checkboxes]
    for title, dropdown in style.dropdowns.items():
        if dropdown.source is not None:
            source_tab, source_col = dropdown.source
            source_rows = known.get(source_tab) or [[]]
            src = column_letter((column_index(source_rows[0], source_col) or 0) + 1)
            quoted = "'" + source_tab.replace("'", "''") + "'"
            wanted.append((letter(title), Validation(f"{quoted}!${src}$2:${src}${_LAST_ROW}")))
        elif dropdown.values and len(",".join(dropdown.values)) < 250:
            listed = ",".join(v.replace('"', "") for v in dropdown.values)
            wanted.append((letter(title), Validation(f'"{listed}"')))
    if not style.locked:
        wanted += [(letter(t), Validation("FALSE", _WARNING.format(column=t))) for t in style.protected]
    wrap = {index(t) for t in style.wrap}
    numbers = {index(t): code for t, code in style.number_formats.items()}
    numbers.update((index(t), BOOLEAN_FORMAT) for t in style.checkboxes)
    protected = {index(t) for t in style.protected}
    editable = {c for c in range(len(header)) if c not in protected} if style.locked else set()
    data = [
        Format(wrap=c in wrap, top=bool(wrap), number_format=numbers.get(c), unlocked=c in editable)
        for c in range(len(header))
    ]
    layout = fit(rows, top, wrap) if style.fit else None
    return Look(
        frozen=top if style.frozen_rows is None else style.frozen_rows,
        header_row=top,
        validations={f"{col}{top + 1}:{col}{_LAST_ROW}": rule for col, rule in wanted},
        filter_ref=(
            f"A{top}:{column_letter(len(header))}{max(len(rows), top)}" if style.filter and header else None
        ),
        cells=_cells(style, rows, header, data),
        columns=_columns(layout.widths if layout else None, data, style.locked),
        heights={
            row: min(_MAX_POINTS, lines * _LINE_POINTS)
            for row, lines in (layout.lines if layout else {}).items()
        },
        protect=style.locked,
        print_wide=style.fit,
    )


def _cells(
    style: Style, rows: Rows, header: Sequence[object], data: list[Format]
) -> dict[int, Sequence[Format]]:
    """Each formatted row's cell formats: the bold header, and the rows below it (their
    colour, a legend's cells, the columns' formats); rows alike share one list."""
    top = style.header_row
    width = max((len(r) for r in rows), default=0)
    lines: dict[object, list[Format]] = {}
    cells: dict[int, Sequence[Format]] = {}
    legend: dict[int, dict[int, str]] = {}
    for (row, col), colour in style.cell_colors.items():
        legend.setdefault(row, {})[col] = colour
    if style.bold_header and header:
        cells[top] = [Format(bold=True)] * len(header)
    above = range(1, top) if style.fit else range(0)  # a fitted tab's block above the table: left-aligned
    for number in sorted({*style.row_colors, *legend, *above, *range(top + 1, len(rows) + 1)} - {top}):
        fill = style.row_colors.get(number)
        own = legend.get(number, {})
        key = (fill, tuple(sorted(own.items())), number > top)
        if key not in lines:
            line = data if number > top else [Format(left=number in above)] * width
            base = [*line, *[_PLAIN] * width][: max(width if fill else 0, len(line))]
            base = base + [_PLAIN] * (max(own, default=0) - len(base))
            made = [replace(f, fill=_argb(fill)) if fill else f for f in base]
            for col, colour in own.items():
                made[col - 1] = replace(made[col - 1], fill=_argb(colour))
            while made and not made[-1]:
                made.pop()
            lines[key] = made
        if lines[key]:
            cells[number] = lines[key]
    return cells


def _columns(widths: Sequence[int] | None, data: list[Format], locked: bool) -> list[Column]:
    """A fitted tab's ``<col>`` ranges: each column's width and, on a locked tab, the format
    of its empty cells (editable columns stay editable below the rows written), then the
    columns right of the table, editable. Only the lock: LibreOffice shows a cell written
    without a format in its column's, and the block above the table is no column's data."""
    if widths is None:
        return []
    count = max(len(widths), len(data))
    columns = []
    for col in range(count):
        own = data[col] if col < len(data) else Format(unlocked=locked)
        blank = Format(unlocked=own.unlocked)
        columns.append(Column(col + 1, col + 1, widths[col] if col < len(widths) else None, blank or None))
    if locked:
        columns.append(Column(count + 1, LAST_COLUMN, None, Format(unlocked=True)))
    return columns


class Styles:
    """styles.xml with cell formats appended on demand; existing numbers never change."""

    def __init__(self, raw: bytes, root: Node) -> None:
        self.raw = raw
        self.root = root
        self.sections = {name: root.find(name)[0] for name in ("fonts", "fills", "cellXfs")}
        self.added: dict[str, list[bytes]] = {name: [] for name in self.sections}
        self.number_formats = {
            node.attrs["formatCode"]: int(node.attrs["numFmtId"])
            for found in root.find("numFmts")
            for node in found.children
            if "formatCode" in node.attrs and node.attrs.get("numFmtId", "").isdigit()
        }
        self.added_formats: list[tuple[int, str]] = []
        self.cache: dict[tuple[int, Format], int] = {}

    @classmethod
    def parse(cls, raw: bytes) -> Styles | None:
        root = main_root(raw, "styleSheet", 2)
        if (
            root is None
            or any(
                len(root.find(n)) != 1 or not root.find(n)[0].children for n in ("fonts", "fills", "cellXfs")
            )
            or len(root.find("numFmts")) > 1
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

    def _number_format(self, code: str) -> int:
        """The id of a number format: Excel's own when built in, else one of styles.xml's."""
        if code in BUILTIN_NUMBER_FORMATS:
            return BUILTIN_NUMBER_FORMATS[code]
        if code not in self.number_formats:
            self.number_formats[code] = max([163, *self.number_formats.values()]) + 1
            self.added_formats.append((self.number_formats[code], code))
        return self.number_formats[code]

    def xf(self, base: int, look: Format) -> int:
        """The cellXfs number of format ``base`` with ``look`` set over it (IndexError when absent)."""
        key = (base, look)
        if key not in self.cache:
            node = self.sections["cellXfs"].children[base]
            attrs = dict(node.attrs)
            if look.bold:
                attrs["fontId"] = str(self._index("fonts", self._bold_font(int(attrs.get("fontId", "0")))))
                attrs["applyFont"] = "1"
            if look.fill is not None:
                solid = (
                    '<fill><patternFill patternType="solid">'
                    f'<fgColor rgb="{escape_attr(look.fill)}"/><bgColor indexed="64"/></patternFill></fill>'
                )
                attrs["fillId"] = str(self._index("fills", solid.encode()))
                attrs["applyFill"] = "1"
            if look.number_format is not None:
                attrs["numFmtId"] = str(self._number_format(look.number_format))
                attrs["applyNumberFormat"] = "1"
            inner = None if node.empty else self.raw[node.inner : node.close]
            if look.wrap or look.top or look.unlocked or look.left:
                inner = self._xf_children(inner, look, attrs)
            self.cache[key] = self._index("cellXfs", element(node.name, attrs, inner))
        return self.cache[key]

    @staticmethod
    def _xf_children(inner: bytes | None, look: Format, attrs: dict[str, str]) -> bytes:
        """An ``<xf>``'s children with the look's alignment and protection set over its own
        (in the schema's order: alignment, protection, then the rest)."""
        raw = b"<xf>" + (inner or b"") + b"</xf>"
        wrapper = parse(raw, 1)
        children = {c.name: c for c in wrapper.children} if wrapper is not None else {}
        alignment = dict(children["alignment"].attrs) if "alignment" in children else {}
        protection = dict(children["protection"].attrs) if "protection" in children else {}
        if look.wrap:
            alignment["wrapText"] = "1"
        if look.top:
            alignment["vertical"] = "top"
        if look.left:
            alignment["horizontal"] = "left"
        if look.unlocked:
            protection["locked"] = "0"
        made = b""
        if alignment:
            made += element("alignment", alignment)
            attrs["applyAlignment"] = "1"
        if protection:
            made += element("protection", protection)
            attrs["applyProtection"] = "1"
        kept = (c for c in (wrapper.children if wrapper else []) if c.name not in ("alignment", "protection"))
        return made + b"".join(raw[c.start : c.end] for c in kept)

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
                start_tag = element(node.name, attrs)[:-2] + b">"
                edits += [(node.start, node.inner, start_tag), (node.close, node.close, b"".join(entries))]
        if self.added_formats:
            added = b"".join(
                element("numFmt", {"numFmtId": str(number), "formatCode": code})
                for number, code in self.added_formats
            )
            found = self.root.find("numFmts")
            if found and not found[0].empty:
                node = found[0]
                attrs = {**node.attrs, "count": str(len(node.children) + len(self.added_formats))}
                edits += [
                    (node.start, node.inner, element(node.name, attrs)[:-2] + b">"),
                    (node.close, node.close, added),
                ]
            else:
                made = element("numFmts", {"count": str(len(self.added_formats))}, added)
                at = found[0] if found else self.sections["fonts"]
                edits.append((at.start, at.end if found else at.start, made))
        return splice(self.raw, edits) if edits else None


def styled_rows(look: Look, styles: Styles) -> dict[int, list[int]]:
    """Sheet row -> cellXfs number of each new cell from column A (see ``Look.cells``)."""
    numbers: dict[int, list[int]] = {}
    styled = {}
    for row, line in look.cells.items():
        if id(line) not in numbers:
            numbers[id(line)] = [styles.xf(0, f) if f else 0 for f in line]
        styled[row] = numbers[id(line)]
    return styled
