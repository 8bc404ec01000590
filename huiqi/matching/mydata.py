""" "My data" (我的数据): the values huiqi holds about one enterprise, with source and year.

Read from a frozen snapshot (the latest by default) through the engine's own reader of
raw profiles, so the enterprise sees exactly the values its matches were decided on,
each with the registry that supplied it (the dictionary's ``source``) and its year.
Values it has reported as wrong carry the open correction request's id.

Access: the enterprise itself and the operator of its park, nobody else: officers see
an enterprise's values through explanations of their policies, not as a list. Personal
fields (a founder's age or gender) are shown to the enterprise itself only.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from huiqi.accounts.access import Actor
from huiqi.accounts.roles import Role
from huiqi.config import Settings
from huiqi.delivery.feedback_models import CorrectionRequest
from huiqi.engine import get_backend, open_snapshot
from huiqi.engine.duckdb.backend import DuckDBBackend
from huiqi.engine.duckdb.profile_rows import read_profiles
from huiqi.engine.profile import RawProfile
from huiqi.engine.trace import jsonable
from huiqi.errors import NotFoundError
from huiqi.matching.visibility import require_sees_enterprise
from huiqi.profiles.dictionary import Field, load_dictionary
from huiqi.profiles.uscc import validate


@dataclass(frozen=True)
class HeldValue:
    """One value huiqi holds: a static field (year None) or a yearly field in one year."""

    field: str
    label_zh: str
    label_en: str
    type: str
    year: int | None
    value: Any  # its exact JSON form: decimals as strings, dates ISO
    unit: str | None
    source: str
    source_zh: str
    source_en: str
    open_request: int | None = None  # an open correction request about it
    # A coded value's name from its code list (中外合资 for 'foreign_invested'), else None.
    value_zh: str | None = None
    value_en: str | None = None
    # False for the identifier and fields huiqi works out from others (the region in the
    # USCC, the industry section, the size class): their source is what can be wrong.
    correctable: bool = True


@dataclass(frozen=True)
class HeldCertificate:
    field: str
    label_zh: str
    label_en: str
    valid_from: dt.date
    valid_to: dt.date
    source: str
    source_zh: str
    source_en: str


@dataclass(frozen=True)
class MyData:
    uscc: str
    name: str | None
    snapshot_id: int
    values: tuple[HeldValue, ...]  # dictionary order, newest year first
    certificates: tuple[HeldCertificate, ...]


def read_profile(
    settings: Settings, uscc: str, snapshot_id: int | None = None
) -> tuple[int, RawProfile]:
    """The enterprise's raw profile in a snapshot (no access check: callers check).

    Raises NotFoundError when the snapshot does not hold the enterprise.
    """
    snapshot = open_snapshot(settings, snapshot_id)
    engine = get_backend("duckdb")
    assert isinstance(engine, DuckDBBackend)
    with engine.connect(snapshot) as con:
        found = read_profiles(con, [uscc])
    if not found:
        raise NotFoundError(f"no enterprise with USCC {uscc} in snapshot {snapshot.id}")
    return snapshot.id, found[0]


def held_value(profile: RawProfile, f: Field, year: int | None) -> Any:
    """The value a profile holds for a field (in a year), as its JSON form."""
    if f.type == "qualification":
        periods = [(a, b) for q, a, b in profile.qualifications if q == f.name]
        return [[jsonable(a), jsonable(b)] for a, b in sorted(periods)] or None
    if f.yearly:
        return jsonable((profile.years.get(year or 0) or {}).get(f.name))
    return jsonable(profile.static.get(f.name))


def my_data(
    settings: Settings,
    session: Session,
    *,
    actor: Actor,
    uscc: str,
    snapshot_id: int | None = None,
) -> MyData:
    """Every value huiqi holds about the enterprise, with its source registry and year."""
    code = validate(uscc.strip().upper(), prefixes=None)
    require_sees_enterprise(
        settings, session, actor, code, f"see the data held about {code}", snapshot_id=snapshot_id
    )
    sid, prof = read_profile(settings, code, snapshot_id)
    d = load_dictionary()
    # Personal fields (a founder's age, gender) are for the enterprise itself, not for
    # the operator of its park.
    personal = code in actor.scopes(Role.ENTERPRISE)
    open_requests = {
        (f, y): i
        for i, f, y in session.execute(
            select(CorrectionRequest.id, CorrectionRequest.field, CorrectionRequest.year).where(
                CorrectionRequest.uscc == code, CorrectionRequest.status == "open"
            )
        ).all()
    }

    def value(f: Field, year: int | None, raw: Any) -> HeldValue:
        src = d.registries.get(f.source)
        names = d.codelist(f.codes) if f.type == "enum" and f.codes and raw is not None else None
        return HeldValue(
            field=f.name,
            label_zh=f.label.zh,
            label_en=f.label.en,
            type=f.type,
            year=year,
            value=jsonable(raw),
            unit=f.unit,
            source=f.source,
            source_zh=src.zh if src else f.source,
            source_en=src.en if src else f.source,
            open_request=open_requests.get((f.name, year)),
            value_zh=names.label(str(raw), "zh") if names else None,
            value_en=names.label(str(raw), "en") if names else None,
            correctable=not (f.key or f.derived),
        )

    values: list[HeldValue] = []
    for f in d.fields:
        if f.key or f.type == "qualification" or (f.personal and not personal):
            continue
        if f.yearly:
            for year in sorted(prof.years, reverse=True):
                raw = prof.years[year].get(f.name)
                if raw is not None:
                    values.append(value(f, year, raw))
        elif prof.static.get(f.name) is not None:
            values.append(value(f, None, prof.static[f.name]))
    certificates = []
    for name, start, end in sorted(prof.qualifications):
        f = d.field(name)
        src = d.registries.get(f.source)
        certificates.append(
            HeldCertificate(
                name,
                f.label.zh,
                f.label.en,
                start,
                end,
                f.source,
                src.zh if src else f.source,
                src.en if src else f.source,
            )
        )
    return MyData(
        uscc=code,
        name=prof.static.get("name"),
        snapshot_id=sid,
        values=tuple(values),
        certificates=tuple(certificates),
    )
