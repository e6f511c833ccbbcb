"""Secrets inside text we did not write: the password of a URL (``https://user:secret@host``).

Egress proxies and some tenants put credentials in a URL, and URLs end up in logs,
error messages and reports. Pure text functions, used wherever a URL may be shown.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

__all__ = ["hide_url_passwords", "url_password"]

_USERINFO = re.compile(r"(?P<head>\b[a-zA-Z][a-zA-Z0-9+.-]*://[^/\s:@]*):(?P<password>[^/\s@]+)@")


def hide_url_passwords(text: str) -> str:
    """``text`` with the password of every URL in it replaced by ``[redacted]``."""
    return _USERINFO.sub(r"\g<head>:[redacted]@", text)


def url_password(url: str) -> str | None:
    """The password a URL carries, if any (so it can be redacted where it appears alone)."""
    try:
        return urlsplit(url).password
    except ValueError:
        return None
