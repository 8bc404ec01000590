"""`huiqi demo` run afresh leaves nothing of an earlier demo's web pages.

Regression (QA, qa5): the console keeps a refused form's page on disk for a while
(``<data dir>/refused-forms``, :mod:`huiqi.web.refused_forms`), and ``huiqi demo
--fresh`` (:func:`wipe_demo_data`) deleted the ledger, the profile store and the runs
but not those pages: a page from the earlier demo, holding what a user typed, stayed
beside the new ledger.
"""

from __future__ import annotations

from pathlib import Path

from huiqi.cli.demo_accounts import MARKER, wipe_demo_data
from huiqi.config import get_settings
from huiqi.web.refused_forms import FOLDER


def test_a_fresh_demo_deletes_the_earlier_demos_kept_pages(tmp_path: Path) -> None:
    data = tmp_path / "data"
    stale = data / FOLDER / "0123456789abcdef-stale.json"
    stale.parent.mkdir(parents=True)
    stale.write_text("{}")
    (data / MARKER).write_text("made by 'huiqi demo'\n")
    (data / "runs").mkdir()
    wipe_demo_data(get_settings(data))
    assert not (data / "runs").exists()
    assert not (data / FOLDER).exists()
    assert (data / MARKER).exists()
