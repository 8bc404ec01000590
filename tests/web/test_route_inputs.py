"""What users type, fuzzed on every route: query parameters, JSON bodies, forms and path
parameters of wrong types, huge, negative and fractional numbers, NUL and control
characters, invalid USCCs, unicode digits and dates, sent by the users each route is for
(so that the input reaches the service behind the access check) and by one it is not.
None is a server error: a refusal is a 4xx that says what is wrong, naming the field."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from fastapi import FastAPI
from helpers import policy_yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from portal_data import Portal, portal_world
from route_cast import (
    CAST,
    INTRUDER,
    PARAMETERS,
    UPLOADS,
    Browser,
    Objects,
    browsers_of,
    build_cast,
    path_value,
    route_table,
    signed_in,
)
from test_route_access import ACCESS, SIGN_IN_FORMS

from huiqi.jobs import runner

# Text a user or a script may send where a number, a date, a code or a name is expected.
NASTY_TEXT = st.one_of(
    st.text(max_size=24),
    st.sampled_from(
        [
            "",
            " ",
            "\x00",
            "a\x00b",
            "\r\n",
            "\u202e",
            "-1",
            "0",
            "1",
            "3",
            "1.5",
            "-0.01",
            "1e309",
            "1E+999999999999999999",
            "-1e-999999999999999999",
            "NaN",
            "Infinity",
            "9" * 40,
            "²⁰²⁵",
            "２０２５",
            "٢٠٢٥",
            "2025",
            "2025-02-30",
            "²⁰²⁵-01-01",
            "0001-01-01",
            "9999-12-31",
            "91310115MA0000000X",
            "91310115ma0000000u",
            "913101１5MA0000000U",
            "true",
            "yes",
            "csv",
            "web-offer",
            "insured_employees",
            "policy",
            "企业",
        ]
    ),
    st.integers(-(2**70), 2**70).map(str),
)
NASTY_JSON = st.one_of(
    NASTY_TEXT,
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.booleans(),
    st.none(),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=4), st.integers(), max_size=2),
)
# What an upload's Content-Length header may say (tests/web/test_upload_length.py): more
# digits than int() reads was a server error. (The test client sends a header's
# non-ASCII bytes as UTF-8, so "²" reaches the app as "Â²".)
NASTY_LENGTH = st.one_of(
    st.sampled_from([b"9" * 5000, b"9" * 20, b"-1", b"+1", b"1e6", b" 12 ", b"", b"0", b"\xb2"]),
    st.binary(max_size=24),
)
# The fields the portal's forms and links carry.
FORM_FIELDS = [
    "uscc",
    "record_id",
    "kind",
    "target",
    "stars",
    "field",
    "year",
    "value",
    "comment",
    "reason",
    "decision",
    "text",
    "category",
    "department",
    "professional",
    "q",
    "level",
    "district",
    "mode",
    "deadline_after",
    "amount_min",
    "status",
    "since",
    "until",
    "after",
    "policy_id",
    "grant_id",
    "next",
    "check",
]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Portal, Objects]]:
    with portal_world(tmp_path_factory.mktemp("inputs")) as portal:
        yield portal, build_cast(portal)
        for job_id in runner.running():
            runner.wait(job_id, timeout=120)


@pytest.fixture(scope="module")
def app(world: tuple[Portal, Objects]) -> FastAPI:
    """The module's one app (a new app compiles every template again)."""
    return world[0].app()


@pytest.fixture(scope="module")
def browsers(world: tuple[Portal, Objects], app: FastAPI) -> Iterator[dict[str | None, Browser]]:
    """A browser of every signed-in user of the cast, signed in once for the module."""
    with browsers_of(world[0], [u for u in CAST if u], app) as browsers:
        yield browsers


def callers(method: str, path: str) -> list[str]:
    """The signed-in users a route is for, and one it is not for."""
    rule = ACCESS[(method, path)]
    allowed = sorted(u for u in rule if u) if isinstance(rule, frozenset) else []
    return [*allowed, INTRUDER] if INTRUDER not in allowed else allowed


def check(response: httpx.Response, where: str) -> None:
    """No server error; a refusal says what is wrong (JSON: each problem names its field)."""
    assert response.status_code < 500, f"{where}: {response.status_code} {response.text[:300]}"
    assert "Traceback" not in response.text, where
    if not response.headers.get("content-type", "").startswith("application/json"):
        return
    if response.status_code == 422:
        problems = response.json()["detail"]
        assert problems and all(p["loc"] and p["msg"] for p in problems), (where, problems)
    elif 400 <= response.status_code < 500:
        assert str(response.json().get("detail", "")).strip(), (where, response.text)


