"""The look of a tab and the cell formats it needs in styles.xml.

A ``Style`` is resolved once into a ``Look`` that both writers apply (this patcher and
openpyxl). Its bold header and filled rows become cell formats derived from each cell's
own, appended to styles.xml: existing formats keep their numbers and identical ones are
reused, so a re-run adds nothing.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from openpyxl.utils import get_column_letter

from canonical.errors import WorkbookError
from sheets_sync.workbook.base import Rows, Style, column_index
from sheets_sync.workbook.xlsx_patch.xml_spans import Node, element, escape_attr, main_root, splice

__all__ = ["MARKER", "Look", "Styles", "row_formats", "styled_rows", "tab_look"]

MARKER = "matsync"
"""Set as the error title of our data validations, so a repair replaces them."""
_LAST_ROW = 1_048_576
_BOLD = re.compile(rb"<b(?:\s[^>]*)?(?:/>|>\s*</b>)")


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
            wanted.append((letter(title), f"{quoted}!${src}$2:${src}${_LAST_ROW}"))
        elif dropdown.values and len(",".join(dropdown.values)) < 250:
            listed = ",".join(v.replace('"', "") for v in dropdown.values)
            wanted.append((letter(title), f'"{listed}"'))
    return Look(
        frozen=top if style.frozen_rows is None else style.frozen_rows,
        header_row=top,
        bold_columns=len(header) if style.bold_header else 0,
        validations={f"{col}{top + 1}:{col}{_LAST_ROW}": formula for col, formula in wanted},
        filter_ref=(
            f"A{top}:{get_column_letter(len(header))}{max(len(rows), top)}"
            if style.filter and header
            else None
        ),
        fill_width=max((len(r) for r in rows), default=0),
        fills={row: "FF" + colour.lstrip("#").upper() for row, colour in style.row_colors.items()},
    )


class Styles:
    """styles.xml with cell formats appended on demand; existing numbers never change."""

    def __init__(self, raw: bytes, root: Node) -> None:
        self.raw = raw
        self.sections = {name: root.find(name)[0] for name in ("fonts", "fills", "cellXfs")}
        self.added: dict[str, list[bytes]] = {name: [] for name in self.sections}
        self.cache: dict[tuple[int, bool, str | None], int] = {}

    @classmethod
    def parse(cls, raw: bytes) -> Styles | None:
        root = main_root(raw, "styleSheet", 2)
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
                    f'<fgColor rgb="{escape_attr(fill)}"/><bgColor indexed="64"/></patternFill></fill>'
                )
                attrs["fillId"] = str(self._index("fills", solid.encode()))
                attrs["applyFill"] = "1"
            inner = None if node.empty else self.raw[node.inner : node.close]
            self.cache[key] = self._index("cellXfs", element(node.name, attrs, inner))
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
                start_tag = element(node.name, attrs)[:-2] + b">"
                edits += [(node.start, node.inner, start_tag), (node.close, node.close, b"".join(entries))]
        return splice(self.raw, edits) if edits else None


def row_formats(look: Look) -> dict[int, list[tuple[bool, str | None]]]:
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


def styled_rows(look: Look, styles: Styles) -> dict[int, list[int]]:
    """Sheet row -> cellXfs number of each new cell from column A (see ``row_formats``)."""
    numbers: dict[int, list[int]] = {}
    styled = {}
    for row, line in row_formats(look).items():
        if id(line) not in numbers:
            numbers[id(line)] = [styles.xf(0, bold, fill) for bold, fill in line]
        styled[row] = numbers[id(line)]
    return styled
