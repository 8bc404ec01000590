"""The grants page of an enterprise, read by a role that may read its ledger but not its
ratings (a finance officer): the grants without the stars, not a refusal about ratings."""

from __future__ import annotations

from portal_data import Portal, sign_in


def test_a_finance_officer_reads_an_enterprises_grants(portal: Portal) -> None:
    """Regression (QA): /grants?uscc=… answered a finance officer 403 "may not read …'s
    ratings", though the ledger lets finance officers read the enterprise's grants."""
    client = sign_in(portal.client(), "finance")
    uscc = portal.usccs[0]
    page = client.get(f"/grants?uscc={uscc}")
    assert page.status_code == 200, page.text[-2000:]
    assert "ratings" not in page.text
    # A role that may read neither is still refused.
    steward = sign_in(portal.client(), "steward")
    assert steward.get(f"/grants?uscc={uscc}").status_code == 403
