"""The catalogue's department filter: the department chosen, exactly; its sub-units
(上海市人力资源和社会保障局（市就业促进中心）) only when asked for."""

from __future__ import annotations

import sys
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "delivery"))
from helpers import policy_yaml

from huiqi.accounts.testing import OFFICER
from huiqi.catalogue.service import CatalogueFilter, list_policies
from huiqi.delivery.versions import publish_text

BUREAU = "{zh: 上海市人力资源和社会保障局, en: Shanghai Municipal Human Resources Bureau}"
CENTRE = (
    "{zh: 上海市人力资源和社会保障局（市就业促进中心）,"
    " en: Shanghai Municipal Human Resources Bureau (Employment Promotion Center)}"
)
OTHER = "{zh: 上海市人力资源和社会保障局办公室外, en: Another office}"


def _publish(factory: sessionmaker[Session], policy_id: str, department: str) -> None:
    text = policy_yaml(policy_id).replace(
        "department: {zh: 测试局, en: Test bureau}", f"department: {department}"
    )
    assert f"department: {department}" in text
    publish_text(factory, text, f"{policy_id}.yaml", actor=OFFICER)


def test_one_department_is_that_department_and_sub_units_only_when_asked(
    sessions: sessionmaker[Session],
) -> None:
    """Regression: choosing 上海市人力资源和社会保障局 listed its employment centre's
    policies too (the filter matched any name containing the one chosen)."""
    _publish(sessions, "bureau", BUREAU)
    _publish(sessions, "centre", CENTRE)
    _publish(sessions, "other", OTHER)

    def ids(department: str, subunits: bool = False) -> list[str]:
        with sessions() as s:
            chosen = CatalogueFilter(department=department, subunits=subunits)
            return sorted(c.policy_id for c in list_policies(s, filters=chosen))

    assert ids("上海市人力资源和社会保障局") == ["bureau"]
    assert ids(" Shanghai Municipal Human Resources BUREAU ") == ["bureau"]
    assert ids("上海市人力资源和社会保障局（市就业促进中心）") == ["centre"]
    assert ids("上海市人力资源和社会保障局", subunits=True) == ["bureau", "centre"]
    assert ids("Shanghai Municipal Human Resources Bureau", subunits=True) == ["bureau", "centre"]
    assert ids("人力资源") == []  # a piece of a name is the search box's job
