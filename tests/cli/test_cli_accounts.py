"""Signing in from the command line: admin init, login, the stored token, logout, tokens."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from cliutil import accounts, run

from huiqi.cli.main import cli

PASSWORD = "correct-horse-2026"


def test_admin_init_login_whoami_logout(tmp_path: Path) -> None:
    data = tmp_path / "data"
    code, out = run(data, "whoami")
    assert code == 5 and "sign in first" in out
    code, out = run(
        data, "admin", "init", HUIQI_ADMIN_USERNAME="root", HUIQI_ADMIN_PASSWORD=PASSWORD
    )
    assert code == 0 and "admin 'root' created" in out, out
    code, out = run(data, "admin", "init", HUIQI_ADMIN_USERNAME="x", HUIQI_ADMIN_PASSWORD=PASSWORD)
    # An admin existing is no refused access (5): nothing the caller signs in as changes it.
    assert code == 1 and "already exists" in out and "huiqi user add" in out, out
    code, out = run(data, "login", "root", HUIQI_PASSWORD="wrong-password-1")
    assert code == 5 and "wrong user name or password" in out
    code, out = run(data, "login", "root", HUIQI_PASSWORD=PASSWORD)
    assert code == 0, out
    credentials = data / ".config" / "credentials.json"
    assert stat.S_IMODE(credentials.stat().st_mode) == 0o600
    assert stat.S_IMODE(credentials.parent.stat().st_mode) == 0o700
    assert run(data, "whoami")[1].strip() == "root (admin)"
    code, out = run(data, "whoami", "--json")
    assert json.loads(out) == {"username": "root", "roles": ["admin"]}
    token = json.loads(credentials.read_text())
    (entry,) = token.values()
    assert run(data, "logout")[1].strip() == "signed out"
    code, out = run(data, "whoami", token=entry["token"])
    assert code == 5 and "revoked" in out  # logging out revoked the token, not only forgot it
    code, out = run(data, "audit", "log")
    assert code == 5


def test_the_command_line_is_throttled_as_the_portal_is(tmp_path: Path) -> None:
    """Regression (QA): wrong passwords through 'huiqi login' were never refused however
    many (they counted only against the portal)."""
    data = tmp_path / "data"
    run(data, "admin", "init", HUIQI_ADMIN_USERNAME="root", HUIQI_ADMIN_PASSWORD=PASSWORD)
    for _ in range(3):
        code, out = run(data, "login", "root", HUIQI_PASSWORD="wrong-password-1")
        assert code == 5 and "wrong user name or password" in out, out
    code, out = run(data, "login", "root", HUIQI_PASSWORD=PASSWORD, HUIQI_WEB_LOGIN_PER_USER="3")
    assert code == 5 and "too many refused sign-ins" in out, out
    code, out = run(data, "login", "root", HUIQI_PASSWORD=PASSWORD)  # 5 allowed by default
    assert code == 0, out


def test_signing_in_again_revokes_the_token_it_replaces(tmp_path: Path) -> None:
    """Regression (QA): 'huiqi login B' after 'huiqi login A' replaced A's token in the
    config file but left it active in the database, held by nobody."""
    data = tmp_path / "data"
    run(data, "admin", "init", HUIQI_ADMIN_USERNAME="root", HUIQI_ADMIN_PASSWORD=PASSWORD)
    credentials = data / ".config" / "credentials.json"
    assert run(data, "login", "root", HUIQI_PASSWORD=PASSWORD)[0] == 0
    (first,) = json.loads(credentials.read_text()).values()
    # A refused sign-in changes nothing: the stored token still works.
    assert run(data, "login", "root", HUIQI_PASSWORD="wrong-password-1")[0] == 5
    assert run(data, "whoami", token=first["token"])[0] == 0
    assert run(data, "login", "root", HUIQI_PASSWORD=PASSWORD)[0] == 0
    (second,) = json.loads(credentials.read_text()).values()
    code, out = run(data, "whoami", token=first["token"])
    assert code == 5 and "revoked" in out, out
    assert run(data, "whoami", token=second["token"])[0] == 0


def test_admin_init_asks_interactively(tmp_path: Path) -> None:
    data = tmp_path / "data"
    result = CliRunner().invoke(
        cli,
        ["--data-dir", str(data), "admin", "init"],
        input=f"chief\n{PASSWORD}\n{PASSWORD}\n",
        env={"HUIQI_CONFIG_DIR": str(tmp_path / "cfg"), "HUIQI_ADMIN_PASSWORD": ""},
    )
    assert result.exit_code == 0, result.output
    assert "admin 'chief' created" in result.output
    # Regression: a second init asked for a name and a password twice, then refused.
    again = CliRunner().invoke(
        cli,
        ["--data-dir", str(data), "admin", "init"],
        input="",
        env={"HUIQI_CONFIG_DIR": str(tmp_path / "cfg"), "HUIQI_ADMIN_PASSWORD": ""},
    )
    assert again.exit_code == 1 and "already exists" in again.output, again.output
    assert "admin user name" not in again.output and "assword" not in again.output


def test_admin_init_refuses_a_bad_name_before_the_password(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli,
        ["--data-dir", str(tmp_path / "data"), "admin", "init"],
        input="bad name!\n",
        env={"HUIQI_CONFIG_DIR": str(tmp_path / "cfg"), "HUIQI_ADMIN_PASSWORD": ""},
    )
    assert result.exit_code != 0 and "assword" not in result.output, result.output


@pytest.mark.parametrize(
    ("args", "refusal"),
    [
        (["bad name!", "--role", "finance_officer"], "is not a user name"),
        (["officer", "--role", "finance_officer"], "user 'officer' exists"),
        (["cfo", "--role", "finance_officer", "--email", "cfo"], "is not an email address"),
    ],
)
def test_user_add_refuses_before_asking_for_the_password(
    tmp_path: Path, args: list[str], refusal: str
) -> None:
    """Regression (QA): 'huiqi user add' asked for the new password twice, then refused a
    name taken or mistyped, or a bad email address."""
    data = tmp_path / "data"
    token = accounts(data)["admin"]
    result = CliRunner().invoke(
        cli,
        ["--data-dir", str(data), "user", "add", *args],
        input="",
        env={
            "HUIQI_TOKEN": token,
            "HUIQI_CONFIG_DIR": str(data / ".config"),
            "HUIQI_NEW_PASSWORD": "",
        },
    )
    assert result.exit_code == 1, result.output
    assert refusal in result.output and "assword" not in result.output, result.output


def test_api_token_for_the_scheduler_and_user_admin(tmp_path: Path) -> None:
    data = tmp_path / "data"
    run(data, "admin", "init", HUIQI_ADMIN_USERNAME="root", HUIQI_ADMIN_PASSWORD=PASSWORD)
    run(data, "login", "root", HUIQI_PASSWORD=PASSWORD)
    code, out = run(data, "token", "create", "cron", "--user", "scheduler", "--days", "30")
    assert code == 0, out
    secret = out.split()[-1]
    assert secret.startswith("hq_")
    assert run(data, "whoami", token=secret)[1].strip() == "scheduler (scheduler)"
    code, out = run(data, "token", "list", "--user", "scheduler", "--json")
    (listed,) = json.loads(out)
    assert listed["name"] == "cron" and secret not in out
    code, out = run(
        data, "user", "add", "mallory", "--role", "admin", "--no-password", token=secret
    )
    assert code == 5 and "may not add users" in out
    assert run(data, "token", "revoke", str(listed["id"]))[0] == 0
    # Regression (QA): a second revoke said "revoked" again, as if it had done something.
    code, out = run(data, "token", "revoke", str(listed["id"]))
    assert code == 0 and "was already revoked (" in out and "nothing changed" in out, out
    # Regression (QA): a mistyped id said only "no token 99999".
    code, out = run(data, "token", "revoke", "99999")
    assert code == 3 and "no token 99999; 'huiqi token list' lists the token ids" in out, out
    code, out = run(data, "whoami", token=secret)
    assert code == 5 and "revoked" in out
    code, out = run(
        data,
        "user",
        "add",
        "li",
        "--role",
        "policy_publisher=district:310115",
        HUIQI_NEW_PASSWORD="another-pass-99",
    )
    assert code == 0 and "policy_publisher=district:310115" in out, out
    code, out = run(data, "user", "add", "x", "--role", "policy_publisher=310115", "--no-password")
    assert code == 2 and "a policy scope is district" in out  # wrong usage: exit 2
    code, out = run(data, "user", "list", "--json")
    assert {u["username"] for u in json.loads(out)} == {"root", "scheduler", "li"}


def test_a_scope_naming_no_known_department_or_park_is_granted_with_a_warning(
    tmp_path: Path,
) -> None:
    """Regression: a desk officer scoped to a mistyped department (市财政厅 for 市财政局), or
    a park operator of a park nobody is registered in, was added silently and saw nothing."""
    data = tmp_path / "data"
    run(data, "admin", "init", HUIQI_ADMIN_USERNAME="root", HUIQI_ADMIN_PASSWORD=PASSWORD)
    run(data, "login", "root", HUIQI_PASSWORD=PASSWORD)
    code, out = run(
        data, "user", "add", "typo", "--no-password",
        "--role", "desk_officer=department:市财政厅", "--role", "park_operator=不存在的园区",
    )  # fmt: skip
    said = " ".join(out.split())
    assert code == 0, out
    assert (
        "warning: desk_officer=department:市财政厅: the desk has no department '市财政厅'" in said
    )
    assert "市财政局" in said  # the departments it has
    assert "warning: park_operator=不存在的园区: no enterprise the ledger knows" in said
    code, out = run(
        data, "user", "add", "right", "--no-password", "--role", "desk_officer=department:市财政局"
    )
    assert code == 0 and "warning" not in out, out


def test_a_policy_scope_naming_no_policy_department_is_refused_unless_new(
    tmp_path: Path,
) -> None:
    """Regression: 'huiqi user add x --role policy_publisher=department:NoSuchDepartment'
    added the user silently; it saw no policy and nobody was told."""
    data = tmp_path / "data"
    run(data, "admin", "init", HUIQI_ADMIN_USERNAME="root", HUIQI_ADMIN_PASSWORD=PASSWORD)
    run(data, "login", "root", HUIQI_PASSWORD=PASSWORD)
    role = "policy_publisher=department:市经济信息化委"  # the desk's name, not the policies'
    code, out = run(data, "user", "add", "typo", "--role", role, HUIQI_NEW_PASSWORD="x")
    said = " ".join(out.split())
    assert code == 2, out
    assert f"error: {role}: no policy names '市经济信息化委' as its issuing department" in said
    assert "did you mean '上海市经济和信息化委员会'?" in said and "--new-department" in said
    code, out = run(data, "user", "add", "typo", "--no-password", "--role", "admin")
    assert code == 0, out  # nothing was added: the name is free
    code, out = run(
        data, "user", "change", "typo", "--add-role", "policy_author=department:NoSuchDepartment"
    )
    assert code == 2 and "departments: 上海市人力资源和社会保障局" in " ".join(out.split()), out
    code, out = run(
        data, "user", "add", "first", "--no-password", "--new-department",
        "--role", "policy_author=department:新设局",
    )  # fmt: skip
    assert code == 0 and "policy_author=department:新设局" in out, out


def test_the_empty_inbox_of_an_enterprise_says_so(tmp_path: Path) -> None:
    """Regression: 'huiqi inbox' of an enterprise told nothing yet printed nothing and
    exited 0; then it exited 3 saying the enterprise was "not in the ledger", about its
    own USCC. An empty inbox is an answer: "no messages" (and [] with --json)."""
    data = tmp_path / "data"
    run(data, "admin", "init", HUIQI_ADMIN_USERNAME="root", HUIQI_ADMIN_PASSWORD=PASSWORD)
    run(data, "login", "root", HUIQI_PASSWORD=PASSWORD)
    code, out = run(
        data,
        "user",
        "add",
        "ent",
        "--role",
        "enterprise=91310115MA1H8R7C41",
        "--no-password",
    )
    assert code == 0, out
    secret = run(data, "token", "create", "t", "--user", "ent")[1].split()[-1]
    code, out = run(data, "inbox", "91310115MA1H8R7C41", token=secret)
    assert code == 0 and out.strip() == "no messages", out
    code, out = run(data, "inbox", "91310115MA1H8R7C41", "--json", token=secret)
    assert code == 0 and json.loads(out) == [], out


def test_a_refused_login_says_what_to_do_without_telling_which_accounts_exist(
    tmp_path: Path,
) -> None:
    """'huiqi login scheduler' (a service account, no password) and a name that does not
    exist answered only "wrong user name or password, or the account is disabled"; the
    refusal now says what to do: for 'scheduler', use an API token; for any other name,
    ask an admin (user list/add/enable/change). It is the same for an existing account
    with a wrong password and for a name nobody has, so names cannot be found by trying."""
    data = tmp_path / "data"
    run(data, "admin", "init", HUIQI_ADMIN_USERNAME="root", HUIQI_ADMIN_PASSWORD=PASSWORD)
    code, out = run(data, "login", "scheduler", HUIQI_PASSWORD=PASSWORD)
    assert code == 5
    assert "'scheduler' is the service account of scheduled jobs" in out
    assert "'huiqi token create NAME --user scheduler'" in out and "HUIQI_TOKEN" in out
    code, unknown = run(data, "login", "nobody", HUIQI_PASSWORD=PASSWORD)
    assert code == 5
    assert "ask an admin: 'huiqi user list' shows the accounts" in unknown
    assert "'huiqi user add NAME --role ROLE' adds one" in unknown
    code, wrong = run(data, "login", "root", HUIQI_PASSWORD="wrong-password-1")
    assert code == 5 and wrong == unknown
    assert PASSWORD not in out + unknown + wrong and "root" not in unknown


def test_a_login_to_a_database_without_accounts_says_to_init_or_check_the_data_dir(
    tmp_path: Path,
) -> None:
    """Regression (QA): 'huiqi login officer' with a mistyped --data-dir made a new, empty
    database and answered 'wrong user name or password ... ask an admin', when there was no
    admin to ask: it now says the database has no accounts, 'huiqi admin init', and which
    option names another data directory; no password is asked for."""
    data = tmp_path / "typo"
    result = CliRunner().invoke(
        cli,
        ["--data-dir", str(data), "login", "officer"],
        env={"HUIQI_TOKEN": "", "HUIQI_PASSWORD": "", "HUIQI_CONFIG_DIR": str(tmp_path / "c")},
        input="",
    )
    assert result.exit_code == 5, result.output
    assert "has no accounts yet" in result.output
    assert "'huiqi admin init'" in result.output and "--data-dir" in result.output
    assert "password" not in result.output.lower().split("error")[0]  # never prompted


def test_a_closed_stdout_pipe_ends_the_command_quietly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Regression: 'huiqi token create cron --user scheduler | head -1' printed
    "error: Broken pipe" on stderr: head had gone after the first line, and the secret's
    line met a closed pipe. The token is created all the same."""
    data = tmp_path / "data"
    run(data, "admin", "init", HUIQI_ADMIN_USERNAME="root", HUIQI_ADMIN_PASSWORD=PASSWORD)
    run(data, "login", "root", HUIQI_PASSWORD=PASSWORD)

    def reader_gone(*args: object, **kwargs: object) -> None:
        raise BrokenPipeError(32, "Broken pipe")

    with monkeypatch.context() as patched:
        patched.setattr(click, "echo", reader_gone)
        _, out = run(data, "token", "create", "cron", "--user", "scheduler")
    assert "Broken pipe" not in out and "error" not in out, out
    _, out = run(data, "token", "list", "--user", "scheduler", "--json")
    assert [t["name"] for t in json.loads(out)] == ["cron"], out


