"""The access matrix: every public service function × every role × own / other scope.

One table says, for each operation, which roles may call it in their own scope
(``own``: the enterprise A, A's park, the district of A's policies) and outside
it (``other``: enterprise B, B's park, another district). Every cell is tried
on SQLite and PostgreSQL: a refused cell must raise AccessDenied; an allowed cell
must get past the check (it may still fail later for another reason, which is
not an access decision). A public service function that takes an ``actor`` and
has no row here fails the test, so a new operation cannot ship unchecked.
"""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import desk_matrix
import pytest
from sqlalchemy.orm import Session, sessionmaker

from huiqi.accounts import service as accounts
from huiqi.accounts import tokens
from huiqi.accounts.access import AccessDenied, Actor
from huiqi.accounts.models import User, UserRole
from huiqi.config import Settings, get_settings
from huiqi.db.engine import transaction
from huiqi.delivery.models import (
    Application,
    Attachment,
    DirectoryEntry,
    Entitlement,
    Notification,
    PolicyVersion,
)
from huiqi.errors import HuiqiError
from huiqi.jobs import runner
from huiqi.jobs import service as jobs
from huiqi.jobs.models import Job
from huiqi.operations import operations
from huiqi.profiles.uscc import make

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "delivery"))
from factories import entitlement, grant_of, policy_version

A, B = make("91310115MA1000001"), make("91310104MA1000002")
PARK_A, PARK_B = "园区甲", "园区乙"
ROLES = (
    "enterprise",
    "park_operator",
    "policy_author",
    "policy_publisher",
    "policy_reviewer",
    "finance_officer",
    "data_steward",
    "complaint_officer",
    "scheduler",
    "admin",
    "desk_officer",
    "desk_head",
)
SCOPES = {
    "enterprise": (A, B),
    "park_operator": (PARK_A, PARK_B),
    "policy_author": ("district:310115", "district:310104"),
    "policy_publisher": ("district:310115", "district:310104"),
    "policy_reviewer": ("district:310115", "district:310104"),
    **desk_matrix.SCOPES,
}
POLICY_TEXT = """\
id: matrix-offer
version: 2
title: {zh: 矩阵测试政策, en: Matrix test policy}
department: {zh: 测试局, en: Test bureau}
level: district
region: "310115"
source: {document: 测试文件}
valid_from: 2026-01-01
valid_to: 2026-12-31
delivery: confirm
data_year: 2025
criteria:
  - id: insured
    label: {zh: 参保, en: Insures staff}
    expr: insured_employees > 0
  - id: district
    label: {zh: 浦东新区企业, en: Registered in Pudong}
    expr: COALESCE(district_code, '310115') = '310115'
amount:
  formula: "insured_employees * 1000"
"""


@dataclass
class World:
    """The ledger every call runs against, and the ids the calls need."""

    settings: Settings
    factory: sessionmaker[Session]
    offer: int
    application: int
    grant: int
    pro_rata_version: int
    confirm_version: int
    notification: int
    owner_token: int
    attachment: int
    desk: dict[str, int] = field(default_factory=dict)  # the desk's requests (desk_matrix)
    job: int = 0  # a publishing job on matrix-confirm


Call = Callable[[World, Actor], Any]


def _in_tx(fn: Callable[..., Any], **kw: Any) -> Call:
    def call(w: World, actor: Actor) -> Any:
        with transaction(w.factory) as s:
            return fn(s, actor=actor, **kw)

    return call


def _with_settings(fn: Callable[..., Any], **kw: Any) -> Call:
    """A call of ``fn(settings, session, actor=..., **kw)`` in a transaction."""

    def call(w: World, actor: Actor) -> Any:
        with transaction(w.factory) as s:
            return fn(w.settings, s, actor=actor, **kw)

    return call


def _retire_named(w: World, actor: Actor) -> Any:
    from huiqi.delivery.versions import retire_named

    with transaction(w.factory) as s:
        pv = s.get(PolicyVersion, w.confirm_version)
        assert pv is not None
        return retire_named(s, actor=actor, policy_id=pv.policy_id, version=pv.version, reason="r")


