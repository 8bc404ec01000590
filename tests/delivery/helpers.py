"""Builders for delivery reliability tests: a profile store with N enterprises and tiny policies.

``build_store`` writes enterprises straight into the DuckDB profile store (through an Arrow
table, so 100,000 enterprises take well under a second) and freezes a snapshot;
``policy_yaml`` writes a minimal valid policy whose amount is a multiple of the
enterprise's insured employees, so a test controls every amount from the data.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Mapping
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import NullPool

from huiqi.config import Settings, get_settings
from huiqi.db.engine import make_engine
from huiqi.delivery.models import Grant, PolicyVersion
from huiqi.profiles.store import ProfileStore
from huiqi.profiles.uscc import make

DATA_YEAR = 2025


def uscc(i: int) -> str:
    """A valid USCC for enterprise number ``i`` (digits only in the body, so always legal)."""
    return make(f"91310115MA{i:07d}")


def build_store(
    data_dir: Path,
    employees: Mapping[str, int],
    *,
    year: int = DATA_YEAR,
    districts: bool = False,
    revenue: Mapping[str, Decimal | None] | None = None,
    static: Mapping[str, Mapping[str, int]] | None = None,
) -> tuple[Settings, int]:
    """Write a new snapshot holding exactly ``employees`` (USCC → insured employees);
    ``districts``: with each enterprise's registered district (its USCC's characters 3–8);
    ``revenue``: with each enterprise's revenue of the year in yuan (None: not known);
    ``static``: more whole-number static fields, field → USCC → value (founder_age).

    Called again on the same directory, it replaces the data and freezes the next
    snapshot, which is how a test makes an enterprise lose eligibility.
    """
    settings = get_settings(data_dir)
    store = ProfileStore(settings)
    store.init()
    codes = list(employees)
    with store.connect() as con:
        sid = store.begin_snapshot(con, kind="test")
        con.execute("DELETE FROM enterprise_years")
        con.execute("DELETE FROM enterprises")
        table = pa.table(
            {
                "uscc": pa.array(codes, pa.string()),
                "name": pa.array([f"测试企业{c[-6:]}" for c in codes], pa.string()),
                "updated_snapshot": pa.array([sid] * len(codes), pa.int32()),
            }
        )
        if districts:
            table = table.append_column("district_code", pa.array([c[2:8] for c in codes]))
        for name, values in (static or {}).items():
            table = table.append_column(name, pa.array([values.get(c) for c in codes], pa.int64()))
        yearly = pa.table(
            {
                "uscc": pa.array(codes, pa.string()),
                "year": pa.array([year] * len(codes), pa.int32()),
                "insured_employees": pa.array([employees[c] for c in codes], pa.int64()),
                "updated_snapshot": pa.array([sid] * len(codes), pa.int32()),
            }
        )
        if revenue is not None:
            money = pa.decimal128(18, 2)
            yearly = yearly.append_column(
                "revenue", pa.array([revenue.get(c) for c in codes], money)
            )
        con.register("_static", table)
        con.register("_yearly", yearly)
        con.execute("INSERT INTO enterprises BY NAME SELECT * FROM _static")
        con.execute("INSERT INTO enterprise_years BY NAME SELECT * FROM _yearly")
        con.unregister("_static")
        con.unregister("_yearly")
        n = len(codes)
        store.finish_snapshot(con, sid, rows_read=n, rows_accepted=n, rows_rejected=0)
    return settings, sid


def numbered_store(data_dir: Path, n: int, *, employees: int = 3) -> tuple[Settings, int]:
    """A store with ``n`` enterprises; enterprise i has ``1 + (i * 7) % employees`` insured."""
    return build_store(data_dir, {uscc(i): 1 + (i * 7) % employees for i in range(n)})


def policy_yaml(
    policy_id: str,
    *,
    delivery: str = "auto",
    per_person: int = 1000,
    formula: str | None = None,
    version: int = 1,
    budget: int | None = None,
    budget_mode: str = "first_come",
    cap: int | None = None,
    cap_group: str | None = None,
    exclusivity_group: str | None = None,
    valid_from: dt.date = dt.date(2026, 1, 1),
    valid_to: dt.date = dt.date(2026, 12, 31),
    city: bool = False,
) -> str:
    """A minimal policy: eligible when insured_employees > 0; by default ``per_person`` yuan per
    insured person, or any amount ``formula`` over the profile. A Pudong policy, or with
    ``city`` the city's, for enterprises of every district."""
    lines = [
        f"id: {policy_id}",
        f"version: {version}",
        f"title: {{zh: 测试政策{policy_id}, en: Test policy {policy_id}}}",
        "department: {zh: 测试局, en: Test bureau}",
        "level: city" if city else "level: district",
        'region: "310000"' if city else 'region: "310115"',
        "source: {document: 测试文件}",
        f"valid_from: {valid_from.isoformat()}",
        f"valid_to: {valid_to.isoformat()}",
        f"delivery: {delivery}",
        f"data_year: {DATA_YEAR}",
        "criteria:",
        "  - id: insured",
        "    label: {zh: 参保, en: Insures staff}",
        "    expr: insured_employees > 0",
    ]
    if not city:
        # A district policy keeps to its district (engine.district_reach). The test stores
        # record no district unless asked (build_store): none recorded counts as Pudong's.
        lines += [
            "  - id: district",
            "    label: {zh: 浦东新区企业, en: Registered in Pudong}",
            "    expr: COALESCE(district_code, '310115') = '310115'",
        ]
    lines += [
        "amount:",
        f'  formula: "{formula or f"insured_employees * {per_person}"}"',
    ]
    if budget is not None:
        lines += [f"budget: {budget}", f"budget_mode: {budget_mode}"]
    if cap is not None:
        lines.append(f"per_enterprise_cap: {cap}")
    if cap_group is not None:
        lines.append(f"cap_group: {cap_group}")
    if exclusivity_group is not None:
        lines.append(f"exclusivity_group: {exclusivity_group}")
    return "\n".join(lines) + "\n"


