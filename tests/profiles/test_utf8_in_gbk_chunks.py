"""Finding a UTF-8 line in a chunk of a GBK file without decoding every line.

``any_utf8_in_gbk`` looks only at the lines where a run of non-ASCII bytes opens as a
UTF-8 Chinese character would; it must answer exactly what decoding every line
(``utf8_in_gbk``) answers, or a UTF-8 row in a GBK file would be stored garbled (or a
good file sent to the slow reader).
"""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from huiqi.profiles.faststage import transcode
from huiqi.profiles.textlines import any_utf8_in_gbk, utf8_in_gbk

CHINESE = st.text(
    alphabet=st.sampled_from("上海市浦东新区科技有限公司级·、。（）０１镕铖〇㐀䶵龥ＡＺ"),
    min_size=1,
    max_size=8,
)
ASCII = st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=127), max_size=12).map(
    lambda t: t.replace("\n", " ")
)
OTHER = st.text(
    alphabet=st.characters(min_codepoint=0x80, max_codepoint=0x2FFFF, exclude_categories=("Cs",)),
    max_size=4,
)


def _line(kind: str, text: str, ascii_text: str) -> bytes:
    if kind == "gbk":
        return (ascii_text + text).encode("gb18030")
    if kind == "utf8":
        return (ascii_text + text).encode()
    if kind == "utf8-other":  # UTF-8, but not only Chinese text
        return (text + ascii_text).encode()
    return ascii_text.encode()


LINE = st.one_of(
    st.tuples(st.sampled_from(["gbk", "utf8", "ascii"]), CHINESE, ASCII).map(lambda t: _line(*t)),
    st.tuples(st.just("utf8-other"), OTHER, ASCII).map(lambda t: _line(*t)),
    st.binary(max_size=12).map(lambda b: b.replace(b"\n", b"")),
)


def decoding_every_line(chunk: bytes) -> bool:
    return any(utf8_in_gbk(line) for line in chunk.split(b"\n"))


@settings(max_examples=400, deadline=None)
@given(
    lines=st.lists(LINE, max_size=8), ending=st.sampled_from([b"\n", b"\r\n"]), last=st.booleans()
)
def test_same_answer_as_decoding_every_line(lines: list[bytes], ending: bytes, last: bool) -> None:
    chunk = ending.join(lines) + (ending if last else b"")
    assert any_utf8_in_gbk(chunk) == decoding_every_line(chunk)


def test_a_utf8_line_anywhere_is_found() -> None:
    gbk = "91310000MA1FL0000X,2022,1.00,A级\n".encode("gb18030")
    utf8 = "91310000MA1FL0001X,2022,1.00,上海镕铖\n".encode()
    for chunk in (utf8 + gbk * 50, gbk * 50 + utf8, gbk * 25 + utf8 + gbk * 25, utf8.rstrip()):
        assert any_utf8_in_gbk(chunk)
    assert not any_utf8_in_gbk(gbk * 100)
    assert not any_utf8_in_gbk("·".encode()[:1])  # a lead byte with nothing after it


def test_transcode_refuses_a_gbk_file_with_a_utf8_line_past_the_first_chunk(
    tmp_path: Path,
) -> None:
    """The fast path copies the file chunk by chunk: a UTF-8 line deep in the file must
    still send it to the per-line reader (which rejects that line)."""
    gbk = "91310000MA1FL0000X,2022,1.00,A级\n".encode("gb18030")
    path, target = tmp_path / "tax.csv", tmp_path / "utf8.csv"
    path.write_bytes(gbk * 60_000 + "91310000MA1FL0001X,2022,1.00,上海\n".encode() + gbk)
    assert not transcode(path, target)
    path.write_bytes(gbk * 60_001)
    assert transcode(path, target)
    assert target.read_bytes() == (gbk * 60_001).decode("gb18030").encode()
