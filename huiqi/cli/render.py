"""Rich rendering of match reports and explanations (the CLI's views)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import ROUND_CEILING, Decimal
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table

from huiqi.cli.common import counted, yuan
from huiqi.engine import MatchRun, PolicyTrace, ValueRead
from huiqi.matching.gaptext import figure
from huiqi.policies.model import Policy
from huiqi.profiles.dictionary import load_dictionary

# How a dictionary unit is written next to a value.
UNITS = {"yuan": "元", "persons": "人", "m2": "m²", "tce": "吨标准煤", "years": "岁", "items": "项"}
MARK = {
    "met": "[green]✓ met[/]",
    "not_met": "[red]✗ not met[/]",
    "unknown": "[yellow]? unknown[/]",
    "to_confirm": "[cyan]☐ to confirm[/]",
}
STATUS = {
    "eligible": "[green]eligible[/]",
    "near_miss": "[yellow]near miss[/]",
    "needs_data": "[yellow]needs data[/]",
    "not_eligible": "[red]not eligible[/]",
    "error": "[red]error[/]",
}


def _places(v: Decimal) -> int:
    """The decimals ``v`` has, trailing zeros left out."""
    exponent = v.normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def money_text(v: Decimal | int) -> str:
    """Yuan to the fen (two decimals), with more only where the exact value has them (an
    amount computed before rounding: 1,119.228): 19,260.0000 -> 19,260.00."""
    places = max(2, _places(Decimal(v)))
    return f"{Decimal(v):,.{places}f}"


def number_text(v: Decimal | int) -> str:
    """A number that is not money as written, without trailing zeros: 250.500000 and
    250.50 -> 250.5, 3.1000 % -> 3.1 % (a ratio is read as the criterion compares it)."""
    return figure(Decimal(v))


def fmt_value(v: Any, unit: str | None = None) -> str:
    """A value read, money (``unit`` yuan) to the fen and any other number without
    padding. Regression (qa9): "250.50" (two places kept as if money) beside "250.5",
    money written with one decimal ("321,000.5 元")."""
    if v is None:
        return "[yellow]missing[/]"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, Decimal):
        return money_text(v) if unit == "yuan" else number_text(v)
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, list):
        return ", ".join(map(str, v)) or "(none)"
    return str(v)


def fmt_read(r: ValueRead) -> str:
    registry = load_dictionary().registries.get(r.source)
    source = registry.zh if registry is not None else r.source
    year = f" {r.year}" if r.year else ""
    unit = f" {UNITS.get(r.unit, r.unit)}" if r.unit and r.value is not None else ""
    return f"{r.label}{year} = {fmt_code(r)}{unit} [dim]({source})[/]"


def fmt_code(r: ValueRead) -> str:
    """A value; an enum code with its Chinese label from its code list: 国家级 (national)."""
    f = load_dictionary().get(r.field)
    if r.type != "enum" or r.value is None or f is None or f.codes is None:
        return fmt_value(r.value, r.unit)
    label = load_dictionary().codelist(f.codes).label(str(r.value))
    return f"{label} ({r.value})" if label != str(r.value) else str(r.value)


def render_explanation(console: Console, e: PolicyTrace) -> None:
    table = Table(show_header=True, header_style="bold", expand=True)
    table.add_column("criterion")
    table.add_column("result", no_wrap=True)
    table.add_column("values read (source, year)")
    for c in e.criteria:
        table.add_row(
            f"{c.label_zh}\n[dim]{c.id}: {c.expression or 'attested by the enterprise (告知承诺)'}[/]",
            MARK[c.state],
            "\n".join(fmt_read(r) for r in c.reads),
        )
    a = e.amount
    lines = [f"formula: {a.formula}"]
    lines += [f"  {fmt_read(r)}" for r in a.reads]
    if a.computed_yuan is not None:
        # Exact, before rounding: to the fen, more decimals only where it has them.
        lines.append(f"computed: {money_text(a.computed_yuan)} yuan")
    if a.floor is not None:
        lines.append(f"floor: {money_text(a.floor)} yuan")
    if a.cap is not None:
        lines.append(f"cap: {money_text(a.cap)} yuan")
    lines.append(f"amount (rounded half up to the fen): {yuan(a.amount_fen)} yuan")
    if e.status in ("near_miss", "not_eligible") and a.amount_fen:
        # Printed under a 'not eligible' panel, the amount alone read as what was coming.
        lines.append(
            "not received: the enterprise does not meet every criterion; this is what it"
            " would receive if it did"
        )
    if e.status == "eligible" and a.amount_fen == 0:
        # huiqi.delivery.zero: a grant of nothing is not a grant.
        lines.append(
            "eligible with nothing to receive: no grant, offer or application is made"
            " (delivery records it as zero_amount)"
        )
    missing = ""
    if e.missing:
        reg = load_dictionary().registries
        missing = "\n[yellow]needs data:[/] " + "; ".join(
            f"{r.label} ({r.field}{' ' + str(r.year) if r.year else ''}) from "
            f"{reg[r.source].zh if r.source in reg else r.source}"
            for r in e.missing
        )
    for c in e.to_json()["criteria"]:
        if c.get("gap"):
            # A near miss by a figure: by how much (huiqi.matching.shortfall).
            text = c["gap"]["text"]
            missing += f"\n[yellow]gap:[/] {escape(text['en'])} [dim]({escape(text['zh'])})[/]"
    for z in e.zero_divisors:
        # Not missing data: a known 0 the ratio cannot divide by (division by 0 is unknown).
        missing += f"\n[yellow]cannot compute:[/] {escape(z.text_en)} [dim]({escape(z.text_zh)})[/]"
    console.print(
        Panel.fit(
            table,
            title=f"{e.title_zh} · {e.policy_id} v{e.version} · {e.delivery}",
            subtitle=f"{STATUS[e.status]} · meets {e.met} of {counted(e.total, 'condition')}"
            + (f", {e.to_confirm} to confirm" if e.to_confirm else ""),
        )
    )
    console.print("\n".join(lines) + missing + "\n")


def budget_use(amount_fen: int, budget_fen: int) -> str:
    """The share of the budget the eligible amounts take, in per cent to one decimal,
    rounded up: a use that is not 0 never reads 0%, nor one over the budget 100.0%.

    Example:
        >>> budget_use(18263267, 2000000000), budget_use(100040, 100000), budget_use(0, 100)
        ('1.0%', '100.1%', '0.0%')
    """
    if not budget_fen:
        return ""
    share = (Decimal(amount_fen) * 100 / Decimal(budget_fen)).quantize(
        Decimal("0.1"), rounding=ROUND_CEILING
    )
    return f"{share}%"


def render_match_report(
    console: Console,
    run: MatchRun,
    policies: Iterable[Policy],
    population: tuple[int, list[str]] | None = None,
) -> None:
    """The run's counts per policy. ``population``: a district officer's run, over the
    enterprises of its districts (how many, which districts) rather than the snapshot's."""
    by_id = {p.id: p for p in policies}
    enterprises = run.enterprises if population is None else population[0]
    whose = (
        ""
        if population is None
        else f" of district{'s' if len(population[1]) > 1 else ''} {', '.join(population[1])}"
    )
    table = Table(
        title=f"Matches per policy (snapshot {run.snapshot_id},"
        f" {counted(enterprises, 'enterprise')}{whose})"
    )
    for col in (
        "policy",
        "mode",
        "eligible",
        "near miss",
        "needs data",
        "errors",
        "amount (yuan)",
        "budget use",
    ):
        table.add_column(col, justify="right" if col not in ("policy", "mode") else "left")
    for s in sorted(run.policies, key=lambda s: -s.amount_fen):
        p = by_id.get(s.policy_id)
        budget = ""
        if p is not None and p.budget is not None:
            budget_fen = int(p.budget * 100)
            budget = budget_use(s.amount_fen, budget_fen)
        table.add_row(
            s.policy_id,
            p.delivery if p else "",
            f"{s.eligible:,}",
            f"{s.near_miss:,}",
            f"{s.needs_data:,}",
            f"{s.error:,}",
            yuan(s.amount_fen),
            budget,
        )
    console.print(table)
    share = Decimal(run.enterprises_with_match * 100) / enterprises if enterprises else Decimal(0)
    console.print(
        f"Total amount: [bold]{yuan(run.total_amount_fen)}[/] yuan · enterprises with at least one match:"
        f" [bold]{run.enterprises_with_match:,}[/] ({share:.1f}%)"
    )
    if run.errors:
        console.print(
            f"[red]{run.errors:,} enterprise×policy rows are errors[/] (not offered, not granted):"
        )
        for s in run.policies:
            for reason in s.error_reasons:
                console.print(f"  {s.policy_id}: {reason}", soft_wrap=True)
    console.print(
        f"Evaluated {run.evaluations:,} enterprise×policy pairs: frame {run.frame_seconds:.2f}s,"
        f" matching {run.match_seconds:.2f}s"
    )
    near = Table(
        title="Top near misses (enterprises one actionable criterion short:"
        " a threshold within its margin, or an attainable qualification)"
    )
    near.add_column("policy")
    near.add_column("the one missing criterion")
    near.add_column("enterprises", justify="right")
    for n in run.near_misses:
        p = by_id.get(str(n["policy_id"]))
        label = next((c.label.zh for c in p.criteria if c.id == n["criterion"]), "") if p else ""
        near.add_row(str(n["policy_id"]), f"{n['criterion']} · {label}", f"{n['enterprises']:,}")
    console.print(near)
