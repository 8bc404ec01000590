"""A refusal shown on a page never tells its reader to run a CLI command or names a
path of the server: the page words it for the site, in English and in Chinese (QA: the
finance page said "'huiqi grants --status payment_failed' lists them", the export said
"'huiqi disburse repay GRANT_ID --reason …'", a portal page without data named the
server's store path and "run 'huiqi init'")."""

from __future__ import annotations

import re

import pytest
from portal_data import OFFER, Portal, sign_in

from huiqi.delivery.models import BatchItem, Grant
from huiqi.delivery.repayment import _not_failed
from huiqi.delivery.statuses import GrantStatus
from huiqi.web.api_texts import api_wording
from huiqi.web.cli_texts import _SAID, _WHOLE, CLI_TEXTS, web_wording
from huiqi.web.i18n import translations
from huiqi.web.refusals import REFUSALS, localise

COMMAND = re.compile(r"'huiqi [a-z]|\(huiqi [a-z]|--[a-z]|命令行")  # 'huiqi' alone: the product
LANGUAGES = ["en", "zh-CN"]


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_template_a_page_shows_names_a_command(language: str) -> None:
    catalogue = translations(language)
    templates = [t for _, t in REFUSALS] + list(_WHOLE)
    shown = {t: catalogue.gettext(web_wording(t)) for t in templates}
    named = {t: s for t, s in shown.items() if COMMAND.search(s)}
    assert named == {}


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize(
    ("text", "forbidden"),
    [
        ("no grant 99999; 'huiqi grants --status payment_failed' lists them", "huiqi"),
        (
            "nothing to pay: every granted amount is already in a batch or paid (a failed"
            " payment is paid again once released: 'huiqi disburse repay GRANT_ID --reason …')",
            "--reason",
        ),
        (
            "the store at /srv/huiqi/data/profiles.duckdb holds no data yet; run 'huiqi"
            " generate' or 'huiqi import'",
            "/srv/huiqi",
        ),
        (
            "no profile store at /srv/huiqi/p.duckdb; run 'huiqi init' and import or"
            " generate data first",
            "/srv/huiqi",
        ),
        (
            "application 12 is flagged for review: 营业收入 changed; resolve the flag first"
            " ('huiqi review keep 12 --reason …' or withdraw)",
            "huiqi review",
        ),
        (
            "complainant 4 has not been flagged for review: decide the complainants of the"
            " review queue (huiqi complaints queue --all; its complainant column, not a queue"
            " position)",
            "--all",
        ),
        (
            "cannot read 'r.xlsx' as a xlsx file (BadZipFile); export the results again from"
            " the finance system",
            "BadZipFile",
        ),
        ("the policy could not be read (KeyError); check its YAML", "KeyError"),
        (
            "p-1 v2 is published but not delivered: the store at /srv/x.duckdb holds no data"
            " yet; run 'huiqi generate' or 'huiqi import'; then 'huiqi deliver p-1' delivers it",
            "huiqi deliver",
        ),
    ],
)
def test_a_service_text_naming_a_command_is_worded_for_the_site(
    language: str, text: str, forbidden: str
) -> None:
    shown = localise(translations(language), text)
    assert shown != text and forbidden not in shown and not COMMAND.search(shown), shown


def test_the_web_wording_keeps_the_values() -> None:
    grant = Grant(id=7, status=GrantStatus.IN_BATCH)
    text = _not_failed(grant, BatchItem(batch_id=3))
    assert localise(translations("en"), text) == (
        "grant 7 is in batch 3 awaiting its payment result; apply the bank's results with"
        " 'Payment results' on this page before paying it again"
    )
    flagged = localise(
        translations("zh-CN"),
        "application 12 is flagged for review: 营业收入 changed; resolve the flag first"
        " ('huiqi review keep 12 --reason …' or withdraw)",
    )
    assert flagged.startswith("申报 12 已被标记待复核：营业收入 changed；"), flagged


def test_the_cli_texts_are_read_first() -> None:
    """A text naming a command is read by its own pattern before any wider one (such as a
    policy text's frame), so that the page gets the web's wording."""
    assert REFUSALS[: len(CLI_TEXTS)] == CLI_TEXTS
    assert all(web_wording(service) != service for service, _, _ in _SAID)


def test_a_checklist_that_cannot_be_shown_says_why_without_the_server_path(
    portal: Portal, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Regression (QA): the policy page put the explanation's refusal on the page as it
    was ("{{ mine.trace_error }}", not through ``message``): in English on the Chinese page,
    with the server's store path and "run 'huiqi generate'"; the desk's request page did the
    same with its linked policy's explanation."""
    from huiqi.errors import StoreError
    from huiqi.web.views import catalogue

    def no_data(*args: object, **kwargs: object) -> None:
        raise StoreError(
            "the store at /srv/huiqi/profiles.duckdb holds no data yet; run 'huiqi generate'"
            " or 'huiqi import'"
        )

    monkeypatch.setattr(catalogue, "explain_policy", no_data)
    shown = sign_in(portal.client(), "ent2").get(f"/policies/{OFFER}")
    assert shown.status_code == 200
    assert "暂时无法显示条件核对： 尚无企业数据；请数据管理员先行导入" in shown.text
    assert "/srv/huiqi" not in shown.text and "huiqi generate" not in shown.text


# A value for each of the templates' names, of the shape its pattern reads.
SAMPLE = {
    "id": "12",
    "n": "12",
    "batch": "3",
    "policy": "sh-demo-2026",
    "version": "sh-demo-2026 v1",
    "mode": "auto",
    "day": "2027-01-01",
    "flag": "营业收入 changed",
    "path": "/srv/huiqi/p.duckdb",
    "detail": "no data",
    "quoted": "'r.csv'",
    "kind": "csv",
    "error": "BadZipFile",
    "names": "申请表, 营业执照复印件",
    "known": "['market', 'tax']",
    "file": "x.csv",
    "first": "申请表",
    "missing": "['年度']",
    "wanted": "['统一社会信用代码', '年度']",
    "found": "['统一社会信用代码']",
    "details": "column 3 (C) '营业收入(元)' and column 4 (D) '营业收入(元)' feed the same field 'revenue'",
    "header": "'营业收入'",
    "shown": "元 (yuan)",
    "field": "revenue",
    "unit": "wan_yuan",
    "own": "wan_yuan",
}


@pytest.mark.parametrize("service", [s for s, _, _ in _SAID] + list(_WHOLE))
def test_an_api_refusal_names_no_command_and_no_page(service: str) -> None:
    """Regression (QA): 'POST /api/v1/finance/grants/999/repay' answered "no grant 999;
    'huiqi grants --status payment_failed' lists them": the API's caller is a program
    whose developer has the API, neither the server's command line nor the pages' buttons.
    Every service text that names a command is said by the API in its own words, with
    the text's values."""
    text = service % SAMPLE if "%(" in service else service
    said = api_wording(text)
    assert not COMMAND.search(said), said
    assert "this page" not in said and "/srv/huiqi" not in said, said
    for name in ("id", "batch", "policy"):
        if f"%({name})s" in service:
            assert SAMPLE[name] in said, said


def test_the_api_says_where_a_missing_grant_is_listed(portal: Portal) -> None:
    finance = {"Authorization": f"Bearer {portal.token('finance')}"}
    got = portal.client().post(
        "/api/v1/finance/grants/999999/repay", headers=finance, json={"reason": "账号已更正"}
    )
    assert got.status_code == 404, got.text
    detail = got.json()["detail"]
    assert detail == (
        "no grant 999999; GET /api/v1/grants?status=payment_failed lists the grants whose"
        " payment failed"
    )
