"""The README's screenshots are the ones ``docs/screenshots.py`` makes from the demo's data."""

from __future__ import annotations

import importlib.util
import re
import shutil
import struct
from pathlib import Path
from types import ModuleType

import pytest

REPO = Path(__file__).resolve().parents[1]


def script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("screenshots", REPO / "docs" / "screenshots.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()[:24]
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    return struct.unpack(">II", data[16:24])


def test_the_readme_shows_every_screenshot_the_script_makes() -> None:
    shots = script().SHOTS
    readme = (REPO / "README.md").read_text(encoding="utf-8")

    shown = re.findall(r"!\[[^\]]*\]\(docs/img/([^)]+)\)", readme)

    assert sorted(shown) == sorted(shots)
    for name in shots:
        width, height = png_size(REPO / "docs" / "img" / name)
        assert width >= 400 and height >= 300, name


@pytest.mark.slow
def test_the_script_makes_them_from_the_demo(tmp_path: Path) -> None:
    module = script()
    missing = [tool for tool in module.TOOLS if shutil.which(tool) is None]
    if missing:
        pytest.skip(f"the screenshot tools are not installed here: {', '.join(missing)}")

    assert module.main(["--out", str(tmp_path / "img"), "--keep", str(tmp_path / "demo")]) == 0

    assert sorted(p.name for p in (tmp_path / "img").iterdir()) == sorted(module.SHOTS)
    for name in module.SHOTS:
        width, height = png_size(tmp_path / "img" / name)
        assert width >= 400 and height >= 300, name
    assert (tmp_path / "demo" / "output" / "reports" / "etl_report.html").is_file()  # the demo's own reports
