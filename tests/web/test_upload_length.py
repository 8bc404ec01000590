"""The length an upload's body declares (Content-Length) is read strictly: ASCII digits, at
most 19 of them. Anything else is a 400 that names the header and says what to send,
never a server error. Before, ``str.isdigit()`` let superscript digits ("²", which
``int()`` refuses) and lengths of more than 4300 digits (which ``int()`` refuses) through
to ``int()``: a server error on every upload route.

A server hands the app a header's bytes read as Latin-1, where b"\xb2" is "²"; the test
client sends a header's non-ASCII characters as UTF-8 (the app sees "Â²"), so the
superscripts are tried on the request the app is given, the rest through the app."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from portal_data import Portal, page_token, sign_in
from starlette.requests import Request
from test_api_upload_order import PDF, application, bearer

from huiqi.web.uploads import (
    LENGTH_DIGITS,
    BadContentLength,
    declared_length,
    refuse_oversized,
    refuse_too_large,
)

MULTIPART = {"Content-Type": "multipart/form-data; boundary=b"}
SAYS = "the Content-Length header"
# Header values as a client may send them: bytes, read by the server as Latin-1.
BAD = [
    "²".encode("latin-1"),  # str.isdigit() is True, int() refuses it
    "¹²³".encode("latin-1"),
    b"9" * 5000,  # more digits than int() reads
    b"9" * (LENGTH_DIGITS + 1),
    b"-1",
    b"+12",
    b"1e6",
    b"0x10",
    b"12 34",
    b"",
]


def _body() -> Iterator[bytes]:
    yield b'--b\r\nContent-Disposition: form-data; name="file"; filename="a.pdf"\r\n\r\n'
    yield PDF + b"\r\n--b--\r\n"


def _request(value: bytes) -> Request:
    return Request({"type": "http", "method": "POST", "headers": [(b"content-length", value)]})


@pytest.fixture(scope="module")
def uploads(portal: Portal) -> list[tuple[str, dict[str, str]]]:
    """The API's upload routes, each with a bearer token of a user it is for."""
    record = application(portal, "ent5")
    return [
        (f"/api/v1/records/{record}/attachments", bearer(portal, "ent5")),
        ("/api/v1/finance/payments", bearer(portal, "finance")),
        ("/api/v1/complaints/import", bearer(portal, "steward")),
    ]


def _id(value: bytes) -> str:
    return repr(value[:8]) + (f"+{len(value) - 8}" if len(value) > 8 else "")


@pytest.mark.parametrize("value", BAD, ids=_id)
def test_a_bad_content_length_on_an_api_upload_is_a_400_naming_the_header(
    portal: Portal, uploads: list[tuple[str, dict[str, str]]], value: bytes
) -> None:
    for url, headers in uploads:
        sent = portal.client().post(
            url,
            content=_body(),
            headers=[*headers.items(), *MULTIPART.items(), ("content-length", value)],
        )
        assert sent.status_code == 400, (url, sent.text)
        assert sent.json()["detail"].startswith(SAYS), (url, sent.text)


@pytest.mark.parametrize("value", ["²".encode("latin-1"), b"9" * 5000, b"-1"], ids=_id)
def test_a_bad_content_length_on_an_upload_page_is_a_400_page(portal: Portal, value: bytes) -> None:
    for user, url in (("ent5", "/requests"), ("finance", "/console/finance/payments")):
        browser = sign_in(portal.client(), user)
        page_token(browser, "/requests" if url == "/requests" else "/console/finance")
        sent = browser.post(
            url,
            content=_body(),
            headers=[*MULTIPART.items(), ("content-length", value)],
            follow_redirects=False,
        )
        assert sent.status_code == 400, (url, sent.text[:300])
        assert "Content-Length" in sent.text and "请求头" in sent.text, url


@pytest.mark.parametrize("value", ["²", "¹²³", "³"])
@pytest.mark.parametrize("refuse", [refuse_oversized, refuse_too_large])
def test_a_length_in_superscript_digits_is_refused_as_a_bad_header(
    value: str, refuse: Callable[[Request, int], None]
) -> None:
    with pytest.raises(BadContentLength) as info:
        refuse(_request(value.encode("latin-1")), 1024)
    assert str(info.value).startswith(f"{SAYS} '{value}' is not a length in bytes")


def test_a_plain_length_is_read_and_no_header_is_none() -> None:
    assert declared_length(_request(b"1024")) == 1024
    assert declared_length(_request(b" 0 ")) == 0
    assert declared_length(_request(b"9" * LENGTH_DIGITS)) == int("9" * LENGTH_DIGITS)
    assert declared_length(Request({"type": "http", "method": "POST", "headers": []})) is None


@given(st.text(alphabet=st.characters(max_codepoint=0xFF), max_size=30))
def test_any_latin1_header_is_read_as_ascii_digits_or_refused(text: str) -> None:
    """What a server hands the app is Latin-1 text: "²", "³" and "¹" are digits to
    ``str.isdigit()``."""
    stripped = text.strip(" \t")
    try:
        length = declared_length(_request(text.encode("latin-1")))
    except BadContentLength as exc:
        assert str(exc).startswith(SAYS)
        assert not (stripped.isascii() and stripped.isdigit() and len(stripped) <= LENGTH_DIGITS)
    else:
        assert stripped.isascii() and stripped.isdigit() and length == int(stripped)


@settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck))
@given(value=st.one_of(st.sampled_from(BAD), st.binary(max_size=24)))
def test_no_content_length_is_a_server_error_on_an_upload(
    portal: Portal, uploads: list[tuple[str, dict[str, str]]], value: bytes
) -> None:
    """A fuzz of the header on an API upload: a 4xx, never a 5xx."""
    url, headers = uploads[1]
    sent = portal.client().post(
        url,
        content=_body(),
        headers=[*headers.items(), *MULTIPART.items(), ("content-length", value)],
    )
    assert sent.status_code < 500, (value, sent.text)
