"""XML parts read as elements with byte offsets, so a patch replaces spans and keeps every
other byte exactly as the part had it (a full parse and re-serialise would not)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from xml.parsers import expat

__all__ = [
    "MAIN",
    "RELS",
    "START_TAG",
    "Node",
    "element",
    "escape",
    "escape_attr",
    "main_root",
    "parse",
    "splice",
]

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
START_TAG = re.compile(rb"<[^\s/>]+(?:\s+[^\s=/>]+\s*=\s*(?:\"[^\"]*\"|'[^']*'))*\s*/?>")


@dataclass
class Node:
    """An element of a part with its byte offsets, so untouched bytes are kept exactly."""

    name: str
    attrs: dict[str, str]
    start: int
    inner: int
    """Just past the start tag."""
    empty: bool
    close: int = 0
    """Where the end tag starts (``inner`` for an empty element)."""
    end: int = 0
    children: list[Node] = field(default_factory=list)

    def find(self, name: str) -> list[Node]:
        return [c for c in self.children if c.name == name]


def parse(raw: bytes, depth: int) -> Node | None:
    """The elements down to ``depth`` below the root, or ``None`` when the part is not plain XML."""
    if b"<!DOCTYPE" in raw[:1024] or not raw.lstrip(b"\xef\xbb\xbf \r\n\t").startswith(b"<"):
        return None
    parser = expat.ParserCreate()
    stack: list[Node] = []
    roots: list[Node] = []
    level = 0

    def start(name: str, attrs: dict[str, str]) -> None:
        nonlocal level
        if level <= depth:
            at = parser.CurrentByteIndex
            tag = START_TAG.match(raw, at)
            if tag is None:
                raise ValueError(f"no start tag at byte {at}")
            node = Node(name, attrs, at, tag.end(), raw[tag.end() - 2 : tag.end()] == b"/>")
            (stack[-1].children if stack else roots).append(node)
            stack.append(node)
        level += 1

    def end(_name: str) -> None:
        nonlocal level
        level -= 1
        if level <= depth:
            node = stack.pop()
            if node.empty:
                node.close = node.end = node.inner
            else:
                node.close = parser.CurrentByteIndex
                node.end = raw.index(b">", node.close) + 1

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    try:
        parser.Parse(raw, True)
    except (expat.ExpatError, ValueError):
        return None
    return roots[0] if len(roots) == 1 else None


def main_root(raw: bytes, name: str, depth: int) -> Node | None:
    """The root of a SpreadsheetML part when it is ``name`` in the default namespace."""
    root = parse(raw, depth)
    return root if root is not None and root.name == name and root.attrs.get("xmlns") == MAIN else None


def escape(text: str) -> str:
    """Element text; a carriage return as a reference, or a parser would read it as a line feed."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;")


def escape_attr(text: str) -> str:
    return escape(text).replace('"', "&quot;").replace("\n", "&#10;").replace("\t", "&#9;")


def element(name: str, attrs: Mapping[str, str], inner: bytes | None = None) -> bytes:
    head = "<" + name + "".join(f' {k}="{escape_attr(v)}"' for k, v in attrs.items())
    if inner is None:
        return (head + "/>").encode()
    return (head + ">").encode() + inner + f"</{name}>".encode()


def splice(raw: bytes, edits: list[tuple[int, int, bytes]]) -> bytes:
    """``raw`` with each (start, stop) span replaced; spans do not overlap."""
    out, at = [], 0
    for start, stop, text in sorted(edits, key=lambda e: (e[0], e[1])):
        out += [raw[at:start], text]
        at = stop
    return b"".join([*out, raw[at:]])
