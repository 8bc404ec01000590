"""Chinese search by character pairs: any piece of a policy's text finds it, and any
query text (from a search box: anything at all) is taken without error."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from huiqi.catalogue.search import SearchText, parse_query
from huiqi.catalogue.service import CatalogueFilter, CatalogueQueryError

CJK = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF)
WORDS = st.text(alphabet=st.one_of(CJK, st.sampled_from("abcXYZ09&")), min_size=1, max_size=30)


@given(text=WORDS, data=st.data())
def test_any_piece_of_the_text_finds_it(text: str, data: st.DataObject) -> None:
    start = data.draw(st.integers(0, len(text) - 1))
    end = data.draw(st.integers(start + 1, len(text)))
    index = SearchText.of(title=text, body="")
    assert index.score(parse_query(text[start:end])) > 0


@given(query=st.text(max_size=300))
def test_any_query_text_is_parsed(query: str) -> None:
    terms = parse_query(query)
    assert all(terms) and len(terms) <= 200


@pytest.mark.parametrize(
    ("query", "found"),
    [
        ("研发", True),
        ("研发费用", True),
        ("费用 研发", True),
        ("研究", False),
        ("ＲＤ", True),
        ("rd", True),
    ],
)
def test_examples(query: str, found: bool) -> None:
    index = SearchText.of(title="研发费用补贴 RD", body="高新技术企业")
    assert (index.score(parse_query(query)) > 0) is found


@pytest.mark.parametrize(
    ("filters", "message"),
    [
        (CatalogueFilter(mode="maybe"), "auto, confirm, apply"),
        (CatalogueFilter(level="province"), "city, district"),
        (CatalogueFilter(district="123456"), "district code"),
    ],
)
def test_unknown_filter_values_are_refused_with_the_known_ones(
    filters: CatalogueFilter, message: str
) -> None:
    with pytest.raises(CatalogueQueryError, match=message):
        filters.check()
