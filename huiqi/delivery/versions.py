"""Published policy versions: frozen text and SHA-256, compiled again only from that text."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from huiqi.accounts.access import Actor, PolicyRef, require_policy_scope
from huiqi.accounts.roles import Role
from huiqi.db.engine import transaction
from huiqi.delivery import event_reasons as reasons
from huiqi.delivery.audit import record_event
from huiqi.delivery.flag_closing import close_retired_flags
from huiqi.delivery.freetext import clean_text, is_blank
from huiqi.delivery.models import PolicyVersion, utcnow
from huiqi.delivery.retirement import withdraw_open
from huiqi.delivery.statuses import VersionStatus
from huiqi.errors import NotFoundError, PolicyChecksFailed, PolicyError, StateConflict
from huiqi.policies.loader import LoadedPolicy, load_policy_text

if TYPE_CHECKING:
    from huiqi.engine import CompiledPolicy


class VersionRetired(PolicyError, StateConflict):
    """A version that is no longer published (retired, superseded) cannot be retired."""


def compile_version(pv: PolicyVersion) -> CompiledPolicy:
    """Compile a published version from its frozen text, checking its hash first."""
    from huiqi.engine import compile_policy  # the engine only where a version is compiled

    digest = hashlib.sha256(pv.source_yaml.encode("utf-8")).hexdigest()
    if digest != pv.content_hash:
        raise PolicyError(
            f"published text of {pv.policy_id} v{pv.version} does not match its hash; refusing to use it"
        )
    return compile_policy(load_policy_text(pv.source_yaml, f"{pv.policy_id}@{pv.version}"))


def _version_row(lp: LoadedPolicy, text: str, actor: Actor) -> PolicyVersion:
    p = lp.policy
    fen = lambda v: None if v is None else int(v * 100)  # noqa: E731 - exact: Decimal yuan → fen
    return PolicyVersion(
        policy_id=p.id,
        version=p.version,
        content_hash=lp.source_hash,
        source_yaml=text,
        title_zh=p.title.zh,
        delivery=p.delivery,
        level=p.level,
        region=p.region,
        valid_from=p.valid_from,
        valid_to=p.valid_to,
        benefit_period=p.period,
        budget_fen=fen(p.budget),
        budget_mode=p.budget_mode,
        committed_fen=0,
        per_enterprise_cap_fen=fen(p.per_enterprise_cap),
        cap_group=p.cap_group,
        exclusivity_group=p.exclusivity_group,
        department=p.department.zh,
        published_by=actor.username,
    )


def _require_cases_pass(cp: CompiledPolicy) -> None:
    """Refuse a policy whose own test cases fail, as the console refuses such a draft
    (``drafts.publishable``), in the same words; every failing case is listed."""
    from huiqi.engine.casetest import run_policy_tests

    failed = [r for r in run_policy_tests([cp]) if not r.ok]
    if failed:
        p = cp.policy
        raise PolicyChecksFailed(
            f"{p.id} v{p.version} is not published: {len(failed)} failing test case(s),"
            f" the first: {failed[0].message}",
            more=tuple(PolicyChecksFailed(r.message) for r in failed[1:]),
        )


def publish_text(
    factory: sessionmaker[Session], text: str, filename: str, *, actor: Actor
) -> tuple[PolicyVersion, bool]:
    """Freeze a policy version. Re-publishing identical text is a no-op; changed text needs a new version."""
    from huiqi.engine import compile_policy
    from huiqi.engine.district_reach import district_reach_errors
    from huiqi.engine.satisfiable import contradiction_errors

    try:
        lp = load_policy_text(text, filename)
        cp = compile_policy(lp)  # refuse a version the engine cannot run before freezing it
    except PolicyChecksFailed:
        raise
    except PolicyError as exc:
        # A text that does not load or compile is what lint reports as errors: the checks
        # found problems (exit 4, as 'huiqi policy lint' of the same file), not a failure.
        raise PolicyChecksFailed(exc.message, location=exc.location, more=exc.more) from exc
    p = lp.policy
    # A district policy that reaches other districts would spend the district's money on
    # their enterprises, which its district officer's simulation does not even show.
    # Criteria that can never all hold make a policy no enterprise is ever eligible for.
    found = [
        *district_reach_errors([(cp, lp.marks)]),
        *contradiction_errors([(cp, lp.marks)]),
    ]
    if found:
        first = found[0]
        raise PolicyChecksFailed(first.message, location=first.location, more=tuple(found[1:]))
    _require_cases_pass(cp)
    require_policy_scope(
        actor,
        PolicyRef(p.level, p.region, p.department.zh),
        f"publish {p.id}",
        Role.POLICY_PUBLISHER,
    )
    with transaction(factory) as s:
        existing = s.scalar(
            select(PolicyVersion).where(
                PolicyVersion.policy_id == lp.policy.id, PolicyVersion.version == lp.policy.version
            )
        )
        # A new version is the published policy's too: whoever publishes it must hold the
        # scope of the policy as it stands, not only the one its new text names (qa9's
        # review: another district's officer could publish version 2 of a district's
        # policy, its region rewritten, and being newest it would have delivered).
        newest = s.scalar(
            select(PolicyVersion)
            .where(PolicyVersion.policy_id == lp.policy.id)
            .order_by(PolicyVersion.version.desc())
            .limit(1)
        )
        if newest is not None:
            require_policy_scope(
                actor, policy_ref(newest), f"publish a new version of {p.id}", Role.POLICY_PUBLISHER
            )
        if existing is not None:
            if existing.content_hash != lp.source_hash:
                raise PolicyError(
                    f"{lp.policy.id} v{lp.policy.version} is already published with different"
                    " content; raise 'version' to publish a change"
                )
            return existing, False
        pv = _version_row(lp, text, actor)
        s.add(pv)
        s.flush()
        record_event(
            s,
            actor=actor,
            kind="publish",
            policy_version_id=pv.id,
            entity=f"policy_version:{pv.id}",
            reason=reasons.PUBLISHED(policy=pv.policy_id, version=pv.version),
            data={"content_hash": pv.content_hash},
        )
        return pv, True


def published_versions(factory: sessionmaker[Session]) -> Sequence[PolicyVersion]:
    with factory() as s:
        return s.scalars(select(PolicyVersion).order_by(PolicyVersion.id)).all()


def policy_ref(pv: PolicyVersion) -> PolicyRef:
    """What a policy scope is checked against, for a published version."""
    return PolicyRef(pv.level, pv.region, pv.department)


@dataclass(frozen=True)
class Retired:
    """A retired version and how many of its open records retiring it withdrew."""

    version: PolicyVersion
    withdrawn: int


def retire_version(session: Session, *, actor: Actor, version_id: int, reason: str) -> Retired:
    """Retire a published version: it is no longer matched, offered or listed in the
    catalogue, and its offers not yet claimed and applications not yet submitted are
    withdrawn, each enterprise told why (``huiqi.delivery.retirement``); what was granted
    stays granted, and submitted applications wait for their decision. Its review flags on
    records that gave nothing are closed (``flag_closing``); a flagged grant stays flagged
    and waits. One audit event for the retirement (with how many records it withdrew and
    how many flags it closed) and one per withdrawn record and closed flag."""
    pv = session.get(PolicyVersion, version_id)
    if pv is None:
        raise NotFoundError(f"no published policy version with id {version_id}")
    require_policy_scope(
        actor, policy_ref(pv), f"retire {pv.policy_id} v{pv.version}", Role.POLICY_PUBLISHER
    )
    if pv.status != VersionStatus.PUBLISHED:
        raise VersionRetired(
            f"{pv.policy_id} v{pv.version} is {pv.status}; only a published one is retired"
        )
    if is_blank(reason):  # spaces, or a zero-width space, say nothing to the enterprises
        raise PolicyError("give the reason for retiring this version")
    # Too long is refused, not cut: the enterprises whose offers it withdraws read it whole.
    reason = clean_text(reason, "the reason", PolicyError, max_length=500, field="reason") or ""
    pv.status = VersionStatus.RETIRED
    withdrawn = withdraw_open(session, pv, actor=actor.username, reason=reason, at=utcnow())
    closed = close_retired_flags(session, pv, actor=actor.username)
    record_event(
        session,
        actor=actor,
        kind="retire",
        policy_version_id=pv.id,
        entity=f"policy_version:{pv.id}",
        reason=reason,
        data={
            "policy_id": pv.policy_id,
            "version": pv.version,
            "withdrawn": withdrawn,
            "flags_closed": closed,
        },
    )
    return Retired(pv, withdrawn)


def retire_named(
    session: Session, *, actor: Actor, policy_id: str, version: int, reason: str
) -> Retired:
    """Retire a published version named by policy id and version number (the CLI's way of
    naming it); otherwise as ``retire_version``."""
    version_id = session.scalar(
        select(PolicyVersion.id).where(
            PolicyVersion.policy_id == policy_id, PolicyVersion.version == version
        )
    )
    if version_id is None:
        raise NotFoundError(
            f"no published version {version} of policy '{policy_id}'; 'huiqi versions' lists them"
        )
    return retire_version(session, actor=actor, version_id=version_id, reason=reason)
