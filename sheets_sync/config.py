"""Configuration from flags, the environment and a ``.env`` file, in that order of weight.

Validation happens here, once, so that every command fails the same clear way: a
workbook path that does not exist, a URL that is not a Google Sheet, an unreadable
credentials file. Secrets are held as ``SecretStr`` and never printed.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse, urlsplit

from dotenv import dotenv_values
from pydantic import BaseModel, ConfigDict, SecretStr

from canonical.errors import ConfigError
from canonical.secrets import hide_url_passwords, url_password

__all__ = [
    "DEFAULT_SHEETS_ENDPOINT",
    "ENV_VARS",
    "GoogleSheetRef",
    "Settings",
    "WorkbookRef",
    "XlsxRef",
    "load_settings",
    "parse_workbook_ref",
]

ENV_VARS: Mapping[str, str] = {
    "workbook": "MATERIAL_LIBRARY_MASTER",
    "output_dir": "MIGRATION_OUTPUT_DIR",
    "innergy_base_url": "INNERGY_BASE_URL",
    "innergy_api_key": "INNERGY_API_KEY",
    "google_service_account_file": "GOOGLE_SERVICE_ACCOUNT_FILE",
    "sheets_endpoint": "MATSYNC_SHEETS_ENDPOINT",
    "ppak_export_dir": "PPAK_EXPORT_DIR",
    "innergy_facility_id": "INNERGY_FACILITY_ID",
    "innergy_bid_type_id": "INNERGY_BID_TYPE_ID",
}
"""Each setting and the environment variable it is read from."""

DEFAULT_SHEETS_ENDPOINT = "https://sheets.googleapis.com"


@dataclass(frozen=True)
class GoogleSheetRef:
    key: str


@dataclass(frozen=True)
class XlsxRef:
    path: Path


WorkbookRef = GoogleSheetRef | XlsxRef

_SHEET_KEY = re.compile(r"^[A-Za-z0-9_-]{25,}$")
_SHEET_URL_KEY = re.compile(r"/spreadsheets/d/([A-Za-z0-9_-]+)")


def parse_workbook_ref(value: str) -> WorkbookRef:
    """A Google Sheet URL or key, or a path to an ``.xlsx`` file."""
    text = value.strip()
    if text.startswith(("http://", "https://")):
        url = urlparse(text)
        match = _SHEET_URL_KEY.search(url.path)
        if url.hostname != "docs.google.com" or not match:
            raise ConfigError(
                f"MATERIAL_LIBRARY_MASTER {text!r} is a URL but not a Google Sheet "
                "(expected https://docs.google.com/spreadsheets/d/<key>/...)"
            )
        return GoogleSheetRef(match[1])
    if text.lower().endswith((".xlsx", ".xlsm")) or (
        ("/" in text or os.sep in text) and not Path(text).suffix
    ):
        return XlsxRef(Path(text).expanduser())
    if "/" in text or os.sep in text:  # a .csv, .xls, .ods ...: written as .xlsx it would be lost on them
        raise ConfigError(
            f"MATERIAL_LIBRARY_MASTER {text!r} is a path but not an .xlsx workbook",
            hint="point it at an .xlsx (or .xlsm) file, or at a Google Sheet's URL or key",
        )
    if _SHEET_KEY.match(text):
        return GoogleSheetRef(text)
    raise ConfigError(
        f"MATERIAL_LIBRARY_MASTER {text!r} is neither a Google Sheet URL or key nor an .xlsx path"
    )


class Settings(BaseModel):
    """Everything a command may need; each field documents its variable in ENV_VARS."""

    model_config = ConfigDict(frozen=True)

    workbook: str | None = None
    output_dir: Path = Path("migration_output")
    innergy_base_url: str = "https://app.innergy.com"
    innergy_api_key: SecretStr | None = None
    google_service_account_file: Path | None = None
    sheets_endpoint: str = DEFAULT_SHEETS_ENDPOINT
    ppak_export_dir: Path | None = None
    innergy_facility_id: str | None = None
    innergy_bid_type_id: str | None = None

    def workbook_ref(self, *, must_exist: bool = True) -> WorkbookRef:
        """The workbook to use; a missing .xlsx is an error unless the caller creates it."""
        if not self.workbook:
            raise ConfigError(
                "no workbook: set MATERIAL_LIBRARY_MASTER (or --workbook) to a Google Sheet "
                "URL or key, or to an .xlsx path"
            )
        ref = parse_workbook_ref(self.workbook)
        if isinstance(ref, XlsxRef) and must_exist and not ref.path.is_file():
            raise ConfigError(
                f"workbook {str(ref.path)!r} does not exist (run `matsync init-sheet` to create it)"
            )
        return ref

    @property
    def uses_sheets_emulator(self) -> bool:
        return self.sheets_endpoint.rstrip("/") != DEFAULT_SHEETS_ENDPOINT

    def google_credentials_file(self) -> Path | None:
        """The service-account (or authorized-user) JSON, checked to be readable."""
        path = self.google_service_account_file
        if path is None:
            return None
        try:
            info = json.loads(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise ConfigError(
                f"cannot read the Google credentials file {str(path)!r}: {exc.strerror}"
            ) from exc
        except ValueError as exc:
            raise ConfigError(f"the Google credentials file {str(path)!r} is not JSON") from exc
        if not isinstance(info, dict) or info.get("type") not in {"service_account", "authorized_user"}:
            raise ConfigError(
                f"the Google credentials file {str(path)!r} is not a service-account or "
                "authorized-user JSON (see credentials.example.json)"
            )
        return path

    def secrets(self) -> list[str]:
        """Values that must never be printed, for log redaction: the key, URL passwords."""
        key = self.innergy_api_key.get_secret_value() if self.innergy_api_key else ""
        passwords = [url_password(url) for url in (self.innergy_base_url, self.sheets_endpoint)]
        return [s for s in (key, *passwords) if s]

    def innergy_url(self) -> str:
        """INNERGY_BASE_URL, checked: an http(s) URL of the tenant's root, refused at once
        (never retried) when it cannot be one."""
        url = self.innergy_base_url.strip()
        shown = hide_url_passwords(url)
        parts = urlsplit(url)
        if parts.scheme not in {"http", "https"} or not parts.netloc:
            raise ConfigError(
                f"INNERGY_BASE_URL {shown!r} is not an http(s) URL",
                hint="write it with its scheme, e.g. https://app.innergy.com",
            )
        if parts.path.rstrip("/").casefold().endswith("/api"):
            root = hide_url_passwords(f"{parts.scheme}://{parts.netloc}{parts.path.rstrip('/')[:-4]}")
            raise ConfigError(
                f"INNERGY_BASE_URL {shown!r} ends in /api: give the tenant's root",
                hint=f"set INNERGY_BASE_URL={root} (matsync adds /api/... itself)",
            )
        return url.rstrip("/")


def load_settings(
    overrides: Mapping[str, object | None] | None = None,
    environ: Mapping[str, str] | None = None,
    cwd: Path | None = None,
) -> Settings:
    """Flags (``overrides``) beat the environment, which beats ``.env`` in ``cwd``."""
    environ = os.environ if environ is None else environ
    dotenv_path = (cwd or Path.cwd()) / ".env"
    try:
        found = dotenv_path.is_file()
        dotenv = {k: v for k, v in dotenv_values(dotenv_path).items() if v is not None} if found else {}
    except OSError as exc:
        raise ConfigError(
            f"cannot read {str(dotenv_path)!r} ({exc.strerror})",
            hint="make it readable by this user, or run matsync from another folder",
        ) from None
    values: dict[str, object] = {}
    for field, var in ENV_VARS.items():
        value = environ.get(var, dotenv.get(var))
        if field == "google_service_account_file" and not value:
            value = environ.get(
                "GOOGLE_APPLICATION_CREDENTIALS", dotenv.get("GOOGLE_APPLICATION_CREDENTIALS")
            )
        if value not in (None, ""):
            values[field] = value
    values.update({k: v for k, v in (overrides or {}).items() if v is not None})
    try:
        return Settings(**values)
    except ValueError as exc:
        raise ConfigError(f"invalid configuration: {exc}") from exc
