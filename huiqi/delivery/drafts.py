"""Policy drafts: a policy's YAML as an officer edits it before publishing, kept in the
ledger (``policy_drafts``), one per policy.

A draft starts from a published version's text or from nothing; every save runs the
checks of ``huiqi policy lint`` and ``huiqi policy test`` on it
(``engine.policycheck.check_text``) and keeps their result; publishing refuses a draft
whose lint or test cases fail, then publishes and delivers it as ``huiqi publish`` does
(``delivery.publish.publish``) and removes the draft.

Access: policy authors and publishers whose policy scope covers the policy (as the
draft's last text that loads says, or its published version); publishing needs a
publisher. Every change is an audit event.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker

from huiqi.accounts.access import (
    Actor,
    PolicyRef,
    in_policy_scope,
    require_policy_scope,
    require_role,
)
from huiqi.accounts.roles import Role
from huiqi.config import Settings
from huiqi.db.engine import transaction
from huiqi.delivery import event_reasons as reasons
from huiqi.delivery.audit import record_event
from huiqi.delivery.models import PolicyDraft, PolicyVersion, utcnow
from huiqi.delivery.progress import Progress
from huiqi.delivery.records import DeliveryReport
from huiqi.delivery.versions import policy_ref
from huiqi.engine.policycheck import Problem, TextCheck, check_text
from huiqi.errors import HuiqiError, NotFoundError, StateConflict
from huiqi.policies.yamlmarks import locate

EDITORS = (Role.POLICY_AUTHOR, Role.POLICY_PUBLISHER)
MAX_TEXT = 200_000  # characters: a policy file is a few kilobytes
MAX_ID = 120


class DraftError(HuiqiError):
    """A draft cannot be saved or published as asked (the message says why)."""


class DraftConflict(DraftError, StateConflict):
    """The policy already has a draft, or its saved draft fails its lint or test cases and
    so cannot be published until it is changed."""


@dataclass(frozen=True)
class DraftView:
    """What the editor shows: the draft (None: not started), the newest published
    version, and the text to edit (the draft's, else that version's)."""

    policy_id: str
    draft: PolicyDraft | None
    published: PolicyVersion | None
    text: str
    may_publish: bool = False  # the actor's roles cover publishing it (the page's button)

    @property
    def lint(self) -> dict[str, Any] | None:
        return self.draft.lint if self.draft else None


def _check_id(policy_id: str) -> str:
    if not policy_id or len(policy_id) > MAX_ID:
        raise NotFoundError(f"no policy '{policy_id[:MAX_ID]}'")
    return policy_id


def _newest(session: Session, policy_id: str) -> PolicyVersion | None:
    return session.scalar(
        select(PolicyVersion)
        .where(PolicyVersion.policy_id == policy_id)
        .order_by(PolicyVersion.version.desc())
        .limit(1)
    )


def _draft(session: Session, policy_id: str) -> PolicyDraft | None:
    return session.scalar(select(PolicyDraft).where(PolicyDraft.policy_id == policy_id))


def _draft_ref(draft: PolicyDraft) -> PolicyRef:
    return PolicyRef(draft.level, draft.region, draft.department)


def _ref(draft: PolicyDraft | None, published: PolicyVersion | None) -> PolicyRef | None:
    if draft is not None:
        return _draft_ref(draft)
    return policy_ref(published) if published is not None else None


def _require(actor: Actor, ref: PolicyRef | None, what: str, *roles: Role) -> None:
    if ref is None:
        require_role(actor, what, *roles)
    else:
        require_policy_scope(actor, ref, what, *roles)


def _may(actor: Actor, ref: PolicyRef | None, *roles: Role) -> bool:
    """Whether ``_require`` would let the actor through (what a page offers it to do)."""
    if ref is None:
        return any(g.role in roles for g in actor.grants)
    return in_policy_scope(actor, ref, *roles)


def open_draft(session: Session, *, actor: Actor, policy_id: str) -> DraftView:
    """The draft of a policy to edit, or the newest published text when none is started.
    A policy that is neither published nor drafted is a new one: an empty text."""
    _check_id(policy_id)
    draft, published = _draft(session, policy_id), _newest(session, policy_id)
    _require(actor, _ref(draft, published), f"edit a draft of {policy_id}", *EDITORS)
    text = draft.source_yaml if draft else published.source_yaml if published else ""
    may_publish = _may(actor, _ref(draft, published), Role.POLICY_PUBLISHER)
    return DraftView(policy_id, draft, published, text, may_publish)


def _ledger_problems(session: Session, check: TextCheck, policy_id: str) -> list[Problem]:
    """What only the ledger knows: the text is for this policy, and its version is new."""
    lp = check.policy
    if lp is None:
        return []
    p = lp.policy
    where = locate(lp.marks, ("id",), lp.filename)
    if p.id != policy_id:
        return [
            Problem(
                "error",
                f"this draft is for policy '{policy_id}' but its text says id '{p.id}';"
                " a draft keeps its policy's id",
                where.line,
                where.column,
                "id",
            )
        ]
    same = session.scalar(
        select(PolicyVersion).where(
            PolicyVersion.policy_id == p.id, PolicyVersion.version == p.version
        )
    )
    if same is None:
        return []
    at = locate(lp.marks, ("version",), lp.filename)
    if same.content_hash == lp.source_hash:
        message = f"version {p.version} is published with this very text; change it and raise 'version' to publish"
    else:
        message = f"version {p.version} is already published with other text; raise 'version' to publish a change"
    return [Problem("error", message, at.line, at.column, "version")]


def check_draft(session: Session, policy_id: str, text: str) -> dict[str, Any]:
    """The lint and test results of a draft's text, as kept with it (JSON)."""
    return check_draft_result(session, check_text(text, f"{policy_id}.yaml"), policy_id)


