"""Value normalisers shared by every reader.

Each parser takes one raw cell (``str``, number, ``bool``, date or ``None``) and returns
the canonical value, ``None`` for a blank cell, or raises ``BadValue`` with a reason a
person can act on. Readers turn ``BadValue`` into a ``Problem`` that names the file,
row and column. Nothing malformed ever becomes zero or blank.

The rules, as documented in DATA_MODEL.md:

- money: ``$1,234.50``, ``64210.5``, ``(12.50)`` (negative), ``$9.75/BF`` (value plus a
  unit hint). Thousands separators must group by three: ``$1,39.50`` is rejected.
- percent: ``35%`` -> 0.35; a bare number above 1 is a percentage (``35`` -> 0.35); a bare
  number of 1 or less is already a fraction (``0.35`` -> 0.35, ``1`` -> 1.0).
- dates: ISO ``2023-09-29``; US month-first ``03/14/2023`` and ``3/28/23``; two-digit
  years 00-68 are 2000-2068 and 69-99 are 1969-1999 (the POSIX rule); JavaScript's
  ``Sun Feb 24 2008 17:00:00 GMT-0700`` (the date part is kept).
- date and time (Last Synced): what Google and Excel show in a date cell, ISO
  ``2025-11-03T14:05:00Z`` / ``2025-11-03 14:05``, US ``11/3/2025`` and
  ``11/3/2025 14:05:00`` (or ``2:05 PM``), Excel's ``3-Nov-2025``; no time is midnight.
- booleans: ``Y``/``N``, ``Yes``/``No``, ``X``, ``TRUE``/``FALSE``, ``1``/``0``, ``on``/``off``,
  real checkbox values; blank is ``None`` (the caller decides the default).
- units: the MAP_UOM table wins; otherwise a built-in synonym list; otherwise unknown.
- SKU: displayed trimmed; matched by ``sku_key`` (case-folded, all white space removed).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from typing import Any

__all__ = [
    "CLEAR",
    "UNIT_SYNONYMS",
    "XML_CONTROL",
    "XML_FORBIDDEN",
    "BadValue",
    "Money",
    "canonical_unit",
    "clean_text",
    "cost_per_base_unit",
    "fold_text",
    "is_blank",
    "markup_to_margin",
    "not_finite",
    "parse_bool",
    "parse_date",
    "parse_datetime",
    "parse_decimal",
    "parse_money",
    "parse_percent",
    "sheet_error",
    "sku_key",
    "unit_key",
]

XML_CONTROL = re.compile(r"[\000-\010]|[\013-\014]|[\016-\037]")
"""The control characters XML 1.0 forbids (openpyxl's ``ILLEGAL_CHARACTERS_RE``; a test compares)."""
XML_FORBIDDEN = re.compile(f"{XML_CONTROL.pattern}|[\ud800-\udfff\ufffe\uffff]")
"""Every character an XML 1.0 document, so an .xlsx, cannot hold: those, lone surrogates,
U+FFFE and U+FFFF."""

CLEAR = "(clear)"
"""A master cell holding exactly this asks for the INNERGY value to be cleared."""

SHEET_ERRORS = frozenset(
    {"#REF!", "#N/A", "#VALUE!", "#DIV/0!", "#NAME?", "#NUM!", "#NULL!", "#ERROR!", "#SPILL!", "#CALC!"}
)


class BadValue(ValueError):
    """A cell that cannot be read as what its column holds; the message says why."""


@dataclass(frozen=True)
class Money:
    value: Decimal
    per: str | None = None
    """The unit hint written after a slash (``$9.75/BF`` -> ``BF``), as written."""


def not_finite(raw: Any) -> bool:
    """A float or Decimal NaN or infinity: no sheet cell holds one, but a file reader can
    hand one over, and pandas' rules would read NaN as a blank cell."""
    if isinstance(raw, float):
        return not math.isfinite(raw)
    return isinstance(raw, Decimal) and not raw.is_finite()


def is_blank(raw: Any) -> bool:
    if raw is None:
        return True
    if isinstance(raw, float) and math.isnan(raw):
        return True
    return isinstance(raw, str) and raw.strip() == ""


def sheet_error(raw: Any) -> str | None:
    """The sheet error code a cell shows (``#REF!`` ...), or ``None``."""
    if isinstance(raw, str) and raw.strip().upper() in SHEET_ERRORS:
        return raw.strip()
    return None


def _text(raw: Any) -> str:
    if error := sheet_error(raw):
        raise BadValue(f"the cell shows the sheet error {error}")
    return raw.strip() if isinstance(raw, str) else str(raw)


def clean_text(raw: Any) -> str | None:
    """User text as typed, trimmed of surrounding white space; blank is ``None``."""
    if is_blank(raw):
        return None
    return _text(raw)


_WS = re.compile(r"\s+")


def fold_text(raw: Any) -> str:
    """Text for comparison: trimmed, inner white space folded to one space."""
    if is_blank(raw):
        return ""
    return " ".join(str(raw).split())  # str.split's white space is the \s of _WS


def sku_key(raw: str) -> str:
    """The matching key of a SKU: case-folded with all white space removed."""
    return _WS.sub("", raw).casefold()


_NUMBER = re.compile(r"^[+-]?(\d{1,3}(,\d{3})+|\d+)?(\.\d+)?$")


def _decimal_text(text: str, what: str) -> Decimal:
    if not text or not _NUMBER.match(text) or text in {"+", "-", "."}:
        if re.match(r"^[+-]?[\d,]*\.?\d*$", text) and "," in text:
            raise BadValue(f"{what} {text!r} has misplaced thousands separators")
        raise BadValue(f"{what} {text!r} is not a number")
    try:
        return Decimal(text.replace(",", ""))
    except InvalidOperation as exc:  # pragma: no cover - the regex admits only numbers
        raise BadValue(f"{what} {text!r} is not a number") from exc


def parse_decimal(raw: Any, what: str = "value") -> Decimal | None:
    """A plain number (``0.75``, ``.75``, ``1,234``); blank is ``None``."""
    if is_blank(raw):
        return None
    if isinstance(raw, bool):
        raise BadValue(f"{what} {raw!r} is a checkbox, not a number")
    if isinstance(raw, int):
        return Decimal(raw)
    if isinstance(raw, float):
        if math.isinf(raw):
            raise BadValue(f"{what} {raw!r} is not a finite number")
        return Decimal(repr(raw))
    if isinstance(raw, Decimal):
        if not raw.is_finite():
            raise BadValue(f"{what} {raw!r} is not a finite number")
        return raw
    return _decimal_text(_text(raw), what)


_MONEY = re.compile(r"^(?P<neg>-)?\s*(?P<cur>\$)?\s*(?P<num>[\d.,]+)\s*(?:/\s*(?P<per>[A-Za-z][\w ]*))?$")


def parse_money(raw: Any) -> Money | None:
    """Money with an optional ``$``, sign, parentheses and ``/UNIT`` hint; blank is ``None``."""
    if is_blank(raw):
        return None
    if not isinstance(raw, str):
        value = parse_decimal(raw, "amount")
        return None if value is None else Money(value)
    text = _text(raw)
    negative = False
    if text.startswith("(") and text.endswith(")"):
        negative, text = True, text[1:-1].strip()
    match = _MONEY.match(text)
    if not match:
        raise BadValue(f"amount {raw.strip()!r} is not money")
    value = _decimal_text(match["num"], "amount")
    if match["neg"]:
        negative = not negative
    per = match["per"].strip() if match["per"] else None
    return Money(-value if negative else value, per)


_PERCENT_CUTOFF = Decimal(1)


def parse_percent(raw: Any) -> Decimal | None:
    """A percentage as a fraction: ``35%``, ``35`` and ``0.35`` are all 0.35."""
    if is_blank(raw):
        return None
    text = _text(raw) if isinstance(raw, str) else None
    if text is not None and text.endswith("%"):
        number = _decimal_text(text[:-1].strip(), "percentage")
        return number / 100
    parsed = parse_decimal(raw if text is None else text, "percentage")
    assert parsed is not None  # not blank: checked above
    return parsed / 100 if abs(parsed) > _PERCENT_CUTOFF else parsed


def markup_to_margin(markup: Decimal) -> Decimal:
    """PPak's markup on cost as INNERGY's margin on sell: m / (1 + m)."""
    if markup <= -1:
        raise BadValue(f"markup {markup} cannot be turned into a margin")
    return (markup / (1 + markup)).quantize(Decimal("0.0001"))


_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ][\d:.]+Z?)?$")
_US = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{2}|\d{4})$")
_JS = re.compile(
    r"^(?:(?:mon|tue|wed|thu|fri|sat|sun) )?([a-z]{3}) (\d{1,2}) (\d{4})"
    r"(?: [\d:]+)?(?: gmt[+-]\d{4})?(?: \(.*\))?$",
    re.IGNORECASE,
)
_MONTHS = {
    m: i
    for i, m in enumerate(
        ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], start=1
    )
}


