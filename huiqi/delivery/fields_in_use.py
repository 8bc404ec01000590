"""Refuse a data dictionary that lacks a field a published policy version reads.

An office removes a field by deleting it from ``<data dir>/dictionary.yaml``. A
published version is frozen: huiqi must still be able to explain, deliver and
recompute it, so a dictionary without one of the fields it reads is refused, with
the versions that read it and what to do.

The check reads each published version's frozen text (parsed, not compiled: a
version whose field is gone would no longer compile) and collects the field
names its criteria and amount formula use. ``guard_office_dictionary`` runs it
only when the office's set of fields changed since the last check (a stamp file
in the data directory), so commands stay fast.

Example:
    >>> sorted(fields_read("id: x\\ncriteria: [{id: a, expr: 'revenue > 0 AND holds(high_tech)'}]\\n"
    ...                    "amount: {formula: '0.1 * rd_expense'}\\n"))
    ['high_tech', 'rd_expense', 'revenue']
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from huiqi.config import Settings
from huiqi.errors import DictionaryError
from huiqi.fsmode import write_private_text
from huiqi.profiles.datadir import office_file

if TYPE_CHECKING:
    from sqlalchemy import Engine
    from sqlalchemy.orm import Session, sessionmaker

    from huiqi.profiles.dictionary import Dictionary

# The dictionary (and YAML) are imported where a check runs: the guard below runs before
# every database command, and in the usual case (nothing changed) needs neither.

STAMP = ".dictionary-fields.json"


def _expressions(raw: Any) -> list[str]:
    if not isinstance(raw, dict):
        return []
    texts = [c.get("expr") for c in raw.get("criteria") or [] if isinstance(c, dict)]
    amount = raw.get("amount")
    if isinstance(amount, dict):
        texts.append(amount.get("formula"))
    return [str(t) for t in texts if t is not None]


def fields_read(source_yaml: str) -> set[str]:
    """The dictionary field names a policy text's criteria and amount formula use."""
    # The rule parser is imported here, as the dictionary is (see above).
    import yaml
    from sqlglot import exp

    from huiqi.engine.compile.check import CONSTANTS
    from huiqi.engine.compile.compiler import parse_rule

    names: set[str] = set()
    for text in _expressions(yaml.safe_load(source_yaml)):
        tree = parse_rule(text)
        names.update(c.name for c in tree.find_all(exp.Column) if c.name not in CONSTANTS)
    return names


def fields_in_use(factory: sessionmaker[Session]) -> dict[str, list[str]]:
    """Field name -> the published versions (``policy_id v1``) that read it."""
    from huiqi.delivery.versions import published_versions

    used: dict[str, list[str]] = {}
    for pv in published_versions(factory):
        for name in fields_read(pv.source_yaml):
            used.setdefault(name, []).append(f"{pv.policy_id} v{pv.version}")
    return used


def missing_fields(factory: sessionmaker[Session], dictionary: Dictionary) -> dict[str, list[str]]:
    """The fields published versions read that ``dictionary`` does not have."""
    known = set(dictionary.names)
    return {f: v for f, v in sorted(fields_in_use(factory).items()) if f not in known}


def require_fields_in_use(factory: sessionmaker[Session], dictionary: Dictionary) -> None:
    """Raise DictionaryError when a published version reads a field the dictionary lacks."""
    missing = missing_fields(factory, dictionary)
    if not missing:
        return
    where = dictionary.extension or "the data dictionary"
    listed = "; ".join(f"'{f}' (read by {', '.join(v)})" for f, v in missing.items())
    raise DictionaryError(
        f"{where} no longer declares field(s) that published policy versions read: {listed}."
        " A published version must stay explainable and recomputable: put the field(s) back"
        " in the dictionary file; a field can be removed once no published version reads it"
    )


def _office_names(data_dir: Path) -> list[str]:
    """The office's own fields; none without an office file (then the standard dictionary,
    which has none, is not parsed: a fifth of a listing's run time)."""
    if not office_file(data_dir).exists():
        return []
    from huiqi.profiles.dictionary import load_dictionary

    return sorted(f.name for f in load_dictionary(data_dir).office_fields)


def guard_office_dictionary(settings: Settings, factory: sessionmaker[Session] | Engine) -> None:
    """Check the office's dictionary against the published versions when its fields changed.

    The office fields last found complete are kept in ``<data dir>/.dictionary-fields.json``;
    only a change (a field added or removed, the file created or deleted) runs the check.
    """
    names = office_fields_to_check(settings)
    if names is None:
        return
    from sqlalchemy import Engine

    if isinstance(factory, Engine):  # a listing's engine: sessions only for the check
        from huiqi.db.engine import session_factory

        factory = session_factory(factory)
    from huiqi.profiles.dictionary import load_dictionary

    require_fields_in_use(factory, load_dictionary(settings.data_dir))
    if settings.data_dir.exists():
        write_private_text(settings.data_dir / STAMP, json.dumps(names, ensure_ascii=False))


def office_fields_to_check(settings: Settings) -> list[str] | None:
    """The office's fields when they changed since the last check (then
    :func:`guard_office_dictionary` checks them); None when nothing changed. Without
    SQLAlchemy: the command line's quick listings ask this first (huiqi.cli.quick)."""
    names = _office_names(settings.data_dir)
    before = _read_stamp(settings.data_dir / STAMP)
    if before == names or (before is None and not names):
        return None
    return names


def _read_stamp(path: Path) -> list[str] | None:
    try:
        value = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return None
    return [str(v) for v in value] if isinstance(value, list) else None
