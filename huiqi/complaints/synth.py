"""A seeded synthetic complaint stream with planted professional-complainant rings.

Ordinary complainants mostly complain once, about harm that happened, in their own
words; a few complain several times (some even ask for the punitive compensation the
law gives them, or send the same complaint twice); some share an address or a phone
with a relative. Professional complainants (牟利性职业举报) come in rings: a few
identities that share phones, addresses or a bank account, each filing many
complaints against many unrelated enterprises, buying small amounts and demanding
十倍/三倍 compensation with near-identical templated texts, in bursts.

The stream carries clear identity fields, as the complaint system's export would;
the importer hashes and masks them (:mod:`huiqi.complaints.identity`). The ground
truth (which ID numbers belong to a ring) comes back beside it, never in the export.

Example:
    >>> stream = generate(Scenario(complaints=500, seed=1))
    >>> stream.complaints.num_rows >= 500, int(stream.truth.column("professional").to_numpy().sum()) > 0
    (True, True)
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from huiqi.complaints import synth_text
from huiqi.profiles import resident_id
from huiqi.profiles.uscc import make

START = dt.date(2025, 1, 1)  # a year of complaints, all before today
DAYS = 365
_DISTRICTS = (
    "310101", "310104", "310105", "310106", "310107", "310109", "310110", "310112",
    "310113", "310114", "310115", "310116", "310117", "310118", "310120", "310151",
)  # fmt: skip
_DISTRICT_NAMES = (
    "黄浦区", "徐汇区", "长宁区", "静安区", "普陀区", "虹口区", "杨浦区", "闵行区",
    "宝山区", "嘉定区", "浦东新区", "金山区", "松江区", "青浦区", "奉贤区", "崇明区",
)  # fmt: skip
_ROADS = tuple(f"{a}{b}路" for a in "长宁华山延安淮海南京中山浦东世纪" for b in "东西南北中")
_GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰建国志红梅"
_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜"
_ID_WEIGHTS = np.array(resident_id.WEIGHTS)


@dataclass(frozen=True)
class Scenario:
    """The default scenario: what the detector's figures are measured on."""

    complaints: int = 20_000
    seed: int = 20260101
    professional_share: float = 0.12  # of the complaints, filed by ring members
    enterprises: int | None = None  # default: one per four complaints
    family_share: float = 0.04  # ordinary complainants sharing an address with a relative
    phone_share: float = 0.01  # ... or a phone


@dataclass(frozen=True)
class Stream:
    complaints: pa.Table  # the export: clear identity fields, one row per complaint
    truth: pa.Table  # id_number, ring (-1: ordinary), professional


