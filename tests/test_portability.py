"""matsync runs where estimators sit, mostly Windows: no POSIX-only module outside a platform guard."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("canonical", "sheets_sync", "ppak_import", "innergy_client", "reports")
POSIX_ONLY = {"fcntl", "pwd", "grp", "termios", "resource", "posix", "tty", "pty"}


def _guarded(node: ast.AST, parents: dict[ast.AST, ast.AST]) -> bool:
    """Inside ``if sys.platform ...`` / ``if os.name ...``, or a ``try`` that catches ImportError."""
    while node in parents:
        node = parents[node]
        if isinstance(node, ast.If) and any(
            isinstance(n, ast.Attribute) and n.attr in {"platform", "name"} for n in ast.walk(node.test)
        ):
            return True
        if isinstance(node, ast.Try) and any(
            h.type is not None and "ImportError" in ast.unparse(h.type) for h in node.handlers
        ):
            return True
    return False


def _posix_imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    parents = {child: parent for parent in ast.walk(tree) for child in ast.iter_child_nodes(parent)}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        for name in names:
            if name.split(".")[0] in POSIX_ONLY and not _guarded(node, parents):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno} imports {name}")
    return found


@pytest.mark.parametrize("package", PACKAGES)
def test_no_posix_only_import_outside_a_platform_guard(package: str) -> None:
    found = [line for path in sorted((ROOT / package).rglob("*.py")) for line in _posix_imports(path)]
    assert found == []


def test_the_check_sees_an_unguarded_import_and_lets_a_guarded_one_pass(tmp_path: Path) -> None:
    module = ROOT / "tests" / "_portability_probe.py"
    module.write_text(
        "import fcntl\nimport sys\nif sys.platform != 'win32':\n    import termios\n"
        "try:\n    import pwd\nexcept ImportError:\n    pwd = None\n",
        encoding="utf-8",
    )
    try:
        assert _posix_imports(module) == ["tests/_portability_probe.py:1 imports fcntl"]
    finally:
        module.unlink()
