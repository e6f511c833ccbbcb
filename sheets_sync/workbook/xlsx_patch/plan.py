"""What a batch changes in the package, decided before a byte is written.

Patched, in an existing, ordinary .xlsx package: tabs rewritten whole or new
(``Rewrite``), cells written inside existing tabs (``Append``, ``CellUpdate``), and a
``Style`` (at most one per tab) on either. Anything else (a new file, a new tab named
like another in all but case, two Styles for one tab, an unusual package, a shared
formula's anchor overwritten) is ``Unpatchable``, with the reason, and goes through
openpyxl.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from zipfile import ZIP64_LIMIT, BadZipFile, ZipFile

from sheets_sync.workbook.base import Rows, Value, WriteBatch
from sheets_sync.workbook.xlsx_patch.package import Package
from sheets_sync.workbook.xlsx_patch.row_patch import cell_edits, edited_sheet
from sheets_sync.workbook.xlsx_patch.styles import Styles, tab_look
from sheets_sync.workbook.xlsx_patch.unpatchable import Unpatchable
from sheets_sync.workbook.xlsx_patch.worksheet import Sheet, sheet_shell, whole_sheet
from sheets_sync.workbook.xlsx_patch.xml_spans import RELS

__all__ = ["PatchPlan", "patch_plan"]


@dataclass
class PatchPlan:
    """Everything decided before a byte is written: parts written whole, replaced and dropped."""

    source: Path
    sheets: dict[str, Sheet] = field(default_factory=dict)
    """Part name -> a worksheet written anew (rewritten, new or edited)."""
    replaced: dict[str, bytes] = field(default_factory=dict)
    dropped: set[str] = field(default_factory=set)


def _is_sheet(rel: Mapping[str, str] | None) -> bool:
    return rel is not None and rel.get("Type") == RELS + "/worksheet" and rel.get("TargetMode") != "External"


def _grid(cells: Mapping[int, Mapping[int, Value]]) -> list[list[Value]]:
    """Cells (row -> column -> value) of a new tab as rows from A1."""
    grid: list[list[Value]] = [[] for _ in range(max(cells, default=0))]
    for number, line in cells.items():
        row = grid[number - 1]
        for col, value in line.items():
            row.extend([None] * (col - len(row)))
            row[col - 1] = value
    return grid


def patch_plan(path: Path, batch: WriteBatch, known: Mapping[str, Rows]) -> PatchPlan | Unpatchable:
    """How to apply ``batch`` by patching parts, or why it needs openpyxl."""
    if not path.is_file():
        return Unpatchable("the workbook does not exist yet: a new file is made by openpyxl")
    twice = [tab for tab, styles in Counter(s.tab for s in batch.styles).items() if styles > 1]
    if twice:
        return Unpatchable(f"tab {twice[0]!r} has two Styles in one batch")
    whole = set(batch.clear_below)
    values: dict[str, list[list[Value]]] = {}
    edits: dict[str, dict[int, dict[int, Value]]] = {}
    for block in batch.blocks:
        if block.tab in whole:
            if block.tab in values:
                return Unpatchable(f"tab {block.tab!r} is rewritten and written to again in one batch")
            if (block.row, block.col) != (1, 1):
                return Unpatchable(f"the rewrite of tab {block.tab!r} does not start at A1")
            values[block.tab] = block.values
            continue
        cells = edits.setdefault(block.tab, {})
        for number, row in enumerate(block.values, start=block.row):
            cells.setdefault(number, {}).update(enumerate(row, start=block.col))
    if missing := sorted(whole - values.keys()):
        return Unpatchable(f"rewritten tab {missing[0]!r} has no rows to write")
    try:
        with ZipFile(path) as book:
            if not all(
                not i.flag_bits & 0x01 and max(i.file_size, i.compress_size) < ZIP64_LIMIT
                for i in book.infolist()
            ):
                return Unpatchable("the package has an encrypted or ZIP64 part")
            package = Package.read(book)
            if package is None:
                return Unpatchable(
                    "the package's workbook.xml, its rels or [Content_Types].xml is not as Excel writes it"
                )
            return _plan(PatchPlan(path), package, batch, values, edits, known)
    except (BadZipFile, OSError, KeyError, IndexError, ValueError, UnicodeDecodeError) as exc:
        return Unpatchable(f"the package cannot be read for patching ({type(exc).__name__}: {exc})")


def _plan(
    plan: PatchPlan,
    package: Package,
    batch: WriteBatch,
    values: Mapping[str, list[list[Value]]],
    edits: Mapping[str, Mapping[int, Mapping[int, Value]]],
    known: Mapping[str, Rows],
) -> PatchPlan | Unpatchable:
    names = set(package.book.namelist())
    styles_rel = package.of_type("styles")
    styles_part = package.target(styles_rel[0].attrs) if len(styles_rel) == 1 else ""
    styles = Styles.parse(package.book.read(styles_part)) if styles_part in names else None
    if batch.styles and styles is None:
        return Unpatchable("the batch has a Style but styles.xml is missing or not as Excel writes it")
    tabs = package.tabs()
    folded = {name.casefold() for name in tabs}
    looks = {s.tab: tab_look(s, known) for s in batch.styles}
    for tab in batch.tabs:
        rel, look = tabs.get(tab), looks.get(tab)
        if rel is None:  # a new tab, under a name no tab has in any case
            if tab.casefold() in folded:
                return Unpatchable(f"new tab {tab!r} is named like an existing tab in all but case")
            part = next(
                p for n in range(1, len(names) + 2) if (p := f"xl/worksheets/sheet{n}.xml") not in names
            )
            names.add(part)
            package.add_tab(tab, part)
            plan.sheets[part] = whole_sheet(values.get(tab) or _grid(edits.get(tab, {})), look, styles)
            continue
        part = package.target(rel)
        if part not in names or not _is_sheet(rel):
            return Unpatchable(f"tab {tab!r} is not a worksheet part of the package")
        if tab not in values and tab not in edits and look is None:
            continue  # nothing to write (an Append of no rows)
        raw = package.book.read(part)
        sheet: Sheet | Unpatchable
        if tab in values:
            shell = sheet_shell(raw)
            sheet = (
                whole_sheet(values[tab], look, styles, *shell)
                if shell is not None
                else Unpatchable("its worksheet part is not as the patcher reads it")
            )
        else:
            sheet = edited_sheet(raw, cell_edits(edits.get(tab, {}), look), look, styles)
        if isinstance(sheet, Unpatchable):
            return Unpatchable(f"tab {tab!r}: {sheet.reason}")
        plan.sheets[part] = sheet
        if look is not None and look.filter_ref:
            package.refilter(tab, look.filter_ref)
    if len(plan.sheets) > len(package.added):  # the calculation chain may list formulas now overwritten
        plan.dropped.update(package.drop(chain) for chain in package.of_type("calcChain"))
    plan.replaced = package.patched()
    if styles is not None and (patched := styles.patched()) is not None:
        plan.replaced[styles_part] = patched
    return plan
