"""The one-way dependency rule of the contract, checked on the source itself."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
OURS = {"canonical", "sheets_sync", "ppak_import", "innergy_client", "reports"}
ALLOWED = {
    "canonical": set(),
    "ppak_import": {"canonical"},
    "innergy_client": {"canonical"},
    "reports": {"canonical"},
    "sheets_sync": OURS - {"sheets_sync"},
}


def imported_packages(path: Path) -> set[str]:
    """Top-level names of our packages imported anywhere in a file (lazy imports too)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found & OURS


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_package_imports_only_what_the_rule_allows(package: str) -> None:
    sources = sorted((REPO / package).rglob("*.py"))
    assert sources, f"package {package} has no source"
    offences = {
        str(path.relative_to(REPO)): sorted(bad)
        for path in sources
        if (bad := imported_packages(path) - ALLOWED[package] - {package})
    }
    assert offences == {}


def test_the_checker_sees_a_forbidden_import(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("def f():\n    from sheets_sync.cli import app\n    import reports.plan\n")
    assert imported_packages(bad) == {"sheets_sync", "reports"}


def test_canonical_does_no_io() -> None:
    """canonical knows no I/O: no file, network or process modules, no open()."""
    forbidden = {"os", "io", "pathlib", "socket", "httpx", "requests", "subprocess", "sqlite3", "shutil"}
    for path in sorted((REPO / "canonical").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = {node.module.split(".")[0]}
            else:
                names = set()
            assert not names & forbidden, f"{path.name} imports {names & forbidden}"
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                assert node.func.id != "open", f"{path.name} calls open()"
