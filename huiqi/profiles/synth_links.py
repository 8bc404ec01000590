"""Draw relations between enterprises and voucher contracts for the synthetic population.

* Every enterprise has a legal representative, a person with a synthetic ID number
  (GB 11643-1999 shape and check character, region 310101, never a real person's);
  about 3 % share theirs with the next enterprise of the chunk (one person
  running two firms), which makes the two related parties.
* About 6 % of enterprises are subsidiaries: the enterprise before them holds 25-100 %
  of them (a share below 25 % for a fifth of them, which is not a related party).
* Voucher users (``Population.ai_user``) buy 1-3 contracts a year (compute, model,
  corpus, data or technology service), mostly from a pool of vendors outside the
  population, and one in six from an enterprise related to them, so the related-party
  test has something to refuse.

The draws use their own random stream, so adding them changed no other file.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa

from huiqi.profiles.synth_population import Population
from huiqi.profiles.uscc import make

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"
SHARED_REP = 0.03
SUBSIDIARY = 0.06
MINOR_SHARE = 0.2
RELATED_SELLER = 1 / 6
VENDORS = [make(f"91310000MA1K{i:04d}A") for i in range(40)]
CONTRACT_TYPES = ("compute", "model", "corpus", "data", "tech_service")


def person_id(serial: int) -> str:
    """A synthetic 18-character ID number with a valid check character."""
    born = dt.date(1960, 1, 1) + dt.timedelta(days=serial % 14_000)
    body = f"310101{born:%Y%m%d}{serial % 1000:03d}"
    return body + ID_CHECK[sum(int(c) * w for c, w in zip(body, ID_WEIGHTS, strict=True)) % 11]


def draw_links(
    rng: np.random.Generator,
    pop: Population,
    uscc: pa.Array,
    *,
    serial_start: int,
    years: tuple[int, ...],
) -> tuple[dict[str, pa.Array], dict[str, pa.Array]]:
    """(relations columns, contracts columns) for one chunk, as the mappings' fields."""
    codes = uscc.to_pylist()
    n = len(codes)
    registered = [dt.date(1970, 1, 1) + dt.timedelta(days=int(d)) for d in pop.registration_day]
    rel: dict[str, list] = {k: [] for k in ("uscc", "party_kind", "party", "relation")}
    rel.update({"share_pct": [], "valid_from": [], "valid_to": []})

    def relation(i: int, kind: str, party: str, what: str, share: str | None) -> None:
        rel["uscc"].append(codes[i])
        rel["party_kind"].append(kind)
        rel["party"].append(party)
        rel["relation"].append(what)
        rel["share_pct"].append(share)
        rel["valid_from"].append(registered[i])
        rel["valid_to"].append(None)

    shared = rng.random(n) < SHARED_REP
    parent = rng.random(n) < SUBSIDIARY
    shares = rng.integers(25, 101, n)
    minor = rng.random(n) < MINOR_SHARE
    related_to: dict[int, int] = {}
    for i in range(n):
        person = serial_start + i
        if i > 0 and shared[i]:
            person -= 1  # the previous enterprise's legal representative
            related_to[i] = i - 1
        relation(i, "person", person_id(person), "legal_representative", None)
        if i > 0 and parent[i]:
            share = int(rng.integers(5, 25)) if minor[i] else int(shares[i])
            relation(i, "enterprise", codes[i - 1], "shareholder", str(share))
            if share >= 25:
                related_to[i] = i - 1
    contracts = _contracts(rng, pop, codes, related_to, years)
    return (
        {
            k: pa.array(v, type=pa.date32() if k.startswith("valid") else pa.string())
            for k, v in rel.items()
        },
        contracts,
    )


def _contracts(
    rng: np.random.Generator,
    pop: Population,
    codes: list[str],
    related_to: dict[int, int],
    years: tuple[int, ...],
) -> dict[str, pa.Array]:
    out: dict[str, list] = {
        k: []
        for k in ("uscc", "contract_id", "seller_uscc", "contract_type", "amount", "signed_on")
    }
    for i in np.flatnonzero(pop.ai_user):
        for year in years:
            for k in range(int(rng.integers(1, 4))):
                seller = VENDORS[int(rng.integers(len(VENDORS)))]
                if int(i) in related_to and rng.random() < RELATED_SELLER:
                    seller = codes[related_to[int(i)]]
                out["uscc"].append(codes[i])
                out["contract_id"].append(f"HT{year}-{codes[i][-6:]}-{k + 1}")
                out["seller_uscc"].append(seller)
                out["contract_type"].append(CONTRACT_TYPES[int(rng.integers(len(CONTRACT_TYPES)))])
                out["amount"].append(
                    f"{int(rng.integers(50_000, 3_000_000))}.{int(rng.integers(100)):02d}"
                )
                out["signed_on"].append(
                    dt.date(year, 1, 1) + dt.timedelta(days=int(rng.integers(365)))
                )
    return {
        k: pa.array(v, type=pa.date32() if k == "signed_on" else pa.string())
        for k, v in out.items()
    }