def test_the_audit_logs_filters_refuse_what_names_nothing(tmp_path: Path) -> None:
    """Regression: --limit 0 or -3 listed one event and --entity foo or an unknown --kind an
    empty list, all with exit 0 and no word."""
    data = tmp_path / "data"
    run(data, "admin", "init", HUIQI_ADMIN_USERNAME="root", HUIQI_ADMIN_PASSWORD=PASSWORD)
    run(data, "login", "root", HUIQI_PASSWORD=PASSWORD)
    for limit in ("0", "-3"):
        code, out = run(data, "audit", "log", "--limit", limit)
        assert code == 2 and "is not in the range 1<=x<=10000" in out, out
    code, out = run(data, "audit", "log", "--entity", "foo")
    assert code == 2 and "write <kind>:<id>, e.g. grant:12" in " ".join(out.split()), out
    code, out = run(data, "audit", "log", "--kind", "bogus_kind")
    assert code == 0 and "no event of kind 'bogus_kind'; the log holds: " in out, out
    assert "admin_init" in out


def test_the_role_help_names_every_role() -> None:
    """Regression (QA): 'huiqi user add --help' and 'user change --help' listed every role
    but complaint_officer, the role of docs/complaints.md's officers."""
    from huiqi.accounts.roles import Role
    from huiqi.cli.accounts import ROLE_HELP

    named = set(ROLE_HELP.replace("|", " ").replace("=", " ").replace(",", " ").split())
    assert {r.value for r in Role} <= named, {r.value for r in Role} - named


