"""A policy text is whatever an officer pastes: every odd text is refused as a PolicyError
with the file and position, never another exception."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from huiqi.errors import PolicyError
from huiqi.policies import yamlmarks
from huiqi.policies.loader import library_dir, load_policy, load_policy_text, policy_files


def test_a_control_character_is_refused_with_its_line_and_column() -> None:
    """Regression: a pasted text with a control character (ESC) raised PyYAML's ReaderError,
    which the simulation page answered with a server error."""
    with pytest.raises(PolicyError) as refused:
        load_policy_text("id: x\nversion: 1\ntitle: a\x1bb\n", "draft.yaml")
    assert "#x001b is not allowed" in str(refused.value)
    assert str(refused.value).startswith("draft.yaml, line 3, column 9:")


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("2025-13-45", "line 1, column 1"),
        ("id: x\nvalid_from: 2026-02-30\n", "line 2, column 13"),
        ("a:\n  - 2025-01-01 25:00:00\n", "line 2, column 5"),
    ],
)
def test_a_date_that_is_no_day_is_refused_with_its_line_and_column(text: str, where: str) -> None:
    """Regression: a date-shaped value that is no such day (month 13, 30 February) raised
    ValueError from PyYAML's timestamp constructor, which the simulation page (and
    `huiqi policy lint`) answered with a server error and a traceback."""
    with pytest.raises(PolicyError) as refused:
        load_policy_text(text, "draft.yaml")
    assert str(refused.value).startswith(f"draft.yaml, {where}")
    assert "is not a date" in str(refused.value)


def test_a_real_date_still_loads_as_a_date() -> None:
    data, _ = yamlmarks.load_with_marks("a: 2026-02-28\n", "x.yaml")
    assert data["a"].isoformat() == "2026-02-28"


@settings(max_examples=200, deadline=None, derandomize=True, database=None)
@given(st.text(max_size=200))
def test_any_text_loads_or_is_refused_as_a_policy_error(text: str) -> None:
    with contextlib.suppress(PolicyError):
        load_policy_text(text, "draft.yaml")


def _outcome(load: Callable[[], tuple[Any, Any]]) -> Any:
    try:
        return load()
    except PolicyError as refused:
        return ("refused", str(refused))


_scalars = st.none() | st.booleans() | st.integers() | st.text(max_size=20)
_documents = st.recursive(
    _scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(st.text(max_size=200) | _documents.map(lambda d: yaml.safe_dump(d, allow_unicode=True)))
def test_libyaml_and_the_python_parser_give_the_same_data_marks_and_errors(text: str) -> None:
    """The fast path (libyaml) is only a speed-up: whatever the text, load_with_marks gives
    what the pure-Python parser gives (data, positions, or the same refusal)."""
    fast = _outcome(lambda: yamlmarks.load_with_marks(text, "draft.yaml"))
    slow = _outcome(lambda: yamlmarks._load(yamlmarks._Loader, text, "draft.yaml"))
    assert fast == slow


def test_the_shipped_library_parses_the_same_on_both_parsers() -> None:
    files = policy_files([library_dir()])
    assert files and yamlmarks._FastLoader is not None
    for f in files:
        text = f.read_text(encoding="utf-8")
        fast = yamlmarks._load(yamlmarks._FastLoader, text, str(f))
        assert fast == yamlmarks._load(yamlmarks._Loader, text, str(f)), f


def _laughs(levels: int) -> str:
    """Each level a list of nine aliases of the level below: 9**levels values in all."""
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, levels)]
    return "\n".join(lines) + f"\nid: *a{levels - 1}\n"


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("id: &a [*a]\n", "line 1, column 5"),  # a list that holds itself
        ("id: &a {b: *a}\n", "line 1, column 9"),  # a mapping that holds itself
        ("a: &x 1\nb: *x\n", "line 2, column 1"),
        (_laughs(9), "line 2, column 5"),  # 9**9 values once expanded
    ],
)
def test_an_alias_is_refused_with_its_line_and_column(text: str, where: str) -> None:
    """Regression: an alias of the collection that holds it (`id: &a [*a]`) made
    `huiqi policy lint` (and the console's draft editor) die with RecursionError and a
    traceback, and nested aliases of aliases (a billion laughs) kept it busy without end."""
    for load in (
        lambda: yamlmarks.load_with_marks(text, "draft.yaml"),
        lambda: yamlmarks._load(yamlmarks._Loader, text, "draft.yaml"),
    ):
        with pytest.raises(PolicyError) as refused:
            load()
        assert str(refused.value).startswith(f"draft.yaml, {where}: anchors and aliases")


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("criteria:\n  - label: {zh: a}\n      expr: b > 1\n", "line 3, column 7"),  # too deep
        ("id: x\nsource:\n    document: d\n   article: a\n", "line 4, column 4"),  # too shallow
    ],
)
def test_a_line_indented_out_of_its_block_says_to_line_it_up(text: str, where: str) -> None:
    """Regression: a line indented more or less than its neighbours was refused with
    PyYAML's "expected <block end>, but found '<block mapping start>'" and nothing to do."""
    with pytest.raises(PolicyError) as refused:
        load_policy_text(text, "draft.yaml")
    assert str(refused.value).startswith(f"draft.yaml, {where}: not valid YAML")
    assert "line it up, with spaces" in str(refused.value)


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ('id: x\nversion: 1\ntitle: {zh: "x, en: y}\nlevel: city\n', "line 3, column 13"),
        ("id: x\ntitle: 'abc\n", "line 2, column 8"),
    ],
)
def test_an_unclosed_quote_is_named_where_it_opens(text: str, where: str) -> None:
    """Regression: a quote never closed was reported as "found unexpected end of stream" at
    the line after the file's end, which named neither the quote nor where it stands."""
    with pytest.raises(PolicyError) as refused:
        load_policy_text(text, "draft.yaml")
    message = str(refused.value)
    assert message.startswith(f"draft.yaml, {where}:"), message
    assert "the quote that opens here is never closed" in message


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be"])
def test_a_utf16_policy_file_is_named_as_such(tmp_path: Path, encoding: str) -> None:
    """Regression: a policy saved as Notepad's "Unicode" (UTF-16 with a byte-order mark)
    was refused as "policy files must be UTF-8 text", without saying what it was or what
    to do."""
    source = policy_files([library_dir()])[0]
    path = tmp_path / source.name
    text = source.read_text(encoding="utf-8")
    path.write_bytes(
        ("\ufeff" + text).encode(encoding) if encoding.endswith("be") else text.encode(encoding)
    )
    with pytest.raises(PolicyError) as refused:
        load_policy(path)
    assert "this one is UTF-16" in str(refused.value)
    assert "save it as UTF-8" in str(refused.value)


