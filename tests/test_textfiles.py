"""Hand-written YAML files (mappings, the office's dictionary, hotline and complaint
mappings) saved in another encoding are refused naming the encoding and what to do."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from huiqi.complaints.mapping import load_mapping as load_complaint_mapping
from huiqi.desk.hotline_mapping import load_hotline_mapping
from huiqi.errors import HuiqiError
from huiqi.profiles.dictionary import load_dictionary
from huiqi.profiles.mapping_file import load_mapping_file

MAPPING = "name: district-tax\nregistry: tax\nlayout: yearly\ncolumns:\n  统一社会信用代码: uscc\n"


def _dictionary(path: Path) -> Any:
    path.rename(path.with_name("dictionary.yaml"))
    return load_dictionary(path.parent)


LOADERS: dict[str, Callable[[Path], Any]] = {
    "mapping": load_mapping_file,
    "dictionary": _dictionary,
    "hotline mapping": load_hotline_mapping,
    "complaint mapping": load_complaint_mapping,
}


@pytest.mark.parametrize("kind", LOADERS)
@pytest.mark.parametrize(
    ("encoding", "said"),
    [("gbk", "this one reads as GBK"), ("utf-16", 'this one is UTF-16 (Notepad\'s "Unicode")')],
)
def test_a_file_in_another_encoding_names_it_and_what_to_do(
    tmp_path: Path, kind: str, encoding: str, said: str
) -> None:
    """Regression: a mapping saved by Notepad as ANSI (GBK) was refused with Python's own
    words ("cannot read the mapping: 'utf-8' codec can't decode byte 0xc9 in position
    58: invalid continuation byte"), which said neither what the file was nor what to do."""
    path = tmp_path / "m.yaml"
    path.write_bytes(MAPPING.encode(encoding))
    with pytest.raises(HuiqiError) as refused:
        LOADERS[kind](path)
    message = str(refused.value)
    assert said in message and "save it as UTF-8" in message, message
    assert "codec" not in message