def test_token_list_of_a_user_that_does_not_exist_says_so(tmp_path: Path) -> None:
    """Regression (QA): 'huiqi token list --user nosuch' printed an empty table and exited
    0, as for a user without tokens; 'token create --user nosuch' said 'no user'."""
    data = tmp_path / "data"
    admin = accounts(data)["admin"]
    code, out = run(data, "token", "list", "--user", "nosuch", token=admin)
    assert code == 3 and "no user 'nosuch'" in out, out


def test_login_reads_the_password_file_and_names_the_setting_when_it_cannot(
    tmp_path: Path,
) -> None:
    """Regression: HUIQI_PASSWORD_FILE naming no file said only "error: /path: No such
    file or directory", naming no setting; an empty file asked for the password instead."""
    data = tmp_path / "data"
    accounts(data)  # admin, officer, … with cliutil's password
    from cliutil import PASSWORD as ACCOUNT_PASSWORD

    secret = tmp_path / "pw"
    secret.write_text(ACCOUNT_PASSWORD + "\n", encoding="utf-8")
    code, out = run(data, "login", "officer", HUIQI_PASSWORD_FILE=str(secret))
    assert code == 0 and "signed in as officer" in out, out
    missing = tmp_path / "nosuch"
    code, out = run(data, "login", "officer", HUIQI_PASSWORD_FILE=str(missing))
    assert code == 1, out
    assert f"HUIQI_PASSWORD_FILE={missing} cannot be read" in " ".join(out.split())
    empty = tmp_path / "empty"
    empty.write_text("", encoding="utf-8")
    code, out = run(data, "login", "officer", HUIQI_PASSWORD_FILE=str(empty))
    assert code == 1 and f"HUIQI_PASSWORD_FILE={empty} is empty" in " ".join(out.split()), out


