"""A folder of PPak exports -> canonical materials, projects and lines, with full accounting.

Every file is recognised by its header row (CSV in any encoding Excel writes, or the
"Material Library Export" .xlsx report); every row below a header is converted, reported
(left out, with a Problem per reason) or skipped (blank line, summary line, repeated
header, category row), and the summary proves it per file: ``read = converted +
reported + skipped``, each summary line listed with its row and text. Duplicates (keys
equal after trimming and case-folding, within a file or across files) keep the first
row and report the later one, naming both.
Nothing here reads the clock, so the same input gives byte-identical output.
"""

from __future__ import annotations

import csv
from collections import Counter
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from canonical.errors import PPakError
from canonical.gc_pause import paused_gc
from canonical.models import Library, Problem
from ppak_import.columns import Coded, Records, concat, concat_records
from ppak_import.csv_table import parse_csv, python_text
from ppak_import.jsonl import write_jsonl
from ppak_import.table import Table, find_table
from ppak_import.transform import Converted, Unmapped, convert_lines, convert_materials, convert_projects
from ppak_import.xlsx_report import DAMAGED, read_library_report

__all__ = ["OUTPUTS", "EtlResult", "read_export", "run_etl", "write_outputs"]

OUTPUTS = {
    "materials": "canonical/ppak_materials.jsonl",
    "projects": "canonical/projects.jsonl",
    "lines": "canonical/project_lines.jsonl",
}
SUFFIXES = (".csv", ".txt", ".xlsx", ".xlsm")
UNMAPPED_KINDS = ("statuses", "phases", "skus", "units")


@dataclass
class EtlResult:
    """The canonical records (JSON-mode, column-wise), the problems and the accounting."""

    columns: dict[str, Records]
    problems: list[Problem]
    files: list[dict[str, Any]]
    unmapped: dict[str, Unmapped] = field(default_factory=dict)

    @cached_property
    def records(self) -> dict[str, pd.DataFrame]:
        """The records as DataFrames (one row a record); the writer does not need them."""
        return {kind: records.frame().reset_index(drop=True) for kind, records in self.columns.items()}

    @property
    def readable(self) -> bool:
        return any(f["kind"] for f in self.files)

    def summary(self) -> dict[str, Any]:
        """Everything the ETL report shows, as plain JSON-able data."""
        errors = sum(p.severity == "error" for p in self.problems)
        return {
            "counts": {
                "files": len(self.files),
                "files_read": sum(bool(f["kind"]) for f in self.files),
                "materials": len(self.columns["materials"]),
                "projects": len(self.columns["projects"]),
                "project_lines": len(self.columns["lines"]),
                "problems": len(self.problems),
                "errors": errors,
                "warnings": len(self.problems) - errors,
            },
            "files": self.files,
            "unmapped": {k: self.unmapped.get(k, Unmapped()).as_list() for k in UNMAPPED_KINDS},
            "problems": [p.model_dump(mode="json") for p in self.problems],
        }


def read_export(path: Path) -> tuple[Table | None, dict[str, Any]]:
    """One file as a table, and its entry for the report (why not, when it is not one)."""
    entry: dict[str, Any] = {"file": path.name, "kind": None, "encoding": None}
    try:
        data = path.read_bytes()
    except OSError as exc:
        return None, entry | {"note": f"cannot be read: {exc.strerror}"}
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        try:
            table = read_library_report(data, path.name)
        except DAMAGED as exc:
            return None, entry | {"note": f"cannot be read as a workbook, the file is damaged: {exc}"}
        note = "not a Material Library Export report (no 'Code / Description' header row)"
    else:
        try:
            parsed = parse_csv(data)
        except csv.Error as exc:
            return None, entry | {"note": f"cannot be parsed as CSV: {exc}"}
        entry["encoding"] = parsed.encoding
        table = find_table(parsed.records, parsed.widths, path.name, parsed.encoding)
        note = "no header row of a known PPak export in its first lines"
        if table is not None and parsed.replaced_bytes:
            warning = Problem(
                source=path.name,
                message=f"{parsed.replaced_bytes} bytes are not valid {parsed.encoding} and were "
                "replaced by U+FFFD; check the values that show it",
                severity="warning",
            )
            table = _with_problem(table, warning)
    if table is None:
        return None, entry | {"note": note}
    return table, entry | {"kind": table.schema.kind, "header_row": table.header_row}


def _with_problem(table: Table, problem: Problem) -> Table:
    from dataclasses import replace

    return replace(table, problems=(*table.problems, problem))


