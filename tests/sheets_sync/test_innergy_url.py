"""INNERGY_BASE_URL: a URL password never shown, a wrong URL refused at once with the right form."""

from __future__ import annotations

import socket
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from canonical.errors import ConfigError
from sheets_sync.cli import app
from sheets_sync.config import Settings

runner = CliRunner()
PASSWORD = "pr0xy-s3cret"
KEY = "k3y-that-must-not-leak"


@pytest.mark.parametrize(
    ("url", "message", "hint"),
    [
        ("app.innergy.com", "is not an http(s) URL", "https://app.innergy.com"),
        ("ftp://app.innergy.com", "is not an http(s) URL", "https://"),
        ("https://app.innergy.com/api/", "ends in /api", "INNERGY_BASE_URL=https://app.innergy.com "),
        (
            f"https://u:{PASSWORD}@acme.innergy.com/API",
            "ends in /api",
            "https://u:[redacted]@acme.innergy.com ",
        ),
    ],
)
def test_a_url_that_cannot_be_the_tenant_root_is_refused_with_the_right_form(
    url: str, message: str, hint: str
) -> None:
    with pytest.raises(ConfigError) as refused:
        Settings(innergy_base_url=url).innergy_url()
    assert message in str(refused.value) and hint in str(refused.value.hint)
    assert PASSWORD not in str(refused.value) + str(refused.value.hint)


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_a_connection_error_names_the_url_without_its_password_or_the_key(tmp_path: Path) -> None:
    url = f"http://otto:{PASSWORD}@127.0.0.1:{_closed_port()}"
    env = {"INNERGY_BASE_URL": url, "INNERGY_API_KEY": KEY, "MIGRATION_OUTPUT_DIR": str(tmp_path / "out")}
    started = time.monotonic()
    result = runner.invoke(app, ["--json", "--verbose", "check-innergy-spec", "--from-innergy"], env=env)
    assert result.exit_code == 1, result.output
    shown = result.output + result.stderr
    assert "http://otto:[redacted]@127.0.0.1" in shown and "ConnectError" in shown
    assert PASSWORD not in shown and KEY not in shown
    assert time.monotonic() - started < 30
    written = [p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()]
    assert not any(PASSWORD.encode() in data or KEY.encode() in data for data in written)
