"""The ETL report: per-file row accounting, unmapped values and problems, as Markdown, HTML
and JSON.

Pure functions of the summary ``ppak_import`` builds (plain data); no time inside, so the
same run renders the same bytes. The HTML draws each file's rows as one stacked bar
(converted / reported / skipped, on one scale), so a file that lost rows stands out.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reports import markdown as md
from reports import page
from reports.jsontext import pretty_json

__all__ = ["etl_html", "etl_json", "etl_markdown"]


def etl_json(summary: Mapping[str, Any]) -> str:
    return pretty_json(summary) + "\n"


def _table(header: list[str], rows: list[list[Any]]) -> list[str]:
    return md.table(header, ([md.cell(v) for v in row] for row in rows))


def etl_markdown(summary: Mapping[str, Any]) -> str:
    counts = summary["counts"]
    out = [
        "# PPak ETL report",
        "",
        f"{counts['files_read']} of {counts['files']} files read: {counts['materials']} materials, "
        f"{counts['projects']} projects, {counts['project_lines']} project lines; "
        f"{counts['errors']} errors (rows left out), {counts['warnings']} warnings.",
        "",
        "## Files",
        "",
        "Rows read = converted + reported + skipped (rows below the header row).",
        "",
    ]
    rows = []
    for f in summary["files"]:
        skipped = ", ".join(f"{n} {reason}" for reason, n in f.get("skipped", {}).items())
        rows.append(
            [
                f["file"],
                f["kind"] or f"not read: {f.get('note', '')}",
                f.get("encoding") or "",
                f.get("rows_read", ""),
                f.get("converted", ""),
                f.get("reported", ""),
                skipped,
                ", ".join(f.get("extra_columns", [])),
            ]
        )
    out += _table(
        ["file", "kind", "encoding", "read", "converted", "reported", "skipped", "extra columns"], rows
    )
    notes = [[f["file"], note] for f in summary["files"] for note in f.get("notes", [])]
    if notes:
        out += ["", "## Notes", "", *_table(["file", "note"], notes)]
    lines = [[f["file"], s["row"], s["text"]] for f in summary["files"] for s in f.get("summary_lines", [])]
    if lines:
        out += ["", "## Summary lines skipped", "", "Totals, counts and page lines: never records.", ""]
        out += _table(["file", "row", "line"], lines)
    for kind, values in summary["unmapped"].items():
        out += ["", f"## Unmapped {kind}", ""]
        if not values:
            out.append("None.")
            continue
        out += _table(
            ["value", "count", "examples"],
            [[v["value"], v["count"], ", ".join(v["examples"])] for v in values],
        )
    out += ["", "## Problems", ""]
    problems = summary["problems"]
    out += (
        _table(
            ["severity", "file", "row", "column", "value", "message"],
            [[p["severity"], p["source"], p["row"], p["column"], p["value"], p["message"]] for p in problems],
        )
        if problems
        else ["None."]
    )
    return "\n".join(out) + "\n"


_ACCOUNTING = (
    ("converted", "#1e8e3e", "became canonical records"),
    ("reported", "#d93025", "left out, each with a problem below (and in ISSUES)"),
    ("skipped", "#9aa0a6", "no record: blank lines, category rows, repeated headers, totals"),
)


_KIND_NAMES = {"skus": "SKUs"}


def _skipped(entry: Mapping[str, Any]) -> int:
    return sum(entry.get("skipped", {}).values())


def _accounting_chart(files: list[Mapping[str, Any]]) -> str:
    rows = []
    for f in files:
        counts = {
            "converted": f.get("converted") or 0,
            "reported": f.get("reported") or 0,
            "skipped": _skipped(f),
        }
        parts = [page.Bar(name, counts[name], colour) for name, colour, _ in _ACCOUNTING]
        rows.append(
            (f["file"], parts, f"{f.get('rows_read', 0)} rows") if f["kind"] else (f["file"], [], "not read")
        )
    return page.stacked("Rows per file", rows)


def etl_html(summary: Mapping[str, Any]) -> str:
    """One self-contained page (``reports.page``): the accounting chart, then the tables of the
    Markdown report, every value escaped."""
    counts, files = summary["counts"], list(summary["files"])
    file_rows = [
        [
            f["file"],
            f["kind"] or f"not read: {f.get('note', '')}",
            f.get("encoding") or "",
            f.get("rows_read", ""),
            f.get("converted", ""),
            f.get("reported", ""),
            _skipped(f) if f["kind"] else "",
            ", ".join(f"{n} {reason}" for reason, n in f.get("skipped", {}).items()),
        ]
        for f in files
    ]
    body = [
        "<h1>PPak ETL report</h1>",
        f"<p>{counts['files_read']} of {counts['files']} files read: <b>{counts['materials']}</b> materials, "
        f"<b>{counts['projects']}</b> projects, <b>{counts['project_lines']}</b> project lines; "
        f"<b>{counts['errors']}</b> errors (rows left out), <b>{counts['warnings']}</b> warnings.</p>",
        page.figure("Rows per file: every row below the header row is converted, reported or skipped",
                    _accounting_chart(files)),
        page.legend([(colour, name, meaning) for name, colour, meaning in _ACCOUNTING]),
        "<h2>Files</h2>",
        page.table(["file", "kind", "encoding", "read", "converted", "reported", "skipped", "why skipped"],
                   file_rows, {"read", "converted", "reported", "skipped"}),
    ]  # fmt: skip
    notes = [[f["file"], note] for f in files for note in f.get("notes", [])]
    if notes:
        body += ["<h2>Notes</h2>", page.table(["file", "note"], notes)]
    lines = [[f["file"], s["row"], s["text"]] for f in files for s in f.get("summary_lines", [])]
    if lines:
        body += [
            "<h2>Summary lines skipped</h2>",
            '<p class="muted">Totals, counts and page lines: never records.</p>',
        ]
        body.append(page.table(["file", "row", "line"], lines, {"row"}))
    unmapped = summary["unmapped"]
    shown = ", ".join(f"{len(values)} {_KIND_NAMES.get(kind, kind)}" for kind, values in unmapped.items())
    body += [
        "<h2>Unmapped values</h2>",
        f"<p>Distinct PPak values without a mapping row: {page.esc(shown)}.</p>",
    ]
    for kind, values in unmapped.items():
        if values:
            rows = [[v["value"], v["count"], ", ".join(v["examples"])] for v in values]
            body += [
                f"<h3>Unmapped {page.esc(_KIND_NAMES.get(kind, kind))}</h3>",
                page.table(["value", "count", "examples"], rows, {"count"}),
            ]
    problems = [
        [p["severity"], p["source"], p["row"], p["column"], p["value"], p["message"]]
        for p in summary["problems"]
    ]
    body += [
        "<h2>Problems</h2>",
        page.table(["severity", "file", "row", "column", "value", "message"], problems, {"row"}),
    ]
    return page.page("PPak ETL report", "".join(body))
