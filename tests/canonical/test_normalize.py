"""Every dirty value found in the PPak samples normalises to its documented value or fails."""

from __future__ import annotations

import csv
import re
from datetime import date, datetime
from decimal import Decimal

import pytest

from canonical.normalize import (
    CLEAR,
    BadValue,
    Money,
    canonical_unit,
    clean_text,
    cost_per_base_unit,
    fold_text,
    markup_to_margin,
    not_finite,
    parse_bool,
    parse_date,
    parse_decimal,
    parse_money,
    parse_percent,
    sheet_error,
    sku_key,
)

D = Decimal

MONEY = [
    ("$142.85", Money(D("142.85"))),
    ("0.245", Money(D("0.245"))),
    ("$4.12 ", Money(D("4.12"))),
    ("$9.75/BF", Money(D("9.75"), "BF")),
    ("$58.40", Money(D("58.40"))),
    ("$1,204.00", Money(D("1204.00"))),
    ("$1,118.40", Money(D("1118.40"))),
    ("18.9", Money(D("18.9"))),
    ("$1,999.90", Money(D("1999.90"))),
    ("65", Money(D("65"))),
    ("$184,250.00", Money(D("184250.00"))),
    ("$96,400", Money(D("96400"))),
    ("64210.5", Money(D("64210.5"))),
    ("$0.00", Money(D("0.00"))),
    ("(12.50)", Money(D("-12.50"))),
    ("-$3.00", Money(D("-3.00"))),
    (12.5, Money(D("12.5"))),
    (7, Money(D("7"))),
]


@pytest.mark.parametrize(("raw", "expected"), MONEY)
def test_money(raw: object, expected: Money) -> None:
    assert parse_money(raw) == expected


@pytest.mark.parametrize(
    "raw", ["$1,39.50", "$1,2345.00", "12.3.4", "$", "abc", "$12abc", "1,2", "#REF!", "--5", float("inf")]
)
def test_malformed_money_is_a_problem_never_a_number(raw: object) -> None:
    with pytest.raises(BadValue):
        parse_money(raw)


def test_misplaced_separator_says_so() -> None:
    with pytest.raises(BadValue, match="thousands separators"):
        parse_money("$1,39.50")


@pytest.mark.parametrize("raw", [None, "", "   ", float("nan")])
def test_blank_money_is_none_not_zero(raw: object) -> None:
    assert parse_money(raw) is None


PERCENT = [
    ("35%", D("0.35")),
    ("0.35", D("0.35")),
    ("35", D("0.35")),
    ("30", D("0.30")),
    ("10", D("0.10")),
    ("15%", D("0.15")),
    ("0", D("0")),
    ("25%", D("0.25")),
    ("5", D("0.05")),
    ("2%", D("0.02")),
    ("1", D("1")),
    ("150%", D("1.5")),
    (0.35, D("0.35")),
    (35, D("0.35")),
]


@pytest.mark.parametrize(("raw", "expected"), PERCENT)
def test_percent_one_rule(raw: object, expected: Decimal) -> None:
    assert parse_percent(raw) == expected


@pytest.mark.parametrize("raw", ["35 %%", "thirty", "%", "3,5%", "#N/A"])
def test_malformed_percent(raw: str) -> None:
    with pytest.raises(BadValue):
        parse_percent(raw)


DATES = [
    ("03/01/2023", date(2023, 3, 1)),
    ("2/15/23", date(2023, 2, 15)),
    ("12/15/2022", date(2022, 12, 15)),
    ("2023-01-09", date(2023, 1, 9)),
    ("9/30/2022", date(2022, 9, 30)),
    ("9/30/22", date(2022, 9, 30)),
    ("1/4/2023", date(2023, 1, 4)),
    ("12/15/22", date(2022, 12, 15)),
    ("04/17/2023", date(2023, 4, 17)),
    ("2023-05-01", date(2023, 5, 1)),
    ("3/28/23", date(2023, 3, 28)),
    ("2023-09-29", date(2023, 9, 29)),
    ("11/02/2022", date(2022, 11, 2)),
    ("1/13/2023", date(2023, 1, 13)),
    ("Sun Feb 24 2008 17:00:00 GMT-0700", date(2008, 2, 24)),
    ("6/1/68", date(2068, 6, 1)),
    ("6/1/69", date(1969, 6, 1)),
    (datetime(2023, 3, 1, 0, 0), date(2023, 3, 1)),
    (date(2024, 1, 9), date(2024, 1, 9)),
]


@pytest.mark.parametrize(("raw", "expected"), DATES)
def test_dates(raw: object, expected: date) -> None:
    assert parse_date(raw) == expected


@pytest.mark.parametrize("raw", ["13/45/2023", "2/30/2023", "next week", "2023/13/01", "Foo Feb 24 2008"])
def test_malformed_dates(raw: str) -> None:
    with pytest.raises(BadValue):
        parse_date(raw)


BOOLS = [
    ("Y", True),
    ("N", False),
    ("X", True),
    ("x", True),
    ("TRUE", True),
    ("false", False),
    ("yes", True),
    ("No", False),
    (True, True),
    (False, False),
    (1, True),
    (0, False),
    ("", None),
    (None, None),
]


@pytest.mark.parametrize(("raw", "expected"), BOOLS)
def test_booleans(raw: object, expected: bool | None) -> None:
    assert parse_bool(raw) is expected


@pytest.mark.parametrize("raw", ["maybe", "2", "Tax? N"])
def test_malformed_boolean(raw: str) -> None:
    with pytest.raises(BadValue):
        parse_bool(raw)


