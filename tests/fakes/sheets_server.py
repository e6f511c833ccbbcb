"""A fake Google Sheets API v4: a stateful loopback HTTP server for tests and benchmarks.

Unmodified gspread talks to it when ``MATSYNC_SHEETS_ENDPOINT`` (our endpoint override)
points at ``FakeSheets.url``. It implements what matsync uses, the way Google does:

- ``GET  /v4/spreadsheets/{id}``                    metadata (sheets, grid, protected ranges)
- ``GET  /v4/spreadsheets/{id}/values:batchGet``    ``ranges`` (repeated), ``valueRenderOption``
- ``GET  /v4/spreadsheets/{id}/values/{range}``     one range
- ``PUT  /v4/spreadsheets/{id}/values/{range}``     ``valueInputOption`` required
- ``POST /v4/spreadsheets/{id}/values:batchUpdate`` ``valueInputOption`` required
- ``POST /v4/spreadsheets/{id}:batchUpdate``        addSheet, deleteSheet, updateSheetProperties,
  appendDimension, updateDimensionProperties (pixelSize), repeatCell, updateCells (clearing
  only), setDataValidation, addProtectedRange, deleteProtectedRange, setBasicFilter,
  clearBasicFilter

Like Google it validates A1 ranges and grid limits, checks every batchUpdate request
against Google's own schema (``sheets_v4_requests.json``: the request kinds above and what
they reference, from the discovery document google-api-python-client ships), so a field
name Google does not know, a value of the wrong type or outside an enum is refused as
Google refuses it; refuses request kinds it does not implement with a
400 in Google's error shape (``{"error": {"code", "message", "status"}}``), applies a
batchUpdate atomically (all requests or none), keeps the 50,000-character cell limit
(counted as Google counts, in UTF-16 code units: an emoji is two) and
stores values by ``valueInputOption``: RAW keeps text as text (``=1+1`` stays a string);
USER_ENTERED turns ``=...`` into a formula, ``TRUE``/``FALSE`` into booleans and numbers
into numbers, and drops a leading apostrophe. Formulas are stored, not evaluated: their
value reads as ``#ERROR!`` (their text with ``valueRenderOption=FORMULA``).

For tests: ``counts`` (requests per kind) and ``requests`` (total) count every request
received, failed ones included, and ``body_sizes`` records each request body's size;
``inject(status, count, retry_after)`` makes the next
``count`` requests (``None``: all of them) fail like Google's 429 / 5xx; ``kind=`` limits
the fault to one kind of request (``"values.batchUpdate"``), and ``committed=True`` carries
the request out before answering the error (Google committed, the answer was lost); ``latency``
delays every answer. ``create_spreadsheet`` / ``values`` / ``sheet`` set up and inspect
state directly, without counting.

    with FakeSheets() as fake:
        key = fake.create_spreadsheet({"MASTER": [["SKU", "Name"], ["A-1", "Oak"]]})
        ... point MATSYNC_SHEETS_ENDPOINT at fake.url and MATERIAL_LIBRARY_MASTER at key ...
        assert fake.counts["values.batchGet"] == 1
"""

from __future__ import annotations

import copy
import json
import re
import secrets
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

__all__ = ["CELL_LIMIT", "FakeSheets", "Formula", "GoogleError", "Sheet"]

CELL_LIMIT = 50_000
DEFAULT_ROWS, DEFAULT_COLS = 1000, 26
DEFAULT_HEIGHT, DEFAULT_WIDTH = 21, 100
"""Google's row height and column width in pixels."""
SCHEMAS: dict[str, Any] = json.loads((Path(__file__).with_name("sheets_v4_requests.json")).read_text())[
    "schemas"
]
REQUEST_KINDS = frozenset(
    {
        "addSheet",
        "deleteSheet",
        "updateSheetProperties",
        "appendDimension",
        "updateDimensionProperties",
        "repeatCell",
        "updateCells",
        "setDataValidation",
        "addProtectedRange",
        "deleteProtectedRange",
        "setBasicFilter",
        "clearBasicFilter",
    }
)
STATUS_NAMES = {
    400: "INVALID_ARGUMENT",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
}


@dataclass(frozen=True)
class _Fault:
    status: int
    retry_after: str | None
    kind: str | None
    """Only requests of this kind (a ``counts`` key) take the fault; ``None``: any."""
    committed: bool
    """The request is carried out first; only its answer is the error."""