def api_operations(client: httpx.Client | Any) -> list[tuple[str, str, list[tuple[str, str]]]]:
    """(method, path, its (name, in) parameters) of every operation of the OpenAPI document."""
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    return [
        (method.upper(), path, [(p["name"], p["in"]) for p in op.get("parameters", [])])
        for path, operations in paths.items()
        for method, op in operations.items()
    ]


def body_fields(client: httpx.Client | Any, method: str, path: str) -> list[str]:
    """The JSON body's property names of an operation (none: it takes no JSON body)."""
    spec = client.get("/api/v1/openapi.json").json()
    op = spec["paths"][path][method.lower()]
    schema = op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
    if not schema:
        return []
    if "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return list(schema.get("properties", {}))


def a_path(data: st.DataObject, path: str, objects: Objects) -> str:
    """``path`` with each parameter the owner's object or something else typed in."""

    def value(name: str) -> str:
        typed = data.draw(st.one_of(st.just(path_value(path, name, objects)), NASTY_TEXT))
        return quote(typed, safe="") or "x"

    return PARAMETERS.sub(lambda m: value(m.group(1)), path)


# A few examples per route in the suite; HUIQI_FUZZ_EXAMPLES=200 for a long hunt.
FUZZ = settings(
    max_examples=int(os.environ.get("HUIQI_FUZZ_EXAMPLES", "4")),
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


Browsers = dict[str | None, Browser]


def a_length(data: st.DataObject, method: str, path: str) -> dict[str, bytes]:
    """On an upload route, a Content-Length header of any kind."""
    if method != "POST" or path not in UPLOADS:
        return {}
    return {"content-length": data.draw(NASTY_LENGTH)}


def fuzz_api(browsers: Browsers, objects: Objects, method: str, path: str, spec: Any) -> None:
    """Fuzz one operation: its query parameters, path parameters and JSON body (and an
    upload's Content-Length)."""
    users = callers(method, path)
    parameters, fields = spec

    @FUZZ
    @given(data=st.data())
    def one(data: st.DataObject) -> None:
        user = data.draw(st.sampled_from(users))
        browser, headers, _ = browsers[user]
        query = {
            name: data.draw(NASTY_TEXT)
            for name, where in parameters
            if where == "query" and data.draw(st.booleans())
        }
        body: object = None
        if fields:
            some = st.fixed_dictionaries({}, optional=dict.fromkeys([*fields, "extra"], NASTY_JSON))
            body = data.draw(st.one_of(some, NASTY_JSON))
        url = a_path(data, path, objects)
        sent = {**headers, **a_length(data, method, path)}
        response = browser.request(method, url, params=query, json=body, headers=sent)
        check(response, f"{method} {url} {query} {body!r} {sent} as {user}")

    one()


def fuzz_page(browsers: Browsers, objects: Objects, method: str, path: str) -> None:
    """Fuzz one page: its query string (GET) or form (POST, with an upload's
    Content-Length), and its path parameters."""
    users = callers(method, path)

    @FUZZ
    @given(data=st.data())
    def one(data: st.DataObject) -> None:
        user = data.draw(st.sampled_from(users))
        browser, _, csrf = browsers[user]
        fields = data.draw(st.dictionaries(st.sampled_from(FORM_FIELDS), NASTY_TEXT))
        url = a_path(data, path, objects)
        if method == "GET":
            response = browser.get(url, params=fields, follow_redirects=False)
        else:
            form = fields | {"csrf_token": csrf}
            length = a_length(data, method, path)
            response = browser.request(
                method, url, data=form, headers=length, follow_redirects=False
            )
            fields |= {str(k): repr(v) for k, v in length.items()}
        check(response, f"{method} {url} {fields} as {user}")

    one()


def test_no_api_input_is_a_server_error(world: tuple[Portal, Objects], browsers: Browsers) -> None:
    _, objects = world
    client = browsers["admin"][0]
    for method, path, parameters in api_operations(client):
        spec = (parameters, body_fields(client, method, path))
        fuzz_api(browsers, objects, method, path, spec)


def test_no_page_input_is_a_server_error(world: tuple[Portal, Objects], browsers: Browsers) -> None:
    portal, objects = world
    for method, path in sorted(route_table(portal.app())):
        if not path.startswith("/api/") and (method, path) not in SIGN_IN_FORMS:
            fuzz_page(browsers, objects, method, path)


@pytest.mark.parametrize("year", ["²⁰²⁵", "¹⁹⁹⁹", "٢٠٢٥", "20250", "25"])
def test_a_year_not_of_four_ascii_digits_is_refused_naming_the_year(
    world: tuple[Portal, Objects], app: FastAPI, year: str
) -> None:
    """Regression: a correction's year in superscript digits ("²⁰²⁵", which str.isdigit()
    accepts and int() refuses) was a server error on the correction form and its POST."""
    portal, _ = world
    browser, _, csrf = signed_in(portal, "ent0", app)
    shown = browser.get("/my-data/correct", params={"field": "insured_employees", "year": year})
    assert shown.status_code == 400, shown.text
    assert "年度应为四位数字（如 2025）" in shown.text  # in the page's language
    form = {"field": "insured_employees", "year": year, "value": "5", "csrf_token": csrf}
    sent = browser.post("/my-data/correct", data=form, follow_redirects=False)
    assert sent.status_code == 400 and "年度应为四位数字" in sent.text, sent.text


def test_a_draft_whose_test_profile_holds_a_number_beyond_any_precision_is_saved_with_why(
    world: tuple[Portal, Objects],
    app: FastAPI,
) -> None:
    """Regression: saving a draft whose test case wrote revenue "1E+999999999999999999"
    was a server error (decimal.InvalidOperation); it is saved, and its check names the
    field, its line and column, and the range the field takes."""
    portal, _ = world
    browser, headers, _ = signed_in(portal, "author", app)
    case = '  - name: huge\n    profile: {revenue: "1E+999999999999999999", insured_employees: 3}\n'
    expect = '    expect: {status: eligible, amount: "3000.00"}\n'
    text = policy_yaml("huge-revenue") + "tests:\n" + case + expect
    url = "/api/v1/console/policies/huge-revenue/draft"
    saved = browser.put(url, json={"text": text}, headers=headers)
    assert saved.status_code == 200, saved.text
    (problem,) = [p for p in saved.json()["lint"]["problems"] if p["severity"] == "error"]
    assert problem["field"] == "tests[0].profile.revenue", problem
    assert (problem["line"], problem["column"]) == (text.count("\n") - 1, 24), problem
    assert "outside the field's plausible range" in problem["message"], problem


@pytest.mark.parametrize(
    ("line", "says"),
    [
        ("  floor: 1.0e+999\n", "less than 10000000000000000"),
        ("version: 99999999999999999999999999999\n", "less than or equal to 2147483647"),
    ],
)
def test_a_draft_with_a_number_the_ledger_cannot_hold_is_refused_at_its_line(
    world: tuple[Portal, Objects], app: FastAPI, line: str, says: str
) -> None:
    """Regression: a draft with a floor of 10^999 yuan, or a version beyond the ledger's
    integers, was a server error when saved (DuckDB 'out of range', SQLite 'int too
    large'); the first draft of a policy is refused, naming the line."""
    portal, _ = world
    browser, headers, _ = signed_in(portal, "author", app)
    text = policy_yaml("huge-figure")
    key = line.split(":")[0]
    text = "".join(line if s.startswith(f"{key}:") else s for s in text.splitlines(True))
    if key == "  floor":
        text = text.replace("amount:\n", "amount:\n" + line)
    url = "/api/v1/console/policies/huge-figure/draft"
    saved = browser.put(url, json={"text": text}, headers=headers)
    assert saved.status_code == 400, saved.text
    assert says in saved.json()["detail"] and "line " in saved.json()["detail"], saved.text


@pytest.mark.parametrize(
    ("body", "says"),
    [
        (b'{"answers": ' + b"[" * 5000 + b"]" * 5000 + b"}", "nests arrays or objects deeper"),
        (b'{"answers": {"insured_employees": ' + b"9" * 5000 + b"}}", "more than 4300 digits"),
        (b'\xff\xfe{"answers": {}}', "not UTF-8"),
    ],
)
def test_a_body_the_json_parser_cannot_read_is_a_400_saying_why(
    world: tuple[Portal, Objects], app: FastAPI, body: bytes, says: str
) -> None:
    """Regression: such bodies were refused with FastAPI's 'There was an error parsing the
    body', which says neither what is wrong nor what to send."""
    portal, _ = world
    browser, headers, _ = signed_in(portal, "ent0", app)
    json_type = {"content-type": "application/json"}
    for url, extra in (("/api/v1/calculator", {}), ("/api/v1/corrections", headers)):
        got = browser.post(url, content=body, headers=json_type | extra)
        assert got.status_code == 400, (url, got.text)
        detail = got.json()["detail"]
        assert says in detail and "/api/v1/openapi.json" in detail, (url, detail)
