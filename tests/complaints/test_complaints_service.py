"""The complaint ledger and its service functions, on SQLite and PostgreSQL."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from huiqi.accounts.access import AccessDenied, Actor
from huiqi.complaints import intake, service
from huiqi.complaints.export import write_stream
from huiqi.complaints.models import Complainant, ComplainantScore, Complaint, DetectionRun
from huiqi.complaints.synth import Scenario, generate
from huiqi.config import get_settings
from huiqi.db.engine import transaction
from huiqi.delivery.models import Event
from huiqi.errors import ImportFileError

OFFICER = Actor.of("officer", "complaint_officer")
STEWARD = Actor.of("steward", "data_steward")


@pytest.fixture
def export(tmp_path: Path) -> tuple[Path, int]:
    stream = generate(Scenario(complaints=2_500, seed=3))
    path, _ = write_stream(stream, tmp_path / "export", encoding="gbk")
    return path, stream.complaints.num_rows


def test_import_detect_review_decide(
    sessions: sessionmaker[Session], tmp_path: Path, export: tuple[Path, int]
) -> None:
    settings = get_settings(tmp_path / "data")
    path, rows = export
    with transaction(sessions) as s:
        report = intake.import_complaints(settings, s, actor=STEWARD, path=path)
    assert (report.rows, report.stored, report.already_held, report.rejects) == (rows, rows, 0, [])
    with transaction(sessions) as s:
        again = intake.import_complaints(settings, s, actor=OFFICER, path=path)
        assert (again.stored, again.already_held) == (0, rows)
        # No clear identity value is stored anywhere: only hashes and masks.
        c = s.scalars(select(Complaint).limit(1)).one()
        assert "*" in (c.phone_masked or "*") and len(c.phone_hash or "x" * 32) == 32
        assert all("*" in m for m in s.scalars(select(Complainant.id_masked)))
    with transaction(sessions) as s:
        run = service.detect_complaints(s, actor=OFFICER)
    assert run.complaints == rows and run.flagged > 0
    with transaction(sessions) as s:
        queue = service.review_queue(s, actor=OFFICER, limit=1000)
    assert len(queue) == run.flagged
    assert [q.score for q in queue] == sorted((q.score for q in queue), reverse=True)
    first = queue[0]
    assert first.evidence and first.evidence["complaints"] and "*" in first.id_masked
    with transaction(sessions) as s:
        decided = service.decide_complainant(
            s,
            actor=OFFICER,
            complainant_id=first.complainant_id,
            professional=True,
            reason="同一模板向三十余家企业索要十倍赔偿",
        )
        service.decide_complainant(
            s,
            actor=OFFICER,
            complainant_id=queue[1].complainant_id,
            professional=False,
            reason="确有质量问题",
        )
    assert decided.decision == "professional"
    with transaction(sessions) as s:
        after = service.review_queue(s, actor=OFFICER, limit=1000)
        stats = service.complaint_stats(s, actor=OFFICER)
        kinds = set(s.scalars(select(Event.kind)))
    assert len(after) == len(queue) - 2
    assert (stats.professional, stats.not_professional, stats.pending) == (1, 1, len(queue) - 2)
    assert stats.confirmation_rate == 0.5 and stats.complaints_by_professionals > 0
    assert stats.complaints == rows and 0 < stats.answer_groups < rows
    assert {
        "complaints_imported",
        "complaints_detected",
        "complainant_professional",
        "complainant_not_professional",
    } <= kinds


def test_an_enterprise_sees_its_complaints_without_identities(
    sessions: sessionmaker[Session], tmp_path: Path, export: tuple[Path, int]
) -> None:
    settings = get_settings(tmp_path / "data")
    with transaction(sessions) as s:
        intake.import_complaints(settings, s, actor=OFFICER, path=export[0])
        service.detect_complaints(s, actor=OFFICER)
        uscc = s.scalars(select(Complaint.uscc).limit(1)).one()
    enterprise = Actor.of("ent", f"enterprise={uscc}")
    with transaction(sessions) as s:
        seen = service.enterprise_complaints(s, actor=enterprise, uscc=uscc)
    assert seen and sum(len(g.refs) for g in seen) >= len(seen)
    names = {f.name for f in dataclasses.fields(service.EnterpriseComplaint)}
    assert not names & {"complainant_id", "id_masked", "name_masked", "phone_masked"}
    with transaction(sessions) as s, pytest.raises(AccessDenied):
        service.review_queue(s, actor=enterprise)
    with transaction(sessions) as s, pytest.raises(AccessDenied):
        service.decide_complainant(
            s, actor=enterprise, complainant_id=1, professional=True, reason="x"
        )
    with transaction(sessions) as s, pytest.raises(AccessDenied):
        intake.import_complaints(settings, s, actor=enterprise, path=export[0])


def test_a_decision_needs_a_reason(sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as s, pytest.raises(service.ComplaintError, match="reason"):
        service.decide_complainant(
            s, actor=OFFICER, complainant_id=1, professional=True, reason=" "
        )


def test_an_uploaded_export_is_imported_as_a_file_is(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    """``import_uploaded_complaints`` (the API's): the bytes of a GBK export, its bad rows
    reported by line, its good ones stored; an unreadable file names itself, never the
    scratch folder; only complaint officers and data stewards."""
    settings = get_settings(tmp_path / "data")
    stream = generate(Scenario(complaints=300, seed=5))
    path, _ = write_stream(stream, tmp_path / "export", encoding="gbk")
    lines = path.read_bytes().split(b"\n")
    lines[2] = lines[2].replace(b",", b";", 3)  # line 3: too few cells
    content = b"\n".join(lines)
    with transaction(sessions) as s:
        report = intake.import_uploaded_complaints(
            settings, s, actor=OFFICER, filename="投诉.csv", content=content
        )
    assert [r["line"] for r in report.rejects] == [3]
    assert report.stored == report.rows - 1 == stream.complaints.num_rows - 1
    with transaction(sessions) as s, pytest.raises(ImportFileError) as refused:
        intake.import_uploaded_complaints(
            settings, s, actor=STEWARD, filename="x.xlsx", content=b"not a workbook"
        )
    assert "x.xlsx" in str(refused.value) and "huiqi-complaints-upload" not in str(refused.value)
    with transaction(sessions) as s, pytest.raises(AccessDenied):
        intake.import_uploaded_complaints(
            settings, s, actor=Actor.of("desk", "desk_officer=*"), filename="c.csv", content=content
        )


def test_an_enterprise_sees_every_complaint_number_of_each_group_it_answers(
    sessions: sessionmaker[Session],
) -> None:
    """Regression: the enterprise's view read at most 20 complaints per group asked for, so
    a ring's group of 25 near-identical complaints listed 20 numbers: the enterprise
    answered the group without knowing five of the complaints it answered for."""
    import datetime as dt

    from huiqi.profiles.uscc import make

    uscc = make("91310115MA1000009")
    with transaction(sessions) as s:
        who = Complainant(id_hash="h" * 32, id_masked="3101**********1234")
        s.add(who)
        s.flush()
        for i in range(25):
            s.add(
                Complaint(
                    ref=f"R{i:03d}",
                    complainant_id=who.id,
                    uscc=uscc,
                    text="十倍赔偿",
                    filed_on=dt.date(2026, 3, 1) + dt.timedelta(days=i),
                    answer_group=None if i == 0 else "R000",
                    imported_by="officer",
                )
            )
        s.add(
            Complaint(
                ref="S001", complainant_id=who.id, uscc=uscc, text="另一件",
                filed_on=dt.date(2026, 5, 1), imported_by="officer",
            )
        )  # fmt: skip
    enterprise = Actor.of("ent", f"enterprise={uscc}")
    with transaction(sessions) as s:
        [group] = service.enterprise_complaints(s, actor=enterprise, uscc=uscc, limit=1)
        both = service.enterprise_complaints(s, actor=enterprise, uscc=uscc, limit=2)
    assert group.answer_group == "R000" and group.refs == [f"R{i:03d}" for i in range(25)]
    assert [g.answer_group for g in both] == ["R000", "S001"]


def test_only_a_complainant_flagged_for_review_is_decided(
    sessions: sessionmaker[Session],
) -> None:
    """Regression: a decision on any complainant id was recorded, so a mistyped id (or a
    queue position taken for one) confirmed a complainant no run had flagged as a
    professional, and skewed the confirmation rate of the flags."""
    with transaction(sessions) as s:
        flagged, never = (Complainant(id_hash=h * 32, id_masked="3101**********1234") for h in "ab")
        s.add_all([flagged, never])
        run = DetectionRun(
            run_by="officer", complaints=2, complainants=2, flagged=1, thresholds="{}"
        )
        s.add(run)
        s.flush()
        s.add(
            ComplainantScore(
                run_id=run.id, complainant_id=flagged.id, score=80, own_score=80,
                cluster_score=0, flagged=True,
            )
        )  # fmt: skip
        ids = flagged.id, never.id
    with transaction(sessions) as s, pytest.raises(service.ComplaintError) as refused:
        service.decide_complainant(
            s, actor=OFFICER, complainant_id=ids[1], professional=True, reason="模板索赔"
        )
    assert refused.value.message == (
        f"complainant {ids[1]} has not been flagged for review: decide the complainants of"
        " the review queue (huiqi complaints queue --all; its complainant column, not a"
        " queue position)"
    )
    with transaction(sessions) as s:
        done = service.decide_complainant(
            s, actor=OFFICER, complainant_id=ids[0], professional=True, reason="模板索赔"
        )
    assert done.decision == "professional"


def _filed(ref: str, **changes: str) -> dict[str, str | None]:
    good: dict[str, str | None] = {
        "ref": ref,
        "id_number": "11010519491231002X",
        "phone": "138-1234-5678",
        "uscc": "91310115MA1H8R7C41",
        "product": "蜂蜜",
        "amount": "29.90",
        "text": "标签不符合食品安全标准，要求十倍赔偿",
        "filed_on": "2026-03-05",
    }
    return {**good, **changes}


def test_a_complaint_sent_again_with_changed_content_is_reported(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    """Regression: a complaint number sent again with another text, amount or complainant
    was counted 'already held' like an exact repeat: the change was dropped silently."""
    settings = get_settings(tmp_path / "data")
    with transaction(sessions) as s:
        first = intake.file_complaints(
            settings, s, actor=OFFICER, complaints=[_filed("R-1"), _filed("R-2"), _filed("R-3")]
        )
    assert (first.stored, first.already_held, first.changed) == (3, 0, [])
    again = [
        _filed("R-1"),  # the same: an exact repeat, not a change
        _filed("R-2", text="标签不符，要求退一赔三", amount="39.90"),
        _filed("R-4"),
        _filed("R-3", id_number="110105198001010016"),
    ]
    with transaction(sessions) as s:
        report = intake.file_complaints(settings, s, actor=OFFICER, complaints=again)
    assert (report.stored, report.already_held) == (1, 3)
    assert report.changed == [
        {"item": 1, "ref": "R-2", "fields": ["amount", "text"]},
        {"item": 3, "ref": "R-3", "fields": ["id_number"]},
    ]
    with sessions() as s:  # the complaint held is kept as it was
        held = s.scalars(select(Complaint).where(Complaint.ref == "R-2")).one()
        assert (held.text, held.amount_fen) == ("标签不符合食品安全标准，要求十倍赔偿", 2990)
        event = s.scalars(
            select(Event).where(Event.kind == "complaints_imported").order_by(Event.id.desc())
        ).first()
        assert event is not None and event.data is not None and event.data["changed"] == 2


def test_the_complaints_about_an_enterprise_are_paged_by_each_groups_first(
    sessions: sessionmaker[Session],
) -> None:
    """Regression (QA): the listing took a limit and no cursor, so the groups past the first
    1000 could not be read. ``after_id`` (a group's first complaint) pages through them all,
    once each, whichever order the complaints were stored in (on both databases: the groups
    already listed are left out by a subquery)."""
    import datetime as dt

    from huiqi.profiles.uscc import make

    uscc = make("91310115MA1000010")
    # (ref, day of March, group): stored in an order that is not the order filed.
    stored = [("G3", 9, None), ("G1", 2, None), ("G2", 4, None), ("G1b", 5, "G1")]
    stored += [("G2b", 4, "G2"), ("G4", 4, None), ("G1c", 11, "G1"), ("G0", 1, None)]
    with transaction(sessions) as s:
        who = Complainant(id_hash="k" * 32, id_masked="3101**********1234")
        s.add(who)
        s.flush()
        for ref, day, group in stored:
            s.add(
                Complaint(
                    ref=ref, complainant_id=who.id, uscc=uscc, text=ref,
                    filed_on=dt.date(2026, 3, day), answer_group=group, imported_by="officer",
                )
            )  # fmt: skip
    enterprise = Actor.of("ent", f"enterprise={uscc}")
    with transaction(sessions) as s:
        whole = service.enterprise_complaints(s, actor=enterprise, uscc=uscc)
        paged: list[service.EnterpriseComplaint] = []
        after = None
        while page := service.enterprise_complaints(
            s, actor=enterprise, uscc=uscc, limit=2, after_id=after
        ):
            paged += page
            after = page[-1].id
    assert [g.answer_group for g in whole] == ["G0", "G1", "G2", "G4", "G3"]
    assert [g.refs for g in whole][1:3] == [["G1", "G1b", "G1c"], ["G2", "G2b"]]
    assert paged == whole
