"""The imports a steward looks back on (``profiles.service``: ``list_imports``,
``read_import``, ``import_report_file``): snapshots and imports that made none, newest
first, each named by a reference that is looked up, never joined onto a path."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from huiqi.accounts.access import AccessDenied, Actor
from huiqi.accounts.roles import Role, RoleGrant
from huiqi.config import Settings
from huiqi.errors import NotFoundError
from huiqi.profiles.importer import import_file
from huiqi.profiles.service import import_report_file, list_imports, read_import
from huiqi.profiles.uscc import make

STEWARD = Actor("steward", (RoleGrant(Role.DATA_STEWARD),))
HEADER = "统一社会信用代码,企业名称,注册区划代码\n"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """A store with two imports that made snapshots and one that made none, in that order."""
    settings = Settings(tmp_path / "data")
    files = {
        "one.csv": f"{HEADER}{make('91310115MA1000001')},甲,310115\nBAD,乙,310115\n",
        "none.csv": f"{HEADER}BAD,丙,310115\n",
        "two.csv": f"{HEADER}{make('91310115MA1000002')},丁,310115\n",
    }
    for name, text in files.items():
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        import_file(settings, path, mapping="market")
    return settings


def test_the_history_lists_every_import_newest_first(settings: Settings) -> None:
    entries = list_imports(settings, actor=STEWARD)
    assert [(e.file, e.snapshot_id) for e in entries] == [
        ("two.csv", 2),
        ("none.csv", None),
        ("one.csv", 1),
    ]
    one = entries[-1]
    assert (one.ref, one.registry, one.rows_read, one.rows_accepted) == ("1", "market", 2, 1)
    assert (one.rows_rejected, one.rows_changed) == (1, 1)
    none = entries[1]
    assert re.fullmatch(r"\d{8}T\d{12}Z-[0-9a-f]{12}", none.ref) and none.rows_rejected == 1


def test_a_report_is_read_by_its_reference(settings: Settings) -> None:
    none = list_imports(settings, actor=STEWARD)[1]
    found = read_import(settings, actor=STEWARD, ref=none.ref)
    assert found.report["rows_accepted"] == 0 and found.files == ("rejects.csv", "normalised.csv")
    assert [(r["line"], r["field"], r["value"]) for r in found.rejects] == [("2", "uscc", "BAD")]
    path = import_report_file(settings, actor=STEWARD, ref=none.ref, name="rejects.csv")
    assert path.parent.name == none.ref and path.is_file()
    assert read_import(settings, actor=STEWARD, ref="1").entry.file == "one.csv"


@pytest.mark.parametrize(
    "ref",
    ["3", "0", "01", "", "..", "../1", "1/../2", "not-imported", "/etc/passwd", "1 ", "x" * 500],
)
def test_a_reference_naming_no_import_is_not_found(settings: Settings, ref: str) -> None:
    with pytest.raises(NotFoundError):
        read_import(settings, actor=STEWARD, ref=ref)
    with pytest.raises(NotFoundError):
        import_report_file(settings, actor=STEWARD, ref=ref, name="rejects.csv")


@pytest.mark.parametrize("name", ["report.json", "../rejects.csv", "rejects.csv/", ""])
def test_only_the_report_files_are_downloads(settings: Settings, name: str) -> None:
    with pytest.raises(NotFoundError):
        import_report_file(settings, actor=STEWARD, ref="1", name=name)


def test_a_snapshot_made_without_an_import_has_no_report(settings: Settings) -> None:
    (settings.imports_dir / "2" / "report.json").unlink()
    with pytest.raises(NotFoundError, match="left no report"):
        read_import(settings, actor=STEWARD, ref="2")
    newest = list_imports(settings, actor=STEWARD)[0]
    assert newest.rows_changed is None and not newest.reported


def test_a_store_not_made_yet_has_no_imports(tmp_path: Path) -> None:
    assert list_imports(Settings(tmp_path / "data"), actor=STEWARD) == []


@pytest.mark.parametrize(
    "grant",
    [RoleGrant(Role.ADMIN), RoleGrant(Role.POLICY_AUTHOR, "*"), RoleGrant(Role.FINANCE_OFFICER)],
)
def test_only_a_steward_reads_the_reports(settings: Settings, grant: RoleGrant) -> None:
    other = Actor("other", (grant,))
    with pytest.raises(AccessDenied):
        list_imports(settings, actor=other)
    with pytest.raises(AccessDenied):
        read_import(settings, actor=other, ref="1")
    with pytest.raises(AccessDenied):
        import_report_file(settings, actor=other, ref="1", name="rejects.csv")


def test_a_mapping_file_given_by_path_is_reported_by_its_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Regression (qa9): a mapping file given by path whose name is a built-in mapping's
    (market.yaml, name: market) was reported "with mapping 'market'", in the summary, the
    report and the history's page, as if the built-in one had been used."""
    from importlib import resources

    own = tmp_path / "office" / "market.yaml"
    own.parent.mkdir()
    own.write_bytes(resources.files("huiqi.profiles").joinpath("mappings/market.yaml").read_bytes())
    monkeypatch.chdir(tmp_path)
    settings = Settings(tmp_path / "data")
    for name, text in (
        ("ok.csv", f"{make('91310115MA1000001')},甲,310115\n"),
        ("no.csv", "BAD,乙,1\n"),
    ):
        path = tmp_path / name
        path.write_text(HEADER + text, encoding="utf-8")
        report = import_file(settings, path, mapping="office/market.yaml")
        assert report.mapping == str(own.resolve())
        assert f"with mapping '{own.resolve()}'" in report.summary()
    assert import_file(settings, path, mapping="market").mapping == "market"
    entries = list_imports(settings, actor=STEWARD)
    assert [e.registry for e in entries] == ["market", "market", "market"]
    shown = [read_import(settings, actor=STEWARD, ref=e.ref).report["mapping"] for e in entries]
    assert shown == ["market", str(own.resolve()), str(own.resolve())]
