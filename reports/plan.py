"""The plan as a reviewer reads it: DIFF_INNERGY / DIFF_PPAK rows, Markdown, HTML, JSON.

A change reads in the estimator's terms (``lines_of``): a cost per the master row's unit
with INNERGY's per base unit beside it, a margin as percent; the diff rows add the cost's
move and the change's flags (``reports.review``).

Pure functions returning rows or text; the orchestration writes them. Sheet rows hold
user text exactly as typed (the workbook writer sends them RAW: a name starting with
``=`` stays text), cut to the workbook's cell limit when given (``reports.cells``: a
note names the plan file, which holds the whole); HTML is escaped; Markdown table cells
have pipes and newlines escaped.
"""

from __future__ import annotations

import html
import json
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from datetime import UTC
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from canonical.diff import FieldChange
from canonical.plan import Change, CostUnit, MaterialChange, Plan
from reports.cells import fit_cell
from reports.review import cost_change, flags

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
    fields = change.changes
    if change.kind == "new" and change.master_row is not None:
        row = change.master_row
        added = (("sku", row.sku), ("name", row.name), ("category", row.category), ("uom", row.uom))
        fields = tuple(FieldChange(name, None, str(value)) for name, value in (*added, ("cost", row.cost)))
    return change_lines(fields, unit=change.unit, per_base=False)


def _review_cells(change: Change) -> list[Any]:
    """``Δ %`` (a fraction, formatted as percent by the tab) and ``Flags``."""
    moved = cost_change(change)
    return [moved if moved is not None else "", ", ".join(flags(change))]


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
    flagged = sum(1 for change in changes if flags(change))
    return [*_top(plan, width, counts, flagged), list(header) + [""] * (width - len(header))]


def _fitter(limit: int | None, plan_file: str) -> Callable[[str, str], str]:
    """Cuts a cell's text to ``limit``, its note naming the plan file (which holds every change whole)."""
    return lambda text, what: fit_cell(text, limit, f"the whole {what} is in {plan_file}")


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
    fit = _fitter(limit, plan_file)
    notes = notes or {}
    counts = [(action, n) for action, n in plan.counts().items() if not action.startswith("ppak_")]
    rows = _tab_head(plan, DIFF_INNERGY_HEADER, counts, plan.changes)
    for c in plan.changes:
        row = [
            c.change_id in approved,
            c.change_id,
            c.action,
            fit(c.sku, "SKU"),
            fit(c.name, "name"),
            fit(lines_of(c), "change"),
            notes.get(c.change_id, ""),
            *_review_cells(c),
        ]
        rows.append(row + [""] * (len(rows[0]) - len(row)))
    return rows


def diff_ppak_rows(
    plan: Plan,
    approved: Collection[str] = (),
    notes: Mapping[str, str] | None = None,
    *,
    limit: int | None = None,
    plan_file: str = "the plan file",
) -> list[list[Any]]:
    """DIFF_PPAK from A1 in the same layout (kinds ``new`` and ``differs``), noted and cut alike."""
    fit = _fitter(limit, plan_file)
    notes = notes or {}
    counts = [
        (kind.removeprefix("ppak_"), n) for kind, n in plan.counts().items() if kind.startswith("ppak_")
    ]
    rows = _tab_head(plan, DIFF_PPAK_HEADER, counts, plan.ppak_changes)
    for p in plan.ppak_changes:
        row = [
            p.change_id in approved,
            p.change_id,
            p.kind,
            fit(p.ppak_sku, "PPak SKU"),
            fit(p.canonical_sku or "", "SKU"),
            fit(p.name, "name"),
            fit(lines_of(p), "change"),
            notes.get(p.change_id, ""),
            *_review_cells(p),
        ]
        rows.append(row + [""] * (len(rows[0]) - len(row)))
    return rows


_SHOWN = {"change_id", "action", "sku", "name", "reason", "changes"}
_SHOWN_PPAK = {"change_id", "kind", "ppak_sku", "canonical_sku", "name", "changes"}


