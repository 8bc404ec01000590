"""An officer scoped to another district, asking about an enterprise by its USCC
(``?uscc=``), is refused with a message in the page's language that says why and who may,
as other out-of-scope pages refuse. Before, a publisher of district 310104 asking about an
enterprise registered in 310115 got a 200 with empty content on /almost and /grants (and
their JSON twins), which read as "this enterprise has nothing"."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from portal_data import AUTO, DISTRICT, Portal, add_publishers, portal_world, sign_in
from sqlalchemy import update

from huiqi.db.engine import transaction
from huiqi.delivery.models import DirectoryEntry

OWNER, NO_DISTRICT = 0, 1  # the portal's enterprises by number


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Portal]:
    """A portal whose first enterprise is registered in the policies' district and whose
    second has no district recorded."""
    with portal_world(Path(tmp_path_factory.mktemp("districts"))) as portal:
        add_publishers(portal)
        with transaction(portal.factory) as s:
            s.execute(
                update(DirectoryEntry)
                .where(DirectoryEntry.uscc == portal.usccs[OWNER])
                .values(district_code=DISTRICT)
            )
            s.execute(
                update(DirectoryEntry)
                .where(DirectoryEntry.uscc == portal.usccs[NO_DISTRICT])
                .values(district_code=None)
            )
        yield portal


@pytest.mark.parametrize("path", ["/almost", "/grants"])
def test_an_officer_of_another_district_is_refused_the_page_in_its_language(
    world: Portal, path: str
) -> None:
    code = world.usccs[OWNER]
    client = sign_in(world.client(), "outsider")
    page = client.get(path, params={"uscc": code})
    assert page.status_code == 403
    assert f"企业 {code} 登记在 {DISTRICT} 区，不在您负责的区（310104）内" in page.text
    assert "请由该区或全市范围的政策官员查看" in page.text
    client.get("/lang/en")
    page = client.get(path, params={"uscc": code})
    assert page.status_code == 403
    assert f"enterprise {code} is registered in district {DISTRICT}" in page.text
    assert "outside the districts you act for (310104)" in page.text


@pytest.mark.parametrize("path", ["/almost", "/grants"])
def test_an_officer_of_the_enterprise_s_district_still_reads_the_page(
    world: Portal, path: str
) -> None:
    client = sign_in(world.client(), "publisher")
    page = client.get(path, params={"uscc": world.usccs[OWNER]})
    assert page.status_code == 200
    if path == "/grants":  # its grant of the district's 免申即享 policy
        assert f'href="/policies/{AUTO}"' in page.text


@pytest.mark.parametrize(
    ("user", "path"),
    [
        ("outsider", "/api/v1/grants"),
        ("outsider", "/api/v1/records"),
        ("outsider", "/api/v1/near-misses"),
        ("reviewer-elsewhere", "/api/v1/applications"),
        ("reviewer-elsewhere", "/api/v1/grants"),
    ],
)
def test_the_json_twins_refuse_an_officer_of_another_district(
    world: Portal, user: str, path: str
) -> None:
    code = world.usccs[OWNER]
    headers = {"Authorization": f"Bearer {world.token(user)}"}
    got = world.client().get(path, params={"uscc": code}, headers=headers)
    assert got.status_code == 403, got.text
    assert f"is registered in district {DISTRICT}, outside the districts" in got.text


def test_an_enterprise_with_no_district_is_outside_every_district_officer_s_scope(
    world: Portal,
) -> None:
    code = world.usccs[NO_DISTRICT]
    client = sign_in(world.client(), "publisher")
    page = client.get("/grants", params={"uscc": code})
    assert page.status_code == 403
    assert f"企业 {code} 没有登记所在区" in page.text
    headers = {"Authorization": f"Bearer {world.token('officer')}"}  # city-wide
    assert world.client().get("/api/v1/grants", params={"uscc": code}, headers=headers).is_success
