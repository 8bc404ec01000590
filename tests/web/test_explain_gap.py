"""The policy page's checklist and "almost eligible" say by how much a near miss misses,
in each language, and the API's explanation carries the gap exactly. Regression: the
pages named the failing criterion and the figure held, never the distance to the
threshold."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
from portal_data import Portal, sign_in

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "delivery"))
from helpers import policy_yaml

from huiqi.accounts.testing import OFFICER
from huiqi.delivery.versions import publish_text
from huiqi.web.render import environment

GAP = "web-gap"  # needs 10 insured employees: ent7 has 9


@pytest.fixture(scope="module", autouse=True)
def gap_policy(portal: Portal) -> None:
    text = policy_yaml(GAP, delivery="confirm").replace(
        "insured_employees > 0", "insured_employees >= 10"
    )
    publish_text(portal.factory, text, f"{GAP}.yaml", actor=OFFICER)


def _gap_line(html: str) -> str:
    found = re.search(r'<p class="gap">(.*?)</p>', html, re.S)
    assert found, html[-3000:]
    return found.group(1)


def test_the_checklist_says_by_how_much_in_each_language(portal: Portal) -> None:
    client = sign_in(portal.client(), "ent7")
    assert _gap_line(client.get(f"/policies/{GAP}").text) == "距要求：还差 1 人"
    client.get("/lang/en")
    assert (
        _gap_line(client.get(f"/policies/{GAP}").text) == "Gap to the threshold: short by 1 person"
    )


def test_almost_eligible_says_by_how_much(portal: Portal) -> None:
    client = sign_in(portal.client(), "ent7")
    zh = client.get("/almost").text
    assert "年末参保人数 9 人，要求不低于 10 人，还差 1 人" in zh
    client.get("/lang/en")
    en = client.get("/almost").text
    assert "9 persons, &gt;= 10 persons required: short by 1 person" in en


def test_the_api_explanation_and_near_misses_carry_the_exact_gap(portal: Portal) -> None:
    headers = {"Authorization": f"Bearer {portal.token('ent7')}"}
    body = portal.client().get(f"/api/v1/policies/{GAP}/explain", headers=headers).json()
    assert body["status"] == "near_miss"
    (gap,) = [c["gap"] for c in body["criteria"] if "gap" in c]
    assert (gap["actual"], gap["required"], gap["shortfall"], gap["direction"]) == (
        "9",
        "10",
        "1",
        "short",
    )
    misses = portal.client().get("/api/v1/near-misses", headers=headers).json()
    (miss,) = [m for m in misses if m["policy_id"] == GAP]
    assert (miss["gap"]["shortfall"], miss["gap"]["direction"]) == ("1", "short")
    assert miss["gap"]["beyond"] is False


@pytest.mark.parametrize(
    ("gap", "zh", "en"),
    [
        (
            {"unit": "yuan", "required": "10000000", "shortfall": "1500000.00"}
            | {"direction": "short", "beyond": False},
            "还差 150 万元",
            "short by 1,500,000 yuan",
        ),
        (
            {"unit": "persons", "required": "300", "shortfall": "20"}
            | {"direction": "over", "beyond": False},
            "超出 20 人",
            "over by 20 persons",
        ),
        (
            {"unit": "%", "required": "3", "shortfall": "0.2"}
            | {"direction": "short", "beyond": True},
            "须增加超过 0.2 个百分点",
            "must rise by more than 0.2 percentage points",
        ),
        (
            {"unit": "yuan", "required": "8000000", "shortfall": "0"}
            | {"direction": "over", "beyond": True},
            "与要求持平，须低于要求",
            "level with the threshold: it must be below it",
        ),
    ],
)
def test_the_shortfall_filter_in_each_language(gap: dict[str, object], zh: str, en: str) -> None:
    assert environment("zh-CN").filters["shortfall"](gap) == zh
    assert environment("en").filters["shortfall"](gap) == en
