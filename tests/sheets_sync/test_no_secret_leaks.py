"""The API key and a URL password never reach stdout, stderr (``--verbose`` included), a
file under the output folder or the workbook, whatever command runs."""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from sheets_sync.cli import app
from tests.fakes import push_world
from tests.fakes.push_world import part, seed_innergy, xlsx_world

sandbox = push_world.sandbox
runner = CliRunner()
PASSWORD = "hunter2-proxy-pass"
SAMPLES = Path(__file__).resolve().parents[3] / "shared" / "samples" / "ppak"


def _texts(folder: Path, workbook: Path) -> dict[str, bytes]:
    """Every file written, the workbook's zip parts one by one."""
    found = {str(p): p.read_bytes() for p in folder.rglob("*") if p.is_file()}
    with zipfile.ZipFile(workbook) as book:
        found |= {f"{workbook.name}:{name}": book.read(name) for name in book.namelist()}
    return found


def test_every_command_keeps_the_key_and_the_url_password_to_itself(tmp_path: Path, sandbox: Any) -> None:
    seed_innergy(sandbox, [part(n) for n in range(3)])
    world = xlsx_world(tmp_path, sandbox, [part(n, "9.00") for n in range(3)] + [part(7)])
    host = sandbox.url.removeprefix("http://")
    env = {
        "MATERIAL_LIBRARY_MASTER": str(world.settings.workbook),
        "MIGRATION_OUTPUT_DIR": str(world.settings.output_dir),
        "INNERGY_BASE_URL": f"http://otto:{PASSWORD}@{host}",
        "INNERGY_API_KEY": sandbox.api_key,
        "PPAK_EXPORT_DIR": str(SAMPLES),
        "INNERGY_FACILITY_ID": "fac-1",
        "INNERGY_BID_TYPE_ID": "bid-1",
    }
    runs = [["init-sheet"], ["pull"], ["ppak-import"], ["plan"], ["push", "--dry-run"], ["push"],
            ["nightly"], ["health"], ["history"], ["projects-import", "--dry-run"], ["export-import-file"],
            ["check-innergy-spec", "--from-innergy"], ["skills"]]  # fmt: skip
    shown = []
    for args in runs:
        for as_json in ([], ["--json"]):
            result = runner.invoke(app, [*as_json, "--verbose", *args], env=env)
            shown.append((args, result.stdout + result.stderr))
        if args == ["plan"]:
            world.tick(["P-0000", "P-0007"])
    pushed = [text for args, text in shown if args == ["push"]]
    assert any("applied 2" in text for text in pushed), (
        "the run did real work (else the check proves nothing)"
    )
    assert any("[redacted]" in text for _, text in shown), "the verbose logs did name the URL, redacted"
    for secret in (PASSWORD, sandbox.api_key):
        assert [args for args, text in shown if secret in text] == []
        written = _texts(world.settings.output_dir, Path(str(world.settings.workbook)))
        assert [name for name, data in written.items() if secret.encode() in data] == []
