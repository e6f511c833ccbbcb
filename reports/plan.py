"""The plan as a reviewer reads it: DIFF_INNERGY / DIFF_PPAK rows, Markdown, HTML, JSON.

Pure functions returning rows or text; the orchestration writes them. Sheet rows hold
user text exactly as typed (the workbook writer sends them RAW: a name starting with
``=`` stays text), cut to the workbook's cell limit when given (``reports.cells``: a
note names the plan file, which holds the whole); HTML is escaped; Markdown table cells
have pipes and newlines escaped.
"""

from __future__ import annotations

import html
import json
from collections.abc import Callable, Collection, Iterable, Mapping
from typing import Any

from canonical.diff import FieldChange
from canonical.plan import Plan
from reports.cells import fit_cell

__all__ = [
    "DIFF_INNERGY",
    "DIFF_INNERGY_HEADER",
    "DIFF_PPAK",
    "DIFF_PPAK_HEADER",
    "HEADER_ROW",
    "change_lines",
    "diff_innergy_rows",
    "diff_ppak_rows",
    "plan_html",
    "plan_json",
    "plan_markdown",
]

DIFF_INNERGY = "DIFF_INNERGY"
DIFF_PPAK = "DIFF_PPAK"
DIFF_INNERGY_HEADER = ("Approve", "Change ID", "Action", "SKU", "Name", "Changes", "Result")
DIFF_PPAK_HEADER = ("Approve", "Change ID", "Kind", "PPak SKU", "Canonical SKU", "Name", "Changes", "Result")
HEADER_ROW = 3
"""The sheet row (1-based) of the table header; rows 1-2 show the plan id, time and counts."""
BLANK = "(blank)"


def change_lines(fields: Iterable[FieldChange], reason: str | None = None) -> str:
    """``field: old -> new`` lines (a conflict's reason first)."""
    lines = [f"conflict: {reason}"] if reason else []
    lines += [
        f"{f.field}: {f.old if f.old is not None else BLANK} -> {f.new if f.new is not None else BLANK}"
        for f in fields
    ]
    return "\n".join(lines)


def _top(plan: Plan, width: int, counts: Iterable[tuple[str, int]]) -> list[list[Any]]:
    first = ["Plan ID", plan.plan_id, "Created", plan.created_at.isoformat(timespec="seconds")]
    second: list[Any] = []
    for name, count in counts:
        second += [name, count]
    return [first + [""] * (width - len(first)), second + [""] * (width - len(second))]


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
    width = max(len(DIFF_INNERGY_HEADER), 2 * len(counts))
    rows = _top(plan, width, counts)
    rows.append(list(DIFF_INNERGY_HEADER) + [""] * (width - len(DIFF_INNERGY_HEADER)))
    for c in plan.changes:
        row = [
            c.change_id in approved,
            c.change_id,
            c.action,
            fit(c.sku, "SKU"),
            fit(c.name, "name"),
            fit(change_lines(c.changes, c.reason), "change"),
            notes.get(c.change_id, ""),
        ]
        rows.append(row + [""] * (width - len(row)))
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
    counts = [(kind, n) for kind, n in plan.counts().items() if kind.startswith("ppak_")]
    width = max(len(DIFF_PPAK_HEADER), 2 * len(counts))
    rows = _top(plan, width, [(k.removeprefix("ppak_"), n) for k, n in counts])
    rows.append(list(DIFF_PPAK_HEADER) + [""] * (width - len(DIFF_PPAK_HEADER)))
    for p in plan.ppak_changes:
        row = [
            p.change_id in approved,
            p.change_id,
            p.kind,
            fit(p.ppak_sku, "PPak SKU"),
            fit(p.canonical_sku or "", "SKU"),
            fit(p.name, "name"),
            fit(change_lines(p.changes), "change"),
            notes.get(p.change_id, ""),
        ]
        rows.append(row + [""] * (width - len(row)))
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