def save_draft(session: Session, *, actor: Actor, policy_id: str, text: str) -> PolicyDraft:
    """Save a policy's draft (starting it when there is none): checked, with its lint and
    test results kept. A text that does not load is saved too, and says why."""
    _check_id(policy_id)
    require_role(actor, f"edit a draft of {policy_id}", *EDITORS)  # before any work
    if len(text) > MAX_TEXT:
        raise DraftError(
            f"the draft has {len(text):,} characters; a policy file has at most {MAX_TEXT:,}"
        )
    # A browser's textarea sends CRLF; a pasted byte-order mark is no part of the policy.
    text = text.removeprefix("\ufeff").replace("\r\n", "\n")
    check = check_text(text, f"{policy_id}.yaml")  # before the transaction writes anything
    draft, published = _draft(session, policy_id), _newest(session, policy_id)
    before = _ref(draft, published)
    _require(actor, before, f"edit a draft of {policy_id}", *EDITORS)
    ref = before
    if check.policy is not None and check.policy.policy.id == policy_id:
        p = check.policy.policy
        ref = PolicyRef(p.level, p.region, p.department.zh)
        # Moving a policy outside one's own scope is refused (it would vanish from view).
        require_policy_scope(actor, ref, f"edit a draft of {policy_id}", *EDITORS)
    if ref is None:
        if check.policy is not None:  # it loads, as another policy (a copied file)
            other = check.policy.policy.id
            raise DraftError(
                f"the text's id is '{other}', but this is the draft of '{policy_id}': write"
                f" 'id: {policy_id}' in the text (or start the draft of '{other}')"
            )
        first = next((p for p in check.problems if p.severity == "error"), None)
        where = f"line {first.line}: " if first and first.line else ""
        raise DraftError(
            "a new policy's first draft must load (id, level, region and department say"
            " whose it is): fix the text and save again"
            + (f"; first error: {where}{first.message}" if first else "")
        )
    lint = check_draft_result(session, check, policy_id)
    now = utcnow()
    if draft is None:
        draft = PolicyDraft(
            policy_id=policy_id,
            base_version=published.version if published else None,
            author=actor.username,
            created_at=now,
        )
        session.add(draft)
    draft.source_yaml = text
    draft.level, draft.region, draft.department = ref.level, ref.region, ref.department
    draft.author = actor.username
    draft.updated_at = now
    draft.lint = lint
    session.flush()
    record_event(
        session,
        actor=actor,
        kind="draft_save",
        entity=f"policy_draft:{draft.id}",
        reason=reasons.DRAFT_SAVED(policy=policy_id),
        data={"policy_id": policy_id, "ok": lint["ok"], "errors": lint["errors"]},
    )
    return draft


def check_draft_result(session: Session, check: TextCheck, policy_id: str) -> dict[str, Any]:
    problems = [*_ledger_problems(session, check, policy_id), *check.problems]
    errors = sum(p.severity == "error" for p in problems)
    result = check.as_json()
    result.update(
        problems=[p.__dict__ for p in problems],
        errors=errors,
        ok=check.policy is not None and not errors and not check.failed,
    )
    return result


