"""Every audit event the package can write is of a kind ``huiqi.delivery.event_kinds``
lists, and every reason it writes itself comes from a template of
``huiqi.delivery.event_reasons``: found by reading the source of every writer
(``record_event(kind=…, reason=…)`` and the event rows handed to ``record_events``), so a
writer no test runs is checked as well."""

from __future__ import annotations

import ast
import importlib
from dataclasses import dataclass
from pathlib import Path

import pytest

import huiqi
from huiqi.delivery import event_reasons
from huiqi.delivery.event_kinds import FAMILIES, KINDS, REFUSED_STATUSES
from huiqi.delivery.review import Outcome
from huiqi.delivery.statuses import RecordStatus
from huiqi.desk.models import STEP_KINDS

PACKAGE = Path(huiqi.__file__).parent
# The module that writes what it is handed: its own parameters are no kinds.
PLUMBING = {PACKAGE / "delivery" / "audit.py"}

# Kinds a writer takes from a variable, by file and expression: the kinds it can hold.
# A new writer of this sort fails the scan until its kinds are listed here (and in
# event_kinds).
VARIABLE_KINDS: dict[tuple[str, str], tuple[str, ...]] = {
    ("delivery/auto.py", "kind"): ("provisional_grant", *REFUSED_STATUSES),
    ("delivery/grantmaker.py", "refused.status"): REFUSED_STATUSES,
    ("delivery/offers.py", "kind"): ("offer", "application"),
    ("delivery/zero_offers.py", "kind"): ("offer", "application"),
    ("delivery/offer_refresh.py", "kind"): ("offer_amount", "application_estimate"),
}
# A reason a writer passes on from its caller, by file and expression: what it holds.
# The system's own words there are a record's note (its status reason), which the pages
# read as the ledger's pages do; anything else is a person's text, shown as typed.
PASSED_REASONS = {
    ("accounts/tokens.py", "client"): "the client's name (web, cli)",
    ("complaints/service.py", "why"): "an officer's reason",
    ("delivery/applications.py", "reason"): "an officer's reason",
    ("delivery/claims.py", "ent.status_reason"): "the record's note",
    ("delivery/corrections.py", "note"): "the enterprise's note",
    ("delivery/corrections.py", "why"): "a steward's reason",
    ("delivery/grantmaker.py", "reason"): "the record's note",
    ("delivery/grantmaker.py", "refused.reason"): "the record's note",
    ("delivery/grantmaker.py", "note or reasons.ALL_MET()"): "the record's note",
    ("delivery/once.py", "v['status_reason']"): "the record's note",
    ("delivery/offers.py", "reason"): "the record's note",
    ("delivery/outranked.py", "reason"): "the record's note",
    ("delivery/payments.py", "report.summary()"): "PAYMENT_RESULTS",
    ("delivery/payments.py", "reason or None"): "the bank's or an officer's reason",
    ("delivery/flags.py", "reason"): "NO_LONGER_ELIGIBLE",
    ("delivery/flag_closing.py", "reason"): "FLAG_CLOSED_REPLACED, FLAG_CLOSED_RETIRED",
    ("delivery/repayment.py", "why"): "an officer's reason",
    ("delivery/retirement.py", "note"): "the record's note",
    ("delivery/review.py", "reason"): "an officer's reason",
    ("delivery/sharing.py", "reason"): "the record's note (in Chinese and English)",
    ("delivery/topup.py", "note"): "the record's note",
    ("delivery/version_fix.py", "note"): "the record's note",
    ("delivery/version_fix.py", "old_ent.status_reason"): "the record's note",
    ("delivery/versions.py", "reason"): "an officer's reason",
    ("delivery/withdrawal.py", "why or reasons.WITHDRAWN_BY_ENTERPRISE()"): "the enterprise's",
    ("delivery/zero.py", "REASON"): "the record's note",
    ("desk/handling.py", "text"): "a person's text",
    ("profiles/service.py", "report.summary().splitlines()[0][:500]"): "IMPORTED, NOTHING_IMPORTED",
}


@dataclass(frozen=True)
class Writer:
    file: str
    line: int
    kind: ast.expr | None
    reason: ast.expr | None


def _name(func: ast.expr) -> str | None:
    return func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)


def writers() -> list[Writer]:
    """Every event the package's source writes: a call of ``record_event`` and each event
    row (a dict with an actor and a kind) built for ``record_events``."""
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path in PLUMBING:
            continue
        where = path.relative_to(PACKAGE).as_posix()
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.Call) and _name(node.func) == "record_event":
                given = {k.arg: k.value for k in node.keywords}
                found.append(Writer(where, node.lineno, given.get("kind"), given.get("reason")))
            elif isinstance(node, ast.Dict):
                keys = {
                    k.value: v
                    for k, v in zip(node.keys, node.values, strict=True)
                    if isinstance(k, ast.Constant)
                }
                if "kind" in keys and "actor" in keys and "entity" in keys:
                    found.append(Writer(where, node.lineno, keys["kind"], keys.get("reason")))
    return found


