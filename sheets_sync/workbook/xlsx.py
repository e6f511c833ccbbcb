"""The local .xlsx backend: calamine reads, and two writers.

Reads use calamine (fast, cached formula values). A write patches the .xlsx zip parts
it changes and copies every other part byte for byte (``xlsx_patch``): tabs rewritten
whole or new (``Rewrite``: what ``pull`` and ``plan`` write) get a freshly streamed
part; cells written inside an existing tab (``Append``, ``CellUpdate``: ``push``,
``undo``) and a ``Style`` on it (``init-sheet``) are spliced into its rows. So a
100k-row master is never loaded into openpyxl. A batch ``xlsx_patch`` does not take (a
new file, two Styles for one tab, a shared formula overwritten, an unusual package)
goes through openpyxl, its reason logged at DEBUG: load the whole workbook, change the
tabs the batch names, save. Either way the new file is written beside the original and
renamed over it, so other tabs and the user's formatting survive and a crash never
leaves half a file. A workbook that is open in Excel or LibreOffice (their lock file is
beside it) or that cannot be replaced raises ``WorkbookLocked``; a value an .xlsx cannot
hold raises ``UnstorableValue`` before anything is written.

The file is shared too: someone may save it from Excel while a push waits on INNERGY.
What was read is only trusted while the file is the one read (its size, mtime and
inode); a write against a file saved meanwhile reads it again first, and the rename
happens only if nobody saved it since that read (else the write is planned again), so
keyed cells land on the rows that hold their keys in the file that is replaced.
"""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from copy import copy
from pathlib import Path
from typing import TYPE_CHECKING, Any

from python_calamine import CalamineError, CalamineWorkbook

from canonical.errors import UnstorableValue, WorkbookError, WorkbookLocked
from canonical.gc_pause import paused_gc
from canonical.normalize import XML_CONTROL, XML_FORBIDDEN, not_finite
from reports.cells import cell_size
from sheets_sync.workbook.a1 import column_letter
from sheets_sync.workbook.base import (
    Cell,
    CellTexts,
    Missed,
    Op,
    Rewrite,
    Rows,
    Style,
    Value,
    Workbook,
    WriteBatch,
    cell_text,
    plan_write,
    tabs_to_read,
)
from sheets_sync.workbook.xlsx_blanks import UnreadCells, unread_cells
from sheets_sync.workbook.xlsx_patch import MARKER, Unpatchable, native, patch_plan, tab_look, write_patch
from sheets_sync.workbook.xlsx_patch.styles import PROTECTION, Format
from sheets_sync.workbook.xlsx_patch.worksheet import PRINT_WIDE

if TYPE_CHECKING:
    from openpyxl.worksheet.worksheet import Worksheet

__all__ = ["EXCEL_CELL_LIMIT", "XlsxWorkbook", "unstorable"]

log = logging.getLogger(__name__)

_ATTEMPTS = 5
"""Writes planned again when the file keeps being saved by someone else meanwhile."""

EXCEL_CELL_LIMIT = 32_767


def unstorable(value: object) -> str | None:
    """Why an .xlsx cannot hold this value as written, or ``None`` when it can."""
    if not_finite(value):
        return f"is {value}, not a finite number; an .xlsx number cell would read back empty"
    if not isinstance(value, str):
        return None
    if match := XML_CONTROL.search(value) or XML_FORBIDDEN.search(value):
        return f"holds the control character U+{ord(match.group()[0]):04X}, which an .xlsx cannot store"
    if value and not value.strip():
        return "is only white space, which openpyxl writes so that every reader sees an empty cell"
    if len(value) > EXCEL_CELL_LIMIT // 2 and (size := cell_size(value)) > EXCEL_CELL_LIMIT:
        return f"has {size} characters (as Excel counts them); an .xlsx cell holds at most {EXCEL_CELL_LIMIT}"
    return None


def _surely_storable(values: Sequence[Sequence[Value]]) -> bool:
    """True when ``unstorable`` holds nothing against any value, found a block at a time
    (a DIFF tab of 2,500 changes is 30,000 cells): one search over the text, C-level checks of each text's
    length and white space, ``unstorable`` itself only for the values that are not text.
    False means some value may be unstorable (``unstorable`` then says which)."""
    texts = [v for row in values for v in row if v.__class__ is str]
    others = [v for row in values for v in row if v is not None and v.__class__ is not str]
    return not (
        max(map(len, texts), default=0) > EXCEL_CELL_LIMIT // 2
        or any(map(str.isspace, texts))
        or XML_FORBIDDEN.search("".join(texts))
        or any(map(unstorable, others))
    )