def start_draft(
    session: Session, *, actor: Actor, policy_id: str, version: int | None = None
) -> PolicyDraft:
    """Start a draft from a published version's text (the newest by default)."""
    _check_id(policy_id)
    query = select(PolicyVersion).where(PolicyVersion.policy_id == policy_id)
    if version is not None:
        query = query.where(PolicyVersion.version == version)
    pv = session.scalar(query.order_by(PolicyVersion.version.desc()).limit(1))
    if pv is None:
        raise NotFoundError(f"policy '{policy_id}' has no published version to start from")
    require_policy_scope(actor, policy_ref(pv), f"edit a draft of {policy_id}", *EDITORS)
    if _draft(session, policy_id) is not None:
        raise DraftConflict(f"{policy_id} already has a draft: edit it, or delete it first")
    return save_draft(session, actor=actor, policy_id=policy_id, text=pv.source_yaml)


def delete_draft(session: Session, *, actor: Actor, policy_id: str) -> None:
    """Discard a policy's draft (one audit event)."""
    draft, published = _draft(session, _check_id(policy_id)), _newest(session, policy_id)
    _require(actor, _ref(draft, published), f"delete the draft of {policy_id}", *EDITORS)
    if draft is None:
        raise NotFoundError(f"{policy_id} has no draft")
    session.execute(delete(PolicyDraft).where(PolicyDraft.id == draft.id))
    record_event(
        session,
        actor=actor,
        kind="draft_delete",
        entity=f"policy_draft:{draft.id}",
        reason=reasons.DRAFT_DELETED(policy=policy_id),
        data={"policy_id": policy_id},
    )


def _refusal(lint: dict[str, Any]) -> str | None:
    """Why a draft with these results may not be published (None: it may)."""
    if lint["ok"]:
        return None
    errors = [p for p in lint["problems"] if p["severity"] == "error"]
    failed = [c for c in lint["cases"] if not c["ok"]]
    parts = []
    if errors:
        first = errors[0]
        where = f"line {first['line']}: " if first.get("line") else ""
        parts.append(f"{len(errors)} lint error(s), the first: {where}{first['message']}")
    if failed:
        parts.append(f"{len(failed)} failing test case(s), the first: {failed[0]['message']}")
    return "; ".join(parts) or "the draft does not load"


def publishable(session: Session, *, actor: Actor, policy_id: str) -> PolicyDraft:
    """The draft of a policy, if this actor may publish it now (a publisher of its scope)
    and its lint and test cases pass; refused otherwise, saying why."""
    draft, published = _draft(session, _check_id(policy_id)), _newest(session, policy_id)
    _require(actor, _ref(draft, published), f"publish {policy_id}", Role.POLICY_PUBLISHER)
    if draft is None:
        raise NotFoundError(f"{policy_id} has no draft to publish")
    lint = check_draft_result(
        session, check_text(draft.source_yaml, f"{policy_id}.yaml"), policy_id
    )
    why = _refusal(lint)
    if why is not None:
        raise DraftConflict(f"the draft of {policy_id} is not published: {why}")
    return draft


def publish_draft(
    settings: Settings,
    factory: sessionmaker[Session],
    *,
    actor: Actor,
    policy_id: str,
    progress: Progress | None = None,
) -> tuple[PolicyVersion, DeliveryReport]:
    """Publish a draft whose lint and test cases pass, deliver it (as ``huiqi publish``
    does, telling ``progress``) and remove the draft. A draft that fails is refused."""
    from huiqi.delivery.publish import publish

    with transaction(factory) as s:
        draft = publishable(s, actor=actor, policy_id=policy_id)
        text, draft_id = draft.source_yaml, draft.id
    pv, report = publish(
        settings, factory, text, filename=f"{policy_id}.yaml", actor=actor, progress=progress
    )
    with transaction(factory) as s:
        s.execute(delete(PolicyDraft).where(PolicyDraft.id == draft_id))
        record_event(
            s,
            actor=actor,
            kind="draft_publish",
            policy_version_id=pv.id,
            entity=f"policy_draft:{draft_id}",
            reason=reasons.DRAFT_PUBLISHED(policy=policy_id, version=pv.version),
            data={"policy_id": policy_id, "version": pv.version},
        )
    return pv, report
