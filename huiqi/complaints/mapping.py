"""Which header of a complaint export feeds which complaint field.

A mapping file is YAML with one key, ``columns``: complaint field → the file's header.
The built-in one (``mappings/complaint_system.yaml``) reads the complaint system's
export; another system's export needs only its own headers.

Example:
    >>> m = default_mapping()
    >>> m.columns["id_number"], sorted(REQUIRED) == sorted(("ref", "id_number", "uscc", "text", "filed_on"))
    ('证件号码', True)
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import yaml

from huiqi.errors import MappingError
from huiqi.policies.yamlmarks import safe_load
from huiqi.textfiles import read_utf8

FIELDS = (
    "ref", "name", "id_number", "phone", "address", "bank", "uscc", "product", "amount",
    "claim", "text", "filed_on",
)  # fmt: skip
REQUIRED = ("ref", "id_number", "uscc", "text", "filed_on")


@dataclass(frozen=True)
class ComplaintMapping:
    columns: dict[str, str]  # field → header
    origin: str

    def positions(self, headers: list[str]) -> dict[int, str]:
        """File column position → field, for the mapped headers the file has; MappingError
        naming the required fields' headers the file lacks (an optional field's column
        may be absent: :meth:`absent` names them, and their cells read as empty)."""
        where = {h.strip(): i for i, h in enumerate(headers)}
        missing = [
            f"{f} ({h})" for f, h in self.columns.items() if h not in where and f in REQUIRED
        ]
        if missing:
            # The mapping's name first read as if the mapping file lacked the columns.
            raise MappingError(
                f"the file has no column for {', '.join(missing)}, which mapping"
                f" {self.origin} reads; its headers are {headers}. Give a mapping file with"
                " this file's headers (--mapping)."
            )
        return {where[h]: f for f, h in self.columns.items() if h in where}

    def absent(self, headers: list[str]) -> list[str]:
        """The optional fields the mapping names a header for that the file lacks, as
        "field (header)"."""
        present = {h.strip() for h in headers}
        return [f"{f} ({h})" for f, h in self.columns.items() if h not in present]


def parse_mapping(text: str, origin: str) -> ComplaintMapping:
    """A mapping from YAML text; MappingError saying what is wrong and what is expected."""
    try:
        data = safe_load(text)
    except yaml.YAMLError as exc:
        raise MappingError(f"{origin}: not YAML ({exc})") from None
    columns = data.get("columns") if isinstance(data, dict) else None
    if not isinstance(columns, dict):
        raise MappingError(f"{origin}: expected a 'columns:' table of field: header")
    unknown = sorted(str(k) for k in columns if k not in FIELDS)
    if unknown:
        raise MappingError(f"{origin}: unknown fields {unknown}; the fields are {list(FIELDS)}")
    missing = [f for f in REQUIRED if f not in columns]
    if missing:
        raise MappingError(f"{origin}: no header given for the required fields {missing}")
    bad = [k for k, v in columns.items() if not isinstance(v, str) or not v.strip()]
    if bad:
        raise MappingError(f"{origin}: the header of {bad} must be non-empty text")
    headers = [v.strip() for v in columns.values()]
    if len(set(headers)) != len(headers):
        raise MappingError(f"{origin}: one header feeds two fields; give each field its own")
    return ComplaintMapping({str(k): str(v).strip() for k, v in columns.items()}, origin)


def load_mapping(path: Path | None = None) -> ComplaintMapping:
    """The mapping in ``path``, or the built-in one for the complaint system's export."""
    if path is None:
        return default_mapping()
    return parse_mapping(read_utf8(path, "mapping file", MappingError), str(path))


def default_mapping() -> ComplaintMapping:
    res = resources.files("huiqi.complaints").joinpath("mappings", "complaint_system.yaml")
    return parse_mapping(res.read_text("utf-8"), "complaint_system.yaml")
