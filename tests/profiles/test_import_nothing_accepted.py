"""An import through the service that accepts no row: recorded in the audit log by its
report's folder, not by a snapshot, and the ledger's directory is not asked to follow
a snapshot that was never made (regression, QA: every such import made a snapshot)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from huiqi.accounts.access import Actor
from huiqi.accounts.roles import Role, RoleGrant
from huiqi.config import Settings
from huiqi.db.engine import transaction
from huiqi.delivery.models import Event
from huiqi.profiles.service import import_files
from huiqi.profiles.store import ProfileStore


def test_an_import_with_no_row_accepted_is_audited_without_a_snapshot(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    settings = Settings(tmp_path / "data")
    path = tmp_path / "park.csv"
    path.write_text(
        "统一社会信用代码,所在园区楼宇\n91310115MA1H8R7C40,张江测试园\n", encoding="utf-8"
    )
    steward = Actor("steward", (RoleGrant(Role.DATA_STEWARD),))
    with transaction(sessions) as s:
        (report,) = import_files(settings, s, actor=steward, files=[path], mapping="park")
    assert (report.rows_accepted, report.rows_rejected, report.snapshot_id) == (0, 1, None)
    with sessions() as s:
        event = s.scalars(select(Event).where(Event.kind == "data_import")).one()
    assert event.entity == f"import:{report.report_path.parent.name}"
    assert (event.reason or "").startswith("Nothing imported from park.csv")
    assert ProfileStore(settings).snapshots() == []