def test_disabling_or_enabling_twice_says_nothing_changed(tmp_path: Path) -> None:
    """Regression (QA, README walk-through): a second 'user disable' said 'user cfo
    disabled' again and recorded a second audit event, as if it had done something."""
    data = tmp_path / "data"
    run(data, "admin", "init", HUIQI_ADMIN_USERNAME="root", HUIQI_ADMIN_PASSWORD=PASSWORD)
    run(data, "login", "root", HUIQI_PASSWORD=PASSWORD)
    assert run(data, "user", "add", "cfo", "--role", "finance_officer", "--no-password")[0] == 0
    assert run(data, "user", "disable", "cfo") == (0, "user cfo disabled\n")
    assert run(data, "user", "disable", "cfo") == (
        0,
        "user cfo was already disabled; nothing changed\n",
    )
    assert run(data, "user", "enable", "cfo") == (0, "user cfo enabled\n")
    assert (
        run(data, "user", "enable", "cfo")[1] == "user cfo was already enabled; nothing changed\n"
    )
    code, out = run(data, "audit", "log", "--json")
    about = [e["kind"] for e in json.loads(out) if e["kind"] in ("user_disabled", "user_enabled")]
    assert about == ["user_enabled", "user_disabled"], out
    code, out = run(data, "user", "enable", "nosuch")
    assert code == 3 and "no user 'nosuch'" in out