class GoogleError(Exception):
    """An error answer, rendered in Google's JSON error shape."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    def body(self) -> dict[str, Any]:
        return {
            "error": {
                "code": self.code,
                "message": self.message,
                "status": STATUS_NAMES.get(self.code, "UNKNOWN"),
            }
        }


@dataclass(frozen=True)
class Formula:
    text: str


@dataclass
class Sheet:
    """One tab: typed values (``str``, number, ``bool``, ``Formula``) and what formats it."""

    sheet_id: int
    title: str
    row_count: int = DEFAULT_ROWS
    col_count: int = DEFAULT_COLS
    frozen_rows: int = 0
    rows: list[list[Any]] = field(default_factory=list)
    formats: list[tuple[dict[str, Any], dict[str, Any], str]] = field(default_factory=list)
    """(range, cell, fields) of every repeatCell, in order."""
    validations: list[tuple[dict[str, Any], dict[str, Any] | None]] = field(default_factory=list)
    """(range, rule or None for cleared), in order: the last one covering a cell wins."""
    protected: list[dict[str, Any]] = field(default_factory=list)
    basic_filter: dict[str, Any] | None = None
    widths: dict[int, int] = field(default_factory=dict)
    """0-based column -> pixel width set by updateDimensionProperties."""
    heights: dict[int, int] = field(default_factory=dict)
    """0-based row -> pixel height set by updateDimensionProperties."""

    def width(self, col: int) -> int:
        """A 1-based column's width in pixels."""
        return self.widths.get(col - 1, DEFAULT_WIDTH)

    def height(self, row: int) -> int:
        """A 1-based row's height in pixels."""
        return self.heights.get(row - 1, DEFAULT_HEIGHT)

    def format_at(self, row: int, col: int) -> dict[str, Any]:
        """The userEnteredFormat of a 1-based cell: every repeatCell over it, the fields each
        one's mask names set in order (what Google keeps)."""
        found: dict[str, Any] = {}
        for grid, cell, fields in self.formats:
            if not _covers(grid, row - 1, col - 1):
                continue
            for name in (f.strip() for f in fields.split(",")):
                path = name.removeprefix("userEnteredFormat").lstrip(".").split(".") if name else []
                _set_path(found, path, _get_path(cell.get("userEnteredFormat", {}), path))
        return found

    def value(self, row: int, col: int) -> Any:
        """The stored value at 1-based (row, col), ``None`` when empty."""
        if row <= len(self.rows) and col <= len(self.rows[row - 1]):
            return self.rows[row - 1][col - 1]
        return None

    def validation_at(self, row: int, col: int) -> dict[str, Any] | None:
        """The data-validation rule of a 1-based cell (checkbox: condition type BOOLEAN)."""
        found = None
        for grid, rule in self.validations:
            if _covers(grid, row - 1, col - 1):
                found = rule
        return found

    def protected_at(self, row: int, col: int) -> list[dict[str, Any]]:
        """The protected ranges over a 1-based cell."""
        return [p for p in self.protected if _covers(p["range"], row - 1, col - 1)]

    def formats_at(self, row: int, col: int) -> list[dict[str, Any]]:
        return [cell for grid, cell, _ in self.formats if _covers(grid, row - 1, col - 1)]

    def properties(self, index: int) -> dict[str, Any]:
        grid: dict[str, Any] = {"rowCount": self.row_count, "columnCount": self.col_count}
        if self.frozen_rows:
            grid["frozenRowCount"] = self.frozen_rows
        return {
            "sheetId": self.sheet_id,
            "title": self.title,
            "index": index,
            "sheetType": "GRID",
            "gridProperties": grid,
        }


def _get_path(value: Any, path: Sequence[str]) -> Any:
    for name in path:
        value = value.get(name) if isinstance(value, dict) else None
    return value


def _set_path(target: dict[str, Any], path: Sequence[str], value: Any) -> None:
    """Set (or with ``None`` remove) a field by its mask path; an empty path clears all."""
    if not path or path == [""]:
        target.clear()
        target.update(copy.deepcopy(value) if isinstance(value, dict) else {})
        return
    for name in path[:-1]:
        target = target.setdefault(name, {})
    if value is None:
        target.pop(path[-1], None)
    else:
        target[path[-1]] = copy.deepcopy(value)


_SCALARS: dict[str, type | tuple[type, ...]] = {
    "integer": int,
    "number": (int, float),
    "boolean": bool,
    "string": str,
}