def plan_json(plan: Plan) -> str:
    """The summary an automation reads: id, time, counts, and every change with its lines."""
    summary = {
        "plan_id": plan.plan_id,
        "created_at": plan.created_at.isoformat(),
        "counts": plan.counts(),
        "unchanged": plan.unchanged,
        "unmanaged": [{"innergy_id": r.innergy_id, "name": r.name} for r in plan.unmanaged],
        "problems": len(plan.problems),
        "changes": [c.model_dump(mode="json", include=_SHOWN) for c in plan.changes],
        "ppak_changes": [p.model_dump(mode="json", include=_SHOWN_PPAK) for p in plan.ppak_changes],
    }
    return json.dumps(summary, ensure_ascii=False, indent=2, sort_keys=True)


def _md(text: Any) -> str:
    return str(text).replace("\\", "\\\\").replace("|", "\\|").replace("\r", "").replace("\n", "<br>")


def plan_markdown(plan: Plan) -> str:
    counts = plan.counts()
    out = [
        f"# Plan {plan.plan_id}",
        "",
        f"Created {plan.created_at.isoformat(timespec='seconds')}; {plan.unchanged} materials unchanged; "
        f"{len(plan.unmanaged)} unmanaged INNERGY records; {len(plan.problems)} problems.",
        "",
        "| what | count |",
        "|---|---|",
        *(f"| {name} | {n} |" for name, n in counts.items()),
        "",
        "## INNERGY",
        "",
        "| Change ID | Action | SKU | Name | Changes |",
        "|---|---|---|---|---|",
        *(
            f"| {c.change_id} | {c.action} | {_md(c.sku)} | {_md(c.name)} "
            f"| {_md(change_lines(c.changes, c.reason))} |"
            for c in plan.changes
        ),
        "",
        "## PPak",
        "",
        "| Change ID | Kind | PPak SKU | Canonical SKU | Name | Changes |",
        "|---|---|---|---|---|---|",
        *(
            f"| {p.change_id} | {p.kind} | {_md(p.ppak_sku)} | {_md(p.canonical_sku or '')} | {_md(p.name)} "
            f"| {_md(change_lines(p.changes))} |"
            for p in plan.ppak_changes
        ),
    ]
    return "\n".join(out) + "\n"


_STYLE = (
    "body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
    "td,th{border:1px solid #ccc;padding:4px;vertical-align:top;white-space:pre-wrap}"
    ".create{background:#e6f4ea}.update{background:#fef7e0}.deactivate{background:#fce8e6}"
    ".reactivate{background:#e8f0fe}.conflict{background:#f3e8fd}"
)


def _table(header: Iterable[str], rows: Iterable[tuple[str, list[Any]]]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join(
        f'<tr class="{html.escape(css)}">'
        + "".join(f"<td>{html.escape(str(cell))}</td>" for cell in cells)
        + "</tr>"
        for css, cells in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def plan_html(plan: Plan) -> str:
    """One self-contained page (inline style, no scripts), every value escaped."""
    counts = _table(("what", "count"), (("", [k, v]) for k, v in plan.counts().items()))
    innergy = _table(
        DIFF_INNERGY_HEADER[1:6],
        (
            (c.action, [c.change_id, c.action, c.sku, c.name, change_lines(c.changes, c.reason)])
            for c in plan.changes
        ),
    )
    ppak = _table(
        DIFF_PPAK_HEADER[1:7],
        (
            (
                p.kind,
                [p.change_id, p.kind, p.ppak_sku, p.canonical_sku or "", p.name, change_lines(p.changes)],
            )
            for p in plan.ppak_changes
        ),
    )
    title = html.escape(f"Plan {plan.plan_id}")
    return (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{title}</title>'
        f"<style>{_STYLE}</style></head><body><h1>{title}</h1>"
        f"<p>Created {html.escape(plan.created_at.isoformat(timespec='seconds'))}; "
        f"{plan.unchanged} unchanged; {len(plan.unmanaged)} unmanaged; {len(plan.problems)} problems.</p>"
        f"{counts}<h2>INNERGY</h2>{innergy}<h2>PPak</h2>{ppak}</body></html>\n"
    )