def _two_digit_year(year: int) -> int:
    return 2000 + year if year <= 68 else 1900 + year


def parse_date(raw: Any) -> date | None:
    """A calendar date from the forms PPak and sheets write; blank is ``None``."""
    if is_blank(raw):
        return None
    if isinstance(raw, datetime):
        return raw.date()
    if isinstance(raw, date):
        return raw
    text = _text(raw)
    if m := _ISO.match(text):
        parts = (int(m[1]), int(m[2]), int(m[3]))
    elif m := _US.match(text):
        year = int(m[3])
        parts = (_two_digit_year(year) if len(m[3]) == 2 else year, int(m[1]), int(m[2]))
    elif (m := _JS.match(text)) and m[1].lower() in _MONTHS:
        parts = (int(m[3]), _MONTHS[m[1].lower()], int(m[2]))
    else:
        raise BadValue(f"date {text!r} is not in a known form (MM/DD/YYYY, M/D/YY or YYYY-MM-DD)")
    try:
        return date(*parts)
    except ValueError as exc:
        raise BadValue(f"date {text!r} does not exist ({exc})") from exc


_TIME = r"(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?(?:\.\d+)?(?:\s*([AP]M))?)?"
_US_TIME = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{2}|\d{4})" + _TIME + "$", re.IGNORECASE)
_DAY_MONTH_YEAR = re.compile(r"^(\d{1,2})-([a-z]{3})-(\d{2}|\d{4})" + _TIME + "$", re.IGNORECASE)


