"""The catalogue's filters as typed into a form: anything is either read or refused with
a CatalogueQueryError that says what is expected (never another exception)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

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
