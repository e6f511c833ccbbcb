"""Writes to an .xlsx by patching the zip parts they change; every other part is copied as is.

openpyxl loads and saves the whole workbook to change one tab: ~14 s and over 1 GB when
``pull`` rewrites a small ISSUES tab beside a 100k-row master. Here ``patch_plan`` decides
what a batch changes and ``write_patch`` writes it; a batch it does not take comes back
``Unpatchable`` with the reason, and the caller uses openpyxl. By layer:

- ``xml_spans``: parts read as elements with byte offsets, spans replaced in place;
- ``styles``: a ``Style`` resolved into a ``Look``, and the cell formats it adds to styles.xml;
- ``worksheet``: a tab rewritten whole or new, streamed in schema order;
- ``row_patch``: cells written inside an existing tab, spliced into its rows;
- ``package``: workbook.xml, its rels and [Content_Types].xml, which list the tabs;
- ``plan``: the ``PatchPlan`` of a batch, or why it is ``Unpatchable``;
- ``writer``: the new zip, untouched members copied compressed, byte for byte.
"""

from __future__ import annotations

from sheets_sync.workbook.xlsx_patch.plan import PatchPlan, patch_plan
from sheets_sync.workbook.xlsx_patch.styles import MARKER, tab_look
from sheets_sync.workbook.xlsx_patch.unpatchable import Unpatchable
from sheets_sync.workbook.xlsx_patch.worksheet import native
from sheets_sync.workbook.xlsx_patch.writer import write_patch

__all__ = ["MARKER", "PatchPlan", "Unpatchable", "native", "patch_plan", "tab_look", "write_patch"]
