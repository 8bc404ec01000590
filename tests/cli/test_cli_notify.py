"""`huiqi notify send`: one run tries each waiting message once."""

from __future__ import annotations

import socket
from pathlib import Path

from cliutil import accounts, run
from sqlalchemy import select

from huiqi.accounts.models import User, UserRole
from huiqi.config import get_settings
from huiqi.db.engine import open_database, transaction
from huiqi.delivery.models import Notification
from huiqi.delivery.notify import enqueue

USCC = "91310115MA1H8R7C41"


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_a_server_down_costs_each_message_one_attempt_per_run(tmp_path: Path) -> None:
    # Regression: the command drained the outbox by calling the sender until nothing was
    # claimed, so a row put back to pending was claimed again at once and a server that
    # was down (or a TLS setting to fix) used up all five attempts of every message in
    # one run and failed them for good.
    data = tmp_path / "data"
    tokens = accounts(data)
    factory = open_database(get_settings(data))
    with transaction(factory) as s:
        user = User(username="cfo", email="cfo@corp.example")
        user.roles = [UserRole(role="enterprise", scope=USCC)]
        s.add(user)
        for n in range(3):
            enqueue(
                s, uscc=USCC, kind="granted", subject="您已获得补贴", body="正文",
                dedupe_key=f"grant:{n}", channels=["email"],
            )  # fmt: skip
    env = {
        "HUIQI_SMTP_HOST": "127.0.0.1",
        "HUIQI_SMTP_PORT": str(closed_port()),
        "HUIQI_SMTP_FROM": "noreply@huiqi.example",
        "HUIQI_SMTP_TLS": "none",
    }
    code, out = run(data, "notify", "send", token=tokens["scheduler"], **env)
    assert code == 0, out
    assert "claimed 3, sent 0, retrying 3, failed 0" in out
    with factory() as s:
        rows = s.execute(
            select(Notification.status, Notification.attempts).where(
                Notification.channel == "email"
            )
        ).all()
    assert sorted(rows) == [("pending", 1)] * 3
    code, out = run(data, "notify", "send", token=tokens["scheduler"], **env)
    assert "claimed 3, sent 0, retrying 3, failed 0" in out