def _cells(sheet: Any) -> Iterable[list[Any]]:
    """A tab's rows from A1 as calamine has them, streamed a row at a time (the whole grid as
    lists beside ours was 30 MB more at 100k rows); a tab whose cells start right of column A
    is read whole, as ``iter_rows`` starts each row at the first column used."""
    start = sheet.start
    return sheet.iter_rows() if start is None or start[1] == 0 else sheet.to_python(skip_empty_area=False)


def _rows(values: Iterable[list[Any]]) -> Rows:
    """Calamine's cells as ``cell_text`` reads them, trimmed; text inline and each distinct
    number converted once (a 100k-row master: ~1.5 s of ``cell_text`` calls -> ~0.14 s)."""
    numbers = CellTexts()
    rows: Rows = []
    for raw in values:
        row: list[Cell] = [
            (v or None) if v.__class__ is str else numbers[v] if v.__class__ is float else cell_text(v)
            for v in raw
        ]
        while row and row[-1] is None:
            row.pop()
        rows.append(row)
    while rows and not rows[-1]:
        rows.pop()
    return rows


def _show_unread(rows: Rows, cells: UnreadCells) -> None:
    """Each error cell's error and each formula with no result where calamine left it
    blank (``xlsx_blanks``), the rows grown to hold it."""
    for (number, column), shown in cells.items():
        rows.extend([] for _ in range(number - len(rows)))
        row = rows[number - 1]
        row.extend([None] * (column - len(row)))
        if row[column - 1] is None:
            row[column - 1] = shown


def _copy_touched(known: dict[str, Rows], ops: Sequence[Op]) -> dict[str, Rows]:
    """``known`` with the tabs a batch edits in place copied, so a write planned again
    (the file was saved meanwhile) starts from what was read."""
    edited = {op.tab for op in ops if not isinstance(op, Rewrite | Style)}
    return {tab: [list(row) for row in rows] if tab in edited else rows for tab, rows in known.items()}


def _set_format(target: Any, fmt: Format) -> None:
    """A look's ``Format`` set over a cell's (or a column's) own, as the patcher sets it."""
    from openpyxl.styles import PatternFill

    if fmt.bold:
        font = copy(target.font)
        font.bold = True
        target.font = font
    if fmt.fill is not None:
        target.fill = PatternFill(fill_type="solid", start_color=fmt.fill)
    if fmt.number_format is not None:
        target.number_format = fmt.number_format
    if fmt.wrap or fmt.top or fmt.left:
        alignment = copy(target.alignment)
        if fmt.wrap:
            alignment.wrap_text = True
        if fmt.top:
            alignment.vertical = "top"
        if fmt.left:
            alignment.horizontal = "left"
        target.alignment = alignment
    if fmt.unlocked:
        protection = copy(target.protection)
        protection.locked = False
        target.protection = protection


def _lock_files(path: Path) -> list[Path]:
    return [path.with_name("~$" + path.name), path.with_name(f".~lock.{path.name}#")]


