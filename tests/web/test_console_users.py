"""The console's users page: an admin lists the accounts, adds one, changes its roles and
disables it through the forms (each an audit event of the account services); a refusal
reads in the page's language without a command of the CLI; other roles are refused the
page and its forms as every console page refuses them."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from portal_data import PASSWORD, Portal, page_token, sign_in
from sqlalchemy import select

from huiqi.accounts import service as accounts
from huiqi.accounts.roles import Role, RoleGrant
from huiqi.db.engine import transaction
from huiqi.delivery.models import Event
from huiqi.web.account_texts import ACCOUNT_TEXTS, account_message
from huiqi.web.i18n import translations

PAGE = "/console/users"


@pytest.fixture(scope="module")
def admin(portal: Portal) -> tuple[TestClient, str]:
    client = sign_in(portal.client(), "admin")
    return client, page_token(client, PAGE)


def roles_of(portal: Portal, name: str) -> tuple[tuple[str, ...], bool]:
    with portal.factory() as s:
        user = accounts.find_user(s, name)
        held = tuple(sorted(f"{r.role}={r.scope}" if r.scope else r.role for r in user.roles))
        return held, user.disabled


def kinds_about(portal: Portal, name: str) -> list[str]:
    with portal.factory() as s:
        user_id = accounts.find_user(s, name).id
        return list(
            s.scalars(
                select(Event.kind).where(Event.entity == f"user:{user_id}").order_by(Event.id)
            )
        )


def test_an_admin_lists_the_users_with_their_roles_and_scopes(
    admin: tuple[TestClient, str],
) -> None:
    client, _ = admin
    listing = client.get(PAGE)
    assert listing.status_code == 200
    assert "reviewer-elsewhere" in listing.text and "district:310104" in listing.text
    assert "政策审核人员" in listing.text  # the role by its name, in Chinese
    data = client.get(PAGE, headers={"Accept": "application/json"}).json()
    by_name = {u["username"]: u for u in data["users"]}
    assert by_name["desk-policy"]["roles"] == ["desk_officer=department:市经济信息化委"]
    assert by_name["admin"]["disabled"] is False


def test_the_service_accounts_name_reads_in_the_pages_language(
    admin: tuple[TestClient, str],
) -> None:
    """Regression (QA): the scheduler's display name, which huiqi wrote, stayed English
    ("scheduled work (service account)") on the Chinese page."""
    client, _ = admin
    listing = client.get(PAGE, params={"q": "scheduler"}).text
    assert "定时任务（服务账号）" in listing and "scheduled work (service" not in listing


def test_an_admin_adds_changes_and_disables_a_user_through_the_forms(
    portal: Portal, admin: tuple[TestClient, str]
) -> None:
    client, token = admin
    added = client.post(
        PAGE,
        data={
            "csrf_token": token,
            "username": "new-steward",
            "role": "data_steward",
            "scope": "",
            "password": "",
            "email": "steward@example.gov.cn",
        },
        follow_redirects=False,
    )
    assert added.status_code == 303, added.text
    assert "已添加用户 new-steward" in client.get(added.headers["location"]).text
    assert roles_of(portal, "new-steward") == (("data_steward",), False)

    changed = client.post(
        f"{PAGE}/roles",
        data={
            "csrf_token": token,
            "username": "new-steward",
            "role": "policy_author",
            "scope": "district:310115",
            "remove": "data_steward",
        },
        follow_redirects=False,
    )
    assert changed.status_code == 303, changed.text
    assert roles_of(portal, "new-steward") == (("policy_author=district:310115",), False)

    disabled = client.post(
        f"{PAGE}/disabled",
        data={"csrf_token": token, "username": "new-steward", "disabled": "yes"},
        follow_redirects=False,
    )
    assert disabled.status_code == 303
    assert roles_of(portal, "new-steward")[1] is True
    assert "已停用" in client.get(disabled.headers["location"]).text
    client.post(
        f"{PAGE}/disabled", data={"csrf_token": token, "username": "new-steward", "disabled": "no"}
    )
    assert roles_of(portal, "new-steward")[1] is False
    assert kinds_about(portal, "new-steward") == [
        "user_added",
        "user_changed",
        "user_disabled",
        "user_enabled",
    ]


def test_a_refused_add_reads_in_chinese_and_keeps_what_was_typed(
    admin: tuple[TestClient, str],
) -> None:
    client, token = admin
    taken = client.post(
        PAGE,
        data={
            "csrf_token": token,
            "username": "finance",
            "role": "finance_officer",
            "email": "f@example.gov.cn",
        },
    )
    assert taken.status_code == 400
    assert "用户“finance”已存在；请在用户列表中变更其角色" in taken.text
    assert "huiqi user" not in taken.text and "AccountError" not in taken.text
    assert 'value="f@example.gov.cn"' in taken.text
    weak = client.post(
        PAGE,
        data={"csrf_token": token, "username": "weak", "role": "data_steward", "password": "short"},
    )
    assert weak.status_code == 400 and "密码至少需要 10 个字符" in weak.text
    assert 'value="short"' not in weak.text  # a password is never sent back
    scope = client.post(
        PAGE, data={"csrf_token": token, "username": "x-author", "role": "policy_author"}
    )
    assert scope.status_code == 400
    assert "政策起草人员角色需要职权范围" in scope.text and "RoleError" not in scope.text
    client.cookies.set("huiqi_lang", "en")
    try:
        english = client.post(PAGE, data={"csrf_token": token, "username": "x-author", "role": ""})
    finally:
        del client.cookies["huiqi_lang"]
    assert "a user needs at least one role: choose one" in english.text
    assert "--role" not in english.text


def test_an_admin_is_refused_disabling_itself_in_chinese(admin: tuple[TestClient, str]) -> None:
    client, token = admin
    refused = client.post(
        f"{PAGE}/disabled", data={"csrf_token": token, "username": "admin", "disabled": "yes"}
    )
    assert refused.status_code == 400
    assert "管理员不能停用自己" in refused.text
    nothing = client.post(f"{PAGE}/roles", data={"csrf_token": token, "username": "finance"})
    assert "没有要变更的内容" in nothing.text and "--add-role" not in nothing.text
    missing = client.post(f"{PAGE}/roles", data={"csrf_token": token, "username": "nobody-here"})
    assert missing.status_code == 404 and "没有用户“nobody-here”" in missing.text


@pytest.mark.parametrize("user", ["finance", "officer", "ent0"])
def test_other_roles_are_refused_the_page_and_its_forms(portal: Portal, user: str) -> None:
    client = sign_in(portal.client(), user, PASSWORD)
    assert client.get(PAGE).status_code == 403
    token = page_token(client, "/")
    posted = client.post(
        PAGE, data={"csrf_token": token, "username": "sneaky", "role": "admin", "password": ""}
    )
    assert posted.status_code == 403
    disabled = client.post(
        f"{PAGE}/disabled", data={"csrf_token": token, "username": "admin", "disabled": "yes"}
    )
    assert disabled.status_code == 403
    with portal.factory() as s:
        assert (
            s.scalar(select(Event.id).where(Event.kind == "user_added", Event.actor == user))
            is None
        )


def test_every_account_refusal_reads_without_a_command_in_both_languages() -> None:
    """Each service text the page rewords: the Chinese template is translated, and neither
    language names a CLI command or option."""
    zh, en = translations("zh-CN"), translations("en")
    for _, template in ACCOUNT_TEXTS:
        assert zh.gettext(template) != template, template
        assert "huiqi " not in template and "--" not in template, template
    text = "no user 'bob'; 'huiqi user list' shows them"
    assert account_message(en, text) == "no user 'bob'; the list of users shows them"
    assert account_message(zh, text) == "没有用户“bob”；用户列表中列出了全部用户"
    held = "'bob' already holds data_steward; nothing changed"  # a role added twice (QA)
    assert account_message(en, held) == held
    assert account_message(zh, held) == "“bob”已有角色 data_steward，未作更改"


def test_a_department_no_policy_names_is_refused_until_ticked_as_new(
    portal: Portal, admin: tuple[TestClient, str]
) -> None:
    """The form's checkbox is the CLI's --new-department, and the refusal says so."""
    client, token = admin
    form = {
        "csrf_token": token,
        "username": "alien-author",
        "role": "policy_author",
        "scope": "department:外星局",
    }
    refused = client.post(PAGE, data=form)
    assert refused.status_code == 400
    assert "没有政策以“外星局”为发文部门" in refused.text and "尚无政策的部门" in refused.text
    assert "--new-department" not in refused.text
    added = client.post(PAGE, data=form | {"new_department": "yes"}, follow_redirects=False)
    assert added.status_code == 303
    assert roles_of(portal, "alien-author") == (("policy_author=department:外星局",), False)


def test_the_users_are_listed_a_page_at_a_time_by_name(
    portal: Portal, admin: tuple[TestClient, str]
) -> None:
    """A user per enterprise: the page lists 100 by name, then the next page by keyset
    (after the last name shown), and finds names by their beginning."""
    with transaction(portal.factory) as s:
        actor = accounts.actor_of(accounts.find_user(s, "admin"))
        for i in range(120):
            accounts.add_user(
                s, actor=actor, username=f"bulk{i:03d}", roles=[RoleGrant(Role.DATA_STEWARD)]
            )
    client, _ = admin
    first = client.get(PAGE, params={"q": "bulk"}, headers={"Accept": "application/json"}).json()
    names = [u["username"] for u in first["users"]]
    assert names == [f"bulk{i:03d}" for i in range(100)]
    assert first["next"] == f"{PAGE}?q=bulk&after=bulk099"
    rest = client.get(first["next"], headers={"Accept": "application/json"}).json()
    assert [u["username"] for u in rest["users"]] == [f"bulk{i:03d}" for i in range(100, 120)]
    assert rest["next"] is None
    page = client.get(first["next"]).text
    assert 'id="first-page"' in page and "bulk119" in page and "bulk000" not in page
    assert client.get(PAGE, params={"q": "bulk%"}).text.count('data-username="bulk') == 0
    odd = client.get(PAGE, params={"q": "a\x00b"})
    assert odd.status_code == 400 and "筛选条件不能包含控制字符" in odd.text


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(starting=st.text(max_size=80), after=st.text(max_size=80))
def test_no_address_of_the_users_page_is_a_server_error(
    admin: tuple[TestClient, str], starting: str, after: str
) -> None:
    response = admin[0].get(PAGE, params={"q": starting, "after": after})
    assert response.status_code in (200, 400), (starting, after, response.status_code)


def test_a_form_without_the_pages_csrf_token_changes_nothing(
    portal: Portal, admin: tuple[TestClient, str]
) -> None:
    client, _ = admin
    for path, form in [
        (PAGE, {"username": "forged", "role": "admin"}),
        (f"{PAGE}/disabled", {"username": "finance", "disabled": "yes"}),
        (f"{PAGE}/roles", {"username": "finance", "role": "admin"}),
    ]:
        assert client.post(path, data=form).status_code == 403
        assert client.post(path, data=form | {"csrf_token": "x" * 64}).status_code == 403
    assert roles_of(portal, "finance") == (("finance_officer",), False)
    with portal.factory() as s:
        assert s.scalar(select(Event.id).where(Event.reason.contains("forged"))) is None


def test_a_user_is_added_with_several_roles(portal: Portal, admin: tuple[TestClient, str]) -> None:
    client, token = admin
    form = {
        "csrf_token": token,
        "username": "two-roles",
        "role": "policy_author",
        "scope": "district:310115",
        "more_roles": "policy_publisher=district:310115\r\n\r\npolicy_reviewer=nowhere",
    }
    refused = client.post(PAGE, data=form)
    assert refused.status_code == 400 and "政策职权范围应为" in refused.text
    assert "policy_reviewer=nowhere</textarea>" in refused.text  # kept to correct
    form["more_roles"] = "policy_publisher=district:310115\r\n\r\n"
    assert client.post(PAGE, data=form, follow_redirects=False).status_code == 303
    assert roles_of(portal, "two-roles") == (
        ("policy_author=district:310115", "policy_publisher=district:310115"),
        False,
    )
