"""A policy file saved with a byte-order mark (Notepad's "UTF-8 with BOM") is the same
policy as without it: lint, match and publish agree on its hash, so publishing it again
is a no-op, as it already was for the same file with CRLF line ends."""

from __future__ import annotations

from pathlib import Path

from cliutil import accounts, one_enterprise, run

from huiqi.policies.loader import load_policy

POLICY = Path(__file__).parent.parent / "engine" / "hand_golden" / "qa-graduate-hiring-2026.yaml"


def test_a_byte_order_mark_does_not_make_another_version(tmp_path: Path) -> None:
    """Regression: `huiqi publish` of the published file re-saved with a BOM was refused
    with "v1 is already published with different content" (the mark was hashed as text),
    while lint and test took the file as it was."""
    data = tmp_path / "data"
    tokens = accounts(data)
    one_enterprise(data, tokens["steward"])
    code, out = run(data, "publish", str(POLICY), token=tokens["officer"])
    assert code == 0, out

    marked = tmp_path / "with-bom" / POLICY.name
    marked.parent.mkdir()
    text = POLICY.read_text(encoding="utf-8")
    marked.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    assert load_policy(marked).source_hash == load_policy(POLICY).source_hash
    code, out = run(data, "publish", str(marked), token=tokens["officer"])
    assert code == 0 and "0 new records" in out, out
    marked.write_bytes(b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode("utf-8"))
    code, out = run(data, "publish", str(marked), token=tokens["officer"])
    assert code == 0 and "0 new records" in out, out
    # Regression (QA, 2026-12-02): lint and match hashed the CRLF file with its carriage
    # returns, publish without them, so the same policy had two hashes.
    assert load_policy(marked).source_hash == load_policy(POLICY).source_hash
    old_mac = tmp_path / "cr" / POLICY.name
    old_mac.parent.mkdir()
    old_mac.write_bytes(text.replace("\n", "\r").encode("utf-8"))
    assert load_policy(old_mac).source_hash == load_policy(POLICY).source_hash


def test_a_policy_file_saved_in_gbk_is_refused_naming_the_file(tmp_path: Path) -> None:
    """Regression: `huiqi publish` of a policy file an office saved in GBK (or UTF-16) ended
    in a UnicodeDecodeError traceback, while `huiqi policy lint` named the file and said to
    save it as UTF-8."""
    data = tmp_path / "data"
    tokens = accounts(data)
    text = POLICY.read_text(encoding="utf-8")
    for encoding, says in (("gbk", "this one reads as GBK"), ("utf-16", "this one is UTF-16")):
        saved = tmp_path / encoding / POLICY.name
        saved.parent.mkdir()
        saved.write_bytes(text.encode(encoding))
        code, out = run(data, "publish", str(saved), token=tokens["officer"])
        assert code == 1, out
        assert "Traceback" not in out
        assert f"{saved}: policy files must be UTF-8 text: {says}" in out
