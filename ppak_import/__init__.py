"""PPak export readers (CSV in the encodings Excel writes, the .xlsx report) -> canonical."""

from ppak_import.csv_table import Parsed, decode, parse_csv
from ppak_import.etl import OUTPUTS, EtlResult, read_export, run_etl, write_outputs
from ppak_import.jsonl import jsonl_chunks
from ppak_import.table import Table, find_table
from ppak_import.xlsx_report import read_library_report

__all__ = [
    "OUTPUTS",
    "EtlResult",
    "Parsed",
    "Table",
    "decode",
    "find_table",
    "jsonl_chunks",
    "parse_csv",
    "read_export",
    "read_library_report",
    "run_etl",
    "write_outputs",
]
