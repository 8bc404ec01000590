"""Seeded synthetic policies for scale tests and benchmarks.

Real policy libraries hold a few dozen hand-written files; bulk matching must
cope with hundreds (Shanghai publishes around 700 enterprise-support measures a
year). ``synth_policies`` draws any number of valid, compilable ``Policy``
objects that look like the real ones: district, industry and size conditions,
yearly money thresholds with year offsets, ratios, certificates, company age,
tags and credit flags; fixed or rate-times-field amounts with caps; every
delivery mode, some budgets and exclusivity groups. The same ``(n, seed)``
always gives the same policies. They carry no test cases: they exist for scale.

Example (compiling them is the engine's work):
    >>> policies = synth_policies(3, seed=7)
    >>> [p.id for p in policies]
    ['synth-0000', 'synth-0001', 'synth-0002']
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import yaml

from huiqi.policies.model import Amount, Criterion, Policy, Source, Text

DISTRICTS = ("310101", "310104", "310105", "310106", "310107", "310109", "310110", "310112",
             "310113", "310114", "310115", "310116", "310117", "310118", "310120", "310151")  # fmt: skip
SECTIONS = ("C", "I", "M", "F", "L", "E", "G", "R", "K", "H")
QUALIFICATIONS = ("high_tech", "tech_sme", "innovative_sme", "srdi_sme", "little_giant",
                  "advanced_service")  # fmt: skip
TAGS = ("ai", "biomedicine", "integrated_circuit", "regional_hq", "industrial_upstairs")
GROUPS = ("rd_subsidy", "startup_support", "talent_housing", "digital_transform",
          "export_services", "green_upgrade", "ai_voucher", "jobs_support")  # fmt: skip
DATA_YEARS = (2024, 2025)

Draft = tuple[str, Text, str]
Template = Callable[[random.Random, int, str], Draft]


def _pick_amount(rng: random.Random, choices: tuple[int, ...]) -> int:
    return rng.choice(choices)


def _wan(value: int) -> str:
    return f"{value / 10_000:g}万元"


def _district(rng: random.Random, k: int, region: str) -> Draft:
    if region != "310000":
        return ("registered_here", Text(zh="注册在本区", en="Registered in the district"),
                f"district_code = '{region}'")  # fmt: skip
    chosen = sorted(rng.sample(DISTRICTS, rng.randint(2, 6)))
    listed = ", ".join(f"'{d}'" for d in chosen)
    return ("in_districts", Text(zh="注册在指定区", en="Registered in a listed district"),
            f"district_code IN ({listed})")  # fmt: skip


def _industry(rng: random.Random, k: int, region: str) -> Draft:
    chosen = sorted(rng.sample(SECTIONS, rng.randint(1, 3)))
    listed = ", ".join(f"'{s}'" for s in chosen)
    return ("industry", Text(zh="属于支持的行业门类", en="In a supported industry section"),
            f"industry_section IN ({listed})")  # fmt: skip


def _size(rng: random.Random, k: int, region: str) -> Draft:
    expr = rng.choice(("size_class IN ('small', 'micro')", "size_class <> 'large'",
                       "size_class IN ('medium', 'small', 'micro')"))  # fmt: skip
    return ("sme", Text(zh="中小微企业", en="Small or medium-sized enterprise"), expr)


def _revenue(rng: random.Random, k: int, region: str) -> Draft:
    field = rng.choice(("revenue", "main_business_revenue", "tax_paid", "total_assets"))
    offset = rng.choice((0, 0, -1))
    ref = f"{field}[{offset}]" if offset else field
    floor = _pick_amount(rng, (500_000, 1_000_000, 5_000_000, 20_000_000, 100_000_000))
    return (f"{field}_floor", Text(zh=f"{field}不低于{_wan(floor)}", en=f"{field} >= {floor}"),
            f"{ref} >= {floor}")  # fmt: skip


def _growth(rng: random.Random, k: int, region: str) -> Draft:
    pct = rng.choice(("1.05", "1.1", "1.2"))
    return ("revenue_growth", Text(zh="营业收入同比增长", en="Revenue grew year on year"),
            f"revenue >= {pct} * revenue[-1] AND revenue[-1] > 0")  # fmt: skip


def _rd_ratio(rng: random.Random, k: int, region: str) -> Draft:
    rate = rng.choice(("0.03", "0.04", "0.05", "0.06"))
    return ("rd_intensity", Text(zh=f"研发费用占营业收入不低于{rate}", en=f"R&D at least {rate} of revenue"),
            f"rd_expense >= {rate} * revenue")  # fmt: skip


def _staff_ratio(rng: random.Random, k: int, region: str) -> Draft:
    field, rate = rng.choice((("rd_staff", "0.1"), ("college_staff", "0.3"), ("rd_staff", "0.2")))
    return (f"{field}_share", Text(zh=f"{field}占比不低于{rate}", en=f"{field} share >= {rate}"),
            f"{field} / employees >= {rate}")  # fmt: skip


def _holds(rng: random.Random, k: int, region: str) -> Draft:
    q = rng.choice(QUALIFICATIONS)
    return (f"holds_{q}", Text(zh=f"持有有效{q}资质", en=f"Holds a valid {q} certificate"),
            f"holds({q})")  # fmt: skip


def _age(rng: random.Random, k: int, region: str) -> Draft:
    years = rng.choice((1, 2, 3, 5, 8))
    if rng.random() < 0.5:
        return ("young", Text(zh=f"成立不满{years}年", en=f"Registered less than {years} years ago"),
                f"years_since(registration_date) < {years}")  # fmt: skip
    return ("established", Text(zh=f"成立满{years}年", en=f"Registered at least {years} years ago"),
            f"years_since(registration_date) >= {years}")  # fmt: skip


def _tag(rng: random.Random, k: int, region: str) -> Draft:
    tag = rng.choice(TAGS)
    return (f"tag_{tag}", Text(zh=f"具有{tag}标签", en=f"Tagged {tag}"),
            f"has_tag(tags, '{tag}')")  # fmt: skip


def _credit(rng: random.Random, k: int, region: str) -> Draft:
    expr = rng.choice(("NOT credit_dishonest", "NOT credit_dishonest AND NOT abnormal_operation",
                       "NOT serious_violation", "NOT abnormal_operation"))  # fmt: skip
    return ("credit_good", Text(zh="信用良好", en="Good credit record"), expr)


def _employees(rng: random.Random, k: int, region: str) -> Draft:
    field = rng.choice(("employees", "insured_employees"))
    low = rng.choice((5, 10, 20, 50, 100))
    if rng.random() < 0.3:
        high = low * rng.choice((5, 10, 20))
        return (f"{field}_band", Text(zh=f"{field}在{low}至{high}人之间", en=f"{field} {low}-{high}"),
                f"{field} BETWEEN {low} AND {high}")  # fmt: skip
    return (f"{field}_floor", Text(zh=f"{field}不少于{low}人", en=f"{field} at least {low}"),
            f"{field} >= {low}")  # fmt: skip


def _ip(rng: random.Random, k: int, region: str) -> Draft:
    n = rng.choice((1, 2, 5))
    return ("ip_owned", Text(zh=f"拥有I类知识产权不少于{n}项", en=f"At least {n} class-I IP items"),
            f"ip_class1_count >= {n} OR ip_class2_count >= {n * 5}")  # fmt: skip


def _ai(rng: random.Random, k: int, region: str) -> Draft:
    field = rng.choice(("compute_rent", "model_contract", "corpus_contract"))
    floor = _pick_amount(rng, (50_000, 100_000, 500_000))
    return (f"{field}_floor", Text(zh=f"{field}不低于{_wan(floor)}", en=f"{field} >= {floor}"),
            f"{field} >= {floor}")  # fmt: skip


TEMPLATES: tuple[Template, ...] = (
    _district, _industry, _size, _revenue, _growth, _rd_ratio, _staff_ratio, _holds, _age,
    _tag, _credit, _employees, _ip, _ai,
)  # fmt: skip
# Real measures nearly always test location, size or credit; weight those up.
WEIGHTS = (3.0, 3.0, 3.0, 3.0, 1.0, 2.0, 1.0, 2.0, 2.0, 1.0, 3.0, 2.0, 1.0, 0.5)


def _amount(rng: random.Random) -> Amount:
    kind = rng.random()
    if kind < 0.35:
        return Amount(formula=str(rng.choice((10_000, 50_000, 100_000, 200_000, 500_000))))
    field, rate, cap = rng.choice(
        (
            ("rd_expense", "0.1", 2_000_000), ("rd_expense", "0.2", 5_000_000),
            ("rent_paid", "0.5", 300_000), ("ui_premiums_paid", "0.6", None),
            ("fixed_asset_investment", "0.1", 10_000_000), ("model_contract", "0.3", 1_000_000),
            ("compute_rent", "0.2", 2_000_000), ("equity_financing", "0.05", 1_000_000),
        )
    )  # fmt: skip
    if kind < 0.85:
        return Amount(formula=f"{rate} * {field}", cap=Decimal(cap) if cap else None)
    if kind < 0.95:
        per = rng.choice((1_000, 2_000, 5_000))
        return Amount(formula=f"{per} * graduate_hires", cap=Decimal(per * 50))
    return Amount(
        formula=f"CASE WHEN size_class = 'large' THEN 0.3 * {field} ELSE 0.6 * {field} END",
        cap=Decimal(cap) if cap else Decimal(1_000_000),
    )


def _policy(rng: random.Random, i: int) -> Policy:
    level = "district" if rng.random() < 0.4 else "city"
    region = rng.choice(DISTRICTS) if level == "district" else "310000"
    data_year = rng.choice(DATA_YEARS)
    n_criteria = rng.randint(2, 6)
    templates: list[Template] = []
    while len(templates) < n_criteria:
        t = rng.choices(TEMPLATES, weights=WEIGHTS)[0]
        if t not in templates:
            templates.append(t)
    if level == "district" and _district not in templates:
        templates[0] = _district
    criteria = []
    for k, t in enumerate(templates):
        cid, label, expr = t(rng, k, region)
        criteria.append(Criterion(id=cid, label=label, expr=expr))
    delivery = rng.choices(("auto", "confirm", "apply"), weights=(5, 3, 2))[0]
    if delivery != "auto" and len(criteria) < 6 and rng.random() < 0.5:
        criteria.append(
            Criterion(
                id="commitment",
                label=Text(zh="企业承诺符合条件", en="The enterprise attests it qualifies"),
                attested=True,
            )
        )
    start = dt.date(data_year + 1, 1, 1)
    return Policy(
        id=f"synth-{i:04d}",
        version=1,
        title=Text(zh=f"合成政策{i:04d}", en=f"Synthetic policy {i:04d}"),
        department=Text(zh="合成部门", en="Synthetic department"),
        level=level,  # type: ignore[arg-type]
        region=region,
        source=Source(document=f"合成文件〔{data_year + 1}〕{i}号"),
        valid_from=start,
        valid_to=dt.date(data_year + 1, 12, 31),
        delivery=delivery,  # type: ignore[arg-type]
        data_year=data_year,
        criteria=criteria,
        amount=_amount(rng),
        budget=Decimal(rng.choice((5, 10, 50, 200))) * 1_000_000 if rng.random() < 0.25 else None,
        exclusivity_group=rng.choice(GROUPS) if rng.random() < 0.2 else None,
        tags=["synthetic"],
    )


def synth_policies(n: int, seed: int = 0) -> list[Policy]:
    """``n`` valid synthetic policies, identical for the same ``(n, seed)``.

    Each policy draws from its own stream (``seed`` and its index), so the first
    ``k`` policies of ``synth_policies(n, s)`` are those of ``synth_policies(k, s)``.
    """
    return [_policy(random.Random(f"{seed}:{i}"), i) for i in range(n)]


def policy_yaml(policy: Policy) -> str:
    """The policy as a YAML file the loader reads back to the same object."""
    data = policy.model_dump(mode="json", exclude_none=True, exclude_defaults=True)
    data["version"] = policy.version
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100)


def write_policies(directory: str | Path, n: int, seed: int = 0) -> list[Path]:
    """Write ``synth_policies(n, seed)`` as ``<id>.yaml`` files; return their paths."""
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for policy in synth_policies(n, seed):
        path = out / f"{policy.id}.yaml"
        path.write_text(policy_yaml(policy), encoding="utf-8")
        paths.append(path)
    return paths