def test_changing_a_user_to_what_it_is_says_so(tmp_path: Path) -> None:
    """Regression (QA, README walk-through): 'user change li.wei --add-role R' with R held
    already said "nothing to change; give --add-role, …", though --add-role was given; with
    no option at all it exited 1, not as wrong usage, and did not name --name."""
    data = tmp_path / "data"
    run(data, "admin", "init", HUIQI_ADMIN_USERNAME="root", HUIQI_ADMIN_PASSWORD=PASSWORD)
    run(data, "login", "root", HUIQI_PASSWORD=PASSWORD)
    assert run(data, "user", "add", "li", "--role", "data_steward", "--no-password")[0] == 0
    code, out = run(data, "user", "change", "li", "--add-role", "data_steward")
    assert (code, out) == (1, "error: 'li' already holds data_steward; nothing changed\n")
    code, out = run(data, "user", "change", "li")
    assert code == 2 and "nothing to change; give --add-role" in out and "--name" in out, out
    code, out = run(data, "user", "change", "li", "--add-role", "finance_officer")
    assert code == 0 and "data_steward, finance_officer" in out, out


def test_a_second_active_token_of_one_name_names_the_first(tmp_path: Path) -> None:
    """QA: 'token create cron' twice made two active tokens named cron, and nothing said so,
    so the README's 'revoke the id on cron's row' was ambiguous. Both are kept (a new token
    is made before the old one is revoked), and the second says which to revoke."""
    data = tmp_path / "data"
    run(data, "admin", "init", HUIQI_ADMIN_USERNAME="root", HUIQI_ADMIN_PASSWORD=PASSWORD)
    run(data, "login", "root", HUIQI_PASSWORD=PASSWORD)
    result = CliRunner().invoke(
        cli,
        ["--data-dir", str(data), "token", "create", "cron", "--user", "scheduler"],
        env={"HUIQI_CONFIG_DIR": str(data / ".config")},
    )
    assert result.exit_code == 0 and "note:" not in result.output, result.output
    first = json.loads(run(data, "token", "list", "--user", "scheduler", "--json")[1])[0]["id"]
    result = CliRunner().invoke(
        cli,
        ["--data-dir", str(data), "token", "create", "cron", "--user", "scheduler"],
        env={"HUIQI_CONFIG_DIR": str(data / ".config")},
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.split()[-1].startswith("hq_"), result.stdout  # the secret stays last
    assert f"token {first} named 'cron' is still active" in result.stderr, result.stderr
    assert f"'huiqi token revoke {first}'" in result.stderr
    second = max(
        t["id"] for t in json.loads(run(data, "token", "list", "--user", "scheduler", "--json")[1])
    )
    run(data, "token", "revoke", str(first))
    result = CliRunner().invoke(
        cli,
        ["--data-dir", str(data), "token", "create", "cron", "--user", "scheduler"],
        env={"HUIQI_CONFIG_DIR": str(data / ".config")},
    )
    # A revoked namesake is no matter: only the second, still active, is named.
    assert f"token {second} named 'cron' is still active" in result.stderr, result.stderr
