"""``huiqi policy list``: the same listing whether the files' headers come from validating
them or from the summaries kept under their hashes (huiqi.policies.summaries); a file that
fails to validate is reported every time, and is never kept."""

from __future__ import annotations

import json
import re
import shutil
import stat
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from huiqi.cli.main import cli
from huiqi.policies import loader, summaries
from huiqi.policies.files import library_dir

LIBRARY = library_dir()


def _list(data: Path, *paths: Path) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["--data-dir", str(data), "policy", "list", *map(str, paths)])
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def loads(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """One entry per time the listing loaded and validated the files."""
    calls: list[int] = []
    real = loader.load_library

    def spy(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(loader, "load_library", spy)
    return calls


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """Three valid policies, one that fails validation, one a duplicate id@version."""
    pol = tmp_path / "policies"
    pol.mkdir()
    for name in ("jd-hte-award-2026", "mh-hte-award-2026", "sh-stable-jobs-refund-2026"):
        shutil.copy(LIBRARY / f"{name}.yaml", pol)
    text = (LIBRARY / "jd-little-giant-award-2026.yaml").read_text("utf-8")
    assert "\nversion: 1\n" in text
    (pol / "bad.yaml").write_text(text.replace("\nversion: 1\n", "\nversion: 0\n"), "utf-8")
    shutil.copy(LIBRARY / "jd-hte-award-2026.yaml", pol / "zz-dup.yaml")
    return pol


def test_the_library_is_listed_the_same_from_its_kept_summaries(
    tmp_path: Path, loads: list[int]
) -> None:
    data = tmp_path / "data"
    data.mkdir()
    cold = _list(data)
    assert cold[0] == 0 and "37 policies; delivery modes:" in cold[1], cold
    assert loads == [1]
    warm = _list(data)
    assert warm == cold
    assert loads == [1], "the second listing validated again"
    cache = data / summaries.CACHE
    assert stat.S_IMODE(cache.stat().st_mode) == 0o600


def test_a_file_that_fails_validation_is_reported_every_time_and_never_kept(
    tmp_path: Path, folder: Path, loads: list[int]
) -> None:
    data = tmp_path / "data"
    data.mkdir()
    cold = _list(data, folder)
    assert cold[0] == 4, cold  # files that do not load are findings (as lint says)
    assert "3 policies; delivery modes:" in cold[1]
    errors = " ".join(cold[2].split())
    assert "bad.yaml, line 2, column 10, field 'version': Input should be greater than" in errors
    assert "zz-dup.yaml: policy jd-hte-award-2026@1 is also defined in" in errors
    assert _list(data, folder) == cold
    assert loads == [1, 1]  # validated each time: a file in it is not kept
    kept = json.loads((data / summaries.CACHE).read_text("utf-8"))["policies"]
    bad = summaries.file_hash((folder / "bad.yaml").read_bytes())
    assert bad not in kept and len(kept) == 3
    # Without the bad file and the duplicate, the rest is listed from what was kept.
    (folder / "bad.yaml").unlink()
    (folder / "zz-dup.yaml").unlink()
    loads.clear()
    assert _list(data, folder) == (0, cold[1], "")
    assert loads == []


def test_a_duplicate_of_kept_files_is_still_reported(
    tmp_path: Path, folder: Path, loads: list[int]
) -> None:
    """Both files' hashes are kept (the same text): the duplicate id@version is found in
    the summaries and the files are validated, so the error is the loader's."""
    data = tmp_path / "data"
    data.mkdir()
    (folder / "bad.yaml").unlink()
    (folder / "zz-dup.yaml").unlink()
    _list(data, folder)
    shutil.copy(folder / "jd-hte-award-2026.yaml", folder / "zz-dup.yaml")
    loads.clear()
    code, _out, err = _list(data, folder)
    assert code == 4 and "is also defined in" in err
    assert loads == [1]


def test_a_changed_file_is_validated_again_and_shown_as_it_is_now(
    tmp_path: Path, folder: Path, loads: list[int]
) -> None:
    data = tmp_path / "data"
    data.mkdir()
    _list(data, folder)
    path = folder / "mh-hte-award-2026.yaml"
    text = path.read_text("utf-8")
    path.write_text(text.replace("闵行区高新技术企业认定奖励", "闵行区改过的标题"), "utf-8")
    loads.clear()
    code, out, _err = _list(data, folder)
    assert code == 4 and "闵行区改过的标题" in out  # bad.yaml and zz-dup.yaml: findings
    assert loads == [1]
    # Now invalid: reported, although its old text's summary is kept.
    assert "\nversion: 1\n" in text
    path.write_text(text.replace("\nversion: 1\n", "\nversion: -3\n"), "utf-8")
    code, out, err = _list(data, folder)
    assert "mh-hte-award-2026 " not in out, out
    assert "mh-hte-award-2026.yaml, line 5" in " ".join(err.split()), err


@pytest.mark.parametrize(
    "tamper",
    [
        lambda cache: {**cache, "fingerprint": "0" * 64},  # other code validated them
        lambda cache: {
            **cache,
            "policies": {h: {**s, "version": True} for h, s in cache["policies"].items()},
        },
        lambda cache: {
            **cache,
            "policies": {h: {**s, "extra": 1} for h, s in cache["policies"].items()},
        },
        lambda cache: [cache],
    ],
    ids=["fingerprint", "bad-type", "extra-field", "not-a-mapping"],
)
def test_summaries_it_cannot_trust_are_not_used(
    tmp_path: Path, loads: list[int], tamper: Any
) -> None:
    data = tmp_path / "data"
    data.mkdir()
    cold = _list(data)
    cache = data / summaries.CACHE
    cache.write_text(json.dumps(tamper(json.loads(cache.read_text("utf-8")))), "utf-8")
    loads.clear()
    assert _list(data) == cold
    assert loads == [1]


def test_a_listing_creates_no_data_directory(tmp_path: Path, loads: list[int]) -> None:
    data = tmp_path / "nowhere"
    assert _list(data)[0] == 0
    assert not data.exists()


def test_the_fingerprint_covers_the_validating_code_and_libraries() -> None:
    """The model, the loader, the YAML reader and pydantic's and PyYAML's versions."""
    import pydantic
    import yaml

    here = Path(summaries.__file__).parent
    for name in summaries._OWN:
        assert (here / name).is_file(), name
    assert f"VERSION = '{pydantic.VERSION}'" in (
        Path(pydantic.__file__).with_name("version.py").read_text("utf-8")
    )
    assert f"__version__ = '{yaml.__version__}'" in (Path(yaml.__file__).read_text("utf-8"))


def test_the_delivery_modes_line_is_words_not_a_python_dict(tmp_path: Path) -> None:
    """Regression: the last line printed "delivery modes: {'confirm': 15, 'apply': 10, ...}",
    a Python dict's repr."""
    data = tmp_path / "data"
    data.mkdir()
    code, out, _ = _list(data)
    assert code == 0
    last = out.splitlines()[-1]
    assert re.fullmatch(r"\d+ policies; delivery modes: apply \d+, auto \d+, confirm \d+", last)


def test_a_file_that_is_not_a_policy_exits_4_as_lint_does(tmp_path: Path) -> None:
    """Regression: 'huiqi policy list README.md' printed an empty table and the YAML error
    and exited 0, as if the listing had succeeded; lint of the same file exits 4."""
    readme = tmp_path / "README.md"
    readme.write_text("# Notes\n\nSee: the policies folder: here\n", "utf-8")
    code, out, err = _list(tmp_path / "data", readme)
    assert code == 4, (out, err)
    assert "README.md" in err and "0 policies" in out
