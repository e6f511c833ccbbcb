"""The plan as a reviewer reads it: DIFF_INNERGY / DIFF_PPAK rows, Markdown, HTML, JSON.

A change reads in the estimator's terms (``lines_of``): a cost per the master row's unit
with INNERGY's per base unit beside it, a margin as percent; the diff rows add the cost's
move and the change's flags (``reports.review``).

Pure functions returning rows or text; the orchestration writes them. Sheet rows hold
user text exactly as typed (the workbook writer sends them RAW: a name starting with
``=`` stays text), cut to the workbook's cell limit when given (``reports.cells``: a
note names the plan file, which holds the whole). The reports show the tab's columns
with ``Δ %`` and ``Flags`` (``reports.flags``, the tab's rule) and what a PPak ``new`` row
adds; HTML is one escaped page (``reports.page``), Markdown escapes user text
(``reports.markdown``).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from datetime import UTC
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from canonical.diff import FieldChange
from canonical.plan import Change, CostUnit, MaterialChange, Plan, PPakChange
from reports import markdown as md
from reports import page
from reports.cells import fit_cell
from reports.flags import (
    FLAG_KINDS,
    PRICE_CHANGE_PERCENT,
    UNIT_TRAP_RATIO,
    added_fields,
    delta_percent,
    flags,
)
from reports.jsontext import pretty_json
from reports.review import cost_change
from reports.review import flags as tab_flags

__all__ = [
    "DIFF_INNERGY",
    "DIFF_INNERGY_HEADER",
    "DIFF_PPAK",
    "DIFF_PPAK_HEADER",
    "HEADER_ROW",
    "change_lines",
    "diff_innergy_rows",
    "diff_ppak_rows",
    "lines_of",
    "plan_html",
    "plan_json",
    "plan_markdown",
]

DIFF_INNERGY = "DIFF_INNERGY"
DIFF_PPAK = "DIFF_PPAK"
_REVIEW_COLUMNS = ("Δ %", "Flags")
"""After the contract's columns (readers find columns by header text)."""
DIFF_INNERGY_HEADER = ("Approve", "Change ID", "Action", "SKU", "Name", "Changes", "Result", *_REVIEW_COLUMNS)
DIFF_PPAK_HEADER = (
    "Approve",
    "Change ID",
    "Kind",
    "PPak SKU",
    "Canonical SKU",
    "Name",
    "Changes",
    "Result",
    *_REVIEW_COLUMNS,
)
HEADER_ROW = 3
"""The sheet row (1-based) of the table header; rows 1-2 show the plan id, time and counts."""
BLANK = "(blank)"
_CENT, _FOUR_PLACES = Decimal("0.01"), Decimal("0.0001")


def _shown(value: str | None) -> str:
    return value if value is not None else BLANK


def _per_uom(amount: str | None, unit: CostUnit) -> str:
    """A cost per INNERGY's base unit as per the estimator's unit: to the cent (4 places
    for a unit smaller than its base), which is what the 4 places INNERGY keeps support."""
    if amount is None:
        return BLANK
    places = _CENT if unit.per_uom >= 1 else _FOUR_PLACES
    return str((Decimal(amount) * unit.per_uom).quantize(places, ROUND_HALF_EVEN))


def _cost_line(line: FieldChange, unit: CostUnit | None, per_base: bool) -> str:
    """``cost: 114.28 -> 121.50 per SHT (3.5712 -> 3.7969 per SF in INNERGY)``: the master's
    unit first; INNERGY's amounts (``per_base``) after it when its base unit differs."""
    plain = f"cost: {_shown(line.old)} -> {_shown(line.new)}"
    if unit is None:
        return plain
    if not per_base or unit.per_uom == 1:
        return f"{plain} per {unit.uom}"
    base = unit.base_uom or "base unit"
    held = f"{line.old} -> {_shown(line.new)}" if line.old is not None else _shown(line.new)
    return (
        f"cost: {_per_uom(line.old, unit)} -> {_per_uom(line.new, unit)} per {unit.uom} "
        f"({held} per {base} in INNERGY)"
    )


def _percent(amount: str | None) -> str:
    """A fraction as the master shows it (0.2593 as 25.93%)."""
    return BLANK if amount is None else f"{(Decimal(amount) * 100).quantize(_CENT, ROUND_HALF_EVEN)}%"