def _row(**allowed: str) -> dict[str, str]:
    """Role → 'own', 'both' (own and other scope) ; roles not named are refused."""
    return allowed


OFFICERS = {"policy_author": "both", "policy_publisher": "both", "policy_reviewer": "both"}
SELF = {"enterprise": "own", "park_operator": "own"}
# Asked about enterprise A by its USCC: an officer of another district is refused it
# (huiqi.accounts.districts), where it used to get an empty answer.
ITS_DISTRICT = {role: "own" for role in OFFICERS}


def _table() -> dict[str, tuple[Call, dict[str, str]]]:
    from huiqi.complaints import intake
    from huiqi.complaints import service as complaints
    from huiqi.delivery import (
        applications,
        attachments,
        batchfiles,
        claims,
        corrections,
        dashboard,
        disburse,
        drafts,
        inbox,
        incremental,
        indicators,
        lifecycle,
        notice,
        notify,
        park,
        payments,
        policy_lines,
        publishjob,
        ratings,
        sharing,
        withdrawal,
    )
    from huiqi.delivery import publish as publishing
    from huiqi.delivery import service as ledger
    from huiqi.delivery.channels import LogChannel
    from huiqi.delivery.recompute import recompute
    from huiqi.delivery.versions import publish_text, retire_version
    from huiqi.matching import mydata, nearmiss, simulate
    from huiqi.matching import service as matching
    from huiqi.profiles import service as profiles

    def export(w: World, actor: Actor) -> Any:
        with transaction(w.factory) as s:
            return disburse.export_batch(s, out_dir=w.settings.data_dir / "out", actor=actor)

    def results(w: World, actor: Actor) -> Any:
        path = w.settings.data_dir / "results.csv"
        path.write_text(f"grant_id,result\n{w.grant},paid\n", encoding="utf-8")
        with transaction(w.factory) as s:
            return payments.import_payment_results(s, path, actor=actor)

    def explain(w: World, actor: Actor) -> Any:
        with transaction(w.factory) as s:
            return matching.explain_enterprise(w.settings, s, actor=actor, uscc=A, policies=[])

    def import_files(w: World, actor: Actor) -> Any:
        with transaction(w.factory) as s:
            return profiles.import_files(
                w.settings, s, actor=actor, files=[w.settings.data_dir / "missing.csv"]
            )

    def generate(w: World, actor: Actor) -> Any:
        with transaction(w.factory) as s:
            return profiles.generate_population(
                w.settings, s, actor=actor, enterprises=0, seed=1, do_import=False
            )

    return {
        "huiqi.accounts.service.add_user": (
            _in_tx(accounts.add_user, username="new", roles=[]),
            _row(admin="both"),
        ),
        "huiqi.accounts.service.check_new_user": (
            _in_tx(accounts.check_new_user, username="new", roles=[]),
            _row(admin="both"),
        ),
        "huiqi.accounts.service.change_user": (
            _in_tx(accounts.change_user, username="owner", email="o@example.com"),
            _row(admin="both"),
        ),
        "huiqi.accounts.service.set_disabled": (
            _in_tx(accounts.set_disabled, username="owner", disabled=False),
            _row(admin="both"),
        ),
        "huiqi.accounts.service.list_users": (_in_tx(accounts.list_users), _row(admin="both")),
        "huiqi.accounts.tokens.create_token": (
            _in_tx(tokens.create_token, name="t", username="owner"),
            _row(admin="both"),
        ),
        "huiqi.accounts.tokens.list_tokens": (
            _in_tx(tokens.list_tokens, username="owner"),
            _row(admin="both"),
        ),
        "huiqi.accounts.tokens.revoke_token": (
            lambda w, a: _in_tx(tokens.revoke_token, token_id=w.owner_token)(w, a),
            _row(admin="both"),
        ),
        "huiqi.delivery.service.list_records": (
            _in_tx(ledger.list_records, uscc=A),
            _row(**SELF, **ITS_DISTRICT, finance_officer="both", admin="both"),
        ),
        "huiqi.delivery.service.list_grants": (
            _in_tx(ledger.list_grants, uscc=A),
            _row(**SELF, **ITS_DISTRICT, finance_officer="both", admin="both"),
        ),
        "huiqi.delivery.service.list_applications": (
            _in_tx(ledger.list_applications, uscc=A),
            _row(**SELF, policy_reviewer="own", finance_officer="both", admin="both"),
        ),
        "huiqi.delivery.service.list_versions": (
            _in_tx(ledger.list_versions),
            {r: "both" for r in ROLES},
        ),
        "huiqi.delivery.service.audit_log": (_in_tx(ledger.audit_log), _row(admin="both")),
        "huiqi.delivery.service.verify_audit": (_in_tx(ledger.verify_audit), _row(admin="both")),
        "huiqi.delivery.dashboard.totals": (
            _in_tx(dashboard.totals),
            _row(**OFFICERS, finance_officer="both", admin="both"),
        ),
        "huiqi.delivery.service.list_batches": (
            _in_tx(ledger.list_batches),
            _row(finance_officer="both", admin="both"),
        ),
        "huiqi.delivery.versions.publish_text": (
            lambda w, a: publish_text(w.factory, POLICY_TEXT, "m.yaml", actor=a),
            _row(policy_publisher="own"),
        ),
        "huiqi.delivery.publish.publish": (
            lambda w, a: publishing.publish(
                w.settings, w.factory, POLICY_TEXT, actor=a, filename="m.yaml"
            ),
            _row(policy_publisher="own"),
        ),
        "huiqi.delivery.publish.deliver": (
            lambda w, a: publishing.deliver(w.settings, w.factory, w.confirm_version, actor=a),
            _row(policy_publisher="own", scheduler="both"),
        ),
        "huiqi.delivery.incremental.deliver_changes": (
            lambda w, a: incremental.deliver_changes(w.settings, w.factory, actor=a),
            _row(scheduler="both"),
        ),
        "huiqi.delivery.claims.claim": (
            lambda w, a: claims.claim(
                w.factory, actor=a, entitlement_id=w.offer, today=dt.date(2026, 6, 1)
            ),
            _row(**SELF),
        ),
        "huiqi.delivery.applications.submit": (
            lambda w, a: applications.submit(w.factory, w.application, actor=a),
            _row(**SELF),
        ),
        "huiqi.delivery.withdrawal.withdraw": (
            lambda w, a: withdrawal.withdraw(w.factory, w.application, actor=a, reason="撤回"),
            _row(**SELF),
        ),
        "huiqi.delivery.applications.approve": (
            lambda w, a: applications.approve(w.factory, w.application, actor=a),
            _row(policy_reviewer="own"),
        ),
        "huiqi.delivery.applications.reject": (
            lambda w, a: applications.reject(w.factory, w.application, actor=a, reason="不符"),
            _row(policy_reviewer="own"),
        ),
        "huiqi.delivery.lifecycle.expire_offers": (
            lambda w, a: lifecycle.expire_offers(w.factory, actor=a, today=dt.date(2026, 1, 2)),
            _row(scheduler="both"),
        ),
        "huiqi.delivery.lifecycle.withdraw_retired_left_open": (
            lambda w, a: lifecycle.withdraw_retired_left_open(w.factory, actor=a),
            _row(scheduler="both"),
        ),
        "huiqi.delivery.sharing.allocate_pro_rata": (
            lambda w, a: _in_tx(sharing.allocate_pro_rata, policy_version_id=w.pro_rata_version)(
                w, a
            ),
            _row(policy_publisher="own", finance_officer="both", scheduler="both"),
        ),
        "huiqi.delivery.disburse.export_batch": (export, _row(finance_officer="both")),
        "huiqi.delivery.payments.import_payment_results": (
            results,
            _row(finance_officer="both"),
        ),
        "huiqi.delivery.payments.failure_reasons": (
            _in_tx(payments.failure_reasons, grant_ids=[1, 2]),
            _row(finance_officer="both", admin="both"),
        ),
        "huiqi.delivery.notify.send_pending": (
            lambda w, a: notify.send_pending(w.factory, [LogChannel()], actor=a),
            _row(scheduler="both"),
        ),
        "huiqi.delivery.inbox.inbox": (_in_tx(inbox.inbox, uscc=A), _row(**SELF)),
        "huiqi.delivery.inbox.mark_read": (
            lambda w, a: _in_tx(inbox.mark_read, notification_id=w.notification, uscc=A)(w, a),
            _row(**SELF),
        ),
        "huiqi.delivery.recompute.recompute": (
            lambda w, a: recompute(w.settings, w.factory, w.grant, actor=a),
            _row(policy_reviewer="own", finance_officer="both", admin="both"),
        ),
        "huiqi.profiles.service.import_files": (import_files, _row(data_steward="both")),
        "huiqi.accounts.service.require_admin": (
            lambda w, a: accounts.require_admin(a),
            _row(admin="both"),
        ),
        "huiqi.profiles.service.require_importer": (
            lambda w, a: profiles.require_importer(a),
            _row(data_steward="both"),
        ),
        "huiqi.profiles.service.generate_population": (generate, _row(data_steward="both")),
        "huiqi.profiles.service.list_snapshots": (
            lambda w, a: profiles.list_snapshots(w.settings, actor=a),
            _row(**OFFICERS, data_steward="both", admin="both"),
        ),
        "huiqi.profiles.service.list_imports": (
            lambda w, a: profiles.list_imports(w.settings, actor=a),
            _row(data_steward="both"),
        ),
        "huiqi.profiles.service.read_import": (
            lambda w, a: profiles.read_import(w.settings, actor=a, ref="1"),
            _row(data_steward="both"),
        ),
        "huiqi.profiles.service.import_report_file": (
            lambda w, a: profiles.import_report_file(
                w.settings, actor=a, ref="1", name="rejects.csv"
            ),
            _row(data_steward="both"),
        ),
        "huiqi.matching.service.match_population": (
            lambda w, a: matching.match_population(w.settings, actor=a, policies=[]),
            _row(**OFFICERS, data_steward="both"),
        ),
        "huiqi.matching.service.library_in_scope": (
            lambda w, a: matching.library_in_scope(a, []),
            _row(**OFFICERS, data_steward="both"),
        ),
        "huiqi.matching.service.explain_enterprise": (explain, _row(**SELF, **ITS_DISTRICT)),
        "huiqi.matching.nearmiss.near_misses": (
            _with_settings(nearmiss.near_misses, uscc=A, policies=[]),
            _row(**SELF, **ITS_DISTRICT),
        ),
        "huiqi.delivery.attachments.add_attachment": (
            lambda w, a: _in_tx(
                attachments.add_attachment,
                record_id=w.application,
                filename="x.pdf",
                content=b"%PDF-1.4\n",
            )(w, a),
            _row(**SELF),
        ),
        "huiqi.delivery.attachments.check_attachable": (
            lambda w, a: _in_tx(attachments.check_attachable, record_id=w.application)(w, a),
            _row(**SELF),
        ),
        "huiqi.delivery.attachments.list_attachments": (
            lambda w, a: _in_tx(attachments.list_attachments, record_id=w.application)(w, a),
            _row(**SELF, policy_reviewer="own", admin="both"),
        ),
        "huiqi.delivery.attachments.attachments_by_record": (
            lambda w, a: _in_tx(attachments.attachments_by_record, record_ids=[w.application])(
                w, a
            ),
            _row(enterprise="both", park_operator="both", policy_reviewer="both", admin="both"),
        ),
        "huiqi.delivery.attachments.get_attachment": (
            lambda w, a: _in_tx(attachments.get_attachment, attachment_id=w.attachment)(w, a),
            _row(**SELF, policy_reviewer="own", admin="both"),
        ),
        "huiqi.delivery.attachments.remove_attachment": (
            lambda w, a: _in_tx(attachments.remove_attachment, attachment_id=w.attachment)(w, a),
            _row(**SELF),
        ),
        "huiqi.delivery.notice.grant_notice": (
            lambda w, a: _in_tx(notice.grant_notice, grant_id=w.grant)(w, a),
            _row(
                **SELF,
                policy_author="own",
                policy_publisher="own",
                policy_reviewer="own",
                finance_officer="both",
                admin="both",
            ),
        ),
        "huiqi.delivery.ratings.rate": (
            lambda w, a: _in_tx(ratings.rate, stars=4, grant_id=w.grant)(w, a),
            _row(**SELF),
        ),
        "huiqi.delivery.ratings.list_ratings": (
            _in_tx(ratings.list_ratings, uscc=A),
            _row(**SELF, **OFFICERS),
        ),
        "huiqi.delivery.ratings.rating_summary": (
            _in_tx(ratings.rating_summary),
            _row(**OFFICERS),
        ),
        "huiqi.delivery.corrections.request_correction": (
            _with_settings(
                corrections.request_correction,
                uscc=A,
                field="insured_employees",
                year=2025,
                value="3",
            ),
            _row(**SELF),
        ),
        "huiqi.delivery.corrections.list_corrections": (
            _in_tx(corrections.list_corrections, uscc=A),
            _row(**SELF, data_steward="both"),
        ),
        "huiqi.delivery.corrections.decide_correction": (
            _in_tx(corrections.decide_correction, request_id=10**6, accept=True, reason="核实"),
            _row(data_steward="both"),
        ),
        "huiqi.matching.mydata.my_data": (_with_settings(mydata.my_data, uscc=A), _row(**SELF)),
        "huiqi.complaints.intake.import_complaints": (
            _with_settings(intake.import_complaints, path=Path("missing.csv")),
            _row(complaint_officer="both", data_steward="both"),
        ),
        "huiqi.complaints.intake.require_importer": (
            lambda w, a: intake.require_importer(a),
            _row(complaint_officer="both", data_steward="both"),
        ),
        "huiqi.complaints.intake.import_uploaded_complaints": (
            _with_settings(intake.import_uploaded_complaints, filename="c.csv", content=b"ref\n"),
            _row(complaint_officer="both", data_steward="both"),
        ),
        "huiqi.complaints.intake.file_complaints": (
            _with_settings(intake.file_complaints, complaints=[{"ref": "m-1"}]),
            _row(complaint_officer="both", data_steward="both"),
        ),
        "huiqi.complaints.service.detect_complaints": (
            _in_tx(complaints.detect_complaints),
            _row(complaint_officer="both", scheduler="both"),
        ),
        "huiqi.complaints.service.review_queue": (
            _in_tx(complaints.review_queue),
            _row(complaint_officer="both"),
        ),
        "huiqi.complaints.service.decide_complainant": (
            _in_tx(complaints.decide_complainant, complainant_id=1, professional=True, reason="r"),
            _row(complaint_officer="both"),
        ),
        "huiqi.complaints.service.complaint_stats": (
            _in_tx(complaints.complaint_stats),
            _row(complaint_officer="both"),
        ),
        "huiqi.complaints.service.enterprise_complaints": (
            _in_tx(complaints.enterprise_complaints, uscc=A),
            _row(**SELF, complaint_officer="both"),
        ),
        "huiqi.delivery.versions.retire_version": (
            lambda w, a: _in_tx(retire_version, version_id=w.confirm_version, reason="r")(w, a),
            _row(policy_publisher="own"),
        ),
        "huiqi.delivery.versions.retire_named": (
            lambda w, a: _retire_named(w, a),
            _row(policy_publisher="own"),
        ),
        "huiqi.delivery.park.park_enterprises": (
            _in_tx(park.park_enterprises),
            _row(park_operator="both"),
        ),
        "huiqi.delivery.indicators.indicators": (
            _in_tx(indicators.indicators),
            _row(**OFFICERS, finance_officer="both", admin="both"),
        ),
        "huiqi.delivery.policy_lines.list_policy_lines": (
            _in_tx(policy_lines.list_policy_lines),
            _row(**OFFICERS),
        ),
        "huiqi.delivery.drafts.open_draft": (
            _in_tx(drafts.open_draft, policy_id="matrix-confirm"),
            _row(policy_author="own", policy_publisher="own"),
        ),
        "huiqi.delivery.drafts.save_draft": (
            _in_tx(drafts.save_draft, policy_id="matrix-offer", text=POLICY_TEXT),
            _row(policy_author="own", policy_publisher="own"),
        ),
        "huiqi.delivery.drafts.start_draft": (
            _in_tx(drafts.start_draft, policy_id="matrix-confirm"),
            _row(policy_author="own", policy_publisher="own"),
        ),
        "huiqi.delivery.drafts.delete_draft": (
            _in_tx(drafts.delete_draft, policy_id="matrix-confirm"),
            _row(policy_author="own", policy_publisher="own"),
        ),
        "huiqi.delivery.drafts.publish_draft": (
            lambda w, a: drafts.publish_draft(
                w.settings, w.factory, actor=a, policy_id="matrix-confirm"
            ),
            _row(policy_publisher="own"),
        ),
        "huiqi.delivery.drafts.publishable": (
            _in_tx(drafts.publishable, policy_id="matrix-confirm"),
            _row(policy_publisher="own"),
        ),
        "huiqi.delivery.publishjob.start_publish": (
            lambda w, a: publishjob.start_publish(
                w.settings, w.factory, actor=a, policy_id="matrix-confirm"
            ),
            _row(policy_publisher="own"),
        ),
        "huiqi.delivery.publishjob.start_deliver": (
            # The job ends before the next cell (and the database) goes on.
            lambda w, a: runner.wait(
                publishjob.start_deliver(
                    w.settings, w.factory, actor=a, version_id=w.confirm_version
                ),
                timeout=120,
            ),
            _row(policy_publisher="own", scheduler="both"),
        ),
        "huiqi.delivery.publishjob.resume_job": (
            lambda w, a: publishjob.resume_job(w.settings, w.factory, actor=a, job_id=w.job),
            _row(policy_publisher="own"),
        ),
        "huiqi.jobs.service.recent_jobs": (
            _in_tx(jobs.recent_jobs),
            _row(**OFFICERS),
        ),
        "huiqi.jobs.service.get_job": (
            lambda w, a: _in_tx(jobs.get_job, job_id=w.job)(w, a),
            _row(policy_author="own", policy_publisher="own", policy_reviewer="own"),
        ),
        "huiqi.delivery.batchfiles.batch_file": (
            _in_tx(batchfiles.batch_file, batch_id=1, kind="csv"),
            _row(finance_officer="both"),
        ),
        "huiqi.delivery.batchfiles.require_results_uploader": (
            lambda w, a: batchfiles.require_results_uploader(a),
            _row(finance_officer="both"),
        ),
        "huiqi.delivery.batchfiles.apply_uploaded_results": (
            _in_tx(
                batchfiles.apply_uploaded_results, filename="r.csv", content=b"grant_id,result\n"
            ),
            _row(finance_officer="both"),
        ),
        "huiqi.delivery.applications.require_decider": (
            lambda w, a: applications.require_decider(a),
            _row(policy_reviewer="both"),
        ),
        "huiqi.delivery.corrections.require_steward": (
            lambda w, a: corrections.require_steward(a),
            _row(data_steward="both"),
        ),
        "huiqi.matching.simulate.require_simulator": (
            lambda w, a: simulate.require_simulator(a),
            _row(policy_author="both", policy_publisher="both"),
        ),
        # The policy's draft or newest version, as the console opens it (open_draft).
        "huiqi.matching.simulate.saved_text": (
            _in_tx(simulate.saved_text, policy_id="matrix-confirm"),
            _row(policy_author="own", policy_publisher="own"),
        ),
        "huiqi.matching.simulate.simulate": (
            _with_settings(simulate.simulate, text=POLICY_TEXT),
            _row(policy_author="own", policy_publisher="own"),
        ),
        **desk_matrix.rows(A, SELF),
    }