UNITS = [
    ("SHT", "SHT"),
    ("sht", "SHT"),
    ("Sheet", "SHT"),
    ("Bd Ft", "BF"),
    ("BF", "BF"),
    ("LF", "LF"),
    ("ROLL", "ROLL"),
    ("EA", "EA"),
    ("BOX", "BOX"),
    ("GAL", "GAL"),
    ("PAIL", "PAIL"),
    ("PR", "PR"),
    ("LS", "LS"),
    ("HR", "HR"),
    (" lin. ft ", "LF"),
]


@pytest.mark.parametrize(("raw", "expected"), UNITS)
def test_unit_synonyms(raw: str, expected: str) -> None:
    assert canonical_unit(raw) == expected


def test_map_uom_wins_over_synonyms() -> None:
    assert canonical_unit("Sheet", {"sheet": "SHEET48"}) == "SHEET48"


def test_unknown_unit_is_none_and_blank_unit_is_an_error() -> None:
    assert canonical_unit("furlong") is None
    with pytest.raises(BadValue):
        canonical_unit("  ")


def test_sku_key_matches_case_and_space_variants_but_display_is_kept() -> None:
    assert sku_key("plywo34-vc-4x8 ") == sku_key("PLYWO34-VC-4X8")
    assert sku_key("EB-WO 15/16") == sku_key("eb-wo15/16")
    assert clean_text("  PLYWO34-VC-4X8 ") == "PLYWO34-VC-4X8"


def test_fold_text_folds_every_white_space_run(naughty_strings: list[str]) -> None:
    white = "".join(c for c in map(chr, range(0x3100)) if c.isspace())
    for text in [*naughty_strings, f"a{white}b", f"{white}x\u200by{white}"]:
        assert fold_text(text) == re.sub(r"\s+", " ", text).strip()


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        *[(float("nan"), True), (float("-inf"), True), (Decimal("sNaN"), True), (Decimal("Inf"), True)],
        *[(1.5, False), (Decimal("0"), False), ("nan", False), (None, False)],
    ],
)
def test_not_finite_is_a_float_or_decimal_nan_or_infinity(raw, expected) -> None:
    assert not_finite(raw) is expected


def test_text() -> None:
    assert clean_text("  =SUM(A1)  ") == "=SUM(A1)"
    assert clean_text("") is None
    assert clean_text(CLEAR) == CLEAR
    assert fold_text(" 3/4  WO\tPS ") == "3/4 WO PS"
    assert sheet_error("#REF!") == "#REF!"
    with pytest.raises(BadValue, match="#REF!"):
        clean_text("#REF!")


def test_decimals() -> None:
    assert parse_decimal(".75") == D("0.75")
    assert parse_decimal("1,234") == D("1234")
    assert parse_decimal(0.1) == D("0.1")
    with pytest.raises(BadValue):
        parse_decimal("0.75in")
    with pytest.raises(BadValue):
        parse_decimal(True)


def test_markup_to_margin() -> None:
    assert markup_to_margin(D("0.35")) == D("0.2593")
    assert markup_to_margin(D("0")) == D("0")
    with pytest.raises(BadValue):
        markup_to_margin(D("-1"))


def test_cost_per_base_unit_is_half_even_to_four_places() -> None:
    assert cost_per_base_unit(D("142.85"), D("32")) == D("4.4641")
    assert cost_per_base_unit(D("0.00005"), None) == D("0.0000")
    assert cost_per_base_unit(D("0.00015"), None) == D("0.0002")
    with pytest.raises(BadValue):
        cost_per_base_unit(D("1"), D("0"))


def _sample_cells(ppak_samples, file: str, column: str) -> list[str]:  # type: ignore[no-untyped-def]
    with (ppak_samples / file).open(encoding="cp1252", newline="") as handle:
        return [row[column] for row in csv.DictReader(handle)]


@pytest.mark.parametrize(
    ("file", "column", "parser"),
    [
        ("PPak_Materials.csv", "Price", parse_money),
        ("PPak_Materials.csv", "Markup %", parse_percent),
        ("PPak_Materials.csv", "Waste %", parse_percent),
        ("PPak_Materials.csv", "Price Date", parse_date),
        ("PPak_Materials.csv", "Inactive", parse_bool),
        ("PPak_Materials.csv", "Tax", parse_bool),
        ("PPak_Materials.csv", "Conv", parse_decimal),
        ("PPak_ProjectMaterials.csv", "Unit Cost", parse_money),
        ("PPak_ProjectMaterials.csv", "Ext Cost", parse_money),
        ("PPak_ProjectMaterials.csv", "Markup %", parse_percent),
        ("PPak_ProjectMaterials.csv", "Need By", parse_date),
        ("PPak_Projects.csv", "Contract Amt", parse_money),
        ("PPak_Projects.csv", "Est Cost", parse_money),
        ("PPak_Projects.csv", "Bid Date", parse_date),
        ("PPak_Projects.csv", "Due Date", parse_date),
    ],
)
def test_every_sample_value_normalises_or_is_rejected_never_silently_zero(
    ppak_samples, file: str, column: str, parser
) -> None:  # type: ignore[no-untyped-def]
    """No value in the samples may turn into zero or blank unless it was zero or blank."""
    for raw in _sample_cells(ppak_samples, file, column):
        try:
            value = parser(raw)
        except BadValue:
            continue
        if raw.strip() == "":
            assert value is None
            continue
        assert value is not None, (file, column, raw)
        number = value.value if isinstance(value, Money) else value
        if isinstance(number, Decimal) and number == 0:
            assert set(raw.strip()) <= set("$0.,%"), (file, column, raw)


def test_the_known_bad_sample_price_is_rejected(ppak_samples) -> None:  # type: ignore[no-untyped-def]
    prices = _sample_cells(ppak_samples, "PPak_Materials.csv", "Price")
    assert "$1,39.50" in prices
    with pytest.raises(BadValue):
        parse_money("$1,39.50")