def _line(line: FieldChange, unit: CostUnit | None, per_base: bool) -> str:
    """One ``field: old -> new`` line, a cost in the master's unit, a margin as percent."""
    if line.field == "cost":
        return _cost_line(line, unit, per_base)
    if line.field == "margin":
        return f"margin: {_percent(line.old)} -> {_percent(line.new)}"
    return f"{line.field}: {_shown(line.old)} -> {_shown(line.new)}"


def change_lines(
    fields: Iterable[FieldChange],
    reason: str | None = None,
    unit: CostUnit | None = None,
    *,
    per_base: bool = True,
) -> str:
    """``field: old -> new`` lines (a conflict's reason first); a cost per ``unit`` when given
    (``per_base``: the amounts are INNERGY's, per base unit), a margin as percent."""
    lines = [f"conflict: {reason}"] if reason else []
    lines += [_line(f, unit, per_base) for f in fields]
    return "\n".join(lines)


def lines_of(change: Change) -> str:
    """A change's ``Changes`` text: its lines with costs in the master's unit, a conflict's
    reason first; for a PPak ``new``, the master row a tick adds."""
    if isinstance(change, MaterialChange):
        return change_lines(change.changes, change.reason, change.unit)
    return change_lines(added_fields(change) or change.changes, unit=change.unit, per_base=False)


def _review_cells(change: Change) -> list[Any]:
    """``Δ %`` (a fraction, formatted as percent by the tab) and ``Flags``."""
    moved = cost_change(change)
    return [moved if moved is not None else "", ", ".join(tab_flags(change))]


def _top(plan: Plan, width: int, counts: Iterable[tuple[str, int]], flagged: int) -> list[list[Any]]:
    """Rows 1-2: ``Plan ID`` | id (A1, B1: what push and undo read), the time beside it, then
    each action's count beside its name (the tab colours the names: the legend)."""
    created = plan.created_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    first = ["Plan ID", plan.plan_id, "", "", "Created", created]
    second: list[Any] = []
    for name, count in [*counts, ("flagged", flagged)]:
        second += [name, count]
    return [first + [""] * (width - len(first)), second + [""] * (width - len(second))]


def _tab_head(
    plan: Plan, header: Sequence[str], counts: Sequence[tuple[str, int]], changes: Sequence[Change]
) -> list[list[Any]]:
    """The top rows and the header, every row as wide as the widest."""
    width = max(len(header), 2 * (len(counts) + 1), 6)
    flagged = sum(1 for change in changes if tab_flags(change))
    return [*_top(plan, width, counts, flagged), list(header) + [""] * (width - len(header))]


Fit = Callable[[str, str], str]
"""Cuts a cell's text to the workbook's limit: ``fit(text, what it is)``."""


def _fitter(limit: int | None, plan_file: str) -> Fit:
    """Cuts a cell's text to ``limit``, its note naming the plan file (which holds every change whole)."""
    return lambda text, what: fit_cell(text, limit, f"the whole {what} is in {plan_file}")


def _diff_rows(
    plan: Plan,
    header: Sequence[str],
    counts: Sequence[tuple[str, int]],
    changes: Sequence[Change],
    keys: Callable[[Change, Fit], list[Any]],
    approved: Collection[str],
    notes: Mapping[str, str] | None,
    fit: Fit,
) -> list[list[Any]]:
    """A DIFF tab from A1: the top rows, the header, one row per change: Approve, Change ID,
    the change's ``keys`` cells, Changes, Result, then ``Δ %`` and Flags."""
    notes = notes or {}
    rows = _tab_head(plan, header, counts, changes)
    for change in changes:
        row = [
            change.change_id in approved,
            change.change_id,
            *keys(change, fit),
            fit(lines_of(change), "change"),
            notes.get(change.change_id, ""),
            *_review_cells(change),
        ]
        rows.append(row + [""] * (len(rows[0]) - len(row)))
    return rows


def _innergy_keys(change: Change, fit: Fit) -> list[Any]:
    assert isinstance(change, MaterialChange)
    return [change.action, fit(change.sku, "SKU"), fit(change.name, "name")]


