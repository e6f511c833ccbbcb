"""``matsync ppak-import``: mapping tabs from the workbook, the PPak ETL, files, ISSUES.

Without a configured workbook the ETL still runs, with an empty library (every status,
phase, SKU and non-synonym unit is then reported unmapped) and no ISSUES write; the JSON
says so (``workbook: null``).
"""

from __future__ import annotations

import logging
from contextlib import ExitStack

from canonical.errors import ConfigError, ExitCode
from canonical.models import Library, Problem
from ppak_import import OUTPUTS, run_etl, write_outputs
from reports.etl import etl_html, etl_json, etl_markdown
from sheets_sync.config import Settings
from sheets_sync.connect import open_workbook
from sheets_sync.console import Outcome
from sheets_sync.master.issues import replace_issues
from sheets_sync.master.reader import read_library
from sheets_sync.store.files import write_text
from sheets_sync.store.lock import run_lock
from sheets_sync.store.paths import Outputs

__all__ = ["ppak_import"]

log = logging.getLogger("matsync")


def ppak_import(settings: Settings) -> Outcome:
    """Run the ETL on ``PPAK_EXPORT_DIR``; exit 1 when no file could be read."""
    if settings.ppak_export_dir is None:
        raise ConfigError("no PPak export folder: set PPAK_EXPORT_DIR or pass --export-dir")
    with ExitStack() as stack:
        stack.enter_context(run_lock(settings.output_dir, "ppak-import"))
        workbook = stack.enter_context(open_workbook(settings)) if settings.workbook else None
        library, library_problems = read_library(workbook)[:2] if workbook else (Library(), list[Problem]())
        log.info("reading PPak exports in %s", settings.ppak_export_dir)
        result = run_etl(settings.ppak_export_dir, library)
        summary = result.summary()
        out = settings.output_dir
        reports = Outputs(out)
        written = {kind: str(path) for kind, path in write_outputs(result, out).items()}
        write_text(reports.report("etl_report.md"), etl_markdown(summary))
        write_text(reports.report("etl_report.html"), etl_html(summary))
        write_text(reports.report("etl_report.json"), etl_json(summary))
        if workbook is not None:
            replace_issues(workbook, result.problems, [f["file"] for f in result.files])
    counts = summary["counts"]
    body = {
        "workbook": settings.workbook and "configured",
        "export_dir": str(settings.ppak_export_dir),
        **counts,
        "library_problems": len(library_problems),
        "files": [
            {k: f.get(k) for k in ("file", "kind", "encoding", "rows_read", "converted", "reported")}
            for f in result.files
        ],
        "unmapped": {k: len(v) for k, v in summary["unmapped"].items()},
        "written": {
            **written,
            "report_md": str(reports.report("etl_report.md")),
            "report_html": str(reports.report("etl_report.html")),
            "report_json": str(reports.report("etl_report.json")),
        },
    }
    lines = [
        f"{counts['files_read']}/{counts['files']} files read; {counts['materials']} materials, "
        f"{counts['projects']} projects, {counts['project_lines']} lines; "
        f"{counts['errors']} errors, {counts['warnings']} warnings",
        f"canonical files in {out / 'canonical'} ({', '.join(OUTPUTS)})",
        f"report {reports.report('etl_report.md')} (and .html)",
    ]
    code = ExitCode.OK if result.readable else ExitCode.FAILED
    if not result.readable:
        lines.insert(0, "no PPak export could be read")
    return Outcome(body, code, lines)