def check_schema(value: Any, schema: Mapping[str, Any], where: str) -> None:
    """Refuse ``value`` as Google's JSON parser does when it does not fit the schema:
    unknown field names, wrong types, values outside an enum."""
    if "$ref" in schema:
        schema = SCHEMAS[schema["$ref"]]
    kind = schema.get("type")
    wrong = GoogleError(400, f"Invalid value at '{where}' ({kind}), {json.dumps(value)}")
    if kind == "object":
        if not isinstance(value, dict):
            raise wrong
        known, extra = schema.get("properties", {}), schema.get("additionalProperties")
        for name, item in value.items():
            inner = known.get(name, extra)
            if inner is None:
                unknown = f"Unknown name \"{name}\" at '{where}': Cannot find field."
                raise GoogleError(400, f"Invalid JSON payload received. {unknown}")
            check_schema(item, inner, f"{where}.{name}")
    elif kind == "array":
        if not isinstance(value, list):
            raise wrong
        for index, item in enumerate(value):
            check_schema(item, schema["items"], f"{where}[{index}]")
    elif kind in _SCALARS:
        is_bool = isinstance(value, bool)
        if not isinstance(value, _SCALARS[kind]) or is_bool != (kind == "boolean"):
            raise wrong
        if value not in schema.get("enum", [value]):
            raise wrong


def _covers(grid: Mapping[str, Any], row: int, col: int) -> bool:
    return grid.get("startRowIndex", 0) <= row < grid.get("endRowIndex", 10**9) and grid.get(
        "startColumnIndex", 0
    ) <= col < grid.get("endColumnIndex", 10**9)


@dataclass
class Spreadsheet:
    key: str
    title: str
    sheets: list[Sheet] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def by_title(self, title: str) -> Sheet | None:
        return next((s for s in self.sheets if s.title == title), None)

    def by_id(self, sheet_id: Any) -> Sheet:
        found = next((s for s in self.sheets if s.sheet_id == sheet_id), None)
        if found is None:
            raise GoogleError(400, f"Invalid requests: No grid with id: {sheet_id}")
        return found


# -- A1 notation ---------------------------------------------------------------------------

_CELL = re.compile(r"^([A-Za-z]*)(\d*)$")


def _col_number(letters: str) -> int:
    number = 0
    for char in letters.upper():
        number = number * 26 + ord(char) - 64
    return number


def _col_letters(number: int) -> str:
    out = ""
    while number > 0:
        number, rest = divmod(number - 1, 26)
        out = chr(65 + rest) + out
    return out


@dataclass(frozen=True)
class _Range:
    sheet: Sheet
    top: int
    left: int
    bottom: int | None
    right: int | None

    def a1(self) -> str:
        bottom = self.bottom or self.sheet.row_count
        right = self.right or self.sheet.col_count
        title = "'" + self.sheet.title.replace("'", "''") + "'"
        return f"{title}!{_col_letters(self.left)}{self.top}:{_col_letters(right)}{bottom}"


def _parse_range(book: Spreadsheet, text: str) -> _Range:
    bad = GoogleError(400, f"Unable to parse range: {text}")
    if "!" in text:
        title, _, cells = text.rpartition("!")
    elif book.by_title(text.strip("'").replace("''", "'")) is not None:
        title, cells = text, ""
    else:
        title, cells = "", text
    if title.startswith("'") and title.endswith("'") and len(title) >= 2:
        title = title[1:-1].replace("''", "'")
    sheet = book.by_title(title) if title else (book.sheets[0] if book.sheets else None)
    if sheet is None:
        raise bad
    if not cells:
        return _Range(sheet, 1, 1, None, None)
    first, _, last = cells.partition(":")
    start, end = _CELL.match(first), _CELL.match(last or first)
    if not start or not end or not (start[1] or start[2]):
        raise bad
    top = int(start[2]) if start[2] else 1
    left = _col_number(start[1]) if start[1] else 1
    bottom = int(end[2]) if end[2] else None
    right = _col_number(end[1]) if end[1] else None
    if top < 1 or (bottom is not None and bottom < top) or (right is not None and right < left):
        raise bad
    return _Range(sheet, top, left, bottom, right)


def _grid_error(sheet: Sheet, a1: str) -> GoogleError:
    return GoogleError(
        400,
        f"Range ({a1}) exceeds grid limits. Max rows: {sheet.row_count}, max columns: {sheet.col_count}",
    )


# -- values --------------------------------------------------------------------------------

_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")