@pytest.mark.parametrize("word", ["no", "No", "yes", "off", "ON"])
def test_a_text_yaml_reads_as_yes_or_no_says_what_to_quote(word: str) -> None:
    """Regression: a test case named `no` was refused with "YAML read False as a number;
    put a code in quotes, e.g. "False"": False is no number, and quoting "False" would
    have renamed the case. The message now quotes what was written."""
    shipped = library_dir() / "yp-tech-sme-award-2026.yaml"
    text = shipped.read_text(encoding="utf-8")
    old = "  - name: amount between floor and cap\n"
    assert old in text
    with pytest.raises(PolicyError) as refused:
        load_policy_text(text.replace(old, f"  - name: {word}\n", 1), shipped.name)
    truth = "true" if word.lower() in ("yes", "on") else "false"
    assert refused.value.message == (
        f"Input should be a valid string: YAML reads {word} as {truth} (a yes/no value); put"
        f' the text in quotes, e.g. "{word}"'
    )
    loc = refused.value.location
    assert loc is not None and loc.field == "tests[0].name" and loc.column == 11


def _nested_block(levels: int) -> str:
    """``levels`` mappings, each indented under the one before."""
    return "".join(f"{' ' * i}k{i}:\n" for i in range(levels)) + f"{' ' * levels}x: 1\n"


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("id: " + "[" * 10_000 + "]" * 10_000 + "\n", "line 1, column 104"),
        ("id: " + "[" * 100 + "]" * 100 + "\n", "line 1, column 104"),
        # The key whose value is one level too deep: the 99th 'a', and k99.
        ("id: " + "{a: " * 500 + "1" + "}" * 500 + "\n", "line 1, column 398"),
        (_nested_block(300), "line 100, column 100"),
    ],
)
def test_lists_nested_thousands_deep_are_refused_with_their_line_and_column(
    text: str, where: str
) -> None:
    """Regression: a draft pasted on the simulation page as "[[[[…" ten thousand deep made
    PyYAML's composer recurse until RecursionError, a server error (500) with a traceback
    in the log, instead of a message at the position of the first list too deep."""
    for load in (
        lambda: yamlmarks.load_with_marks(text, "draft.yaml"),
        lambda: yamlmarks._load(yamlmarks._Loader, text, "draft.yaml"),
        lambda: load_policy_text(text, "draft.yaml"),
    ):
        with pytest.raises(PolicyError) as refused:
            load()
        assert str(refused.value).startswith(f"draft.yaml, {where}: not valid YAML: lists or")
        assert "more than 100 levels" in str(refused.value)


def test_a_policy_nested_a_hundred_levels_deep_still_loads() -> None:
    """The depth limit is far above what a policy needs: 100 levels in all still load."""
    text = "id: " + "[" * 99 + "]" * 99 + "\n"
    for loader in (yamlmarks._Loader, yamlmarks._FastLoader or yamlmarks._Loader):
        data, _ = yamlmarks._load(loader, text, "draft.yaml")
        assert "id" in data
