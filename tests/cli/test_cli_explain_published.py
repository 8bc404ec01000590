"""`huiqi explain --version / --hash`: explain a published version from its frozen text."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cliutil
import pytest

from huiqi.engine import PolicyTrace
from huiqi.engine.compile.compiler import EXAMPLE_POLICY
from huiqi.engine.ledger_form import complete, ledger_form

LIBRARY = Path(__file__).resolve().parents[2] / "huiqi" / "policies" / "library"
# Published from a file outside the library, with an amount the library never had:
# explaining it proves the text comes from the ledger.
PUBLISHED_ONLY = (
    EXAMPLE_POLICY.replace("id: example", "id: published-only")
    .replace('formula: "10000"', 'formula: "12345.67"')
    .replace("revenue >= 1000000", "revenue >= 0")
)


TOKENS: dict[Path, dict[str, str]] = {}


def run(data: Path, *args: str, who: str = "officer") -> tuple[int, str]:
    """Run as a signed-in user of this data directory (the officer by default)."""
    return cliutil.run(data, *args, token=TOKENS[data][who])


@dataclass(frozen=True)
class Ledger:
    data: Path
    hashes: dict[str, str]
    uscc: str
    stored: dict[str, Any]


@pytest.fixture(scope="module")
def ledger(tmp_path_factory: pytest.TempPathFactory) -> Ledger:
    """A population, and two published versions with their stored explanations."""
    root = tmp_path_factory.mktemp("published")
    data = root / "data"
    TOKENS[data] = cliutil.accounts(data)
    assert run(data, "generate", "-n", "1500", "--seed", "5", who="steward")[0] == 0
    extra = root / "published-only.yaml"
    extra.write_text(PUBLISHED_ONLY.replace("data_year: 2024", "data_year: 2025"), "utf-8")
    for path in (LIBRARY / "sh-stable-jobs-refund-2026.yaml", extra):
        code, out = run(data, "publish", str(path))
        assert code == 0, out
    with sqlite3.connect(data / "huiqi.db") as con:
        hashes = dict(con.execute("SELECT policy_id, content_hash FROM policy_versions"))
        uscc, stored = con.execute(
            "SELECT e.uscc, e.explanation FROM entitlements e JOIN policy_versions v"
            " ON v.id = e.policy_version_id WHERE v.policy_id = 'sh-stable-jobs-refund-2026'"
            " ORDER BY e.uscc LIMIT 1"
        ).fetchone()
    return Ledger(data, hashes, uscc, json.loads(stored))


def _explained(data: Path, *args: str) -> list[dict[str, Any]]:
    code, out = run(data, "explain", *args, "--json")
    assert code == 0, out
    result = json.loads(out)
    assert isinstance(result, list)
    return result


def test_explain_by_version_equals_the_stored_explanation(ledger: Ledger) -> None:
    uscc = ledger.uscc
    (e,) = _explained(ledger.data, uscc, "sh-stable-jobs-refund-2026", "--version", "1")
    # The ledger keeps the per-enterprise parts; the version's shared parts come back
    # from any full trace of that version.
    assert ledger_form(e) == ledger.stored
    assert complete(ledger.stored, e) == e
    assert e["content_hash"] == ledger.hashes["sh-stable-jobs-refund-2026"]
    assert PolicyTrace.from_json(e).to_json() == e


def test_explain_by_hash_prefix_gives_the_same_trace(ledger: Ledger) -> None:
    uscc, full = ledger.uscc, ledger.hashes["sh-stable-jobs-refund-2026"]
    by_hash = _explained(ledger.data, uscc, "--hash", full[:12].upper())
    by_version = _explained(ledger.data, uscc, "sh-stable-jobs-refund-2026", "--version", "1")
    assert by_hash == by_version


def test_explain_by_a_hash_copied_with_its_ellipsis(ledger: Ledger) -> None:
    """Regression: the hash copied as 'huiqi publish' prints it ('5b25475fe118…') was
    refused as not hexadecimal, saying to give it as 'huiqi publish' prints it."""
    uscc, full = ledger.uscc, ledger.hashes["sh-stable-jobs-refund-2026"]
    by_version = _explained(ledger.data, uscc, "sh-stable-jobs-refund-2026", "--version", "1")
    assert _explained(ledger.data, uscc, "--hash", f"{full[:12]}…") == by_version
    assert _explained(ledger.data, uscc, "--hash", f"{full[:12]}...") == by_version


def test_explain_reads_the_frozen_text_not_the_library(ledger: Ledger) -> None:
    uscc = ledger.uscc
    (e,) = _explained(ledger.data, uscc, "published-only", "--version", "1")
    assert (e["policy_id"], e["status"]) == ("published-only", "eligible")
    assert e["amount"]["amount_fen"] == 1_234_567


def test_explain_published_human_output(ledger: Ledger) -> None:
    uscc = ledger.uscc
    code, out = run(ledger.data, "explain", uscc, "published-only", "--version", "1")
    assert code == 0, out
    assert "published-only v1" in out and "meets 1 of 1 condition" in out


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["--version", "1"], 2, "--version N needs a POLICY_ID"),
        (
            ["sh-stable-jobs-refund-2026", "--version", "9"],
            3,
            # It named no way to find the versions there are (QA).
            "no published policy version with sh-stable-jobs-refund-2026 v9; 'huiqi versions'"
            " lists the published ones",
        ),
        (["--hash", "abc"], 2, "at least 6 hexadecimal characters"),
        (["--hash", "abcdeg"], 2, "at least 6 hexadecimal characters"),
        (["--hash", "0000000000", "--policies", __file__], 2, "leave it out with --version"),
        (["--hash", "0000000000"], 3, "no published policy version with hash 0000000000"),
    ],
)
def test_explain_published_refusals(
    ledger: Ledger, args: list[str], code: int, message: str
) -> None:
    got, out = run(ledger.data, "explain", ledger.uscc, *args)
    assert got == code, out
    assert message in out and "Traceback" not in out


def test_explain_without_version_finds_the_newest_published_version(ledger: Ledger) -> None:
    """Regression: without --version, explain knew only the library, so a policy
    published from another folder was 'not found' for every enterprise."""
    uscc = ledger.uscc
    (e,) = _explained(ledger.data, uscc, "published-only")
    assert (e["policy_id"], e["status"], e["content_hash"]) == (
        "published-only",
        "eligible",
        ledger.hashes["published-only"],
    )
    assert e["amount"]["amount_fen"] == 1_234_567
    every = {t["policy_id"]: t for t in _explained(ledger.data, uscc, "--all")}
    assert every["published-only"] == e  # among every policy, too
    assert "jd-hte-award-2026" in every  # and the library's, not published here


def test_a_policy_neither_in_the_library_nor_published_is_not_found(ledger: Ledger) -> None:
    code, out = run(ledger.data, "explain", ledger.uscc, "never-published")
    assert code == 3
    assert "no policy 'never-published' in the library or this data directory's published" in (
        " ".join(out.split())
    )


@pytest.mark.parametrize(
    ("written", "meant"),
    [
        ("sh-stable-jobs-refund", "'sh-stable-jobs-refund-2025', 'sh-stable-jobs-refund-2026'"),
        ("sh-stable-job-refund-2026", "'sh-stable-jobs-refund-2026'"),
    ],
)
def test_a_policy_id_without_its_year_or_misspelt_names_the_ids_meant(
    ledger: Ledger, written: str, meant: str
) -> None:
    """Regression: 'huiqi explain USCC sh-stable-jobs-refund' (the year left out, as the
    policy is spoken of) said only that no such policy exists, and to list them all."""
    code, out = run(ledger.data, "explain", ledger.uscc, written)
    said = " ".join(out.split())
    assert code == 3
    assert f"no policy '{written}' in the library or this data directory's published" in said
    assert f"(did you mean {meant}" in said, said
