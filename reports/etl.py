"""The ETL report: per-file row accounting, unmapped values and problems, as Markdown and JSON.

Pure functions of the summary ``ppak_import`` builds (plain data); no time inside, so the
same run renders the same bytes.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from reports import markdown as md

__all__ = ["etl_json", "etl_markdown"]


def etl_json(summary: Mapping[str, Any]) -> str:
    return json.dumps(summary, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


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
