"""The bundled reference files read the same through libyaml as through PyYAML's own parser."""

from __future__ import annotations

from importlib import resources

import pytest
import yaml

from huiqi import reference


@pytest.mark.parametrize("name", sorted(reference.names()))
def test_every_file_parses_as_the_pure_python_loader_does(name: str) -> None:
    text = resources.files("huiqi.reference").joinpath(f"{name}.yaml").read_text("utf-8")
    assert reference.load(name) == yaml.safe_load(text)


def test_names_are_the_yaml_files() -> None:
    assert {"districts", "industry_classes", "size_thresholds"} <= reference.names()
    assert not any(n.endswith(".yaml") or n.startswith("_") for n in reference.names())


def test_an_unknown_name_is_not_found() -> None:
    with pytest.raises(FileNotFoundError):
        reference.load("no_such_list")