def _utf16_units(text: str) -> int:
    """A cell's length as Google counts it against ``CELL_LIMIT`` (Java strings: UTF-16)."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def _user_entered(value: Any) -> Any:
    """A value typed by a person (USER_ENTERED): formulas, booleans and numbers are parsed."""
    if not isinstance(value, str):
        return value
    if value.startswith("'"):
        return value[1:]
    if value.startswith("=") and len(value) > 1:
        return Formula(value)
    if value.upper() in {"TRUE", "FALSE"}:
        return value.upper() == "TRUE"
    if _NUMBER.match(value.strip()):
        number = float(value)
        return (
            int(number) if number.is_integer() and "." not in value and "e" not in value.lower() else number
        )
    return value


def _render(value: Any, option: str) -> Any:
    if isinstance(value, Formula):
        return value.text if option == "FORMULA" else "#ERROR!"
    if option != "FORMATTED_VALUE":
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _store(value: Any) -> Any:
    return None if value == "" else value


# -- the server ----------------------------------------------------------------------------


class FakeSheets:
    """The fake API, its state, request counters and fault injection (see the module doc)."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.spreadsheets: dict[str, Spreadsheet] = {}
        self.counts: Counter[str] = Counter()
        self.body_sizes: list[tuple[str, int]] = []
        """(path, bytes) of every request that carried a body (Google advises 2 MB at most)."""
        self.latency = 0.0
        self.before_answer: Callable[[str], None] | None = None
        """Called with each request's kind (``"get"``, ``"values.batchGet"`` ...) before it is
        answered: a test holds a request back until something else has happened."""
        self._faults: list[_Fault] = []
        self._fault_forever: _Fault | None = None
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer((host, port), _handler(self))
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    # lifecycle
    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> FakeSheets:
        self._thread = threading.Thread(target=self._server.serve_forever, name="fake-sheets", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> FakeSheets:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()

    # setup and inspection (not counted)
    def create_spreadsheet(
        self, tabs: Mapping[str, Sequence[Sequence[Any]]] | None = None, title: str = "matsync"
    ) -> str:
        """A new spreadsheet with the given tabs (values stored as RAW); returns its key."""
        key = secrets.token_urlsafe(33)[:44]
        book = Spreadsheet(key, title)
        for index, (name, rows) in enumerate((tabs or {"Sheet1": []}).items()):
            sheet = Sheet(index, name)
            sheet.rows = [[_store(v) for v in row] for row in rows]
            sheet.row_count = max(DEFAULT_ROWS, len(rows))
            sheet.col_count = max(DEFAULT_COLS, max((len(r) for r in rows), default=0))
            book.sheets.append(sheet)
        self.spreadsheets[key] = book
        return key

    def sheet(self, key: str, title: str) -> Sheet:
        found = self.spreadsheets[key].by_title(title)
        if found is None:
            raise KeyError(title)
        return found

    def values(self, key: str, title: str) -> list[list[Any]]:
        """A tab's stored values, trailing blanks trimmed (``None`` for an empty cell)."""
        return _trimmed(self.sheet(key, title).rows)

    @property
    def requests(self) -> int:
        return sum(self.counts.values())

    def reset_counts(self) -> None:
        self.counts.clear()

    def inject(
        self,
        status: int = 429,
        count: int | None = 1,
        retry_after: str | None = "0",
        *,
        kind: str | None = None,
        committed: bool = False,
    ) -> None:
        """The next ``count`` requests (all of them for ``None``) of ``kind`` (any kind for
        ``None``) answer ``status``; ``committed``: after being carried out."""
        fault = _Fault(status, retry_after, kind, committed)
        with self._lock:
            if count is None:
                self._fault_forever = fault
            else:
                self._faults.extend([fault] * count)

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()
            self._fault_forever = None

    def _next_fault(self, kind: str) -> _Fault | None:
        with self._lock:
            for index, fault in enumerate(self._faults):
                if fault.kind in (None, kind):
                    return self._faults.pop(index)
            forever = self._fault_forever
            return forever if forever is not None and forever.kind in (None, kind) else None

    # the API
    def handle(self, method: str, path: str, query: dict[str, list[str]], body: Any) -> tuple[int, Any]:
        route = _route(method, path)
        kind = route[0] if route else "unknown"
        self.counts[kind] += 1
        if self.latency:
            time.sleep(self.latency)
        if self.before_answer is not None:
            self.before_answer(kind)
        fault = self._next_fault(kind)
        if fault is None:
            return self._answer(method, path, route, query, body)
        if fault.committed:
            status, answer = self._answer(method, path, route, query, body)
            if status != 200:
                return status, answer
        message = (
            "Quota exceeded for quota metric 'Requests'."
            if fault.status == 429
            else "The service is currently unavailable."
        )
        return fault.status, (GoogleError(fault.status, message).body(), fault.retry_after)

    def _answer(
        self, method: str, path: str, route: tuple[str, str, str] | None, query: Any, body: Any
    ) -> tuple[int, Any]:
        if route is None:
            return 404, GoogleError(404, f"Method not found: {method} {path}").body()
        kind, key, rest = route
        book = self.spreadsheets.get(key)
        if book is None:
            return 404, GoogleError(404, "Requested entity was not found.").body()
        try:
            with book.lock:
                return 200, getattr(self, "_" + kind.replace(".", "_"))(book, query, body, rest)
        except GoogleError as exc:
            return exc.code, exc.body()

    def _get(self, book: Spreadsheet, query: Any, body: Any, rest: str) -> Any:
        sheets = []
        for index, sheet in enumerate(book.sheets):
            entry: dict[str, Any] = {"properties": sheet.properties(index)}
            if sheet.protected:
                entry["protectedRanges"] = sheet.protected
            if sheet.basic_filter:
                entry["basicFilter"] = sheet.basic_filter
            sheets.append(entry)
        return {
            "spreadsheetId": book.key,
            "properties": {"title": book.title, "locale": "en_US", "timeZone": "Etc/GMT"},
            "sheets": sheets,
            "spreadsheetUrl": f"https://docs.google.com/spreadsheets/d/{book.key}/edit",
        }

    def _read(self, book: Spreadsheet, text: str, query: Mapping[str, list[str]]) -> dict[str, Any]:
        option = query.get("valueRenderOption", ["FORMATTED_VALUE"])[0]
        if option not in {"FORMATTED_VALUE", "UNFORMATTED_VALUE", "FORMULA"}:
            raise GoogleError(400, f"Invalid value at 'value_render_option' ({option})")
        area = _parse_range(book, text)
        bottom = min(area.bottom or area.sheet.row_count, area.sheet.row_count)
        right = min(area.right or area.sheet.col_count, area.sheet.col_count)
        # values that render as themselves skip _render, and each row is trimmed as it is
        # made, not copied again (a 50k-row master is 1.4M cells)
        as_is = {str} if option == "FORMATTED_VALUE" else {str, int, float, bool}
        values = []
        for row in area.sheet.rows[area.top - 1 : bottom]:
            line = [
                v if v.__class__ in as_is else "" if v is None else _render(v, option)
                for v in row[area.left - 1 : right]
            ]
            while line and line[-1] == "":
                line.pop()
            values.append(line)
        while values and not values[-1]:
            values.pop()
        answer: dict[str, Any] = {"range": area.a1(), "majorDimension": "ROWS"}
        if values:
            answer["values"] = values
        return answer

    def _values_batchGet(self, book: Spreadsheet, query: Any, body: Any, rest: str) -> Any:
        ranges = query.get("ranges", [])
        if not ranges:
            raise GoogleError(400, "ranges must be provided")
        return {"spreadsheetId": book.key, "valueRanges": [self._read(book, r, query) for r in ranges]}

    def _values_get(self, book: Spreadsheet, query: Any, body: Any, rest: str) -> Any:
        return self._read(book, rest, query)

    def _write(self, book: Spreadsheet, option: str, data: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
        if option not in {"RAW", "USER_ENTERED"}:
            raise GoogleError(400, "Invalid valueInputOption: must be RAW or USER_ENTERED")
        planned = []
        for entry in data:
            area = _parse_range(book, entry.get("range", ""))
            values = entry.get("values") or []
            bottom = area.top + len(values) - 1
            right = area.left + max((len(r) for r in values), default=1) - 1
            if area.bottom is not None and bottom > area.bottom:
                raise GoogleError(
                    400,
                    f"Requested writing within range [{entry['range']}], but tried writing to row [{bottom}]",
                )
            if area.right is not None and right > area.right:
                raise GoogleError(
                    400,
                    f"Requested writing within range [{entry['range']}], "
                    f"but tried writing to column [{_col_letters(right)}]",
                )
            if bottom > area.sheet.row_count or right > area.sheet.col_count:
                raise _grid_error(area.sheet, entry["range"])
            for row in values:
                for value in row:
                    # a text of at most half the limit in code points is within it in UTF-16 units
                    if (
                        isinstance(value, str)
                        and len(value) > CELL_LIMIT // 2
                        and _utf16_units(value) > CELL_LIMIT
                    ):
                        raise GoogleError(
                            400,
                            f"Your input contains more than the maximum of {CELL_LIMIT} "
                            "characters in a single cell.",
                        )
                    if isinstance(value, list | dict):
                        raise GoogleError(
                            400, "Invalid values: a cell value must be a string, number or boolean"
                        )
            planned.append((area, values))
        cells = 0
        for area, values in planned:
            sheet = area.sheet
            for offset, row in enumerate(values):
                index = area.top - 1 + offset
                sheet.rows.extend([] for _ in range(index + 1 - len(sheet.rows)))
                line = sheet.rows[index]
                need = area.left - 1 + len(row)
                line.extend([None] * (need - len(line)))
                for c, value in enumerate(row):
                    if value is None:
                        continue  # null leaves the cell as it is
                    line[area.left - 1 + c] = _store(value if option == "RAW" else _user_entered(value))
                    cells += 1
        return {
            "spreadsheetId": book.key,
            "totalUpdatedCells": cells,
            "totalUpdatedSheets": len({a.sheet.title for a, _ in planned}),
        }

    def _values_batchUpdate(self, book: Spreadsheet, query: Any, body: Any, rest: str) -> Any:
        body = body or {}
        return self._write(book, body.get("valueInputOption", ""), body.get("data", []))

    def _values_update(self, book: Spreadsheet, query: Any, body: Any, rest: str) -> Any:
        option = query.get("valueInputOption", [""])[0]
        return self._write(book, option, [{"range": rest, "values": (body or {}).get("values", [])}])

    def _batchUpdate(self, book: Spreadsheet, query: Any, body: Any, rest: str) -> Any:
        requests = (body or {}).get("requests")
        if not isinstance(requests, list):
            raise GoogleError(400, "Invalid JSON payload received. 'requests' must be a list.")
        shadow = [copy.copy(s) for s in book.sheets]
        for sheet in shadow:
            sheet.rows = list(sheet.rows)
            sheet.formats, sheet.validations = list(sheet.formats), list(sheet.validations)
            sheet.protected = list(sheet.protected)
            sheet.widths, sheet.heights = dict(sheet.widths), dict(sheet.heights)
        trial = Spreadsheet(book.key, book.title, shadow)
        replies = []
        for index, request in enumerate(requests):
            if not isinstance(request, dict) or len(request) != 1:
                raise GoogleError(400, f"Invalid requests[{index}]: exactly one kind of request must be set")
            ((kind, params),) = request.items()
            check_schema(
                request,
                SCHEMAS["Request"] if kind in REQUEST_KINDS else {"type": "object"},
                f"requests[{index}]",
            )
            if kind not in REQUEST_KINDS:
                raise GoogleError(
                    400,
                    f'Invalid JSON payload received. Unknown name "{kind}" '
                    f"at 'requests[{index}]': Cannot find field.",
                )
            try:
                replies.append(getattr(self, "_req_" + kind)(trial, params or {}))
            except GoogleError as exc:
                raise GoogleError(exc.code, f"Invalid requests[{index}].{kind}: {exc.message}") from exc
        book.sheets = trial.sheets
        return {"spreadsheetId": book.key, "replies": replies}

    # batchUpdate requests: each validates, then changes the (shadow) spreadsheet
    @staticmethod
    def _grid(book: Spreadsheet, grid: Any) -> Sheet:
        if not isinstance(grid, dict):
            raise GoogleError(400, "range is required")
        sheet = book.by_id(grid.get("sheetId", 0))
        rows = (grid.get("startRowIndex", 0), grid.get("endRowIndex", sheet.row_count))
        cols = (grid.get("startColumnIndex", 0), grid.get("endColumnIndex", sheet.col_count))
        for start, end in (rows, cols):
            if start < 0 or end < start:
                raise GoogleError(400, f"Invalid range: start {start} and end {end}")
        if rows[1] > sheet.row_count or cols[1] > sheet.col_count:
            raise _grid_error(sheet, f"'{sheet.title}'!R{rows[0] + 1}C{cols[0] + 1}:R{rows[1]}C{cols[1]}")
        return sheet

    def _req_addSheet(self, book: Spreadsheet, params: Any) -> Any:
        props = params.get("properties", {})
        title = props.get("title") or f"Sheet{len(book.sheets) + 1}"
        if book.by_title(title) is not None:
            raise GoogleError(
                400, f'A sheet with the name "{title}" already exists. Please enter another name.'
            )
        sheet_id = props.get("sheetId", secrets.randbelow(2**31))
        if any(s.sheet_id == sheet_id for s in book.sheets):
            raise GoogleError(400, f"A sheet with id {sheet_id} already exists.")
        grid = props.get("gridProperties", {})
        sheet = Sheet(
            sheet_id, title, grid.get("rowCount", DEFAULT_ROWS), grid.get("columnCount", DEFAULT_COLS)
        )
        sheet.frozen_rows = grid.get("frozenRowCount", 0)
        book.sheets.append(sheet)
        return {"addSheet": {"properties": sheet.properties(len(book.sheets) - 1)}}

    def _req_deleteSheet(self, book: Spreadsheet, params: Any) -> Any:
        book.sheets.remove(book.by_id(params.get("sheetId")))
        return {}

    def _req_updateSheetProperties(self, book: Spreadsheet, params: Any) -> Any:
        fields = params.get("fields")
        if not fields:
            raise GoogleError(400, "fields is required")
        props = params.get("properties", {})
        sheet = book.by_id(props.get("sheetId", 0))
        grid = props.get("gridProperties", {})
        for name in (f.strip() for f in fields.split(",")):
            if name == "title":
                sheet.title = props["title"]
            elif name == "gridProperties.rowCount":
                sheet.row_count = grid["rowCount"]
                sheet.rows = sheet.rows[: sheet.row_count]
            elif name == "gridProperties.columnCount":
                sheet.col_count = grid["columnCount"]
                sheet.rows = [r[: sheet.col_count] for r in sheet.rows]
            elif name == "gridProperties.frozenRowCount":
                sheet.frozen_rows = grid.get("frozenRowCount", 0)
            else:
                raise GoogleError(400, f"Invalid field mask: {name} (not supported by the fake)")
        if sheet.frozen_rows >= sheet.row_count:
            raise GoogleError(400, "You can't freeze all visible rows on the sheet.")
        return {}

    def _req_appendDimension(self, book: Spreadsheet, params: Any) -> Any:
        sheet = book.by_id(params.get("sheetId"))
        length = params.get("length", 0)
        if length < 1:
            raise GoogleError(400, "length must be at least 1")
        if params.get("dimension") == "ROWS":
            sheet.row_count += length
        elif params.get("dimension") == "COLUMNS":
            sheet.col_count += length
        else:
            raise GoogleError(400, "dimension must be ROWS or COLUMNS")
        return {}

    def _req_updateDimensionProperties(self, book: Spreadsheet, params: Any) -> Any:
        fields = {f.strip() for f in (params.get("fields") or "").split(",") if f.strip()}
        if not fields:
            raise GoogleError(400, "fields is required")
        if fields != {"pixelSize"}:
            raise GoogleError(
                400, f"Invalid field mask: {', '.join(sorted(fields))} (not supported by the fake)"
            )
        span = params.get("range") or {}
        sheet = book.by_id(span.get("sheetId", 0))
        dimension = span.get("dimension")
        if dimension not in ("ROWS", "COLUMNS"):
            raise GoogleError(400, "range.dimension must be ROWS or COLUMNS")
        limit = sheet.row_count if dimension == "ROWS" else sheet.col_count
        start, end = span.get("startIndex", 0), span.get("endIndex", limit)
        if not 0 <= start < end or end > limit:
            raise GoogleError(400, f"Invalid dimension range: {start} to {end} (the sheet has {limit})")
        size = params.get("properties", {}).get("pixelSize")
        if not isinstance(size, int) or size < 0:
            raise GoogleError(400, "pixelSize must be zero or more")
        sizes = sheet.heights if dimension == "ROWS" else sheet.widths
        sizes.update(dict.fromkeys(range(start, end), size))
        return {}

    def _req_repeatCell(self, book: Spreadsheet, params: Any) -> Any:
        if "fields" not in params:
            raise GoogleError(400, "fields is required")
        sheet = self._grid(book, params.get("range"))
        sheet.formats.append((params["range"], params.get("cell", {}), params["fields"]))
        return {}

    def _req_updateCells(self, book: Spreadsheet, params: Any) -> Any:
        if "fields" not in params:
            raise GoogleError(400, "fields is required")
        if params.get("rows"):
            raise GoogleError(400, "the fake supports updateCells for clearing only (no rows)")
        grid = params.get("range")
        sheet = self._grid(book, grid)
        fields = {f.strip() for f in params["fields"].split(",")}
        if "userEnteredValue" in fields or "*" in fields:
            top, bottom = grid.get("startRowIndex", 0), grid.get("endRowIndex", sheet.row_count)
            left, right = grid.get("startColumnIndex", 0), grid.get("endColumnIndex", sheet.col_count)
            for index in range(top, min(bottom, len(sheet.rows))):
                row = list(sheet.rows[index])
                for col in range(left, min(right, len(row))):
                    row[col] = None
                sheet.rows[index] = row
            sheet.rows = _trimmed(sheet.rows)
        if "userEnteredFormat" in fields or "*" in fields:
            sheet.formats.append((grid, {}, "userEnteredFormat"))
        if "dataValidation" in fields or "*" in fields:
            sheet.validations.append((grid, None))
        return {}

    def _req_setDataValidation(self, book: Spreadsheet, params: Any) -> Any:
        sheet = self._grid(book, params.get("range"))
        rule = params.get("rule")
        if rule is not None:
            kind = rule.get("condition", {}).get("type")
            if kind not in {"BOOLEAN", "ONE_OF_LIST", "ONE_OF_RANGE", "NUMBER_GREATER", "TEXT_CONTAINS"}:
                raise GoogleError(400, f"Invalid ConditionType {kind!r} for data validation")
            if kind in {"ONE_OF_LIST", "ONE_OF_RANGE"} and not rule["condition"].get("values"):
                raise GoogleError(400, f"{kind} needs at least one value")
        sheet.validations.append((params["range"], rule))
        return {}

    def _req_addProtectedRange(self, book: Spreadsheet, params: Any) -> Any:
        protected = dict(params.get("protectedRange", {}))
        sheet = self._grid(book, protected.get("range"))
        taken = {p["protectedRangeId"] for s in book.sheets for p in s.protected}
        if protected.get("protectedRangeId") in taken:
            wanted = protected["protectedRangeId"]
            raise GoogleError(400, f"A protected range with id {wanted} already exists.")
        protected.setdefault("protectedRangeId", secrets.randbelow(2**31))
        sheet.protected.append(protected)
        return {"addProtectedRange": {"protectedRange": protected}}

    def _req_deleteProtectedRange(self, book: Spreadsheet, params: Any) -> Any:
        wanted = params.get("protectedRangeId")
        for sheet in book.sheets:
            for protected in sheet.protected:
                if protected["protectedRangeId"] == wanted:
                    sheet.protected.remove(protected)
                    return {}
        raise GoogleError(400, f"No protected range with id: {wanted}")

    def _req_setBasicFilter(self, book: Spreadsheet, params: Any) -> Any:
        spec = params.get("filter", {})
        sheet = self._grid(book, spec.get("range"))
        sheet.basic_filter = spec
        return {}

    def _req_clearBasicFilter(self, book: Spreadsheet, params: Any) -> Any:
        book.by_id(params.get("sheetId")).basic_filter = None
        return {}


def _trimmed(rows: Sequence[Sequence[Any]], blank: Any = None) -> list[list[Any]]:
    out = []
    for row in rows:
        line = list(row)
        while line and line[-1] in (None, blank):
            line.pop()
        out.append(line)
    while out and not out[-1]:
        out.pop()
    return out


_ROUTES = [
    ("GET", re.compile(r"^/v4/spreadsheets/([^/:]+)$"), "get"),
    ("POST", re.compile(r"^/v4/spreadsheets/([^/:]+):batchUpdate$"), "batchUpdate"),
    ("GET", re.compile(r"^/v4/spreadsheets/([^/:]+)/values:batchGet$"), "values.batchGet"),
    ("POST", re.compile(r"^/v4/spreadsheets/([^/:]+)/values:batchUpdate$"), "values.batchUpdate"),
    ("GET", re.compile(r"^/v4/spreadsheets/([^/:]+)/values/(.+)$"), "values.get"),
    ("PUT", re.compile(r"^/v4/spreadsheets/([^/:]+)/values/(.+)$"), "values.update"),
]


def _route(method: str, path: str) -> tuple[str, str, str] | None:
    for verb, pattern, kind in _ROUTES:
        match = pattern.match(path)
        if match and verb == method:
            return kind, match[1], unquote(match[2]) if match.lastindex and match.lastindex > 1 else ""
    return None


def _handler(fake: FakeSheets) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *_: Any) -> None:  # quiet
            pass

        def _serve(self) -> None:
            url = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            if raw:
                fake.body_sizes.append((url.path, len(raw)))
            try:
                body = json.loads(raw) if raw else None
            except ValueError:
                self._send(400, GoogleError(400, "Invalid JSON payload received.").body())
                return
            status, answer = fake.handle(self.command, url.path, parse_qs(url.query), body)
            retry_after = None
            if isinstance(answer, tuple):
                answer, retry_after = answer
            self._send(status, answer, retry_after)

        def _send(self, status: int, answer: Any, retry_after: str | None = None) -> None:
            data = json.dumps(answer, ensure_ascii=False).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=UTF-8")
            self.send_header("Content-Length", str(len(data)))
            if retry_after is not None:
                self.send_header("Retry-After", retry_after)
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PUT = _serve

    return Handler
