"""The console's list of policies: each policy of the officer's scope with its versions
(newest first), status, budget used and draft, and what the officer may do to it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, defer

from huiqi.accounts.access import Actor, in_policy_scope, require_role
from huiqi.accounts.roles import Role
from huiqi.delivery.drafts import EDITORS, _draft_ref, _may, _ref
from huiqi.delivery.models import PolicyDraft, PolicyVersion
from huiqi.delivery.versions import policy_ref


@dataclass(frozen=True)
class VersionLine:
    id: int
    version: int
    status: str
    published_at: Any
    published_by: str
    budget_fen: int | None
    committed_fen: int
    content_hash: str


@dataclass(frozen=True)
class PolicyLine:
    """One policy on the console's list: its newest version's facts, every version, its draft."""

    policy_id: str
    title_zh: str
    department: str | None
    delivery: str | None
    level: str
    region: str
    valid_from: Any
    valid_to: Any
    versions: tuple[VersionLine, ...]
    draft: PolicyDraft | None
    # What the actor's roles let it do to this policy (what the list page offers it): a
    # reviewer sees the policies of its scope, and neither edits nor retires them.
    may_edit: bool = False
    may_retire: bool = False

    @property
    def status(self) -> str:
        """published (a version in force), retired (every version retired) or draft."""
        if any(v.status == "published" for v in self.versions):
            return "published"
        return "retired" if self.versions else "draft"

    @property
    def budget_fen(self) -> int | None:
        live = [v for v in self.versions if v.status == "published"] or list(self.versions)
        return live[0].budget_fen if live else None

    @property
    def committed_fen(self) -> int:
        return sum(v.committed_fen for v in self.versions)


def list_policy_lines(session: Session, *, actor: Actor) -> list[PolicyLine]:
    """Every policy the actor's policy scope covers: versions (newest first), status,
    department, delivery mode, validity, budget used, and its draft if any."""
    roles = (Role.POLICY_AUTHOR, Role.POLICY_PUBLISHER, Role.POLICY_REVIEWER)
    require_role(actor, "list policies and drafts", *roles)
    versions = list(
        session.scalars(
            select(PolicyVersion)
            .options(defer(PolicyVersion.source_yaml))
            .order_by(PolicyVersion.policy_id, PolicyVersion.version.desc())
        )
    )
    drafts = {d.policy_id: d for d in session.scalars(select(PolicyDraft))}
    by_policy: dict[str, list[PolicyVersion]] = {}
    for pv in versions:
        if in_policy_scope(actor, policy_ref(pv), *roles):
            by_policy.setdefault(pv.policy_id, []).append(pv)
    for pid, d in drafts.items():
        if pid not in by_policy and in_policy_scope(actor, _draft_ref(d), *roles):
            by_policy[pid] = []
    lines = []
    for pid in sorted(by_policy):
        pvs = by_policy[pid]
        newest = pvs[0] if pvs else None
        draft = drafts.get(pid)
        ref = _ref(draft, newest) if newest is None else policy_ref(newest)
        lines.append(
            PolicyLine(
                policy_id=pid,
                title_zh=newest.title_zh if newest else pid,
                department=newest.department if newest else draft.department if draft else None,
                delivery=newest.delivery if newest else None,
                level=newest.level if newest else draft.level if draft else "",
                region=newest.region if newest else draft.region if draft else "",
                valid_from=newest.valid_from if newest else None,
                valid_to=newest.valid_to if newest else None,
                versions=tuple(
                    VersionLine(
                        v.id,
                        v.version,
                        v.status,
                        v.published_at,
                        v.published_by,
                        v.budget_fen,
                        v.committed_fen,
                        v.content_hash,
                    )
                    for v in pvs
                ),
                draft=draft,
                may_edit=_may(actor, ref, *EDITORS),
                may_retire=_may(actor, ref, Role.POLICY_PUBLISHER),
            )
        )
    return lines
