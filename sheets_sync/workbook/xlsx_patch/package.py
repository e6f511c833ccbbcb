"""The parts of the zip package that list the tabs: workbook.xml, its rels, [Content_Types].xml.

New tabs are registered in all three; a stale calcChain is unlisted (Excel rebuilds it)
and an autofilter's hidden defined name follows its new range.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from zipfile import ZipFile

from sheets_sync.workbook.xlsx_patch.xml_spans import RELS, Node, element, escape, main_root, parse, splice

__all__ = ["Package"]

_PACKAGE_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
_WORKSHEET_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"


def _relationships(raw: bytes) -> Node | None:
    root = parse(raw, 1)
    ok = root is not None and root.name == "Relationships" and root.attrs.get("xmlns") == _PACKAGE_RELS
    return root if ok and root is not None and not root.empty else None


def _rels_path(part: str) -> str:
    folder, name = posixpath.split(part)
    return posixpath.join(folder, "_rels", name + ".rels")


def _target(part: str, target: str) -> str:
    if target.startswith("/"):
        return target.lstrip("/")
    return posixpath.normpath(posixpath.join(posixpath.dirname(part), target))


@dataclass
class Package:
    """The parts that list the tabs (workbook.xml, its rels, [Content_Types].xml) and edits to them."""

    book: ZipFile
    workbook_part: str
    raw: dict[str, bytes]
    """workbook.xml, its rels and [Content_Types].xml by part name."""
    sheets: Node
    rels: Node
    types: Node
    rel_attr: str
    edits: dict[str, list[tuple[int, int, bytes]]] = field(default_factory=dict)
    defined: list[Node] = field(default_factory=list)
    """workbook.xml's defined names."""
    added: list[str] = field(default_factory=list)
    """Relationship ids of the tabs added."""

    @classmethod
    def read(cls, book: ZipFile) -> Package | None:
        """The package's listing parts, or ``None`` when they are not as Excel writes them."""
        package = _relationships(book.read("_rels/.rels"))
        office = [
            r.attrs["Target"]
            for r in (package.children if package else [])
            if r.attrs.get("Type") == RELS + "/officeDocument" and "Target" in r.attrs
        ]
        if len(office) != 1:
            return None
        workbook_part = _target("", office[0])
        names = (workbook_part, _rels_path(workbook_part), "[Content_Types].xml")
        raw = {name: book.read(name) for name in names}
        workbook, rels, types = (
            main_root(raw[names[0]], "workbook", 2),
            _relationships(raw[names[1]]),
            parse(raw[names[2]], 1),
        )
        if workbook is None or rels is None or types is None or types.name != "Types" or types.empty:
            return None
        sheets = workbook.find("sheets")
        prefix = next((k[6:] for k, v in workbook.attrs.items() if k.startswith("xmlns:") and v == RELS), "r")
        if len(sheets) != 1 or sheets[0].empty:
            return None
        defined = [d for node in workbook.find("definedNames") for d in node.children]
        return cls(
            book, workbook_part, raw, sheets[0], rels, types, prefix + ":id", {n: [] for n in names}, defined
        )

    @property
    def names(self) -> list[str]:
        return list(self.raw)

    def target(self, rel: Mapping[str, str]) -> str:
        return _target(self.workbook_part, rel.get("Target", ""))

    def tabs(self) -> dict[str, Mapping[str, str]]:
        """Tab name -> its relationship (empty when dangling)."""
        by_id = {r.attrs.get("Id"): r.attrs for r in self.rels.children}
        return {
            s.attrs.get("name", ""): by_id.get(s.attrs.get(self.rel_attr), {}) for s in self.sheets.children
        }

    def of_type(self, kind: str) -> list[Node]:
        return [r for r in self.rels.children if r.attrs.get("Type") == RELS + "/" + kind]

    def add_tab(self, tab: str, part: str) -> None:
        """Register a new worksheet part as the last tab."""
        workbook, rels, types = self.names
        taken = {r.attrs.get("Id") for r in self.rels.children} | set(self.added)
        rel_id = next(f"rId{n}" for n in range(1, len(taken) + 2) if f"rId{n}" not in taken)
        ids = [int(s.attrs["sheetId"]) for s in self.sheets.children if s.attrs.get("sheetId", "").isdigit()]
        sheet_id = max([*ids, 0]) + len(self.added) + 1
        self.added.append(rel_id)
        at = (self.sheets.close, self.sheets.close)
        self.edits[workbook].append(
            (*at, element("sheet", {"name": tab, "sheetId": str(sheet_id), "r:id": rel_id, "xmlns:r": RELS}))
        )
        relative = posixpath.relpath(part, posixpath.dirname(self.workbook_part))
        link = {"Id": rel_id, "Type": RELS + "/worksheet", "Target": relative}
        self.edits[rels].append((self.rels.close, self.rels.close, element("Relationship", link)))
        kind = {"PartName": "/" + part, "ContentType": _WORKSHEET_TYPE}
        self.edits[types].append((self.types.close, self.types.close, element("Override", kind)))

    def refilter(self, tab: str, ref: str) -> None:
        """Point Excel's hidden name for the filtered range of ``tab``, when it has one, at ``ref``."""
        index = str([s.attrs.get("name") for s in self.sheets.children].index(tab))
        quoted = "'" + tab.replace("'", "''") + "'!" + re.sub(r"([A-Z]+)(\d+)", r"$\1$\2", ref)
        self.edits[self.names[0]] += [
            (d.inner, d.close, escape(quoted).encode())
            for d in self.defined
            if d.attrs.get("name") == "_xlnm._FilterDatabase"
            and d.attrs.get("localSheetId") == index
            and not d.empty
        ]

    def drop(self, rel: Node) -> str:
        """Unlist the part ``rel`` points to; its name, for the writer to leave out."""
        _, rels, types = self.names
        part = self.target(rel.attrs)
        self.edits[rels].append((rel.start, rel.end, b""))
        self.edits[types] += [
            (t.start, t.end, b"") for t in self.types.children if t.attrs.get("PartName") == "/" + part
        ]
        return part

    def patched(self) -> dict[str, bytes]:
        return {name: splice(self.raw[name], edits) for name, edits in self.edits.items() if edits}