def kinds_of(writer: Writer, expr: ast.expr) -> tuple[str, ...]:
    """The kinds an expression can give: a literal, either side of ``a if c else b``, a
    family's members (``f"review_{x}"``), a status's value, a listed variable."""
    if isinstance(expr, ast.Constant) and isinstance(expr.value, str):
        return (expr.value,)
    if isinstance(expr, ast.IfExp):
        return kinds_of(writer, expr.body) + kinds_of(writer, expr.orelse)
    if isinstance(expr, ast.JoinedStr) and isinstance(expr.values[0], ast.Constant):
        prefix = str(expr.values[0].value)
        assert prefix in FAMILIES, f"{writer.file}:{writer.line}: kind family {prefix!r}"
        return tuple(prefix + v for v in FAMILIES[prefix])
    text = ast.unparse(expr)
    if text.startswith("RecordStatus.") and text.endswith(".value"):
        return (RecordStatus[text.split(".")[1]].value,)
    if isinstance(expr, ast.Name) and expr.id == "KIND":  # the module's own constant
        module = "huiqi." + writer.file.removesuffix(".py").replace("/", ".")
        return (str(importlib.import_module(module).KIND),)
    key = (writer.file, text)
    assert key in VARIABLE_KINDS, f"{writer.file}:{writer.line}: list the kinds of {text}"
    return VARIABLE_KINDS[key]


def test_the_scan_finds_the_writers() -> None:
    """The scan reads what it should: the writers of every package, dozens of them."""
    found = writers()
    assert len(found) > 60
    assert {w.file.split("/")[0] for w in found} >= {"accounts", "delivery", "desk", "profiles"}


def test_every_kind_written_is_listed() -> None:
    written = {k: w for w in writers() if w.kind is not None for k in kinds_of(w, w.kind)}
    unlisted = {k: f"{w.file}:{w.line}" for k, w in written.items() if k not in KINDS}
    assert not unlisted, f"add these kinds to huiqi.delivery.event_kinds: {unlisted}"
    # and nothing is listed that no writer writes (a kind renamed leaves no stale entry)
    assert set(KINDS) == set(written)


def test_a_writer_without_a_kind_is_caught() -> None:
    """The scan refuses what it cannot read rather than pass it."""
    writer = Writer("delivery/new.py", 1, ast.parse("some_kind", mode="eval").body, None)
    with pytest.raises(AssertionError, match="list the kinds of some_kind"):
        kinds_of(writer, writer.kind)  # type: ignore[arg-type]
    family = Writer("delivery/new.py", 1, ast.parse('f"new_{x}"', mode="eval").body, None)
    with pytest.raises(AssertionError, match="kind family 'new_'"):
        kinds_of(family, family.kind)  # type: ignore[arg-type]


def test_the_families_are_their_sources_lists() -> None:
    assert FAMILIES["review_"] == tuple(o.value.replace("-", "_") for o in Outcome)
    assert FAMILIES["desk_"] == STEP_KINDS
    assert set(REFUSED_STATUSES) <= {s.value for s in RecordStatus}
    assert len(KINDS) == len(set(KINDS))


def test_the_system_writes_its_reasons_from_templates() -> None:
    """No writer spells out a reason of its own: a literal or an f-string would be words
    the pages cannot read back. A reason passed on is listed with what it holds."""
    inline, passed = [], set()
    for w in writers():
        if w.reason is None or (isinstance(w.reason, ast.Constant) and w.reason.value is None):
            continue
        text = ast.unparse(w.reason)
        if isinstance(w.reason, ast.Constant | ast.JoinedStr | ast.BinOp):
            inline.append(f"{w.file}:{w.line}: {text}")
        elif not text.startswith(("reasons.", "(reasons.")):
            assert (w.file, text) in PASSED_REASONS, f"{w.file}:{w.line}: what is {text}?"
            passed.add((w.file, text))
    assert not inline, "write these through huiqi.delivery.event_reasons: " + "; ".join(inline)
    assert passed == set(PASSED_REASONS)  # no stale entry


def test_every_template_is_named_and_used() -> None:
    named = [v for v in vars(event_reasons).values() if isinstance(v, event_reasons.EventReason)]
    assert len(event_reasons.REASONS) == len(named)
    used = "\n".join(p.read_text("utf-8") for p in PACKAGE.rglob("*.py"))
    for name, value in vars(event_reasons).items():
        if isinstance(value, event_reasons.EventReason):
            assert f"reasons.{name}" in used, f"{name} is written by no one"
            assert set(value.kinds) <= set(KINDS), name
