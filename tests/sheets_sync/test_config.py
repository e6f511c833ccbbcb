"""Configuration: flags beat the environment, which beats .env; clear validation errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from canonical.errors import ConfigError
from sheets_sync.config import GoogleSheetRef, XlsxRef, load_settings, parse_workbook_ref

KEY = "1AbCdEfGhIjKlMnOpQrStUvWxYz0123456789_-"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (f"https://docs.google.com/spreadsheets/d/{KEY}/edit#gid=0", GoogleSheetRef(KEY)),
        (KEY, GoogleSheetRef(KEY)),
        ("master.xlsx", XlsxRef(Path("master.xlsx"))),
        ("./books/Master", XlsxRef(Path("./books/Master"))),
    ],
)
def test_workbook_refs(value: str, expected: object) -> None:
    assert parse_workbook_ref(value) == expected


@pytest.mark.parametrize(
    "value",
    ["https://docs.google.com/document/d/abc/edit", "https://example.com/spreadsheets/d/abc", "short-key"],
)
def test_bad_workbook_refs_say_what_was_expected(value: str) -> None:
    with pytest.raises(ConfigError, match="MATERIAL_LIBRARY_MASTER"):
        parse_workbook_ref(value)


def test_precedence_flags_env_dotenv(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("MIGRATION_OUTPUT_DIR=from-dotenv\nPPAK_EXPORT_DIR=dotenv-ppak\n")
    env = {"MIGRATION_OUTPUT_DIR": "from-env"}
    settings = load_settings({"output_dir": None}, env, tmp_path)
    assert settings.output_dir == Path("from-env")
    assert settings.ppak_export_dir == Path("dotenv-ppak")
    assert load_settings({"output_dir": Path("flag")}, env, tmp_path).output_dir == Path("flag")


def test_defaults_and_google_application_credentials(tmp_path: Path) -> None:
    settings = load_settings({}, {"GOOGLE_APPLICATION_CREDENTIALS": "sa.json"}, tmp_path)
    assert settings.output_dir == Path("migration_output")
    assert settings.innergy_base_url == "https://app.innergy.com"
    assert settings.google_service_account_file == Path("sa.json")
    assert not settings.uses_sheets_emulator


def test_missing_workbook_file_names_init_sheet(tmp_path: Path) -> None:
    settings = load_settings({"workbook": str(tmp_path / "m.xlsx")}, {}, tmp_path)
    with pytest.raises(ConfigError, match="init-sheet"):
        settings.workbook_ref()
    assert settings.workbook_ref(must_exist=False) == XlsxRef(tmp_path / "m.xlsx")


def test_credentials_file_checks(tmp_path: Path) -> None:
    def creds(text: str | None) -> object:
        path = tmp_path / "sa.json"
        if text is not None:
            path.write_text(text)
        return load_settings(
            {}, {"GOOGLE_SERVICE_ACCOUNT_FILE": str(path)}, tmp_path
        ).google_credentials_file()

    with pytest.raises(ConfigError, match="cannot read"):
        creds(None)
    with pytest.raises(ConfigError, match="not JSON"):
        creds("{nope")
    with pytest.raises(ConfigError, match="service-account"):
        creds(json.dumps({"type": "other"}))
    assert creds(json.dumps({"type": "service_account"})) == tmp_path / "sa.json"


def test_the_api_key_is_secret(tmp_path: Path) -> None:
    settings = load_settings({}, {"INNERGY_API_KEY": "s3cr3t-key"}, tmp_path)
    assert "s3cr3t-key" not in repr(settings)
    assert settings.secrets() == ["s3cr3t-key"]


@pytest.mark.parametrize("value", ["./books/master.csv", "/srv/library.xls", "books/master.ods"])
def test_a_path_to_another_kind_of_file_is_refused_not_written_as_xlsx(value: str) -> None:
    with pytest.raises(ConfigError, match=r"is a path but not an \.xlsx workbook"):
        parse_workbook_ref(value)