def test_every_operation_has_a_row() -> None:
    missing = sorted(operations() - set(_table()))
    assert not missing, f"add these operations to the access matrix: {missing}"
    stale = sorted(set(_table()) - operations())
    assert not stale, f"these rows name no operation: {stale}"


def _world(factory: sessionmaker[Session], data: Path) -> World:
    settings = get_settings(data)
    data.mkdir(parents=True)
    with transaction(factory) as s:
        versions = {}
        for key, delivery, mode in (
            ("confirm", "confirm", "first_come"),
            ("apply", "apply", "first_come"),
            ("auto", "auto", "first_come"),
            ("pro_rata", "auto", "pro_rata"),
        ):
            versions[key] = policy_version(
                s,
                policy_id=f"matrix-{key}",
                title_zh="矩阵",
                delivery=delivery,
                department="测试局",
                budget_fen=100_000_00,
                budget_mode=mode,
                published_by="seed",
            )

        def record(key: str, status: str, mode: str) -> Entitlement:
            return entitlement(
                s,
                versions[key],
                code=A,
                status=status,
                computed_fen=1000_00,
                mode=mode,
                explanation={"criteria": []},
                expires_on=dt.date(2026, 12, 31),
            )

        offer = record("confirm", "offered", "confirm")
        applied = record("apply", "submitted", "apply")
        application = Application(entitlement_id=applied.id, prefilled={"to_attest": []})
        s.add(application)
        s.flush()
        attachment = Attachment(
            application_id=application.id,
            uscc=A,
            filename="a.pdf",
            content_type="application/pdf",
            size=9,
            sha256="0" * 64,
            content=b"%PDF-1.4\n",
            uploaded_by="seed",
        )
        s.add(attachment)
        s.flush()
        granted = record("auto", "granted", "auto")
        grant = grant_of(s, versions["auto"], granted)
        message = Notification(
            uscc=A, channel="inbox", kind="granted", subject="s", body="b", dedupe_key="m:inbox"
        )
        s.add_all(
            [
                grant,
                message,
                DirectoryEntry(
                    uscc=A, name="甲", district_code="310115", park=PARK_A, snapshot_id=1
                ),
                DirectoryEntry(
                    uscc=B, name="乙", district_code="310104", park=PARK_B, snapshot_id=1
                ),
            ]
        )
        owner = User(username="owner", password_hash=None)
        owner.roles = [UserRole(role="finance_officer", scope=None)]
        s.add(owner)
        s.flush()
        seed_admin = Actor.of("seed", "admin", user_id=owner.id)
        token, _ = tokens.create_token(s, actor=seed_admin, name="owned", username="owner")
        desk = desk_matrix.seed(s, A)
        job = Job(
            kind="publish",
            policy_id="matrix-confirm",
            level="district",
            region="310115",
            department="测试局",
            started_by="seed",
        )
        s.add(job)
        s.flush()
        return World(
            settings,
            factory,
            offer.id,
            applied.id,
            grant.id,
            versions["pro_rata"].id,
            versions["confirm"].id,
            message.id,
            token.id,
            attachment.id,
            desk,
            job.id,
        )