def engine_url(engine: Engine) -> str:
    """The engine's URL with its password, to hand to another process."""
    return engine.url.render_as_string(hide_password=False)


def wide_engine(engine: Engine, clients: int) -> Engine:
    """An engine on the same database where each concurrent client really has its own connection.

    SQLite gets no pool (a new connection per session). PostgreSQL gets a pool of up to 50
    connections: the server's default ``max_connections`` is 100 and CI runs two test
    workers at once, so more clients than that queue for a connection.
    """
    url = engine_url(engine)
    if engine.dialect.name == "sqlite":
        return make_engine(url, poolclass=NullPool)
    return make_engine(url, pool_size=min(clients, 50), max_overflow=0, pool_timeout=120)


def grant_set(factory: sessionmaker[Session], pv_id: int) -> set[tuple[str, int]]:
    """(USCC, amount in fen) of every grant of one version."""
    with factory() as s:
        rows = s.execute(
            select(Grant.uscc, Grant.amount_fen).where(Grant.policy_version_id == pv_id)
        ).all()
    return {(u, a) for u, a in rows}


def committed(factory: sessionmaker[Session], pv_id: int) -> int:
    with factory() as s:
        return s.scalar(select(PolicyVersion.committed_fen).where(PolicyVersion.id == pv_id)) or 0


def grant_count(factory: sessionmaker[Session]) -> int:
    with factory() as s:
        return s.scalar(select(func.count()).select_from(Grant)) or 0


def race(workers: int, work: Callable[[int], None]) -> None:
    """Run ``work(0..workers-1)`` in threads released together; re-raise what any raised."""
    gate = threading.Barrier(workers)
    errors: list[BaseException] = []

    def run(i: int) -> None:
        try:
            gate.wait()
            work(i)
        except BaseException as err:  # surfaced below
            errors.append(err)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
