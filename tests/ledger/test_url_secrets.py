"""A ledger URL's secrets never reach a message: connection.redact and urls.shown_url hide the
userinfo's password whole (to the LAST '@' of the authority: an unescaped '@', ':' or '/' in it
leaked its tail) and the value of a query parameter named like a password (libpq's `password`,
`sslpassword`), while a URL without secrets is shown as before."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tenantwave.ledger.connection import redact
from tenantwave.ledger.urls import shown_url

pytestmark = pytest.mark.unit

SHOWN = (redact, shown_url)

# Anything but '?' and '#' (which end the authority: a password must escape them) in the userinfo;
# anything but '&' and '#' in a query value. The marker keeps a password from matching other parts.
_userinfo_password = st.text(st.characters(blacklist_characters="?#", blacklist_categories=("Cs",)), min_size=1)
_query_password = st.text(st.characters(blacklist_characters="&#", blacklist_categories=("Cs",)), min_size=1)


@pytest.mark.parametrize("shown", SHOWN)
@pytest.mark.parametrize(
    ("url", "expected"),
    [("postgresql+psycopg://h/db?user=u&password=zz", "postgresql+psycopg://h/db?user=u&password=***"),
     ("postgresql://u:t@t@h/db", "postgresql://u:***@h/db"),
     ("postgresql://u:a/b:c@h:5432/db", "postgresql://u:***@h:5432/db"),
     ("postgresql://h/db?sslpassword=k&passfile=/home/u/.pgpass&PassWord=z#x",
      "postgresql://h/db?sslpassword=***&passfile=/home/u/.pgpass&PassWord=***#x")],
)  # fmt: skip
def test_the_reviewers_urls_hide_their_secrets(shown: object, url: str, expected: str) -> None:
    assert shown(url) == expected  # type: ignore[operator]


@pytest.mark.parametrize("shown", SHOWN)
@pytest.mark.parametrize(
    "url",
    ["postgresql://h:5432/db", "postgresql+psycopg://u@h/db?sslmode=require", "sqlite:///a@b:c.db",
     "sqlite:////tmp/ledger.db", "sqlite:///:memory:"],
)  # fmt: skip
def test_a_url_without_secrets_is_shown_as_it_is(shown: object, url: str) -> None:
    assert shown(url) == url  # type: ignore[operator]


@settings(max_examples=300, deadline=None)
@given(password=_userinfo_password, query=st.booleans())
def test_a_userinfo_password_never_appears(password: str, query: bool) -> None:
    secret = "S3CRET" + password
    tail = "@host:5432/db" + ("?sslmode=require" if query else "")
    for shown in SHOWN:
        assert shown(f"postgresql+psycopg://user:{secret}{tail}") == "postgresql+psycopg://user:***" + tail


@settings(max_examples=300, deadline=None)
@given(password=_query_password, name=st.sampled_from(["password", "sslpassword", "Password"]))
def test_a_query_password_never_appears(password: str, name: str) -> None:
    secret = "S3CRET" + password
    url = f"postgresql+psycopg://host/db?user=u&{name}={secret}&sslmode=require"
    for shown in SHOWN:
        assert shown(url) == f"postgresql+psycopg://host/db?user=u&{name}=***&sslmode=require"