def _dedupe(kind: str, parts: list[Converted]) -> tuple[Records, list[Problem], Counter[str], Counter[str]]:
    """Concatenate one kind's records; a later row whose key repeats an earlier is left out.

    Also returns, per file, the rows left out here and the rows kept.
    """
    if not parts:
        return Records(np.zeros(0, dtype=np.int64), {}), [], Counter(), Counter()
    records = concat_records([p.records for p in parts])
    ends = np.cumsum([len(p.records) for p in parts])
    sources = [p.source for p in parts]  # of row i: sources[searchsorted(ends, i, "right")]
    keys = [concat(part) for part in zip(*(p.keys for p in parts), strict=True)]
    codes = _key_codes(keys)
    repeats = pd.Series(codes).duplicated(keep="first").to_numpy()
    later = repeats
    if len(keys) == 1:  # a blank single key is no key (a joined key of several parts never is)
        later = later & keys[0].per_row(keys[0].values != "")
    problems: list[Problem] = []
    left_out: Counter[str] = Counter()
    if later.any():
        firsts = np.flatnonzero(~repeats)
        first = np.empty(int(codes.max()) + 1, dtype=np.int64)
        first[codes[firsts]] = firsts
        label = "project and change order" if kind == "projects" else "key"
        rows = records.rows
        for i in np.flatnonzero(later):
            j = int(first[codes[i]])
            source_i, source_j = (sources[k] for k in np.searchsorted(ends, np.array([i, j]), side="right"))
            where = f"{source_j} row {rows[j]}"
            value = " / ".join(str(k.values[k.codes[i]]) for k in keys)
            problems.append(
                Problem(
                    source=source_i,
                    row=int(rows[i]),
                    value=value,
                    message=f"duplicate {label} of {where} (equal after trimming and case-folding); "
                    "left out, the first row is kept",
                )
            )
            problems.append(
                Problem(
                    source=source_j,
                    row=int(rows[j]),
                    value=value,
                    message=f"kept; {source_i} row {rows[i]} repeats this {label} and was left out",
                    severity="warning",
                )
            )
            left_out[source_i] += 1
    kept: Counter[str] = Counter()
    for part, end in zip(parts, ends, strict=True):
        kept[part.source] += int(len(part.records) - later[end - len(part.records) : end].sum())
    return records.take(~later), problems, left_out, kept


def _key_codes(keys: list[Coded]) -> np.ndarray:
    """One integer per row, equal exactly where every key part's text is equal."""
    combined = np.zeros(len(keys[0].codes), dtype=np.int64)
    for part in keys:
        texts, distinct = pd.factorize(part.values)  # each part's equal texts, one code
        combined = pd.factorize(combined * len(distinct) + texts[part.codes])[0]
    return combined


def _order(path: Path) -> tuple[bool, str]:
    return path.suffix.lower() not in (".csv", ".txt"), path.name


def run_etl(export_dir: Path, library: Library) -> EtlResult:
    """Read every PPak export in ``export_dir`` and convert it through ``library``."""
    with paused_gc(), python_text():
        return _run_etl(export_dir, library)


def _run_etl(export_dir: Path, library: Library) -> EtlResult:
    if not export_dir.is_dir():
        raise PPakError(f"the PPak export folder {str(export_dir)!r} does not exist")
    paths = sorted((p for p in export_dir.iterdir() if p.suffix.lower() in SUFFIXES), key=_order)
    tables: list[Table] = []
    entries: dict[str, dict[str, Any]] = {}
    for path in paths:
        table, entry = read_export(path)
        entries[path.name] = entry
        if table is not None:
            tables.append(table)
    converted: dict[str, list[Converted]] = {"materials": [], "projects": [], "lines": []}
    for table in tables:
        if table.schema.kind == "materials":
            converted["materials"].append(convert_materials(table, library))
        elif table.schema.kind == "projects":
            converted["projects"].append(convert_projects(table, library))
    records: dict[str, Records] = {}
    problems: list[Problem] = [p for t in tables for p in t.problems]
    left_out: Counter[str] = Counter({t.source: t.reported for t in tables})
    kept: Counter[str] = Counter()
    for kind in ("materials", "projects", "lines"):
        if kind == "lines":
            items = records["materials"]
            parts = [convert_lines(t, library, items) for t in tables if t.schema.kind == "lines"]
        else:
            parts = converted[kind]
        for part in parts:
            problems.extend(part.problems)
            left_out[part.source] += part.reported
        records[kind], duplicates, dropped, converted_rows = _dedupe(kind, parts)
        kept.update(converted_rows)
        problems.extend(duplicates)
        left_out.update(dropped)
    unmapped: dict[str, Unmapped] = {}
    for part in (p for parts in converted.values() for p in parts):
        _merge_unmapped(unmapped, part.unmapped)
    for part in parts:  # the lines, converted last
        _merge_unmapped(unmapped, part.unmapped)
    for table in tables:
        entries[table.source] |= {
            "rows_read": table.read,
            "converted": kept[table.source],
            "reported": left_out[table.source],
            "skipped": dict(sorted(table.skipped.items())),
            "summary_lines": [{"row": row, "text": text} for row, text in table.summary_lines],
            "extra_columns": list(table.extra_columns),
            "notes": list(table.notes),
        }
    problems.sort(key=lambda p: (p.source, p.row or 0, p.severity != "error", p.column or "", p.message))
    return EtlResult(records, problems, list(entries.values()), unmapped)


def _merge_unmapped(into: dict[str, Unmapped], found: dict[str, Unmapped]) -> None:
    for kind, tally in found.items():
        target = into.setdefault(kind, Unmapped())
        for value, count in tally.counts.items():
            target.add(value, count, tally.examples[value])


def write_outputs(result: EtlResult, output_dir: Path) -> dict[str, Path]:
    """The three canonical JSON Lines files under ``output_dir``; their paths by kind."""
    with paused_gc():
        return _write_outputs(result, output_dir)


def _write_outputs(result: EtlResult, output_dir: Path) -> dict[str, Path]:
    written: dict[str, Path] = {}
    for kind, relative in OUTPUTS.items():
        path = output_dir / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        write_jsonl(result.columns[kind], path)
        written[kind] = path
    return written
