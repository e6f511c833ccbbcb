"""Files in the output folder: written in one step, read back row by row with their line numbers."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from canonical.models import Problem
from canonical.serialize import jsonl_chunks

__all__ = ["read_jsonl", "write_bytes", "write_jsonl", "write_text"]

M = TypeVar("M", bound=BaseModel)


def write_bytes(path: Path, chunks: Iterable[bytes]) -> Path:
    """Atomically (temp file beside it, then rename): a crash leaves the old file or the new, never half.

    Written chunk by chunk, so no caller needs the whole file in memory.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            for chunk in chunks:
                handle.write(chunk)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def write_text(path: Path, text: str) -> Path:
    """``text`` as UTF-8 with its newlines as written, atomically (``write_bytes``)."""
    return write_bytes(path, [text.encode()])


def write_jsonl(path: Path, records: Iterable[BaseModel | dict[str, Any]]) -> Path:
    """Records (models, or dicts of their values) as canonical JSON Lines, atomically, a chunk at a time."""
    return write_bytes(path, jsonl_chunks(records))


def read_jsonl(path: Path, model: type[M]) -> tuple[list[M], list[Problem], list[int]]:
    """Records of a canonical JSON Lines file, and the line each came from.

    A bad line is a Problem, never a crash; the line numbers let later problems name
    the line a person sees in the file.
    """
    records: list[M] = []
    numbers: list[int] = []
    problems: list[Problem] = []
    for number, text in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not text.strip():
            continue
        try:
            records.append(model.model_validate_json(text))
            numbers.append(number)
        except ValidationError as exc:
            first = exc.errors()[0]
            problems.append(
                Problem(
                    source=path.name,
                    row=number,
                    column=".".join(str(p) for p in first["loc"]) or None,
                    value=text[:200],
                    message=f"not a valid {model.__name__}: {first['msg']}",
                )
            )
    return records, problems, numbers
