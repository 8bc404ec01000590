"""`huiqi simulate FILE_OR_POLICY_ID`: the console's simulation before publishing, from the
command line: a draft policy over a snapshot's whole population (nothing is stored).

One service call (``matching.simulate.simulate``, on a file's YAML or on the text
``matching.simulate.saved_text`` finds for a policy id), as the signed-in user, which
checks the role and the policy scope; this module prints what the console's page shows.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from rich.markup import escape

from huiqi.cli.common import (
    JSON_OPTION,
    VERSION,
    WholeNumber,
    console,
    emit_json,
    handle_errors,
    rich_table,
    settings_from,
    signed_in,
    to_jsonable,
    yuan,
)
from huiqi.errors import ConfigError

if TYPE_CHECKING:
    from huiqi.matching.simulate import Simulation

POLICY_ID = re.compile(r"^[a-z][a-z0-9_-]{0,119}$")
HEADINGS = {
    "district_code": "eligible by district",
    "industry_section": "eligible by industry",
    "size_class": "eligible by size class",
}


def simulation_json(sim: Simulation) -> dict[str, Any]:
    """The simulation for scripts: its fields, with the budget's verdict beside them."""
    return {
        **to_jsonable(sim),
        "over_budget": sim.over_budget,
        "budget_left_fen": sim.budget_left_fen,
    }


def _budget(sim: Simulation) -> str:
    if sim.budget_fen is None:
        return "no budget set"
    left = sim.budget_left_fen or 0
    verdict = f"over budget by {yuan(-left)}" if sim.over_budget else f"{yuan(left)} left"
    return f"{yuan(sim.budget_fen)}; {verdict}"


def show(sim: Simulation) -> None:
    """What the console's simulation page shows, as text."""
    console.print(f"{sim.policy_id} v{sim.version} on snapshot {sim.snapshot_id}")
    figures = [
        ("enterprises", f"{sim.enterprises:,}"),
        ("eligible", f"{sim.eligible:,}"),
        ("missing one criterion", f"{sim.near_miss:,}"),
        ("need more data", f"{sim.needs_data:,}"),
        ("not eligible", f"{sim.not_eligible:,}"),
        ("total cost (yuan)", yuan(sim.total_fen)),
        ("budget (yuan)", _budget(sim)),
    ]
    if sim.errors:
        figures.insert(5, ("not evaluated (errors)", f"{sim.errors:,}"))
    console.print(rich_table(["", "simulated"], [list(f) for f in figures]))
    c = sim.comparison
    if c is not None:
        console.print(
            f"against v{c.version} in force: eligible before {c.eligible_before:,}"
            f" ({yuan(c.eligible_fen_before)} yuan); gain {c.gained:,}, lose {c.lost:,},"
            f" amount changes {c.amount_changed:,}"
        )
        if c.lost_sample:
            console.print(f"some who lose: {', '.join(c.lost_sample)}", soft_wrap=True)
        if c.gained_sample:
            console.print(f"some who gain: {', '.join(c.gained_sample)}", soft_wrap=True)
    console.print("missing one criterion, by criterion:")
    rows = [[n.id, escape(n.label_zh), f"{n.near_misses:,}"] for n in sim.near_misses]
    console.print(rich_table(["criterion", "label", "enterprises"], rows))
    for name, heading in HEADINGS.items():
        buckets = sim.breakdowns.get(name, ())
        console.print(f"{heading}:")
        rows = [
            [escape(b.label_zh), f"{b.eligible:,}", f"{b.needs_data:,}", yuan(b.amount_fen)]
            for b in buckets
        ]
        console.print(rich_table([name, "eligible", "need more data", "amount (yuan)"], rows))
    console.print(f"worked out in {sim.seconds:.2f} s; nothing is stored", style="dim")


def _source(target: str) -> tuple[str | None, str | None]:
    """(YAML text, None) for a file, (None, policy id) for a policy kept in the ledger."""
    path = Path(target)
    if path.is_file():
        try:
            return path.read_text(encoding="utf-8-sig"), None
        except UnicodeDecodeError as exc:
            raise ConfigError(
                f"{path}: not UTF-8 text (byte {exc.start}); save the policy file as UTF-8"
            ) from None
    if POLICY_ID.match(target):
        return None, target
    raise click.BadParameter(
        f"no such file, and '{target[:120]}' is no policy id: give a policy file (.yaml) or"
        " the id of a drafted or published policy ('huiqi draft list --all' lists them)",
        param_hint="FILE_OR_POLICY_ID",
    )


@click.command()
@click.argument("target", metavar="FILE_OR_POLICY_ID")
@click.option(
    "--version",
    "version",
    type=VERSION,
    help="With a policy id: simulate this published version (default: its draft, else its"
    " newest published version).",
)
@click.option("--snapshot", type=WholeNumber(1, 2**62), help="Snapshot (default: the latest).")
@click.option(
    "--sample",
    default=20,
    show_default=True,
    type=WholeNumber(0, 1000),
    help="How many USCCs of those who gain or lose to show (0-1000).",
)
@JSON_OPTION
@click.pass_context
@handle_errors
def simulate(
    ctx: click.Context,
    target: str,
    version: int | None,
    snapshot: int | None,
    sample: int,
    as_json: bool,
) -> None:
    """Simulate a draft policy on the latest data before publishing it: nothing is stored.

    FILE_OR_POLICY_ID is a policy file (YAML) or the id of a policy in the ledger (its
    draft, else its newest published version; --version for another published one).
    Prints what the console's simulation shows: how many enterprises are eligible, miss
    one criterion, need more data; the cost against the budget; near misses by criterion;
    the eligible by district, industry and size class; and, for a new version, who gains
    and who loses. Policy authors and publishers whose scope covers the policy; a district
    officer's simulation covers its district's enterprises.
    """
    from huiqi.db.engine import reading
    from huiqi.matching.simulate import saved_text
    from huiqi.matching.simulate import simulate as run_simulation

    text, policy_id = _source(target)
    if version is not None and policy_id is None:
        raise click.UsageError("--version goes with a policy id, not with a file")
    factory, actor = signed_in(ctx)
    settings = settings_from(ctx)
    with reading(factory) as s:
        filename = target
        if policy_id is not None:
            text, filename = saved_text(s, actor=actor, policy_id=policy_id, version=version)
        assert text is not None
        sim = run_simulation(
            settings,
            s,
            actor=actor,
            text=text,
            filename=filename,
            snapshot_id=snapshot,
            sample=sample,
        )
    if as_json:
        emit_json(simulation_json(sim))
    else:
        show(sim)