class XlsxWorkbook(Workbook):
    """A workbook file; ``create`` makes it on the first write when it does not exist."""

    max_cell_chars = EXCEL_CELL_LIMIT

    def __init__(self, path: Path, *, create: bool = False) -> None:
        self.path = path
        if not path.is_file() and not create:
            raise WorkbookError(f"workbook {str(path)!r} does not exist (run `matsync init-sheet`)")
        self._known: dict[str, Rows] = {}
        self._seen: tuple[int, int, int] | None = None
        """The file ``_known`` was read from (see ``_signature``)."""

    def _signature(self) -> tuple[int, int, int] | None:
        """What tells a saved file from the one read: size, mtime and inode (``None``: no file)."""
        try:
            stat = self.path.stat()
        except FileNotFoundError:
            return None
        return stat.st_size, stat.st_mtime_ns, stat.st_ino

    def _forget_if_saved(self) -> None:
        """Drop what was read when someone saved the file since."""
        now = self._signature()
        if now != self._seen:
            self._known.clear()
            self._seen = now

    def _load(self, **options: Any) -> Any:
        from openpyxl import load_workbook  # the fallback writer only: its import alone is ~0.3 s
        from openpyxl.utils.exceptions import InvalidFileException

        name = str(self.path)
        try:
            return load_workbook(self.path, **options)
        except PermissionError as exc:
            raise WorkbookLocked(f"workbook {name!r} is locked by another program: close it") from exc
        except (InvalidFileException, OSError, KeyError, ValueError) as exc:
            raise WorkbookError(f"workbook {name!r} cannot be read as .xlsx ({exc})") from exc

    def _calamine(self) -> Any:
        name = str(self.path)
        try:
            return CalamineWorkbook.from_path(name)
        except PermissionError as exc:
            raise WorkbookLocked(f"workbook {name!r} is locked by another program: close it") from exc
        except (CalamineError, OSError, ValueError) as exc:
            raise WorkbookError(f"workbook {name!r} cannot be read as .xlsx ({exc})") from exc

    def _sheet(self, book: Any, name: str) -> Any:
        try:
            return book.get_sheet_by_name(name)
        except CalamineError as exc:  # a cell it cannot read: an error value it does not know
            raise WorkbookError(
                f"tab {name!r} of workbook {str(self.path)!r} cannot be read ({exc})"
            ) from exc

    def tab_names(self) -> list[str]:
        if not self.path.is_file():
            return []
        book = self._calamine()
        try:
            return list(book.sheet_names)
        finally:
            book.close()

    def read_tabs(self, names: Sequence[str]) -> dict[str, Rows]:
        """Read through calamine (cached formula values, about 20x openpyxl's read-only speed);
        its error cells and formulas with no result, which calamine reads as blanks, are found
        beside it (``xlsx_blanks``)."""
        if not self.path.is_file():
            return {}
        self._forget_if_saved()
        book = self._calamine()
        result: dict[str, Rows] = {}
        # millions of new lists and strings, none in a cycle: the collector's passes free nothing
        with paused_gc(), ThreadPoolExecutor(1, thread_name_prefix="matsync-xlsx-blanks") as beside:
            try:
                present = [name for name in dict.fromkeys(names) if name in book.sheet_names]
                unread = beside.submit(unread_cells, self.path, present)
                for name in present:
                    result[name] = _rows(_cells(self._sheet(book, name)))
            finally:
                book.close()
            for name, cells in unread.result().items():
                _show_unread(result[name], cells)
            self._known.update({k: [list(r) for r in v] for k, v in result.items()})
        return result

    def write(self, ops: Sequence[Op]) -> list[Missed]:
        self._refuse_read_only()
        for lock in _lock_files(self.path):
            if lock.exists():
                raise WorkbookLocked(
                    f"workbook {str(self.path)!r} is open in another program (lock file {lock.name}): "
                    "close it and run again; nothing was written"
                )
        for _ in range(_ATTEMPTS):
            self._forget_if_saved()
            read_from = self._seen
            unknown = tabs_to_read(ops, self._known, self.tab_names())
            if unknown:
                self.read_tabs(unknown)
            if self._seen != read_from:  # saved between the two reads: what was known is gone
                continue
            # the rows planned and the XML made are new containers, none in a cycle: the
            # collector's passes over them and over the tabs read would free nothing
            with paused_gc():
                known = _copy_touched(self._known, ops)
                batch = plan_write(ops, known)
                written = self._write_batch(batch, known)
            if written:
                self._known, self._seen = known, self._signature()
                return batch.missed
            log.debug("%s was saved by someone else during the write: planning it again", self.path.name)
        raise WorkbookLocked(
            f"workbook {str(self.path)!r} kept being saved by another program during the write: "
            "close it and run again; nothing was written"
        )

    def _write_batch(self, batch: WriteBatch, known: dict[str, Rows]) -> bool:
        """Write the batch beside the file and rename it over the file, unless the file was
        saved since it was read (then nothing is written and the answer is False)."""
        bad = [
            f"{b.tab}!{column_letter(b.col + c)}{b.row + r}: {reason}"
            for b in batch.blocks
            if not _surely_storable(b.values)
            for r, row in enumerate(b.values)
            for c, value in enumerate(row)
            if (reason := unstorable(value))
        ]
        if bad:
            shown = "; ".join(bad[:5]) + (f"; and {len(bad) - 5} more" if len(bad) > 5 else "")
            raise UnstorableValue(f"nothing was written to {self.path.name}: {shown}")
        plan = patch_plan(self.path, batch, known)
        if not isinstance(plan, Unpatchable):
            return self._replace(lambda temp: write_patch(plan, temp))
        log.debug("writing %s through openpyxl: %s", self.path.name, plan.reason)
        book = self._load_for_write()
        try:
            self._apply(book, batch, known)
            return self._replace(book.save)
        finally:
            if book.vba_archive is not None:  # openpyxl's in-memory copy of a .xlsm's macros
                book.vba_archive.close()

    def close(self) -> None:
        self._known.clear()

    def _refuse_read_only(self) -> None:
        """A file marked read-only is the owner's word: never replaced, whoever we run as
        (root may replace anything, and a rename would drop the mode)."""
        try:
            mode = self.path.stat().st_mode
        except FileNotFoundError:
            return
        if not mode & stat.S_IWUSR or not os.access(self.path, os.W_OK):
            raise WorkbookError(
                f"workbook {str(self.path)!r} is read-only (mode {stat.filemode(mode)}): nothing was written",
                hint="make it writable (`chmod u+w`; on Windows untick Read-only), or work on a copy",
            )

    def _load_for_write(self) -> Any:
        if not self.path.is_file():
            from openpyxl import Workbook as OpenpyxlWorkbook

            return OpenpyxlWorkbook()
        return self._load(keep_vba=self.path.suffix.lower() == ".xlsm")

    def _apply(self, book: Any, batch: WriteBatch, known: dict[str, Rows]) -> None:
        fresh = not self.path.is_file()
        for tab in batch.tabs:
            if tab not in book.sheetnames:
                book.create_sheet(tab)
        if fresh and "Sheet" in book.sheetnames and "Sheet" not in batch.tabs and len(book.sheetnames) > 1:
            del book["Sheet"]
        for tab in batch.clear_below:
            sheet = book[tab]
            if sheet.max_row:
                sheet.delete_rows(1, sheet.max_row)
        for block in batch.blocks:
            sheet = book[block.tab]
            for r, row in enumerate(block.values):
                for c, value in enumerate(row):
                    cell = sheet.cell(block.row + r, block.col + c)
                    cell.value = native(value)
                    if isinstance(value, str):
                        cell.data_type = "s"  # text stays text: "=1+1" and "#REF!" are not formulas
        for style in batch.styles:
            self._style(book[style.tab], style, known)

    def _style(self, sheet: Worksheet, style: Style, known: dict[str, Rows]) -> None:
        from openpyxl.worksheet.datavalidation import DataValidation
        from openpyxl.worksheet.page import PrintPageSetup
        from openpyxl.worksheet.properties import PageSetupProperties
        from openpyxl.worksheet.protection import SheetProtection

        look = tab_look(style, known)
        sheet.freeze_panes = f"A{look.frozen + 1}" if look.frozen else None
        sheet.data_validations.dataValidation = [
            dv
            for dv in sheet.data_validations.dataValidation
            if not (dv.errorTitle == MARKER and str(dv.sqref) in look.validations)
        ]
        for area, rule in look.validations.items():
            if rule.warning is None:
                made = DataValidation(
                    type="list", formula1=rule.formula, allow_blank=True, showErrorMessage=False
                )
            else:
                made = DataValidation(
                    type="custom",
                    formula1=rule.formula,
                    allow_blank=True,
                    showErrorMessage=True,
                    errorStyle="warning",
                    error=rule.warning,
                )
            made.errorTitle = MARKER
            made.add(area)
            sheet.add_data_validation(made)
        if look.filter_ref:
            sheet.auto_filter.ref = look.filter_ref
        for row, line in look.cells.items():
            for col, fmt in enumerate(line, start=1):
                if fmt:
                    _set_format(sheet.cell(row, col), fmt)
        if look.columns:
            sheet.column_dimensions.clear()
            for column in look.columns:
                dimension = sheet.column_dimensions[column_letter(column.first)]
                dimension.min, dimension.max = column.first, column.last
                if column.width is not None:
                    dimension.width = column.width
                if column.format:
                    _set_format(dimension, column.format)
        for row, points in look.heights.items():
            sheet.row_dimensions[row].height = points
        if look.protect:
            sheet.protection = SheetProtection(**{k: v == "1" for k, v in PROTECTION.items()})
        if look.print_wide:
            sheet.page_setup = PrintPageSetup(sheet, **PRINT_WIDE)
            sheet.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)

    def _replace(self, save: Callable[[Path], object]) -> bool:
        """``save`` to a temporary file beside the workbook, then rename it over the workbook
        if it is still the file read (False, and nothing replaced, when it is not)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        try:
            save(temp)
            with open(temp, "rb") as handle:
                os.fsync(handle.fileno())
            if self._signature() != self._seen:
                return False
            os.replace(temp, self.path)
            return True
        except PermissionError as exc:
            raise WorkbookLocked(
                f"workbook {str(self.path)!r} cannot be replaced (open or locked by another program): "
                "close it and run again; the original is unchanged"
            ) from exc
        finally:
            temp.unlink(missing_ok=True)