def _actors(factory: sessionmaker[Session]) -> dict[tuple[str, str], Actor]:
    """Real users (with ids) for each role in its own and the other scope."""
    out: dict[tuple[str, str], Actor] = {}
    with transaction(factory) as s:
        for role in ROLES:
            own, other = SCOPES.get(role, (None, None))
            for side, scope in (("own", own), ("other", other)):
                user = User(username=f"{role}-{side}")
                user.roles = [UserRole(role=role, scope=scope)]
                s.add(user)
                s.flush()
                out[(role, side)] = accounts.actor_of(user)
    return out


@pytest.mark.parametrize("operation", sorted(_table()))
def test_access_matrix(operation: str, sessions: sessionmaker[Session], tmp_path: Path) -> None:
    world = _world(sessions, tmp_path / "data")
    actors = _actors(sessions)
    call, allowed = _table()[operation]
    wrong: list[str] = []
    for role in ROLES:
        for side in ("own", "other"):
            expected = allowed.get(role) in (side, "both")
            try:
                call(world, actors[(role, side)])
                refused = False
            except AccessDenied:
                refused = True
            except (HuiqiError, ValueError, OSError):
                refused = False  # past the access check; failed for another reason
            if refused == expected:
                wrong.append(f"{role} ({side} scope): {'refused' if refused else 'allowed'}")
    assert not wrong, f"{operation}: expected the opposite for {wrong}"