def _ppak_keys(change: Change, fit: Fit) -> list[Any]:
    assert isinstance(change, PPakChange)
    return [
        change.kind,
        fit(change.ppak_sku, "PPak SKU"),
        fit(change.canonical_sku or "", "SKU"),
        fit(change.name, "name"),
    ]


def diff_innergy_rows(
    plan: Plan,
    approved: Collection[str] = (),
    notes: Mapping[str, str] | None = None,
    *,
    limit: int | None = None,
    plan_file: str = "the plan file",
) -> list[list[Any]]:
    """DIFF_INNERGY from A1: plan id and time, counts per action, the header, one row per change.

    ``approved`` change ids are shown ticked; ``notes`` gives a change id's Result (why a
    tick it had was withdrawn). ``limit`` is the cell limit of the workbook written
    (``Workbook.max_cell_chars``); ``plan_file`` where the plan is saved, named in the
    note of a cut cell.
    """
    counts = [(action, n) for action, n in plan.counts().items() if not action.startswith("ppak_")]
    fit = _fitter(limit, plan_file)
    return _diff_rows(plan, DIFF_INNERGY_HEADER, counts, plan.changes, _innergy_keys, approved, notes, fit)


def diff_ppak_rows(
    plan: Plan,
    approved: Collection[str] = (),
    notes: Mapping[str, str] | None = None,
    *,
    limit: int | None = None,
    plan_file: str = "the plan file",
) -> list[list[Any]]:
    """DIFF_PPAK from A1 in the same layout (kinds ``new`` and ``differs``), noted and cut alike."""
    counts = [
        (kind.removeprefix("ppak_"), n) for kind, n in plan.counts().items() if kind.startswith("ppak_")
    ]
    fit = _fitter(limit, plan_file)
    return _diff_rows(plan, DIFF_PPAK_HEADER, counts, plan.ppak_changes, _ppak_keys, approved, notes, fit)


_SHOWN = {"change_id", "action", "sku", "name", "reason", "changes"}
_SHOWN_PPAK = {"change_id", "kind", "ppak_sku", "canonical_sku", "name", "changes"}


def _json_change(change: Change, shown: dict[str, Any]) -> dict[str, Any]:
    """A change as the JSON report gives it: its fields, and the flags and ``Δ %`` the tabs show."""
    delta = delta_percent(change)
    return {**shown, "flags": flags(change), "delta_percent": str(delta) if delta is not None else None}


def plan_json(plan: Plan) -> str:
    """The summary an automation reads: id, time, counts, and every change with its lines,
    flags (``reports.flags``) and cost move in percent (a decimal string, or null)."""
    summary = {
        "plan_id": plan.plan_id,
        "created_at": plan.created_at.isoformat(),
        "counts": plan.counts(),
        "unchanged": plan.unchanged,
        "unmanaged": [{"innergy_id": r.innergy_id, "name": r.name} for r in plan.unmanaged],
        "problems": len(plan.problems),
        "changes": [_json_change(c, c.model_dump(mode="json", include=_SHOWN)) for c in plan.changes],
        "ppak_changes": [
            _json_change(p, p.model_dump(mode="json", include=_SHOWN_PPAK)) for p in plan.ppak_changes
        ],
    }
    return pretty_json(summary)


def _lines(change: Change) -> list[str]:
    """The Changes cell as lines, exactly as the tab shows it (``lines_of``)."""
    return lines_of(change).splitlines()


def _delta(change: Change) -> str:
    delta = delta_percent(change)
    return "" if delta is None else f"{delta:+} %"


_INNERGY_COLUMNS = ("Change ID", "Action", "SKU", "Name", "Changes", "Δ %", "Flags")
_PPAK_COLUMNS = ("Change ID", "Kind", "PPak SKU", "Canonical SKU", "Name", "Changes", "Δ %", "Flags")


_CODES = frozenset({"Change ID", "SKU", "PPak SKU", "Canonical SKU"})
"""Columns of codes: kept on one line, in a fixed-width font."""
_FLAGGED_COLUMNS = ("Change ID", "Tab", "Action", "SKU", "Name", "Changes", "Δ %", "Flags")


