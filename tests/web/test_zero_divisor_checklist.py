"""The policy page's checklist says which divisor is 0 when a ratio leaves a criterion
unknown. It broke: an enterprise with 0 insured staff saw "needs data" on a ratio over
its headcount, with every value shown and nothing it could supply."""

from __future__ import annotations

import re

from helpers import build_store, policy_yaml  # tests/delivery, put on the path by portal_data
from portal_data import DISTRICT, Portal, sign_in

from huiqi.accounts.testing import OFFICER
from huiqi.delivery.versions import publish_text

RATIO = "web-ratio"


def _checklist(html: str) -> str:
    found = re.search(r'<ul class="checklist">(.*?)</ul>\s*<h3>', html, re.S)
    assert found, html[-2000:]
    return found.group(1)


def test_the_checklist_names_the_divisor_that_is_zero_in_each_language(portal: Portal) -> None:
    # ent0 now has no insured staff; the others keep theirs.
    build_store(
        portal.settings.data_dir,
        {c: 0 if i == 0 else 2 + i for i, c in enumerate(portal.usccs)},
    )
    text = policy_yaml(RATIO).replace(
        "expr: insured_employees > 0", "expr: 10 / insured_employees <= 5"
    )
    assert f'region: "{DISTRICT}"' in text and "10 / insured_employees" in text
    publish_text(portal.factory, text, f"{RATIO}.yaml", actor=OFFICER)
    client = sign_in(portal.client(), "ent0")

    zh = _checklist(client.get(f"/policies/{RATIO}").text)
    assert "年末参保人数（insured_employees）为0，无法计算 10 / insured_employees" in zh, zh
    client.get("/lang/en")
    en = _checklist(client.get(f"/policies/{RATIO}").text)
    assert "insured_employees is 0: 10 / insured_employees cannot be computed" in en, en

    other = sign_in(portal.client(), "ent1")
    assert "cannot be computed" not in _checklist(other.get(f"/policies/{RATIO}").text)
