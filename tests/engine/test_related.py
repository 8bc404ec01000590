"""Related parties, contract totals and group totals: the definition, unknowns, refusals,
and the DuckDB backend against the reference evaluator on random populations."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

import pytest
from engine_factories import policy_yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from huiqi.engine import get_backend
from huiqi.engine.compile.compiler import compile_policy
from huiqi.engine.edges import edge_errors
from huiqi.engine.profile import RawProfile
from huiqi.engine.related import Contract, Population, Relation
from huiqi.errors import RuleCompileError
from huiqi.policies.loader import load_policy_text
from huiqi.profiles.uscc import make

DAY = dt.date(2025, 6, 30)
A, B, C, D = (make(f"91310115MA1H{i:05d}") for i in range(4))
OUTSIDE = make("91440300MA5G7K2P1")


def rel(uscc: str, party: str, relation: str, share: str | None = None, **kw: object) -> Relation:
    kind = "person" if party.startswith("P") else "enterprise"
    start = kw.get("start", dt.date(2020, 1, 1))
    end = kw.get("end")
    assert isinstance(start, dt.date) and (end is None or isinstance(end, dt.date))
    return Relation(
        uscc, party, kind, relation, None if share is None else Decimal(share), start, end
    )


def population(*relations: Relation, contracts: tuple[Contract, ...] = ()) -> Population:
    profiles = {u: RawProfile(u) for u in (A, B, C, D)}
    for r in relations:
        profiles.setdefault(r.uscc, RawProfile(r.uscc)).relations.append(r)
    for c in contracts:
        profiles[c.uscc].contracts.append(c)
    return Population(profiles.values())


@pytest.mark.parametrize(
    ("relations", "related"),
    [
        ([rel(A, B, "shareholder", "25")], True),  # B holds exactly 25 % of A
        ([rel(A, B, "shareholder", "24.9999")], False),
        ([rel(B, A, "shareholder", "60")], True),  # A holds 60 % of B
        ([rel(A, "P1", "shareholder", "30"), rel(B, "P1", "shareholder", "25")], True),
        ([rel(A, "P1", "shareholder", "30"), rel(B, "P1", "shareholder", "20")], False),
        ([rel(A, C, "shareholder", "50"), rel(B, C, "shareholder", "50")], True),  # common parent
        ([rel(A, "P1", "legal_representative"), rel(B, "P1", "legal_representative")], True),
        ([rel(A, "P1", "legal_representative"), rel(B, "P1", "director")], False),
        ([rel(A, "P1", "director"), rel(B, "P1", "director")], False),
        ([rel(A, "P1", "senior_manager"), rel(B, "P1", "shareholder", "90")], False),
        ([rel(A, B, "shareholder", "80", end=dt.date(2025, 6, 29))], False),  # ended the day before
        ([rel(A, B, "shareholder", "80", end=DAY)], True),  # ends that day
        ([rel(A, B, "shareholder", "80", start=dt.date(2025, 7, 1))], False),  # not yet
        ([rel(A, C, "shareholder", "50"), rel(C, B, "shareholder", "50")], False),  # no chains
        ([rel(A, B, "director")], False),
    ],
)
def test_related_parties_follow_the_documented_definition(
    relations: list[Relation], related: bool
) -> None:
    pop = population(*relations)
    assert pop.related(A, B, DAY) is related
    assert pop.related(B, A, DAY) is related
    assert (B in pop.group(A, DAY)) is related


PARTIES = st.sampled_from([A, B, C, D, OUTSIDE, "P1", "P2"])
RELATIONS = st.builds(
    lambda u, p, what, share, start, days: rel(
        u,
        p,
        what,
        share if what == "shareholder" else None,
        start=dt.date(2024, 1, 1) + dt.timedelta(days=start),
        end=None if days is None else dt.date(2024, 1, 1) + dt.timedelta(days=start + days),
    ),
    st.sampled_from([A, B, C, D]),
    PARTIES,
    st.sampled_from(["shareholder", "legal_representative", "director"]),
    st.sampled_from(["10", "24.99", "25", "51", "100"]),
    st.integers(0, 700),
    st.none() | st.integers(0, 400),
)


@settings(max_examples=200, derandomize=True, database=None)
@given(relations=st.lists(RELATIONS, max_size=10), day=st.integers(0, 800))
def test_being_related_is_symmetric_and_reflexive_and_groups_agree(
    relations: list[Relation], day: int
) -> None:
    on = dt.date(2024, 1, 1) + dt.timedelta(days=day)
    pop = population(*relations)
    for x in (A, B, C, D, OUTSIDE):
        assert pop.related(x, x, on)
        for y in (A, B, C, D, OUTSIDE):
            assert pop.related(x, y, on) == pop.related(y, x, on)
            assert (y in pop.group(x, on)) == pop.related(x, y, on)


def test_relations_that_no_longer_hold_relate_no_one() -> None:
    old = dt.date(2019, 12, 31)
    pop = population(rel(A, B, "shareholder", "99", end=old))
    assert pop.group(A, DAY) == {A}


# ---------------------------------------------------------------- the rule functions


def compiled(criteria: list[tuple[str, str]], formula: str = "1", data_year: int = 2025):  # type: ignore[no-untyped-def]
    text = policy_yaml(criteria, formula=formula, data_year=data_year, as_of="2025-12-31")
    return compile_policy(load_policy_text(text, "p.yaml"))


def both(profiles: list[RawProfile], cp):  # type: ignore[no-untyped-def]
    """(DuckDB evaluations, reference evaluations), asserted equal."""
    duck = get_backend("duckdb").evaluate(profiles, [cp])
    ref = get_backend("python").evaluate(profiles, [cp])
    assert [
        (e.uscc, e.status, e.amount_fen, e.values) for e in sorted(duck, key=lambda e: e.uscc)
    ] == [(e.uscc, e.status, e.amount_fen, e.values) for e in sorted(ref, key=lambda e: e.uscc)]
    return {e.uscc: e for e in duck}


def contract(buyer: str, seller: str, kind: str, amount: str, day: str, n: int = 1) -> Contract:
    return Contract(buyer, f"K{n}", seller, kind, Decimal(amount), dt.date.fromisoformat(day))


def test_a_period_the_contract_data_does_not_cover_is_unknown_not_zero() -> None:
    cp = compiled(
        [
            ("total", "contract_total(DATE '2024-07-01', DATE '2025-06-30', 'model') >= 0"),
            ("related", "NOT related_contract(DATE '2025-01-01', DATE '2025-12-31')"),
        ]
    )
    buyer = RawProfile(A, contracts=[contract(A, OUTSIDE, "model", "100", "2025-02-01")])
    other = RawProfile(B)
    got = both([buyer, other], cp)
    # 2024 has no contract at all: the period touching it is unknown for everyone.
    assert got[A].values == (None, True) and got[B].values == (None, True)
    covered = RawProfile(C, contracts=[contract(C, OUTSIDE, "data", "1", "2024-03-01")])
    got = both([buyer, other, covered], cp)
    assert got[A].values == (True, True) and got[B].values == (True, True)


def test_contract_totals_count_types_periods_and_related_sellers() -> None:
    formula = "unrelated_contract_total(DATE '2025-01-01', DATE '2025-12-31', 'model', 'corpus')"
    cp = compiled(
        [
            ("all", "contract_total(DATE '2025-01-01', DATE '2025-12-31') = 1111.11"),
            ("related", "related_contract(DATE '2025-01-01', DATE '2025-12-31', 'model')"),
        ],
        formula=formula,
    )
    buyer = RawProfile(
        A,
        relations=[rel(A, B, "shareholder", "40")],
        contracts=[
            contract(A, OUTSIDE, "model", "1000.00", "2025-01-01", 1),
            contract(A, B, "model", "100.00", "2025-12-31", 2),  # B holds 40 %: related
            contract(A, OUTSIDE, "compute", "10.00", "2025-06-01", 3),  # another type
            contract(A, A, "corpus", "1.11", "2025-06-01", 4),  # bought from itself
            contract(A, OUTSIDE, "model", "99999", "2024-12-31", 5),  # before the period
        ],
    )
    got = both([buyer, RawProfile(B)], cp)
    assert got[A].values == (True, True)
    assert got[A].amount_fen == 100000  # 1000.00 yuan: the model contract with the outsider
    assert got[B].values == (False, False) and got[B].status == "not_eligible"


def test_a_group_total_is_unknown_when_any_member_lacks_the_value() -> None:
    cp = compiled([("group", "group_total(revenue[-1]) >= 300")])
    parent = RawProfile(B, years={2024: {"revenue": Decimal("200.00")}})
    child = RawProfile(
        A, years={2024: {"revenue": Decimal("100.00")}}, relations=[rel(A, B, "shareholder", "51")]
    )
    assert both([child, parent], cp)[A].values == (True,)
    lacking = RawProfile(B, years={2023: {"revenue": Decimal("200.00")}})
    assert both([child, lacking], cp)[A].values == (None,)
    # A related enterprise the store holds nothing about: unknown too.
    outsider = RawProfile(
        A,
        years={2024: {"revenue": Decimal("500.00")}},
        relations=[rel(A, OUTSIDE, "shareholder", "51")],
    )
    assert both([outsider], cp)[A].values == (None,)
    alone = RawProfile(C, years={2024: {"revenue": None}})
    assert both([alone], cp)[C].values == (None,)


@pytest.mark.parametrize(
    ("expr", "message"),
    [
        (
            "contract_total(DATE '2025-01-01') > 0",
            "usage: contract_total(DATE 'from', DATE 'to', 'type', ...)",
        ),
        ("contract_total(NULL, DATE '2025-12-31') > 0", "'NULL' is null, not a date"),
        ("contract_total(registration_date, as_of) > 0", "this date must be a constant"),
        (
            "contract_total(as_of, DATE '2025-01-01', NULL) > 0",
            "a contract type is a code in quotes",
        ),
        ("contract_total(as_of, as_of, 'models') > 0", "'models' is not a contract type"),
        (
            "related_contract(DATE '2025-12-31', DATE '2025-01-01')",
            "ends (2025-01-01) before it starts",
        ),
        ("group_total(NULL) > 0", "the first argument is a field"),
        ("group_total(name) > 0", "group_total adds numbers; 'name' is string"),
        ("group_total(revenue, NULL) > 0", "'NULL' is not a date"),
        ("group_total(revenue[1]) > 0", "looks past the policy's data year"),
        ("group_total(revenue) + contract_total(as_of, as_of) * revenue * revenue > 0", "digits"),
    ],
)
def test_misused_functions_are_refused_with_a_located_message(expr: str, message: str) -> None:
    with pytest.raises(RuleCompileError) as err:
        compiled([("c", expr)])
    assert message in err.value.message
    assert err.value.location is not None and err.value.location.line is not None


def test_lint_runs_the_functions_on_the_edge_frame_on_every_backend() -> None:
    text = policy_yaml(
        [
            ("a", "unrelated_contract_total(DATE '1900-01-01', DATE '2100-12-31') > 0"),
            ("b", "NOT related_contract(as_of - INTERVAL 1 YEAR, as_of, 'model')"),
            ("c", "group_total(revenue) * 2 > group_total(employees[-1]) - 1"),
            ("d", "group_total(office_floor_area, DATE '2100-12-31') > 0"),
        ],
        formula="LEAST(0.5 * contract_total(DATE '2024-01-01', DATE '2024-12-31', 'model'), 5000000)"
        " + group_total(registered_capital)",
    )
    loaded = load_policy_text(text, "p.yaml")
    assert edge_errors([(compile_policy(loaded), loaded.marks)]) == []


# ---------------------------------------------------------------- DuckDB == reference


def random_population(seed: int, n: int = 40) -> list[RawProfile]:
    rng = random.Random(seed)
    codes = [make(f"91310115MA1R{seed % 100:02d}{i:03d}") for i in range(n)]
    persons = [f"P{i}" for i in range(6)]
    parties = codes + persons + [OUTSIDE]
    out = []
    for i, u in enumerate(codes):
        years = {
            y: {
                "revenue": rng.choice([None, Decimal(rng.randint(0, 10**6)) / 100]),
                "employees": rng.choice([None, rng.randint(0, 500)]),
            }
            for y in (2023, 2024, 2025)
            if rng.random() < 0.9
        }
        static = {"registered_capital": rng.choice([None, Decimal(rng.randint(0, 10**8)) / 100])}
        relations = []
        for _ in range(rng.randint(0, 3)):
            what = rng.choice(["shareholder", "legal_representative", "director"])
            share = rng.choice(["5", "24.99", "25", "60"]) if what == "shareholder" else None
            start = dt.date(2023, 1, 1) + dt.timedelta(days=rng.randint(0, 900))
            end = rng.choice([None, start + dt.timedelta(days=rng.randint(0, 500))])
            r = rel(u, rng.choice(parties), what, share, start=start, end=end)
            if r.party != u and r not in relations:
                relations.append(r)
        contracts = [
            Contract(
                u,
                f"K{k}",
                rng.choice([*codes[max(0, i - 3) : i + 3], OUTSIDE, u]),
                rng.choice(["model", "corpus", "compute"]),
                Decimal(rng.randint(1, 10**8)) / 100,
                dt.date(rng.choice([2024, 2025]), rng.randint(1, 12), rng.randint(1, 28)),
            )
            for k in range(rng.randint(0, 4) if rng.random() < 0.5 else 0)
        ]
        out.append(
            RawProfile(u, static=static, years=years, relations=relations, contracts=contracts)
        )
    return out


ORACLE_CRITERIA = [
    ("c1", "contract_total(DATE '2025-01-01', DATE '2025-12-31', 'model') > 100000"),
    ("c2", "NOT related_contract(DATE '2024-01-01', DATE '2025-06-30')"),
    ("c3", "group_total(revenue[-1]) < 15000"),
    ("c4", "group_total(employees, DATE '2024-06-30') >= 10"),
    ("c5", "group_total(registered_capital) > 100"),
]
ORACLE_FORMULA = (
    "LEAST(0.5 * unrelated_contract_total(DATE '2025-01-01', DATE '2025-12-31', 'model',"
    " 'compute'), 5000000)"
)


@pytest.mark.parametrize("seed", range(6))
def test_duckdb_agrees_with_the_reference_on_random_populations(seed: int) -> None:
    profiles = random_population(seed)
    cps = [compiled([c], formula=ORACLE_FORMULA) for c in ORACLE_CRITERIA]
    for cp in cps:
        both(profiles, cp)
    duck = get_backend("duckdb").trace(profiles, cps)
    ref = get_backend("python").trace(profiles, cps)
    assert len(duck) == len(ref) == len(profiles) * len(cps)
    wrong = [f"{a}\n  != {b}" for a, b in zip(duck, ref, strict=True) if a != b]
    assert not wrong, f"{len(wrong)} traces differ:\n" + "\n".join(wrong[:2])


def test_an_explanation_says_what_the_aggregates_read() -> None:
    cp = compiled([ORACLE_CRITERIA[0], ORACLE_CRITERIA[2]], formula=ORACLE_FORMULA)
    buyer = RawProfile(A, contracts=[contract(A, OUTSIDE, "model", "200000.00", "2025-03-01")])
    (trace,) = get_backend("duckdb").trace([buyer], [cp])
    data = trace.to_json()
    total = "contract_total__c__20250101__20251231__model"
    assert data["criteria"][0]["values"] == {total: "200000.00"}
    assert data["fields"][total] == {
        "field": "contract_total",
        "label": "合同金额合计（2025-01-01至2025-12-31，大模型调用或部署）",
        "label_en": "Total of contracts (2025-01-01 to 2025-12-31, Large-model API calls or deployment)",
        "type": "money",
        "year": 2025,
        "source": "ai_platform",
        "period": ["2025-01-01", "2025-12-31"],
        "contract_types": ["model"],
        "unit": "yuan",
    }
    group = data["fields"]["revenue__group__20251231__2024"]
    assert group["label"] == "营业收入（本企业及2025-12-31的关联企业合计）"
    assert group["related_on"] == "2025-12-31" and group["year"] == 2024
    assert data["amount"]["amount_fen"] == 10000000
    unrelated = "unrelated_contract_total__c__20250101__20251231__compute.model"
    assert data["contracts"] == {
        total: {"count": 1, "contract_ids": ["K1"]},
        unrelated: {"count": 1, "contract_ids": ["K1"]},
    }


# ---------------------------------------------------------------- test cases' rows


CASE_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 10**20),
    st.floats(allow_nan=True),
    st.text(max_size=12),
    st.sampled_from(
        ["2025-01-01", "2025-02-30", "0.005", "25", "1e3", "-1", OUTSIDE, "shareholder", "P1"]
    ),
    st.lists(st.integers(), max_size=2),
)
CASE_ROWS = st.one_of(
    CASE_VALUES,
    st.fixed_dictionaries(
        {k: CASE_VALUES for k in ("party", "relation", "from")},
        optional={k: CASE_VALUES for k in ("share_pct", "to", "kind")},
    ),
    st.fixed_dictionaries(
        {k: CASE_VALUES for k in ("seller", "type", "amount", "signed_on")},
        optional={"id": CASE_VALUES},
    ),
    st.dictionaries(
        st.sampled_from(
            [
                "party",
                "relation",
                "share_pct",
                "from",
                "to",
                "kind",
                "seller",
                "type",
                "amount",
                "signed_on",
                "id",
                "other",
            ]
        ),
        CASE_VALUES,
        max_size=7,
    ),
)


@settings(max_examples=300, derandomize=True, database=None)
@given(name=st.sampled_from(["relations", "contracts"]), rows=st.lists(CASE_ROWS, max_size=3))
def test_a_test_cases_relations_and_contracts_are_read_or_refused_clearly(
    name: str, rows: list[object]
) -> None:
    from huiqi.engine.profile import profile_from_case
    from huiqi.errors import PolicyError

    try:
        prof = profile_from_case({name: rows}, data_year=2025)
    except PolicyError as exc:
        assert exc.message.startswith(f"profile {name}[")
        return
    for r in prof.relations:
        assert r.party_kind in ("enterprise", "person") and isinstance(r.valid_from, dt.date)
    for c in prof.contracts:
        assert isinstance(c.amount, Decimal) and c.amount == c.amount.quantize(Decimal("0.01"))
