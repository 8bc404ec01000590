"""A count and the noun after it agree in English ("1 person", "2 persons"): the ``unit``
filter after a held value, and the catalogue's plural messages (``ngettext``); Chinese,
which has one form, reads the same for any number."""

from __future__ import annotations

from typing import Any

import pytest

from huiqi.web.render import environment


@pytest.mark.parametrize(
    ("value", "en"),
    [
        (1, "person"),
        ("1", "person"),
        ("1.00", "person"),
        (0, "persons"),
        (2, "persons"),
        ("1.5", "persons"),
        ("x", "persons"),
        (True, "persons"),
    ],
)
def test_a_unit_after_one_is_singular(value: Any, en: str) -> None:
    """Regression (QA): a value of one read "1 persons" (my data, a policy's values,
    the steward's queue): the unit was looked up without its count."""
    render = "{{ u | unit(v) }}"
    assert environment("en").from_string(render).render(u="persons", v=value) == en
    assert environment("zh-CN").from_string(render).render(u="persons", v=value) == "人"


def test_a_unit_without_a_count_is_the_plural_and_other_units_are_as_they_were() -> None:
    env = environment("en")
    assert env.from_string("{{ 'persons' | unit }}").render() == "persons"  # a label
    assert env.from_string("{{ 'yuan' | unit(1) }}").render() == "yuan"
    assert environment("zh-CN").from_string("{{ '%' | unit(1) }}").render() == "%"


@pytest.mark.parametrize(
    ("template", "n", "en", "zh"),
    [
        ('ngettext("%(num)s enterprise", "%(num)s enterprises", n)', 1, "1 enterprise", "1 家企业"),
        (
            'ngettext("%(num)s enterprise", "%(num)s enterprises", n)',
            3,
            "3 enterprises",
            "3 家企业",
        ),
        ('ngettext("%(num)s complaint", "%(num)s complaints", n)', 1, "1 complaint", "投诉 1 件"),
        (
            'ngettext("You meet %(met)s of %(num)s condition",'
            ' "You meet %(met)s of %(num)s conditions", n, met=1)',
            1,
            "You meet 1 of 1 condition",
            "您符合 1 项条件中的 1 项",
        ),
    ],
)
def test_counted_messages_agree_with_their_count(template: str, n: int, en: str, zh: str) -> None:
    """Regression (QA): "1 enterprises" (requests' statistics), "1 complaints" (the
    complainants' queue), "1 rows" (a payment-results import), "meets 1 of 1
    conditions"."""
    source = "{{ " + template + " }}"
    assert environment("en").from_string(source).render(n=n) == en
    assert environment("zh-CN").from_string(source).render(n=n) == zh


@pytest.mark.parametrize("template", ["request.html", "rate.html"])
def test_one_star_is_singular_in_the_rating_forms(template: str) -> None:
    """Regression (QA): the rating forms' screen-reader labels read "1 stars"."""
    source = environment("en").loader.get_source(environment("en"), template)[0]  # type: ignore[union-attr]
    assert "ngettext('%(num)s star', '%(num)s stars'" in source or (
        'ngettext("%(num)s star", "%(num)s stars"' in source
    )
    en = environment("en").from_string(
        "{{ ngettext('%(num)s star', '%(num)s stars', 1) }}|"
        "{{ ngettext('%(num)s star', '%(num)s stars', 2) }}"
    )
    assert en.render() == "1 star|2 stars"
    zh = environment("zh-CN").from_string("{{ ngettext('%(num)s star', '%(num)s stars', 1) }}")
    assert zh.render() == "1 星"
