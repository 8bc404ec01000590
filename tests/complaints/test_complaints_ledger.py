"""Complaints stored and reloaded in bulk (ledger.py, transfer.py), on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import (
    BigInteger,
    Column,
    Date,
    Integer,
    String,
    bindparam,
    insert,
    select,
    update,
)
from sqlalchemy.orm import Session, sessionmaker

from huiqi.accounts.access import Actor
from huiqi.complaints import intake, ledger, service, transfer
from huiqi.complaints.export import write_stream
from huiqi.complaints.models import Complainant, Complaint
from huiqi.complaints.reading import read_complaints
from huiqi.complaints.synth import Scenario, generate
from huiqi.config import get_settings
from huiqi.db.engine import transaction
from huiqi.profiles.persons import person_key

OFFICER = Actor.of("officer", "complaint_officer")


def _split(path: Path, folder: Path, first: slice, second: slice) -> tuple[Path, Path]:
    """Two exports made of rows of ``path`` (they may share rows)."""
    with path.open(encoding="utf-8", newline="") as fh:
        header, *rows = list(csv.reader(fh))
    out = []
    for name, part in (("a.csv", first), ("b.csv", second)):
        target = folder / name
        with target.open("w", encoding="utf-8", newline="") as fh:
            csv.writer(fh).writerows([header, *rows[part]])
        out.append(target)
    return out[0], out[1]


def test_overlapping_exports_store_each_complaint_and_complainant_once(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    stream = generate(Scenario(complaints=900, seed=11))
    full, _ = write_stream(stream, tmp_path / "export")
    # The first import matches its complainants' ids in Arrow, the second (small
    # beside what is held) looks each one up in SQL: both ways are checked.
    a, b = _split(full, tmp_path, slice(0, 850), slice(800, None))
    total = stream.complaints.num_rows
    settings = get_settings(tmp_path / "data")
    with transaction(sessions) as s:
        first = intake.import_complaints(settings, s, actor=OFFICER, path=a)
    with transaction(sessions) as s:
        second = intake.import_complaints(settings, s, actor=OFFICER, path=b)
    assert (first.stored, first.already_held) == (850, 0)
    assert (second.stored, second.already_held) == (total - 850, 50)
    read = read_complaints(full, person_key(settings)).complaints
    expected = dict(
        zip(read.column("ref").to_pylist(), read.column("id_number_hash").to_pylist(), strict=True)
    )
    with transaction(sessions) as s:
        stored = dict(
            s.execute(
                select(Complaint.ref, Complainant.id_hash).join(
                    Complainant, Complainant.id == Complaint.complainant_id
                )
            ).all()
        )
        people = s.scalars(select(Complainant.id_hash)).all()
    # Every complaint once, under the complainant its file names; no complainant twice.
    assert stored == expected
    assert sorted(people) == sorted(set(expected.values()))


def test_answer_groups_are_stored_where_they_group_and_repaired_by_the_next_run(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    stream = generate(Scenario(complaints=2_000, seed=4))
    path, _ = write_stream(stream, tmp_path / "export")
    settings = get_settings(tmp_path / "data")
    with transaction(sessions) as s:
        intake.import_complaints(settings, s, actor=OFFICER, path=path)
        _, detection = ledger.run_detection(s, run_by="officer")
    groups = dict(
        zip(
            detection.complaints.column("ref").to_pylist(),
            detection.complaints.column("answer_group").to_pylist(),
            strict=True,
        )
    )
    # NULL: the complaint answers for itself (alone, or the first of its group).
    wanted = {ref: None if group == ref else group for ref, group in groups.items()}
    grouped = [ref for ref, group in wanted.items() if group is not None]
    alone = [ref for ref, group in wanted.items() if group is None]
    assert grouped and alone

    def held(s: Session) -> dict[str, str | None]:
        return dict(s.execute(select(Complaint.ref, Complaint.answer_group)).all())

    with transaction(sessions) as s:
        assert held(s) == wanted
        before = service.complaint_stats(s, actor=OFFICER).answer_groups
        table = Complaint.__table__
        # A wrong group, and a self-reference as an earlier version stored it.
        s.execute(update(table).where(table.c.ref == grouped[0]).values(answer_group=alone[0]))
        s.execute(update(table).where(table.c.ref == alone[1]).values(answer_group=alone[1]))
    with transaction(sessions) as s:
        ledger.run_detection(s, run_by="officer")
    with transaction(sessions) as s:
        assert held(s) == wanted
        assert service.complaint_stats(s, actor=OFFICER).answer_groups == before


# What a decoded export can hold: any character but NUL and lone surrogates.
texts = st.one_of(
    st.none(),
    st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=40),
)


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    rows=st.lists(
        st.tuples(
            texts,
            st.one_of(st.none(), st.integers(-(2**62), 2**62)),
            st.one_of(st.none(), st.dates(dt.date(1900, 1, 1), dt.date(2999, 12, 31))),
        ),
        max_size=30,
    )
)
def test_rows_come_back_as_they_went_in(
    sessions: sessionmaker[Session], rows: list[tuple[str | None, int | None, dt.date | None]]
) -> None:
    # Texts with quotes, commas, line breaks, "NULL" or nothing at all; empty is not NULL.
    table = pa.table(
        {
            "id": pa.array(range(len(rows)), pa.int64()),
            "t": pa.array([r[0] for r in rows], pa.string()),
            "n": pa.array([r[1] for r in rows], pa.int64()),
            "d": pa.array([r[2] for r in rows], pa.date32()),
        }
    )
    target = transfer.temporary(
        "_roundtrip", Column("id", Integer), Column("t", String), Column("n", BigInteger),
        Column("d", Date),
    )  # fmt: skip
    with transaction(sessions) as s:
        conn = s.connection()
        target.create(conn)
        if transfer.is_postgres(conn):
            transfer.copy_in(conn, target, table)
        else:
            as_text = table.set_column(3, "d", table.column("d").cast(pa.string()))
            stmt = insert(target).values({c: bindparam(c) for c in ("id", "t", "n", "d")})
            assert transfer.execute_rows(conn, stmt, as_text) == len(rows)
        back = transfer.read_rows(
            conn,
            select(target).order_by(target.c.id),
            {"id": pa.int64(), "t": pa.string(), "n": pa.int64(), "d": pa.date32()},
        )
        target.drop(conn)
    assert back.to_pylist() == table.to_pylist()


def test_an_empty_ledger_reloads_as_an_empty_table(sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as s:
        held = ledger.held_complaints(s)
    assert held.num_rows == 0 and held.schema.names == list(ledger.HELD)


def test_a_failing_row_rolls_the_whole_import_back(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    """Nothing half-stored: a constraint failing inside the bulk insert undoes the import."""
    stream = generate(Scenario(complaints=300, seed=2))
    path, _ = write_stream(stream, tmp_path / "export")
    read = read_complaints(path, b"k" * 32).complaints
    amounts = read.column("amount_fen").to_pylist()
    amounts[-1] = -1  # the table's check refuses it
    broken = read.set_column(
        read.schema.get_field_index("amount_fen"), "amount_fen", pa.array(amounts, pa.int64())
    )
    with pytest.raises(Exception, match=r"(?i)check|constraint"), transaction(sessions) as s:
        ledger.store_complaints(s, broken, imported_by="officer")
    with transaction(sessions) as s:
        assert s.scalar(select(Complaint.id).limit(1)) is None
        assert s.scalar(select(Complainant.id).limit(1)) is None