def _clock(
    hour: str | None, minute: str | None, second: str | None, half: str | None
) -> tuple[int, int, int]:
    """(hour, minute, second) of a matched time, midnight when none; 12-hour before ``AM``/``PM``."""
    if hour is None:
        return 0, 0, 0
    h = int(hour)
    if half is not None:
        if not 1 <= h <= 12:
            raise ValueError(f"hour {h} is not on a 12-hour clock")
        h = h % 12 + (12 if half.upper() == "PM" else 0)
    return h, int(minute or 0), int(second or 0)


def parse_datetime(raw: Any) -> datetime | None:
    """A date and time as Google or Excel show a date cell (the forms are in the module
    docstring); a date alone is midnight; blank is ``None``."""
    if is_blank(raw):
        return None
    if isinstance(raw, datetime):
        return raw
    if isinstance(raw, date):
        return datetime(raw.year, raw.month, raw.day)
    text = _text(raw)
    try:
        if m := _US_TIME.match(text):
            year = _two_digit_year(int(m[3])) if len(m[3]) == 2 else int(m[3])
            return datetime(year, int(m[1]), int(m[2]), *_clock(*m.groups()[3:]))
        if (m := _DAY_MONTH_YEAR.match(text)) and m[2].lower() in _MONTHS:
            year = _two_digit_year(int(m[3])) if len(m[3]) == 2 else int(m[3])
            return datetime(year, _MONTHS[m[2].lower()], int(m[1]), *_clock(*m.groups()[3:]))
        return datetime.fromisoformat(text)
    except ValueError as exc:
        raise BadValue(
            f"{text!r} is not a date and time (2025-11-03 14:05, 11/3/2025 14:05:00 or 3-Nov-2025)"
        ) from exc


_TRUE = frozenset({"y", "yes", "x", "true", "1", "on", "t", "✓", "✔"})
_FALSE = frozenset({"n", "no", "false", "0", "off", "f"})


def parse_bool(raw: Any) -> bool | None:
    """A yes/no cell; blank is ``None``."""
    if is_blank(raw):
        return None
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, int | float) and raw in (0, 1):
        return bool(raw)
    text = _text(raw).casefold()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise BadValue(f"{str(raw).strip()!r} is not a yes/no value (Y/N, X, TRUE/FALSE)")


UNIT_SYNONYMS: Mapping[str, str] = {
    **dict.fromkeys(["sht", "sheet", "sheets", "sh", "shts"], "SHT"),
    **dict.fromkeys(["bf", "bdft", "bd ft", "board foot", "board feet", "fbm"], "BF"),
    **dict.fromkeys(["lf", "lin ft", "linft", "lineal ft", "lineal feet", "linear feet", "ft"], "LF"),
    **dict.fromkeys(["sf", "sq ft", "sqft", "square feet", "square foot"], "SF"),
    **dict.fromkeys(["ea", "each", "pc", "pcs", "piece", "pieces"], "EA"),
    **dict.fromkeys(["pr", "pair", "pairs"], "PR"),
    **dict.fromkeys(["gal", "gallon", "gallons"], "GAL"),
    **dict.fromkeys(["qt", "quart", "quarts"], "QT"),
    **dict.fromkeys(["pail", "pails"], "PAIL"),
    **dict.fromkeys(["box", "bx", "boxes"], "BOX"),
    **dict.fromkeys(["roll", "rolls", "rl"], "ROLL"),
    **dict.fromkeys(["hr", "hrs", "hour", "hours"], "HR"),
    **dict.fromkeys(["ls", "lump sum", "lot"], "LS"),
}


def unit_key(raw: str) -> str:
    """The matching key of a unit: case-folded, dots dropped, white space folded."""
    return _WS.sub(" ", raw.replace(".", "").strip()).casefold()


def canonical_unit(raw: Any, table: Mapping[str, str] | None = None) -> str | None:
    """The canonical unit code for a source unit, or ``None`` when nothing knows it.

    ``table`` maps ``unit_key(source)`` to canonical codes (built from MAP_UOM) and wins
    over the built-in synonyms. Blank input raises: a unit is never guessed.
    """
    if is_blank(raw):
        raise BadValue("the unit is blank")
    key = unit_key(_text(raw))
    if table and key in table:
        return table[key]
    return UNIT_SYNONYMS.get(key)


_FOUR_PLACES = Decimal("0.0001")


def cost_per_base_unit(cost: Decimal, base_units_per_uom: Decimal | None) -> Decimal:
    """The cost INNERGY holds: per base unit of the UoM group, half-even to 4 places."""
    divisor = base_units_per_uom if base_units_per_uom is not None else Decimal(1)
    if divisor <= 0:
        raise BadValue(f"base units per UoM must be above zero, not {divisor}")
    return (cost / divisor).quantize(_FOUR_PLACES, rounding=ROUND_HALF_EVEN)
