""" "My data": every value held about the enterprise with its source registry and year,
open correction requests marked; only the enterprise and its park operator."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from matching_helpers import code, profile, snapshot_of
from sqlalchemy.orm import Session, sessionmaker

from huiqi.accounts.access import AccessDenied
from huiqi.accounts.testing import OFFICER, STEWARD, enterprise, park_operator
from huiqi.db.engine import transaction
from huiqi.delivery.corrections import list_corrections, request_correction
from huiqi.matching.mydata import my_data

A, B = code(1), code(2)


@pytest.fixture
def settings(tmp_path: Path):  # type: ignore[no-untyped-def]
    s, _ = snapshot_of(
        tmp_path / "data",
        [
            profile(
                A,
                name="甲科技有限公司",
                district_code="310114",
                park="嘉定工业园",
                revenue={2024: "1000000.50", 2025: 2_000_000},
                insured_employees=8,
                high_tech=["2025-11-20", "2028-11-19"],
                founder_age=31,
                registration_type="foreign_invested",
            ),
            profile(B, name="乙公司", district_code="310114", revenue=5),
        ],
    )
    return s


def test_every_value_with_source_and_year(settings, sessions: sessionmaker[Session]) -> None:
    with sessions() as s:
        mine = my_data(settings, s, actor=enterprise(A), uscc=A)
    assert mine.name == "甲科技有限公司" and mine.uscc == A
    values = {(v.field, v.year): v for v in mine.values}
    revenue = values[("revenue", 2024)]
    assert (revenue.value, revenue.unit, revenue.source, revenue.source_zh) == (
        "1000000.50",
        "yuan",
        "tax",
        "税务局",
    )
    assert values[("revenue", 2025)].value == "2000000.00"
    assert values[("insured_employees", 2025)].source == "social_insurance"
    district = values[("district_code", None)]
    assert (district.value, district.source) == ("310114", "market")
    (cert,) = mine.certificates
    assert (cert.field, cert.valid_from, cert.source) == (
        "high_tech",
        dt.date(2025, 11, 20),
        "science",
    )
    assert [v.field for v in mine.values if v.field == "revenue"] == ["revenue", "revenue"]
    assert mine.values.index(values[("revenue", 2025)]) < mine.values.index(
        values[("revenue", 2024)]
    )  # newest year first


def test_a_coded_value_carries_its_names(settings, sessions: sessionmaker[Session]) -> None:
    # The page shows 外商投资企业 / 嘉定区, not the codes 'foreign_invested' / '310114'.
    with sessions() as s:
        values = {
            (v.field, v.year): v for v in my_data(settings, s, actor=enterprise(A), uscc=A).values
        }
    kind = values[("registration_type", None)]
    assert kind.value == "foreign_invested"
    assert kind.value_zh and kind.value_zh != "foreign_invested" and kind.value_en
    assert values[("district_code", None)].value_zh == "嘉定区"
    assert values[("revenue", 2025)].value_zh is None


def test_an_open_correction_is_marked(settings, sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as s:
        row = request_correction(
            settings, s, actor=enterprise(A), uscc=A, field="revenue", year=2025, value="2100000"
        )
    with sessions() as s:
        values = {
            (v.field, v.year): v for v in my_data(settings, s, actor=enterprise(A), uscc=A).values
        }
    assert values[("revenue", 2025)].open_request == row.id
    assert values[("revenue", 2024)].open_request is None


def test_only_the_enterprise_and_its_park(settings, sessions: sessionmaker[Session]) -> None:
    with sessions() as s:
        # The park operator is known from the snapshot before any delivery.
        assert my_data(settings, s, actor=park_operator("嘉定工业园"), uscc=A).uscc == A
        for actor in (enterprise(B), park_operator("别的园区"), OFFICER, STEWARD):
            with pytest.raises(AccessDenied):
                my_data(settings, s, actor=actor, uscc=A)


def test_personal_fields_are_for_the_enterprise_itself(
    settings, sessions: sessionmaker[Session]
) -> None:
    with sessions() as s:
        own = {v.field for v in my_data(settings, s, actor=enterprise(A), uscc=A).values}
        park = {
            v.field for v in my_data(settings, s, actor=park_operator("嘉定工业园"), uscc=A).values
        }
    assert "founder_age" in own and "founder_age" not in park
    assert own - park == {"founder_age"}


def test_a_park_operator_follows_the_corrections_it_reported_before_any_delivery(
    settings, sessions: sessionmaker[Session]
) -> None:
    """Regression: the park operator of an enterprise the ledger had not delivered to yet
    could report its value as wrong (the snapshot places it in the park) but then not see
    the request: listing it by USCC was refused and the park's list left it out."""
    park = park_operator("嘉定工业园")
    with transaction(sessions) as s:
        made = request_correction(
            settings, s, actor=park, uscc=A, field="insured_employees", year=2025, value="9"
        )
    with sessions() as s:
        assert [r.id for r in list_corrections(s, actor=park, settings=settings)] == [made.id]
        mine = list_corrections(s, actor=park, settings=settings, uscc=A)
        assert [r.id for r in mine] == [made.id]
        other = park_operator("别的园区")
        assert list_corrections(s, actor=other, settings=settings) == []
        with pytest.raises(AccessDenied):
            list_corrections(s, actor=other, settings=settings, uscc=A)
