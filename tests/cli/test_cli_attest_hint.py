"""A claim or an application refused for want of the enterprise's commitments (告知承诺)
tells a command-line user what to add: --attest. Other refusals pass unchanged."""

from __future__ import annotations

import pytest

from huiqi.cli.delivery import ATTEST
from huiqi.delivery.applications import ApplicationError
from huiqi.delivery.claims import ClaimError, attest_hint


@pytest.mark.parametrize("kind", [ClaimError, ApplicationError])
def test_missing_commitments_say_to_add_attest(kind: type[ClaimError]) -> None:
    with pytest.raises(kind) as caught, attest_hint(ATTEST):
        raise kind("confirm the commitments (告知承诺) on: no_incident", to_attest=("no_incident",))
    assert caught.value.message.endswith("run the command again with --attest to confirm them")
    assert caught.value.to_attest == ("no_incident",)


def test_other_refusals_are_unchanged() -> None:
    with pytest.raises(ClaimError) as caught, attest_hint(ATTEST):
        raise ClaimError("offer 3 is 'expired': the offer ended on 2026-12-31")
    assert "--attest" not in caught.value.message
