"""The one-way dependency rule of the contract, checked on the source itself."""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator, Mapping
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


# -- the modules of our packages: no cycles, layers, and __all__ as the truth ------------------------


def module_name(path: Path, root: Path = REPO) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules(root: Path = REPO, packages: Iterable[str] = OURS) -> dict[str, ast.Module]:
    return {
        module_name(path, root): ast.parse(path.read_text(encoding="utf-8"))
        for package in packages
        for path in sorted((root / package).rglob("*.py"))
    }


def imports(tree: ast.Module, known: Mapping[str, ast.Module]) -> Iterator[tuple[str, str | None]]:
    """(module, name) for each import of our code in a tree, lazy ones too; ``name`` is None
    for ``import x`` and for ``from pkg import submodule``."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from ((alias.name, None) for alias in node.names if alias.name in known)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module in known:
            for alias in node.names:
                sub = f"{node.module}.{alias.name}"
                yield (sub, None) if sub in known else (node.module, alias.name)


def import_graph(trees: Mapping[str, ast.Module]) -> dict[str, set[str]]:
    return {name: {module for module, _ in imports(tree, trees)} - {name} for name, tree in trees.items()}


def cycles(graph: Mapping[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan, iteratively)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []
    for start in graph:
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None and child in graph:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in stack:
                    low[node] = min(low[node], index[child])
                continue
            if child is not None:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


TREES = modules()


def test_no_module_imports_itself_back() -> None:
    assert cycles(import_graph(TREES)) == []


def test_the_cycle_finder_sees_a_cycle(tmp_path: Path) -> None:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("")
    (tmp_path / "pkg" / "a.py").write_text("from pkg.b import x\n")
    (tmp_path / "pkg" / "b.py").write_text("def f():\n    from pkg.c import y\n")
    (tmp_path / "pkg" / "c.py").write_text("import pkg.a\n")
    assert cycles(import_graph(modules(tmp_path, ["pkg"]))) == [["pkg.a", "pkg.b", "pkg.c"]]


def _under(module: str, *prefixes: str) -> bool:
    return any(module == p or module.startswith(p + ".") for p in prefixes)


COMMANDS = "sheets_sync.commands"
ROUTINES = "sheets_sync.routines"


def test_commands_do_not_import_each_other() -> None:
    """A command shares code through the library (approval, master, store, workbook), not
    through another command; routines (nightly, demo) are where commands are combined."""
    offences = {
        name: sorted(m for m in deps if _under(m, COMMANDS, ROUTINES) and m != COMMANDS)
        for name, deps in import_graph(TREES).items()
        if _under(name, COMMANDS)
    }
    assert {name: bad for name, bad in offences.items() if bad} == {}


@pytest.mark.parametrize(
    "layer",
    ["sheets_sync.approval", "sheets_sync.master", "sheets_sync.store", "sheets_sync.workbook",
     "sheets_sync.connect", "sheets_sync.config", "sheets_sync.console"],
)  # fmt: skip
def test_the_library_imports_no_command(layer: str) -> None:
    offences = {
        name: sorted(m for m in deps if _under(m, COMMANDS, ROUTINES, "sheets_sync.cli"))
        for name, deps in import_graph(TREES).items()
        if _under(name, layer)
    }
    assert {name: bad for name, bad in offences.items() if bad} == {}


def defined(tree: ast.Module) -> set[str]:
    """Names a module defines itself at top level (not the ones it imports)."""
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
    return names


def exported(tree: ast.Module) -> list[str] | None:
    for node in tree.body:
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, ast.AnnAssign):
            targets = [node.target]
        else:
            continue
        if node.value is not None and any(isinstance(t, ast.Name) and t.id == "__all__" for t in targets):
            return list(ast.literal_eval(node.value))
    return None


RE_EXPORTS = {
    "sheets_sync.master.tabs": "the workbook contract names every tab; reports define the ones they render",
}


def test_every_module_says_what_it_offers_and_defines_it() -> None:
    """``__all__`` everywhere; a module's lists what it defines, a package's what it re-exports."""
    wrong = {}
    for name, tree in TREES.items():
        offered = exported(tree)
        if offered is None:
            wrong[name] = "no __all__"
            continue
        is_package = (REPO / name.replace(".", "/") / "__init__.py").is_file() or name in RE_EXPORTS
        bound = defined(tree) | ({a.asname or a.name for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)
                                  for a in n.names} if is_package else set())  # fmt: skip
        if missing := sorted(set(offered) - bound):
            wrong[name] = f"lists {missing} it does not define"
    assert wrong == {}


def test_names_are_imported_from_the_module_that_offers_them() -> None:
    """Our code imports a name only from a module whose ``__all__`` lists it, so each
    ``__all__`` is the whole public surface and no name travels through a neighbour."""
    wrong = []
    for name, tree in TREES.items():
        for module, imported in imports(tree, TREES):
            offered = exported(TREES[module]) or []
            if imported is not None and imported not in offered:
                wrong.append(f"{name} imports {imported} from {module}")
    assert wrong == []
