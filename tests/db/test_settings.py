"""Database settings: the password never on a command line nor in a message; pool sizes."""

from __future__ import annotations

from pathlib import Path

import pytest

from huiqi.config import get_settings
from huiqi.db.engine import database_url, make_engine, open_database, shown
from huiqi.db.settings import pool_options
from huiqi.errors import ConfigError, DatabaseUnavailable

SECRET = "p@ss:w/rd'1"


def test_password_file_fills_a_url_without_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = tmp_path / "db-password"
    secret.write_text(SECRET + "\n", encoding="utf-8")
    monkeypatch.setenv("HUIQI_DATABASE_PASSWORD_FILE", str(secret))
    url = database_url(get_settings(tmp_path), "postgresql://huiqi@db.example:5432/huiqi")
    assert url.password == SECRET  # special characters survive: no string pasting
    assert (url.drivername, url.host, url.database) == ("postgresql+psycopg", "db.example", "huiqi")
    assert SECRET not in shown(url) and "***" in shown(url)
    assert SECRET not in repr(make_engine(url))


def test_password_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HUIQI_DATABASE_PASSWORD", SECRET)
    monkeypatch.setenv("HUIQI_DATABASE_URL", "postgresql://huiqi@db.example/huiqi")
    assert database_url(get_settings(tmp_path)).password == SECRET
    # SQLite has no password: the setting is not needed there.
    monkeypatch.delenv("HUIQI_DATABASE_URL")
    assert database_url(get_settings(tmp_path)).get_backend_name() == "sqlite"


@pytest.mark.parametrize(
    ("env", "message"),
    [
        (
            {"HUIQI_DATABASE_PASSWORD": "a", "HUIQI_DATABASE_PASSWORD_FILE": "/x"},
            "both HUIQI_DATABASE_PASSWORD and HUIQI_DATABASE_PASSWORD_FILE are set",
        ),
        (
            {"HUIQI_DATABASE_PASSWORD_FILE": "/nonexistent/pw"},
            "HUIQI_DATABASE_PASSWORD_FILE=/nonexistent/pw cannot be read",
        ),
    ],
)
def test_bad_password_settings_are_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, env: dict[str, str], message: str
) -> None:
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    with pytest.raises(ConfigError) as err:
        database_url(get_settings(tmp_path), "postgresql://huiqi@h/huiqi")
    assert message in str(err.value)


def test_a_url_with_its_own_password_and_the_setting_is_refused_without_showing_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HUIQI_DATABASE_PASSWORD", "other")
    with pytest.raises(ConfigError, match="remove the password from the URL") as err:
        database_url(get_settings(tmp_path), "postgresql://huiqi:hunter2@h/huiqi")
    assert "hunter2" not in str(err.value)


@pytest.mark.parametrize("url", [f"not a url {SECRET}", f"postgresql://huiqi:{SECRET}@h/huiqi"])
def test_unparsable_url_is_not_echoed(tmp_path: Path, url: str) -> None:
    with pytest.raises(ConfigError, match="cannot be parsed") as err:
        database_url(get_settings(tmp_path), url)
    assert "w/rd" not in str(err.value)


def test_unreachable_server_error_hides_the_password(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HUIQI_DATABASE_PASSWORD", SECRET)
    monkeypatch.setenv("HUIQI_DB_POOL_TIMEOUT", "1")
    with pytest.raises(DatabaseUnavailable) as err:
        # Port 1 on this host: refused at once.
        open_database(get_settings(tmp_path), "postgresql://huiqi@127.0.0.1:1/huiqi")
    message = str(err.value)
    assert SECRET not in message and "huiqi:***@127.0.0.1:1/huiqi" in message
    assert "\n" not in message


def test_pool_defaults_are_small_and_settable() -> None:
    assert pool_options({}) == {"pool_size": 5, "max_overflow": 5, "pool_timeout": 10.0}
    assert pool_options(
        {"HUIQI_DB_POOL_SIZE": "2", "HUIQI_DB_MAX_OVERFLOW": "0", "HUIQI_DB_POOL_TIMEOUT": "0.5"}
    ) == {"pool_size": 2, "max_overflow": 0, "pool_timeout": 0.5}
    engine = make_engine("postgresql://huiqi@127.0.0.1:1/huiqi")
    assert (engine.pool.size(), engine.pool._max_overflow) == (5, 5)  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "env",
    [
        {"HUIQI_DB_POOL_SIZE": "0"},
        {"HUIQI_DB_POOL_SIZE": "many"},
        {"HUIQI_DB_MAX_OVERFLOW": "-1"},
        {"HUIQI_DB_MAX_OVERFLOW": "1.5"},
        {"HUIQI_DB_POOL_TIMEOUT": "-2"},
    ],
)
def test_bad_pool_settings_are_refused(env: dict[str, str]) -> None:
    with pytest.raises(ConfigError, match="HUIQI_DB_"):
        pool_options(env)


@pytest.mark.parametrize(
    ("url", "scheme"),
    [
        ("mysql://huiqi:hunter2@db/huiqi", "mysql"),
        ("postgresq://huiqi@db/huiqi", "postgresq"),  # a typo
        ("postgresql+psycopg2://huiqi@db/huiqi", "postgresql+psycopg2"),
        ("postgresql+asyncpg://huiqi@db/huiqi", "postgresql+asyncpg"),
    ],
)
def test_a_database_huiqi_does_not_run_on_is_refused_by_its_scheme(
    tmp_path: Path, url: str, scheme: str
) -> None:
    # Regression: these ended in a traceback (NoSuchModuleError, or MySQLdb / psycopg2 /
    # asyncpg not installed) from deep inside SQLAlchemy.
    with pytest.raises(ConfigError, match="PostgreSQL or SQLite only") as err:
        database_url(get_settings(tmp_path), url)
    assert f"'{scheme}://'" in str(err.value)
    assert "hunter2" not in str(err.value)


@pytest.mark.parametrize(
    "url", ["postgres://huiqi@db/huiqi", "sqlite:////tmp/huiqi.db", "sqlite+pysqlite:///x.db"]
)
def test_the_urls_huiqi_runs_on_are_accepted(tmp_path: Path, url: str) -> None:
    assert database_url(get_settings(tmp_path), url).get_backend_name() in ("postgresql", "sqlite")