def _keys(change: Change) -> list[str]:
    """The cells before Changes, as the change's tab shows them."""
    if isinstance(change, MaterialChange):
        return [change.change_id, change.action, change.sku, change.name]
    return [change.change_id, change.kind, change.ppak_sku, change.canonical_sku or "", change.name]


def _flagged_keys(change: Change) -> list[str]:
    """The cells before Changes in the list of flagged changes of both tabs."""
    if isinstance(change, MaterialChange):
        return [change.change_id, DIFF_INNERGY, change.action, change.sku, change.name]
    return [change.change_id, DIFF_PPAK, change.kind, change.canonical_sku or change.ppak_sku, change.name]


def _summary(plan: Plan) -> str:
    return (
        f"Created {plan.created_at.isoformat(timespec='seconds')}; {plan.unchanged} materials unchanged; "
        f"{len(plan.unmanaged)} unmanaged INNERGY records; {len(plan.problems)} problems (see ISSUES)."
    )


def _kinds(change: Change) -> list[str]:
    """The kinds of the change's flags, most serious first (``FLAG_KINDS`` order)."""
    found = flags(change)
    return [kind for kind in FLAG_KINDS if any(flag.startswith(kind) for flag in found)]


def _severity(change: Change) -> int:
    """Where the change's most serious flag stands in ``FLAG_KINDS`` (lower: look first)."""
    return FLAG_KINDS.index(_kinds(change)[0])


def _all_changes(plan: Plan) -> list[Change]:
    return [*plan.changes, *plan.ppak_changes]


def _flag_counts(plan: Plan) -> dict[str, int]:
    """Changes carrying each kind of flag (a change counts once per kind)."""
    counts = dict.fromkeys(FLAG_KINDS, 0)
    for change in _all_changes(plan):
        for kind in _kinds(change):
            counts[kind] += 1
    return counts


def plan_markdown(plan: Plan) -> str:
    """The plan as Markdown: user text escaped (``reports.markdown``), one table row per change."""

    def row(change: Change) -> list[str]:
        lines = "<br>".join(md.cell(line) for line in _lines(change))  # our only tag: a line break
        return [md.cell(k) for k in _keys(change)] + [
            lines,
            _delta(change),
            md.cell(", ".join(flags(change))),
        ]

    out = [f"# Plan {md.cell(plan.plan_id)}", "", md.cell(_summary(plan)), ""]
    out += md.table(("what", "count"), ([name, str(n)] for name, n in plan.counts().items()))
    out += ["", "Flags (changes to look at twice):", ""]
    out += md.table(("flag", "changes"), ([kind, str(n)] for kind, n in _flag_counts(plan).items()))
    out += ["", "## INNERGY", "", *md.table(_INNERGY_COLUMNS, map(row, plan.changes))]
    out += ["", "## PPak", "", *md.table(_PPAK_COLUMNS, map(row, plan.ppak_changes))]
    return "\n".join(out) + "\n"


_ACTION_COLOURS: Mapping[str, tuple[str, str, str]] = {  # bars and legend keep the rows' hues
    "create": ("#1e8e3e", "#e6f4ea", "in the master, not in INNERGY: push creates the record"),
    "update": ("#f29900", "#fef7e0", "master and INNERGY differ: push sets INNERGY's fields"),
    "deactivate": ("#d93025", "#fce8e6", "gone or inactive in the master: push makes the record inactive"),
    "reactivate": ("#1a73e8", "#e8f0fe", "active again in the master: push makes the record active"),
    "conflict": ("#9334e6", "#f3e8fd", "cannot be applied as planned: the reason is in Changes"),
    "new": ("#12a4af", "#e4f7fb", "PPak item with no master row: a tick adds it to the master"),
    "differs": ("#8d6e63", "#efebe9", "PPak's price, description or unit differ from the master row"),
}
"""Action (and PPak kind) -> (bar colour, row background, what a tick on it does)."""
_FLAG_COLOUR = "#c5221f"
_FLAG_MEANINGS = (  # the badge as the Flags column shows it, and why it is there
    ("conflict", "cannot be applied as planned"),
    (
        "unit trap ×N",
        f"the cost moves {UNIT_TRAP_RATIO:.0f}x or more, or about a unit factor: a price per another unit?",
    ),
    ("price ±N %", f"the cost moves {PRICE_CHANGE_PERCENT:.0f} % or more"),
    ("rename", "a name that was set changes"),
    ("deactivation", "the INNERGY record goes inactive"),
)