def _id_numbers(rng: np.random.Generator, index: np.ndarray) -> list[str]:
    """Valid 18-character resident ID numbers (GB 11643), distinct for distinct ``index``."""
    district = np.asarray(_DISTRICTS)[rng.integers(0, len(_DISTRICTS), len(index))]
    birth = np.datetime64("1950-01-01") + (index // 1000 * 7_919) % 20_000
    seq = index % 1000
    bodies = [
        f"{d}{str(b).replace('-', '')}{s:03d}" for d, b, s in zip(district, birth, seq, strict=True)
    ]
    digits = np.frombuffer("".join(bodies).encode("ascii"), dtype=np.uint8).reshape(-1, 17) - 48
    checks = (digits.astype(np.int64) @ _ID_WEIGHTS) % 11
    return [b + resident_id.CHECKS[c] for b, c in zip(bodies, checks, strict=True)]


def _phones(index: np.ndarray) -> list[str]:
    # A bijection of the index onto 10^9 numbers (982451653 is coprime to 10): distinct.
    body = (index.astype(np.int64) * 982_451_653 + 12_345) % 1_000_000_000
    return [f"13{b:09d}" for b in body]


def _banks(index: np.ndarray) -> list[str]:
    body = (index.astype(np.int64) * 1_000_000_007 + 777) % 10**15
    return [f"6222{b:015d}" for b in body]


def _addresses(index: np.ndarray) -> list[str]:
    mixed = (index.astype(np.int64) * 7_919 + 31) % (16 * len(_ROADS) * 900 * 60)
    district, rest = mixed % 16, mixed // 16
    road, rest = rest % len(_ROADS), rest // len(_ROADS)
    lane, room = rest % 900 + 1, rest // 900 + 101
    return [
        f"上海市{_DISTRICT_NAMES[d]}{_ROADS[r]}{la}弄{ro}室"
        for d, r, la, ro in zip(district, road, lane, room, strict=True)
    ]


def _names(rng: np.random.Generator, n: int) -> list[str]:
    s = rng.integers(0, len(_SURNAMES), n)
    g1, g2 = rng.integers(0, len(_GIVEN), n), rng.integers(-len(_GIVEN), len(_GIVEN), n)
    return [
        _SURNAMES[a] + _GIVEN[b] + (_GIVEN[c] if c >= 0 else "")
        for a, b, c in zip(s, g1, g2, strict=True)
    ]


def _enterprises(rng: np.random.Generator, n: int) -> np.ndarray:
    alphabet = np.asarray(list("0123456789ABCDEFGHJKLMNPQRTUWXY"))
    body = alphabet[rng.integers(0, len(alphabet), (n, 9))]
    district = np.asarray(_DISTRICTS)[rng.integers(0, len(_DISTRICTS), n)]
    codes = {make(f"91{d}{''.join(b)}") for d, b in zip(district, body, strict=True)}
    return np.asarray(sorted(codes), dtype=object)


@dataclass
class _Rows:
    """Complaints as parallel arrays, before they become the export table."""

    person: list[np.ndarray]
    uscc: list[np.ndarray]
    product: list[np.ndarray]
    amount: list[np.ndarray]  # fen
    claim: list[np.ndarray]  # fen
    day: list[np.ndarray]
    text: list[list[str]]


def _md(days: np.ndarray) -> np.ndarray:
    dates = np.datetime64(START) + days
    months = dates.astype("datetime64[M]")
    mm = months.astype(np.int64) % 12 + 1
    dd = (dates - months.astype("datetime64[D]")).astype(np.int64) + 1
    return np.asarray([f"{m}月{d}日" for m, d in zip(mm, dd, strict=True)], dtype=object)


def _ordinary(
    rng: np.random.Generator, n_target: int, ents: np.ndarray, rows: _Rows
) -> tuple[int, np.ndarray]:
    """Ordinary complainants until ``n_target`` complaints: (persons, per-person counts)."""
    counts_list: list[int] = []
    total = 0
    while total < n_target:
        batch = rng.choice([1, 2, 3, 4, 5, 6], size=10_000, p=[0.8, 0.13, 0.04, 0.015, 0.01, 0.005])
        cum = np.cumsum(batch) + total
        take = int(np.searchsorted(cum, n_target)) + 1
        counts_list.extend(batch[:take].tolist())
        total = int(cum[min(take, len(cum)) - 1])
    if total > n_target:  # the last complainant files only what is left of the target
        counts_list[-1] -= total - n_target
    counts = np.asarray(counts_list, dtype=np.int64)  # empty when every complaint is a ring's
    persons = len(counts)
    person = np.repeat(np.arange(persons), counts)
    n = len(person)
    # Popular shops get more complaints (a Zipf-like tail).
    weights = 1.0 / np.arange(1, len(ents) + 1) ** 0.6
    uscc = ents[rng.choice(len(ents), size=n, p=weights / weights.sum())]
    product = np.asarray(synth_text.PRODUCTS, dtype=object)[
        rng.integers(0, len(synth_text.PRODUCTS), n)
    ]
    amount = np.clip(rng.lognormal(np.log(80_000), 1.2, n), 1_000, 20_000_000).astype(np.int64)
    punitive = rng.random(n) < 0.04
    claim = np.where(
        punitive,
        amount * 3,
        np.where(rng.random(n) < 0.5, amount, amount + rng.integers(0, 50_000, n)),
    ).astype(np.int64)
    day = rng.integers(0, DAYS, n)
    texts = synth_text.ordinary_texts(rng, product, _md(day), punitive)
    # A few send the same complaint again, to the same enterprise, a little later.
    again = np.flatnonzero((np.diff(person, prepend=-1) == 0) & (rng.random(n) < 0.15))
    for i in again:
        texts[i], uscc[i], product[i] = texts[i - 1], uscc[i - 1], product[i - 1]
        amount[i], claim[i] = amount[i - 1], claim[i - 1]
        day[i] = min(day[i - 1] + int(rng.integers(1, 20)), DAYS - 1)
    rows.person.append(person)
    rows.uscc.append(uscc)
    rows.product.append(product)
    rows.amount.append(amount)
    rows.claim.append(claim)
    rows.day.append(day)
    rows.text.append(texts)
    return persons, counts


def _rings(
    rng: np.random.Generator, n_target: int, first_person: int, ents: np.ndarray, rows: _Rows
) -> tuple[list[int], dict[str, list[int]]]:
    """Rings until ``n_target`` complaints: each identity's ring, and the shared
    attributes: for each linking field, the ring member indices that use the ring's value."""
    ring_of: list[int] = []
    shared: dict[str, list[int]] = {"phone": [], "address": [], "bank": []}
    total, ring = 0, 0
    snacks = np.asarray(synth_text.SNACKS, dtype=object)
    while total < n_target:
        members = int(min(1 + rng.poisson(2.0), 8))
        templates = rng.choice(
            len(synth_text.TEMPLATES), size=int(rng.integers(1, 3)), replace=False
        )
        bursts = rng.integers(0, DAYS - 7, int(rng.integers(2, 6)))
        uses = {
            f: rng.random(members) < p for f, p in (("phone", 0.6), ("address", 0.5), ("bank", 0.7))
        }
        if members > 1 and not any(u.any() for u in uses.values()):
            uses["bank"][:] = True
        for m in range(members):
            if total >= n_target:
                break  # the ring's last members file nothing: the target is reached
            person = first_person + len(ring_of)
            ring_of.append(ring)
            for f, u in uses.items():
                if u[m]:
                    shared[f].append(person)
            k = min(int(rng.integers(3, 40)), n_target - total)
            template = rng.choice(templates, size=k)
            day = np.clip(rng.choice(bursts, size=k) + rng.integers(0, 6, k), 0, DAYS - 1)
            amount = np.clip(rng.lognormal(np.log(3_000), 0.8, k), 300, 30_000).astype(np.int64)
            tenfold = np.asarray(
                [synth_text.punitive_template(int(t)) == "十倍" for t in template], dtype=bool
            )
            claim = np.where(
                tenfold, np.maximum(100_000, amount * 10), np.maximum(50_000, amount * 3)
            ).astype(np.int64)
            product = snacks[rng.integers(0, len(snacks), k)]
            rows.person.append(np.full(k, person))
            rows.uscc.append(ents[rng.integers(0, len(ents), k)])
            rows.product.append(product)
            rows.amount.append(amount)
            rows.claim.append(claim)
            rows.day.append(day)
            rows.text.append(
                synth_text.templated_texts(template, product, _md(day), amount / 100, claim / 100)
            )
            total += k
        ring += 1
    return ring_of, shared


def generate(scenario: Scenario = Scenario()) -> Stream:
    """The complaint stream of a scenario (the same seed gives the same stream)."""
    rng = np.random.default_rng(scenario.seed)
    ents = _enterprises(rng, scenario.enterprises or max(scenario.complaints // 4, 50))
    rows = _Rows([], [], [], [], [], [], [])
    professional = round(scenario.complaints * scenario.professional_share)
    persons, _ = _ordinary(rng, scenario.complaints - professional, ents, rows)
    ring_of, shared = _rings(rng, professional, persons, ents, rows)
    everyone = persons + len(ring_of)
    # Each person's own identity, drawn from a shuffled index so numbers look unordered.
    index = rng.permutation(everyone * 3)[:everyone]
    ids, names = _id_numbers(rng, index), _names(rng, everyone)
    phones, banks, addresses = _phones(index), _banks(index), _addresses(index)
    # Relatives: an ordinary complainant sometimes gives a relative's address or phone.
    for values, share in ((addresses, scenario.family_share), (phones, scenario.phone_share)):
        for p in np.flatnonzero(rng.random(persons) < share):
            values[p] = values[int(rng.integers(0, persons))]
    # A ring's members share its phone, address and bank account (drawn past everyone).
    ring_index = everyone * 3 + 1 + np.arange(max(ring_of, default=-1) + 1)
    ring_values = {
        "phone": _phones(ring_index),
        "address": _addresses(ring_index),
        "bank": _banks(ring_index),
    }
    columns = {"phone": phones, "address": addresses, "bank": banks}
    for field, members in shared.items():
        for member in members:
            columns[field][member] = ring_values[field][ring_of[member - persons]]
    person = np.concatenate(rows.person)
    texts = [t for chunk in rows.text for t in chunk]
    order = np.lexsort((np.arange(len(person)), np.concatenate(rows.day)))
    take = pa.array(order)

    def by_person(values: list[str]) -> pa.Array:
        return pa.array(np.asarray(values, dtype=object)[person], pa.string())

    table = pa.table(
        {
            "name": by_person(names),
            "id_number": by_person(ids),
            "phone": by_person(phones),
            "address": by_person(addresses),
            "bank": by_person(banks),
            "uscc": pa.array(np.concatenate(rows.uscc), pa.string()),
            "product": pa.array(np.concatenate(rows.product), pa.string()),
            "amount_fen": pa.array(np.concatenate(rows.amount), pa.int64()),
            "claim_fen": pa.array(np.concatenate(rows.claim), pa.int64()),
            "text": pa.array(texts, pa.string()),
            "filed_on": pa.array(np.datetime64(START) + np.concatenate(rows.day)).cast(pa.date32()),
        }
    ).take(take)
    refs = pa.array([f"TS{scenario.seed % 10_000:04d}{i:09d}" for i in range(table.num_rows)])
    table = table.add_column(0, "ref", refs)
    ring = np.concatenate([np.full(persons, -1), np.asarray(ring_of, dtype=np.int64)])
    truth = pa.table(
        {
            "id_number": pa.array(ids, pa.string()),
            "ring": pa.array(ring, pa.int64()),
            "professional": pa.array(ring >= 0),
        }
    )
    return Stream(table, truth)
