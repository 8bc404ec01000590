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

from huiqi.profiles import resident_id
from huiqi.profiles.synth_population import Population
from huiqi.profiles.uscc import make

SHARED_REP = 0.03
SUBSIDIARY = 0.06
MINOR_SHARE = 0.2
RELATED_SELLER = 1 / 6
VENDORS = [make(f"91310000MA1K{i:04d}A") for i in range(40)]
CONTRACT_TYPES = ("compute", "model", "corpus", "data", "tech_service")


def person_id(serial: int) -> str:
    """A synthetic 18-character ID number with a valid check character."""
    return str(person_ids(np.array([serial]))[0])


def person_ids(serials: np.ndarray) -> np.ndarray:
    """:func:`person_id` for many serials at once (vectorised: digit columns, then bytes)."""
    # A different number per serial below 14 million: the day from serial // 1000, the
    # sequence from the last three digits.
    born = np.datetime64("1960-01-01", "D") + (serials // 1000 % 14_000).astype("timedelta64[D]")
    month_start = born.astype("datetime64[M]")
    year = born.astype("datetime64[Y]").astype(np.int64) + 1970
    month = month_start.astype(np.int64) % 12 + 1
    day = (born - month_start.astype("datetime64[D]")).astype(np.int64) + 1
    seq = serials % 1000
    parts = [(310101, 6), (year, 4), (month, 2), (day, 2), (seq, 3)]
    digits = np.zeros((len(serials), 18), dtype=np.int64)
    at = 0
    for value, width in parts:
        for k in range(width):
            digits[:, at + k] = (np.asarray(value) // 10 ** (width - 1 - k)) % 10
        at += width
    check = np.frombuffer(resident_id.CHECKS.encode(), dtype=np.uint8)[
        (digits[:, :17] @ np.array(resident_id.WEIGHTS)) % 11
    ]
    text = (digits + ord("0")).astype(np.uint8)
    text[:, 17] = check
    return np.ascontiguousarray(text).view("S18").ravel().astype(str)


def draw_links(
    rng: np.random.Generator,
    pop: Population,
    uscc: pa.Array,
    *,
    serial_start: int,
    years: tuple[int, ...],
) -> tuple[dict[str, pa.Array], dict[str, pa.Array]]:
    """(relations columns, contracts columns) for one chunk, as the mappings' fields."""
    n = len(uscc)
    first = np.arange(n) > 0
    shared = (rng.random(n) < SHARED_REP) & first
    parent = (rng.random(n) < SUBSIDIARY) & first
    minor = rng.random(n) < MINOR_SHARE
    shares = np.where(minor, rng.integers(5, 25, n), rng.integers(25, 101, n))
    # The legal representative of every enterprise (the previous one's, when shared) ...
    reps = person_ids(serial_start + np.arange(n) - shared.astype(np.int64))
    # ... and, for a subsidiary, the previous enterprise as its shareholder.
    held = np.flatnonzero(parent)
    start = pa.array(pop.registration_day.astype(np.int32), type=pa.date32())
    order = np.argsort(np.concatenate([np.arange(n), held]), kind="stable")
    nothing = pa.nulls(n, pa.string())
    columns = {
        "uscc": pa.concat_arrays([uscc, uscc.take(held)]),
        "party_kind": pa.array(["person"] * n + ["enterprise"] * len(held)),
        "party": pa.concat_arrays([pa.array(reps), uscc.take(held - 1)]),
        "relation": pa.array(["legal_representative"] * n + ["shareholder"] * len(held)),
        "share_pct": pa.concat_arrays([nothing, pa.array(shares[held].astype(str))]),
        "valid_from": pa.concat_arrays([start, start.take(held)]),
        "valid_to": pa.nulls(n + len(held), pa.date32()),
    }
    relations = {k: v.take(order) for k, v in columns.items()}
    related_to = shared | (parent & (shares >= 25))
    return relations, _contracts(rng, pop, uscc.to_pylist(), related_to, years)


def _contracts(
    rng: np.random.Generator,
    pop: Population,
    codes: list[str],
    related_to: np.ndarray,
    years: tuple[int, ...],
) -> dict[str, pa.Array]:
    """Contracts of the voucher users; related_to[i]: enterprise i-1 is a related party."""
    out: dict[str, list] = {
        k: []
        for k in ("uscc", "contract_id", "seller_uscc", "contract_type", "amount", "signed_on")
    }
    for i in np.flatnonzero(pop.ai_user):
        for year in years:
            for k in range(int(rng.integers(1, 4))):
                seller = VENDORS[int(rng.integers(len(VENDORS)))]
                if related_to[i] and rng.random() < RELATED_SELLER:
                    seller = codes[i - 1]
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
