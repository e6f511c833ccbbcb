"""The error hierarchy: the data errors carry, and a docstring drawing that stays true."""

from __future__ import annotations

import ast
import inspect
import re

import pytest

from canonical import errors
from canonical.errors import (
    ExitCode,
    InnergyError,
    InnergyValidationError,
    LockHeld,
    MatsyncError,
    MissingTab,
)


def test_a_hint_is_kept_apart_from_the_message() -> None:
    error = MissingTab("tab MAP_UOM is missing", hint="run `matsync init-sheet`")
    assert str(error) == error.message == "tab MAP_UOM is missing"
    assert error.hint == "run `matsync init-sheet`"
    assert MatsyncError("no hint").hint is None


def test_innergy_errors_carry_the_call_and_innergys_messages() -> None:
    error = InnergyValidationError(
        "INNERGY rejected POST /api/materials/create: taken",
        method="POST",
        path="/api/materials/create",
        status=400,
        messages=["taken", "too long"],
    )
    assert (error.method, error.path, error.status) == ("POST", "/api/materials/create", 400)
    assert error.messages == ("taken", "too long")
    assert error.hint is None


def test_innergy_error_fields_default_to_nothing() -> None:
    error = InnergyError("INNERGY sent a Material that does not fit")
    assert (error.method, error.path, error.status, error.messages) == (None, None, None, ())


def test_exit_codes_are_inherited_unless_overridden() -> None:
    assert MissingTab("x").exit_code == ExitCode.FAILED
    assert LockHeld("x").exit_code == ExitCode.LOCKED


def _drawing() -> dict[str, int]:
    """Class name -> exit code, as the module docstring's tree draws them."""
    doc = ast.get_docstring(ast.parse(inspect.getsource(errors))) or ""
    return {name: int(code) for name, code in re.findall(r"^[\s│├└─]*(\w+) \((\d)\)", doc, re.MULTILINE)}


def _parents() -> dict[str, str]:
    """Class name -> the class the drawing nests it under (by indentation)."""
    doc = ast.get_docstring(ast.parse(inspect.getsource(errors))) or ""
    stack: list[tuple[int, str]] = []
    parents: dict[str, str] = {}
    for match in re.finditer(r"^([\s│├└─]*)(\w+) \(\d\)", doc, re.MULTILINE):
        depth, name = len(match.group(1)), match.group(2)
        while stack and stack[-1][0] >= depth:
            stack.pop()
        if stack:
            parents[name] = stack[-1][1]
        stack.append((depth, name))
    return parents


def _exceptions() -> dict[str, type[MatsyncError]]:
    return {
        name: value
        for name, value in vars(errors).items()
        if inspect.isclass(value) and issubclass(value, MatsyncError) and value.__module__ == errors.__name__
    }


def test_the_drawing_names_every_exception_with_its_exit_code() -> None:
    drawn, defined = _drawing(), _exceptions()
    assert sorted(drawn) == sorted(defined)
    assert {name: int(cls.exit_code) for name, cls in defined.items()} == drawn


@pytest.mark.parametrize("name", sorted(_parents()))
def test_the_drawing_nests_each_exception_under_its_base(name: str) -> None:
    assert _exceptions()[name].__bases__[0].__name__ == _parents()[name]
