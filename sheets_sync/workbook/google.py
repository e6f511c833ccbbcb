"""The Google Sheets backend, through gspread's HTTP client.

A read is ONE values batchGet for all tabs (plus ONE metadata call when the workbook
is opened); a write is at most ONE spreadsheets batchUpdate (new tabs, grid size,
formatting) followed by ONE values batchUpdate (see the split below) with ``valueInputOption=RAW``, so user
text is never evaluated as a formula. Only the values call removes values: a rewrite's
block is padded with blanks over the tab's old extent, so if either call fails the tab
keeps every value it had (the first call clears formats and checkboxes only). A retried
first call that had in fact landed is refused for the tabs and protected ranges it added
(both carry ids we choose); the write then re-reads the metadata and those tabs and plans
again (see ``write``). After a first call that failed, the next write re-reads the
metadata before planning.

A batch that finds rows by key (``KeyedCell``) or appends reads those tabs in the same
one values read just before it writes, and reads the keyed tabs once more after, to
report any key that moved under the write (Google has no conditional write). A values
write over ``MAX_REQUEST_BYTES`` (Google advises 2 MB) is split by rows into several
calls; below that the count of calls does not depend on the rows. Every call has a
timeout and goes through our bounded ``RetryPolicy``; ``MATSYNC_SHEETS_ENDPOINT`` points
the calls at an emulator.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Mapping, MutableMapping, Sequence
from datetime import date
from decimal import Decimal
from itertools import count, groupby
from operator import itemgetter
from pathlib import Path
from typing import Any

import requests
from gspread.http_client import HTTPClient
from gspread.urls import SPREADSHEET_VALUES_BATCH_URL

from canonical.errors import ConfigError, SheetsApiError, WorkbookError
from canonical.gc_pause import paused_gc
from canonical.retry_after import RETRY_STATUSES, retry_after_seconds
from sheets_sync.config import DEFAULT_SHEETS_ENDPOINT, Settings
from sheets_sync.workbook.a1 import column_letter
from sheets_sync.workbook.base import (
    Block,
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
    column_index,
    fresh_tabs,
    moved,
    plan_write,
    tabs_to_read,
)
from sheets_sync.workbook.layout import fit
from sheets_sync.workbook.retry import RetryPolicy

__all__ = [
    "MAX_REQUEST_BYTES",
    "SCOPES",
    "GoogleWorkbook",
    "SheetsHTTPClient",
    "a1_range",
    "merged",
    "open_google",
    "value_ranges",
]

SCOPES = ["https://www.googleapis.com/auth/spreadsheets"]
PROTECTED_NOTE = "matsync: written by the tool"
DEFAULT_GRID = (1000, 26)
CHAR_PIXELS, LINE_PIXELS, ROW_PIXELS = 7, 17, 21
"""A character of Arial 10 (Sheets' default font) as wide as it mostly is, a line of it as
tall, and the default row height, in pixels: what a fitted tab's sizes are made of."""
MAX_REQUEST_BYTES = 2_000_000
"""Google's advice for one request's payload; a larger values write is split by rows."""
log = logging.getLogger("matsync.sheets")


def _quote_tab(tab: str) -> str:
    return "'" + tab.replace("'", "''") + "'"


def a1_range(tab: str, row: int, col: int, height: int, width: int) -> str:
    end = f"{column_letter(col + width - 1)}{row + height - 1}"
    return f"{_quote_tab(tab)}!{column_letter(col)}{row}:{end}"


def _google_message(response: requests.Response) -> str:
    try:
        error = response.json()["error"]
        return f"{error.get('status', response.status_code)}: {error.get('message', '')}"
    except (ValueError, KeyError, TypeError):
        return f"HTTP {response.status_code}"


class SheetsHTTPClient(HTTPClient):
    """gspread's HTTP client with our endpoint, timeouts and bounded retry."""

    def __init__(
        self,
        auth: Any,
        session: requests.Session | None = None,
        *,
        endpoint: str = DEFAULT_SHEETS_ENDPOINT,
        policy: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        super().__init__(auth, session)
        self.endpoint = endpoint.rstrip("/")
        self.policy = policy or RetryPolicy()
        self.timeout = self.policy.timeout
        self._sleep = sleep

    def request(
        self,
        method: str,
        endpoint: str,
        params: Any = None,
        data: bytes | None = None,
        json: Mapping[str, Any] | None = None,
        files: Any = None,
        headers: MutableMapping[str, str] | None = None,
    ) -> requests.Response:
        if endpoint.startswith(DEFAULT_SHEETS_ENDPOINT):
            endpoint = self.endpoint + endpoint[len(DEFAULT_SHEETS_ENDPOINT) :]
        last = ""
        for attempt in range(self.policy.attempts):
            wait: float | None
            try:
                response = self.session.request(
                    method=method,
                    url=endpoint,
                    json=json,
                    params=params,
                    data=data,
                    files=files,
                    headers=headers,
                    timeout=self.timeout,
                )
            except (requests.ConnectionError, requests.Timeout) as exc:
                last, wait = f"{type(exc).__name__}", None
            else:
                if response.ok:
                    return response
                last = _google_message(response)
                if response.status_code not in RETRY_STATUSES:
                    raise SheetsApiError(f"Google Sheets refused the request ({last})")
                wait = retry_after_seconds(response.headers.get("Retry-After"))
            if attempt + 1 < self.policy.attempts:
                delay = self.policy.delay(attempt, wait)
                log.debug("Sheets call failed (%s); retrying in %.2f s", last, delay)
                self._sleep(delay)
        raise SheetsApiError(
            f"Google Sheets did not answer after {self.policy.attempts} attempts (last: {last})",
            hint="try again later",
        )


def _wire(value: Value) -> Any:
    """A value as JSON for a RAW write (text, most cells, is left as it is without a call)."""
    if value is None:
        return ""
    if isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise WorkbookError(f"{value!r} cannot be written to a sheet")
        return value
    if isinstance(value, Decimal):
        as_float = float(value)
        return as_float if Decimal(repr(as_float)) == value.normalize() or value == 0 else str(value)
    if isinstance(value, date):
        return value.isoformat()
    raise WorkbookError(f"cannot write a {type(value).__name__} to a sheet")


_BLANK_IS_NONE: dict[Cell, Cell] = {"": None}
"""``get(cell, cell)``: an empty cell inside a row reads as None, like ``cell_text``."""


def _extent(rows: Rows) -> tuple[int, int]:
    """(rows, columns) a tab's content spans."""
    return len(rows), max(map(len, rows), default=0)


def _padded(values: list[list[Value]], rows: int, cols: int) -> list[list[Value]]:
    """A rewrite's block grown with blanks over the tab's old extent: the old cells beyond
    the new content are emptied by the same range write that puts the new content in."""
    width = max(cols, len(values[0]) if values else 0)
    if len(values) >= rows and (not values or len(values[0]) >= width):
        return values
    blank: list[Value] = [None] * width
    return [row + blank[len(row) :] for row in values] + [blank] * (rows - len(values))


def merged(blocks: Sequence[Block]) -> list[Block]:
    """The blocks with each run of single cells merged into rectangles, in its place: a
    push's write-back is thousands of cells in a few columns of consecutive rows, which go
    as a few ranges instead of one each (a smaller request, still one). A cell written
    twice keeps the later value; a block of more than one cell stays as it is."""
    out: list[Block] = []
    cells: dict[tuple[str, int, int], Value] = {}
    for block in blocks:
        if len(block.values) == 1 and len(block.values[0]) == 1:
            cells[(block.tab, block.row, block.col)] = block.values[0][0]
            continue
        out += _rectangles(cells)
        cells = {}
        out.append(block)
    return out + _rectangles(cells)


def _rectangles(cells: Mapping[tuple[str, int, int], Value]) -> list[Block]:
    """Cells (tab, row, column -> value) as rows of adjacent cells, then runs of those rows,
    one under the other, over the same columns."""
    rows: list[Block] = []
    for (tab, row, col), value in sorted(cells.items(), key=itemgetter(0)):
        last = rows[-1] if rows else None
        if last is not None and (last.tab, last.row, last.col + len(last.values[0])) == (tab, row, col):
            last.values[0].append(value)
        else:
            rows.append(Block(tab, row, col, [[value]]))
    out: list[Block] = []
    for block in rows:
        last = out[-1] if out else None
        if last is not None and (last.tab, last.col, last.row + len(last.values), len(last.values[0])) == (
            block.tab,
            block.col,
            block.row,
            len(block.values[0]),
        ):
            last.values.append(block.values[0])
        else:
            out.append(block)
    return out


def value_ranges(blocks: Sequence[Block], limit: int) -> list[list[dict[str, Any]]]:
    """The ``data`` of each values batchUpdate: the blocks as ranges, split by rows so that
    no request's JSON exceeds ``limit`` bytes (a single row over it goes alone)."""
    requests_: list[list[dict[str, Any]]] = [[]]
    size = 0
    for block in blocks:
        start, rows_size = 0, 0
        rows: list[list[Any]] = []
        wired = [[v if v.__class__ is str else _wire(v) for v in row] for row in block.values]
        for index, row in enumerate(wired):
            row_size = len(json.dumps(row)) + 2
            if (rows or size) and size + rows_size + row_size > limit:
                if rows:
                    requests_[-1].append(_range(block, start, rows))
                requests_.append([])
                start, rows, size, rows_size = index, [], 0, 0
            rows.append(row)
            rows_size += row_size
        if rows:
            requests_[-1].append(_range(block, start, rows))
            size += rows_size + 100
    return [data for data in requests_ if data]


def _range(block: Block, offset: int, rows: list[list[Any]]) -> dict[str, Any]:
    return {
        "range": a1_range(block.tab, block.row + offset, block.col, len(rows), len(rows[0])),
        "values": rows,
    }


def _landed(structure: Sequence[Mapping[str, Any]], sheets: Mapping[str, Any], protected: set[int]) -> bool:
    """A structure call that answered an error was carried out after all: a tab or a
    protected range it adds exists now (Google applies a batchUpdate whole or not at all)."""
    tabs = [r["addSheet"]["properties"]["title"] for r in structure if "addSheet" in r]
    ranges = [r["addProtectedRange"]["protectedRange"] for r in structure if "addProtectedRange" in r]
    return any(t in sheets for t in tabs) or any(r["protectedRangeId"] in protected for r in ranges)


def _rgb(colour: str) -> dict[str, float]:
    text = colour.lstrip("#")
    return {k: int(text[i : i + 2], 16) / 255 for k, i in (("red", 0), ("green", 2), ("blue", 4))}


def _sizes(sid: int, dimension: str, sizes: Sequence[int]) -> list[dict[str, Any]]:
    """``updateDimensionProperties`` setting ``sizes`` (pixels) from the first row or column,
    one request per run of equal sizes."""
    out = []
    at = 0
    for size, run in groupby(sizes):
        length = len(list(run))
        out.append(
            {
                "updateDimensionProperties": {
                    "range": {
                        "sheetId": sid,
                        "dimension": dimension,
                        "startIndex": at,
                        "endIndex": at + length,
                    },
                    "properties": {"pixelSize": size},
                    "fields": "pixelSize",
                }
            }
        )
        at += length
    return out


def _repeat(grid: Mapping[str, int], field_name: str, value: Any) -> dict[str, Any]:
    """A ``repeatCell`` setting one ``userEnteredFormat`` field over ``grid``."""
    return {
        "repeatCell": {
            "range": dict(grid),
            "cell": {"userEnteredFormat": {field_name: value}},
            "fields": f"userEnteredFormat.{field_name}",
        }
    }


class GoogleWorkbook(Workbook):
    """One Google Sheet, its metadata read once when opened."""

    max_cell_chars = 50_000
    """Google refuses a longer cell ("Your input contains more than the maximum of 50000 ...")."""

    def __init__(self, http: SheetsHTTPClient, key: str) -> None:
        self.http = http
        self.key = key
        self._sheets: dict[str, dict[str, Any]] = {}
        self._protected_ids: set[int] = set()
        self._stale = False
        """A structure call failed: ``_sheets`` may hold what it planned, not what is there."""
        self._known: dict[str, Rows] = {}
        self._read_metadata()

    def _read_metadata(self) -> None:
        sheets: dict[str, dict[str, Any]] = {}
        ids: set[int] = set()
        for sheet in self.http.fetch_sheet_metadata(self.key).get("sheets", []):
            props = sheet["properties"]
            sheets[props["title"]] = {
                "id": props["sheetId"],
                "rows": props.get("gridProperties", {}).get("rowCount", DEFAULT_GRID[0]),
                "cols": props.get("gridProperties", {}).get("columnCount", DEFAULT_GRID[1]),
                "protected": [p.get("description") for p in sheet.get("protectedRanges", [])],
            }
            ids.update(p.get("protectedRangeId") for p in sheet.get("protectedRanges", []))
        self._sheets, self._protected_ids = sheets, ids
        self._stale = False

    def tab_names(self) -> list[str]:
        return list(self._sheets)

    def read_tabs(self, names: Sequence[str]) -> dict[str, Rows]:
        present = [name for name in dict.fromkeys(names) if name in self._sheets]
        if not present:
            return {}
        params = {
            "ranges": [_quote_tab(name) for name in present],
            "valueRenderOption": "UNFORMATTED_VALUE",
            "dateTimeRenderOption": "FORMATTED_STRING",
        }
        response = self.http.request("get", SPREADSHEET_VALUES_BATCH_URL % self.key, params=params)
        # the decoder's number hooks: numbers become cell texts while the answer is decoded
        floats, ints = CellTexts(float), CellTexts(int)
        unblank = _BLANK_IS_NONE.get
        result: dict[str, Rows] = {}
        with paused_gc():  # a row list per sheet row, none in a cycle
            answer = response.json(
                parse_float=floats.__getitem__, parse_int=ints.__getitem__, parse_constant=floats.__getitem__
            )
            for name, value_range in zip(present, answer.get("valueRanges", []), strict=True):
                result[name] = [list(map(unblank, row, row)) for row in value_range.get("values", [])]
            self._known.update({k: [list(r) for r in v] for k, v in result.items()})
        return result

    def write(self, ops: Sequence[Op]) -> list[Missed]:
        # the rows planned and the JSON made are new containers, none in a cycle: the
        # collector's passes over them and over the tabs read would free nothing
        with paused_gc():
            return self._write(ops)

    def _write(self, ops: Sequence[Op]) -> list[Missed]:
        if self._stale:  # an earlier structure call failed: the cached grid may be wrong
            self._read_metadata()
        for tab in fresh_tabs(ops):  # found by key, or appended to: read just before the write
            self._known.pop(tab, None)
        batch, old = self._plan(ops)
        structure = self._structure(batch)
        try:
            self._send_structure(structure)
        except SheetsApiError:
            self._read_metadata()
            if not _landed(structure, self._sheets, self._protected_ids):
                raise
            # Google applies a batchUpdate whole or not at all, and a tab or protected range
            # it was adding (by id) now exists: a retry of a call that had landed was refused
            # (or someone made the tab meanwhile). Plan again against the sheet as it is now.
            for tab in batch.tabs:
                self._known.pop(tab, None)
            batch, old = self._plan(ops)
            self._send_structure(self._structure(batch))
        blocks = []
        for b in batch.blocks:  # a rewrite drops its tab's earlier blocks: its own comes first
            values = _padded(b.values, *old.pop(b.tab)) if b.tab in old else b.values
            if values and values[0]:
                blocks.append(Block(b.tab, b.row, b.col, values))
        for data in value_ranges(merged(blocks), MAX_REQUEST_BYTES):
            self.http.values_batch_update(self.key, {"valueInputOption": "RAW", "data": data})
        if not batch.placed:
            return batch.missed
        after = self.read_tabs(sorted({op.tab for op, _ in batch.placed}))
        return [*batch.missed, *moved(batch.placed, after)]

    def _plan(self, ops: Sequence[Op]) -> tuple[WriteBatch, dict[str, tuple[int, int]]]:
        """The batch, and the old extent of each existing tab it rewrites (read if unknown)."""
        rewritten = {op.tab for op in ops if isinstance(op, Rewrite) and op.tab in self._sheets}
        unknown = sorted({*tabs_to_read(ops, self._known, self._sheets), *(rewritten - self._known.keys())})
        if unknown:
            self.read_tabs(unknown)
        old = {tab: _extent(self._known[tab]) for tab in rewritten}
        return plan_write(ops, self._known), old

    def _send_structure(self, structure: list[dict[str, Any]]) -> None:
        if structure:
            self._stale = True
            self.http.batch_update(self.key, {"requests": structure})
            self._stale = False

    def close(self) -> None:
        self.http.session.close()

    # -- the spreadsheets batchUpdate ------------------------------------------------------

    def _structure(self, batch: WriteBatch) -> list[dict[str, Any]]:
        needed: dict[str, tuple[int, int]] = {}
        for b in batch.blocks:
            if not b.values or not b.values[0]:  # an empty rewrite clears; it needs no room
                continue
            rows, cols = needed.get(b.tab, (0, 0))
            needed[b.tab] = (max(rows, b.row + len(b.values) - 1), max(cols, b.col + len(b.values[0]) - 1))
        requests_: list[dict[str, Any]] = []
        next_id = max((s["id"] for s in self._sheets.values()), default=0) + 1
        for tab in batch.tabs:
            rows, cols = needed.get(tab, (0, 0))
            sheet = self._sheets.get(tab)
            if sheet is None:
                sheet = {
                    "id": next_id,
                    "rows": max(rows, DEFAULT_GRID[0]),
                    "cols": max(cols, DEFAULT_GRID[1]),
                }
                sheet["protected"] = []
                next_id += 1
                self._sheets[tab] = sheet
                props = {"sheetId": sheet["id"], "title": tab}
                grid = {"rowCount": sheet["rows"], "columnCount": sheet["cols"]}
                requests_.append({"addSheet": {"properties": {**props, "gridProperties": grid}}})
            elif rows > sheet["rows"] or cols > sheet["cols"]:
                sheet["rows"], sheet["cols"] = max(rows, sheet["rows"]), max(cols, sheet["cols"])
                grid = {"rowCount": sheet["rows"], "columnCount": sheet["cols"]}
                requests_.append(
                    {
                        "updateSheetProperties": {
                            "properties": {"sheetId": sheet["id"], "gridProperties": grid},
                            "fields": "gridProperties.rowCount,gridProperties.columnCount",
                        }
                    }
                )
        for tab, (rows, cols) in batch.clear_below.items():
            requests_.extend(self._clear(tab, rows, cols))
        for style in batch.styles:
            requests_.extend(self._style(style, rewritten=style.tab in batch.clear_below))
        return requests_

    def _new_protected_id(self) -> int:
        """The lowest id no protected range has: given by us, not by Google, so that a
        replayed call that had landed is refused instead of adding the range twice."""
        new = next(n for n in count(1) if n not in self._protected_ids)
        self._protected_ids.add(new)
        return new

    def _clear(self, tab: str, rows: int, cols: int) -> list[dict[str, Any]]:
        """Formats and checkboxes outside a rewritten tab's new extent (values: see ``write``)."""
        sheet = self._sheets[tab]
        fields = "userEnteredFormat,dataValidation"
        ranges = []
        if rows < sheet["rows"]:
            ranges.append({"sheetId": sheet["id"], "startRowIndex": rows})
        if cols < sheet["cols"] and rows:
            ranges.append({"sheetId": sheet["id"], "endRowIndex": rows, "startColumnIndex": cols})
        return [{"updateCells": {"range": r, "fields": fields}} for r in ranges]

    def _style(self, style: Style, *, rewritten: bool) -> list[dict[str, Any]]:
        sheet = self._sheets[style.tab]
        sid, top = sheet["id"], style.header_row
        rows = self._known.get(style.tab, [])
        header = rows[top - 1] if len(rows) >= top else []

        def col(title: str) -> int:
            index = column_index(header, title)
            if index is None:
                raise WorkbookError(f"tab {style.tab} has no column {title!r} to format")
            return index

        def columns(index: int, start: int = top) -> dict[str, int]:
            return {
                "sheetId": sid,
                "startRowIndex": start,
                "startColumnIndex": index,
                "endColumnIndex": index + 1,
            }

        frozen = top if style.frozen_rows is None else style.frozen_rows
        out: list[dict[str, Any]] = [
            {
                "updateSheetProperties": {
                    "properties": {"sheetId": sid, "gridProperties": {"frozenRowCount": frozen}},
                    "fields": "gridProperties.frozenRowCount",
                }
            }
        ]
        if style.bold_header and header:
            out.append(
                {
                    "repeatCell": {
                        "range": {
                            "sheetId": sid,
                            "startRowIndex": top - 1,
                            "endRowIndex": top,
                            "startColumnIndex": 0,
                            "endColumnIndex": len(header),
                        },
                        "cell": {"userEnteredFormat": {"textFormat": {"bold": True}}},
                        "fields": "userEnteredFormat.textFormat.bold",
                    }
                }
            )
        for title in style.checkboxes:
            rule: dict[str, Any] = {"condition": {"type": "BOOLEAN"}}
            out.append({"setDataValidation": {"range": columns(col(title)), "rule": rule}})
        for title, dropdown in style.dropdowns.items():
            if dropdown.source is not None:
                source_tab, source_col = dropdown.source
                letter = column_letter(
                    (column_index(self._known.get(source_tab, [[]])[0], source_col) or 0) + 1
                )
                values = [{"userEnteredValue": f"={_quote_tab(source_tab)}!${letter}$2:${letter}"}]
                condition: dict[str, Any] = {"type": "ONE_OF_RANGE", "values": values}
            elif dropdown.values:
                condition = {
                    "type": "ONE_OF_LIST",
                    "values": [{"userEnteredValue": v} for v in dropdown.values],
                }
            else:
                continue
            rule = {"condition": condition, "showCustomUi": True, "strict": False}
            out.append({"setDataValidation": {"range": columns(col(title)), "rule": rule}})
        for title in style.protected:
            note = f"{PROTECTED_NOTE} ({title})"
            if note in sheet["protected"]:
                continue
            sheet["protected"].append(note)
            protected = {
                "protectedRangeId": self._new_protected_id(),
                "range": columns(col(title), 0),
                "description": note,
                "warningOnly": True,
            }
            out.append({"addProtectedRange": {"protectedRange": protected}})
        if style.filter and header:
            grid = {
                "sheetId": sid,
                "startRowIndex": top - 1,
                "startColumnIndex": 0,
                "endColumnIndex": len(header),
            }
            out.append({"setBasicFilter": {"filter": {"range": grid}}})
        if rewritten and len(rows) > top:
            out.append(
                {
                    "repeatCell": {
                        "range": {"sheetId": sid, "startRowIndex": top, "endRowIndex": len(rows)},
                        "cell": {"userEnteredFormat": {}},
                        "fields": "userEnteredFormat.backgroundColor",
                    }
                }
            )
        ordered = sorted(style.row_colors.items())
        runs = groupby(enumerate(ordered), key=lambda item: (item[1][0] - item[0], item[1][1]))
        for (_, colour), group in runs:
            members = [row for _, (row, _) in group]
            out.append(
                _repeat(
                    {"sheetId": sid, "startRowIndex": members[0] - 1, "endRowIndex": members[-1]},
                    "backgroundColor",
                    _rgb(colour),
                )
            )
        for (row, number), colour in sorted(style.cell_colors.items()):
            grid = {"sheetId": sid, "startRowIndex": row - 1, "endRowIndex": row}
            out.append(
                _repeat(
                    {**grid, "startColumnIndex": number - 1, "endColumnIndex": number},
                    "backgroundColor",
                    _rgb(colour),
                )
            )
        for title, code in style.number_formats.items():
            kind = "PERCENT" if "%" in code else "NUMBER"
            out.append(_repeat(columns(col(title)), "numberFormat", {"type": kind, "pattern": code}))
        wrapped = [col(title) for title in style.wrap]
        if wrapped:
            out.append(_repeat({"sheetId": sid, "startRowIndex": top}, "verticalAlignment", "TOP"))
        out += [_repeat(columns(index), "wrapStrategy", "WRAP") for index in wrapped]
        if style.fit:  # every row sized: one whose text got shorter shrinks back
            if top > 1:  # the block above the table reads left to right, numbers too
                out.append(_repeat({"sheetId": sid, "endRowIndex": top - 1}, "horizontalAlignment", "LEFT"))
            layout = fit(rows, top, wrapped)
            out += _sizes(sid, "COLUMNS", [width * CHAR_PIXELS for width in layout.widths])
            tall = {row: max(ROW_PIXELS, lines * LINE_PIXELS + 4) for row, lines in layout.lines.items()}
            out += _sizes(sid, "ROWS", [tall.get(row, ROW_PIXELS) for row in range(1, sheet["rows"] + 1)])
        return out


def _credentials(settings: Settings) -> Any:
    """Service account or authorized-user JSON; else gspread's OAuth user flow."""
    path = settings.google_credentials_file()
    if path is not None:
        import json

        kind = json.loads(Path(path).read_text(encoding="utf-8"))["type"]
        if kind == "service_account":
            from google.oauth2.service_account import Credentials as ServiceAccount

            return ServiceAccount.from_service_account_file(str(path), scopes=SCOPES)
        from google.oauth2.credentials import Credentials as UserCredentials

        return UserCredentials.from_authorized_user_file(str(path), scopes=SCOPES)
    import gspread

    try:
        return gspread.oauth(scopes=SCOPES).http_client.auth
    except (OSError, ValueError) as exc:
        raise ConfigError(
            "no Google credentials: set GOOGLE_SERVICE_ACCOUNT_FILE (or GOOGLE_APPLICATION_CREDENTIALS) "
            "to a service-account JSON, or put an OAuth client in ~/.config/gspread/credentials.json "
            f"for the user login ({type(exc).__name__})"
        ) from exc


def open_google(settings: Settings, key: str, *, policy: RetryPolicy | None = None) -> GoogleWorkbook:
    """Open a Google Sheet by key; an emulator endpoint needs no credentials."""
    if settings.uses_sheets_emulator:
        http = SheetsHTTPClient(None, requests.Session(), endpoint=settings.sheets_endpoint, policy=policy)
    else:
        http = SheetsHTTPClient(_credentials(settings), endpoint=settings.sheets_endpoint, policy=policy)
    return GoogleWorkbook(http, key)
