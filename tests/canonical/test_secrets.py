"""URL passwords are secrets wherever a URL is shown."""

from __future__ import annotations

import pytest

from canonical.secrets import hide_url_passwords, url_password


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("https://user:s3cret@host/api", "https://user:[redacted]@host/api"),
        ("proxy http://:p%40ss@10.0.0.1:3128 failed", "proxy http://:[redacted]@10.0.0.1:3128 failed"),
        ("two: a://u:x1@h and b://v:y2@k/", "two: a://u:[redacted]@h and b://v:[redacted]@k/"),
        (
            "no password: https://user@host and https://host/a:b@c",
            "no password: https://user@host and https://host/a:b@c",
        ),
        ("plain text, a:b@c", "plain text, a:b@c"),
    ],
)
def test_the_password_of_every_url_is_hidden(text: str, shown: str) -> None:
    assert hide_url_passwords(text) == shown


def test_the_password_is_known_so_it_can_be_redacted_where_it_appears_alone() -> None:
    assert url_password("https://user:s3cret@host") == "s3cret"
    assert url_password("https://host") is None
    assert url_password("http://[::1") is None  # not a URL at all
