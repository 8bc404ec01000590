"""The catalogue's filters as typed into a form: anything is either read or refused with
a CatalogueQueryError that says what is expected (never another exception)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from portal_data import Portal

from huiqi.catalogue.service import CatalogueQueryError
from huiqi.web.filters import parse_filter

FIELDS = ("q", "department", "level", "district", "mode", "deadline_after", "amount_min")


@given(st.fixed_dictionaries({}, optional={f: st.text(max_size=40) for f in FIELDS}))
def test_any_form_input_is_read_or_refused_clearly(values: dict[str, str]) -> None:
    try:
        parse_filter(**values)
    except CatalogueQueryError as exc:
        assert str(exc)


def test_empty_fields_are_no_filter_and_amounts_are_exact() -> None:
    chosen = parse_filter(q=" ", mode="", amount_min="50,000.10")
    assert chosen.q is None and chosen.mode is None and str(chosen.amount_min_yuan) == "50000.10"


def test_a_refused_filter_reads_in_chinese_on_the_catalogue(portal: Portal) -> None:
    """Regression: '/policies?amount_min=abc' showed "amount_min 'abc' is not an amount in
    yuan (e.g. 50000)" on the Chinese catalogue."""
    client = portal.client()
    for query, says in (
        ({"amount_min": "abc"}, "最低金额“abc”不是以元计的金额"),
        ({"deadline_after": "2026-13-01"}, "截止日期“2026-13-01”不是日期"),
        ({"amount_min": "1e400"}, "最低金额须小于"),
        ({"district": "999"}, "“999”不是上海市的区划代码"),
    ):
        page = client.get("/policies", params=query)
        assert page.status_code == 200 and says in page.text, query
        assert "is not" not in page.text and "must be" not in page.text