_STYLE = "".join(f".{action} td{{background:{row}}}" for action, (_, row, _) in _ACTION_COLOURS.items()) + (
    "tr.flagged td:first-child{box-shadow:inset 4px 0 0 #c5221f}"
    "td.lines{min-width:26em}th{position:sticky;top:0}"
    "@media print{th{position:static}td.lines{min-width:0}}"
)


def _html_table(
    columns: Sequence[str],
    changes: Sequence[Change],
    keys: Callable[[Change], list[str]] = _keys,
    empty: str = "No changes.",
) -> str:
    head = "".join(f'<th class="num">{c}</th>' if c == "Δ %" else f"<th>{page.esc(c)}</th>" for c in columns)
    rows = []
    for change in changes:
        kind = change.action if isinstance(change, MaterialChange) else change.kind
        found = flags(change)
        cells = [
            f'<td class="id">{page.esc(k)}</td>' if name in _CODES else f"<td>{page.esc(k)}</td>"
            for name, k in zip(columns, keys(change), strict=False)  # the columns before Changes
        ]
        cells.append(f'<td class="lines">{page.esc(chr(10).join(_lines(change)))}</td>')
        cells.append(f'<td class="num">{page.esc(_delta(change))}</td>')
        cells.append("<td>" + "".join(f'<span class="flag">{page.esc(f)}</span>' for f in found) + "</td>")
        css = f"{kind} flagged" if found else kind
        rows.append(f'<tr class="{css}">{"".join(cells)}</tr>')
    if not rows:
        rows.append(f'<tr><td colspan="{len(columns)}" class="muted">{empty}</td></tr>')
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def _flag_key() -> str:
    entries = "".join(
        f'<li><span class="flag">{page.esc(name)}</span>{page.esc(meaning)}</li>'
        for name, meaning in _FLAG_MEANINGS
    )
    return f'<ul class="legend"><li><b>Flags:</b></li>{entries}</ul>'


def _colour_key(meanings: bool) -> str:
    """The row colours (their background, as the tables show them), with what each action
    does or, where space is short, its name only."""
    return page.legend(
        [(row, name, meaning if meanings else "") for name, (_, row, meaning) in _ACTION_COLOURS.items()],
        "" if meanings else "Row colours:",
    )


def plan_html(plan: Plan) -> str:
    """One self-contained page (``reports.page``): a chart of the actions and flags with their
    legend, then both tabs' rows with Δ % and Flags, every value escaped."""
    actions = [
        page.Bar(key.replace("ppak_", "PPak "), n, _ACTION_COLOURS[key.removeprefix("ppak_")][0])
        for key, n in plan.counts().items()
    ]
    flagged = [page.Bar(kind, n, _FLAG_COLOUR) for kind, n in _flag_counts(plan).items()]
    title = f"Plan {plan.plan_id}"
    look = sorted((c for c in _all_changes(plan) if flags(c)), key=_severity)
    body = (
        f'<h1>{page.esc(title)}</h1><p class="muted">{page.esc(_summary(plan))}</p>'
        "<p>Tick <b>Approve</b> in DIFF_INNERGY / DIFF_PPAK on the rows you accept, then run "
        "<code>matsync push</code>. Flagged rows (red edge) deserve a second look.</p>"
        f'<div class="charts">{page.figure("What the plan does", page.bars("Changes by action", actions))}'
        f"{page.figure('What to look at twice', page.bars('Changes by flag', flagged))}</div>"
        f"{_colour_key(False)}{_flag_key()}"
        f"<h2>Look twice: {len(look)} flagged changes</h2>"
        f"{_html_table(_FLAGGED_COLUMNS, look, _flagged_keys, 'Nothing flagged.')}"
        f"<h2>DIFF_INNERGY: {len(plan.changes)} changes</h2>{_html_table(_INNERGY_COLUMNS, plan.changes)}"
        f"<h2>DIFF_PPAK: {len(plan.ppak_changes)} rows</h2>{_html_table(_PPAK_COLUMNS, plan.ppak_changes)}"
        f"<h2>What each action does</h2>{_colour_key(True)}"
    )
    return page.page(title, body, _STYLE)
