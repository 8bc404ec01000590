"""``huiqi complaints``: complaints about enterprises and professional complainants.

Heavy modules (DuckDB, NumPy, SQLAlchemy) are imported inside each command, so that
``huiqi complaints --help`` loads none of them (tests/cli/test_lazy.py).
"""

from __future__ import annotations

from pathlib import Path

import click

from huiqi.cli.common import (
    EXIT_FINDINGS,
    JSON_OPTION,
    LIMIT_OPTION,
    RECORD_ID,
    WholeNumber,
    console,
    counted,
    emit_json,
    handle_errors,
    not_blank,
    rich_table,
    settings_from,
    signed_in,
    to_jsonable,
)


@click.group()
def complaints() -> None:
    """Complaints about enterprises (投诉举报) and professional complainants (职业举报)."""


@complaints.command()
@click.option(
    "--complaints",
    "n",
    default=20_000,
    show_default=True,
    type=WholeNumber(min=1),
    help="How many complaints.",
)
@click.option(
    "--seed",
    default=20260101,
    show_default=True,
    type=WholeNumber(min=0),
    help="Random seed (same seed, same files).",
)
@click.option(
    "--professional-share",
    default=0.12,
    show_default=True,
    type=click.FloatRange(0, 1),
    help="Share of the complaints filed by planted professional-complainant rings.",
)
@click.option("--encoding", type=click.Choice(["utf-8", "gbk"]), default="utf-8", show_default=True)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("complaints"),
    show_default=True,
    help="Folder for complaints.csv (the export) and truth.csv (the planted rings).",
)
@handle_errors
def generate(n: int, seed: int, professional_share: float, encoding: str, out: Path) -> None:
    """Generate a synthetic complaint export with planted professional-complainant rings.

    truth.csv names the ring members by ID number: it is for measuring the detector, never
    for import.
    """
    from huiqi.complaints.export import write_stream
    from huiqi.complaints.synth import Scenario
    from huiqi.complaints.synth import generate as make

    stream = make(Scenario(complaints=n, seed=seed, professional_share=professional_share))
    path, truth = write_stream(stream, out, encoding=encoding)
    rings = int(stream.truth.column("professional").to_numpy().sum())
    console.print(
        f"wrote {counted(stream.complaints.num_rows, 'complaint')} to {path} ({encoding});"
        f" {rings:,} of {counted(stream.truth.num_rows, 'complainant')} are ring members"
        f" ({truth})"
    )


@complaints.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--mapping",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Mapping file (field: header) for another system's export; default: the complaint system's.",
)
@JSON_OPTION
@click.pass_context
@handle_errors
def import_cmd(ctx: click.Context, file: Path, mapping: Path | None, as_json: bool) -> None:
    """Import a complaint export (CSV in UTF-8/GBK, or .xlsx): identities are stored only as
    keyed hashes and masks; bad rows are reported with line and reason, good rows kept.

    A complaint number already held is not stored again; one sent with other content
    (text, amount, complainant…) is listed by line as a changed duplicate, the complaint
    held kept. Needs the complaint_officer or data_steward role. Exit code 4 when rows
    were rejected or changed duplicates found.
    """
    from huiqi.complaints.intake import import_complaints
    from huiqi.db.engine import transaction

    factory, actor = signed_in(ctx)
    with transaction(factory) as s:
        report = import_complaints(settings_from(ctx), s, actor=actor, path=file, mapping=mapping)
    if as_json:
        emit_json(report)
    else:
        changed = f" ({len(report.changed):,} with changed content)" if report.changed else ""
        console.print(
            f"{counted(report.rows, 'row')}: {counted(report.stored, 'complaint')} stored,"
            f" {report.already_held:,}"
            f" already held{changed}, {len(report.rejects):,} rejected"
        )
        if report.absent:
            console.print(
                f"  the file has no column for {', '.join(report.absent)}: left empty",
                soft_wrap=True,
            )
        for r in report.rejects[:50]:
            where = f", column '{r['column']}' (field '{r['field']}')" if r.get("column") else ""
            # The file's name first, as every other import says where (qa1).
            console.print(f"  {file.name}, line {r['line']}{where}: {r['reason']}", markup=False)
        for c in report.changed[:50]:
            console.print(
                f"  {file.name}, line {c['line']}: complaint {c['ref']} is already held with another"
                f" {', '.join(c['fields'])}; the complaint held is kept, check the change"
                " with the complaint system",
                soft_wrap=True,
            )
    if report.rejects or report.changed:
        raise SystemExit(EXIT_FINDINGS)


@complaints.command()
@JSON_OPTION
@click.pass_context
@handle_errors
def detect(ctx: click.Context, as_json: bool) -> None:
    """Score every complainant and cluster (professional-complainant signals, with evidence);
    flagged complainants go to the review queue. No complaint is rejected by a score.

    Needs the complaint_officer or scheduler role.
    """
    from huiqi.complaints.service import detect_complaints
    from huiqi.db.engine import transaction

    factory, actor = signed_in(ctx)
    with transaction(factory) as s:
        report = detect_complaints(s, actor=actor)
    if as_json:
        emit_json(report)
        return
    console.print(
        f"run {report.run_id}: {counted(report.complaints, 'complaint')},"
        f" {counted(report.complainants, 'complainant')},"
        f" {counted(report.clusters, 'cluster')}, {report.flagged:,} flagged for review"
    )


@complaints.command()
@click.option(
    "--after",
    "after_id",
    default=0,
    show_default=True,
    type=WholeNumber(0, 2**62),
    help="Only queue positions after this one: the number the 'next page' line gives (the"
    " score id in --json), not a complainant id.",
)
@LIMIT_OPTION
@click.option(
    "--all", "include_decided", is_flag=True, help="Include complainants already decided."
)
@JSON_OPTION
@click.pass_context
@handle_errors
def queue(
    ctx: click.Context, after_id: int, limit: int, include_decided: bool, as_json: bool
) -> None:
    """The review queue: flagged complainants, highest score first, with masked identities
    and the reasons for their score (complaint officers)."""
    from huiqi.complaints.service import review_queue
    from huiqi.db.engine import reading

    factory, actor = signed_in(ctx)
    with reading(factory) as s:
        items = review_queue(
            s, actor=actor, after_id=after_id, limit=limit, include_decided=include_decided
        )
    if as_json:
        emit_json(items)
        return
    rows = []
    for q in items:
        ev = q.evidence or {}
        reasons = (ev.get("own") or {}).get("reasons", []) + (
            (ev.get("cluster") or {}).get("reasons", [])
        )
        why = "; ".join(sorted({r["signal"] for r in reasons}))
        rows.append(
            [str(q.complainant_id), q.id_masked, q.name_masked or "", str(q.score),
             str(ev.get("complaints_total", "")), q.status, why]
        )  # fmt: skip
    console.print(
        rich_table(["complainant", "ID", "name", "score", "complaints", "status", "signals"], rows)
    )
    if items and len(items) == limit:
        # The queue pages by position (score id), not by the complainant ids shown.
        more = " --all" if include_decided else ""
        console.print(
            f"next page: huiqi complaints queue{more} --after {items[-1].score_id} --limit {limit}"
        )


@complaints.command()
@click.argument("decision", type=click.Choice(["professional", "not-professional"]))
@click.argument("complainant_id", type=RECORD_ID)
@click.option("--reason", required=True, callback=not_blank, help="Why; kept in the audit log.")
@click.pass_context
@handle_errors
def decide(ctx: click.Context, decision: str, complainant_id: int, reason: str) -> None:
    """Decide on a flagged complainant: confirmed professional, or not (with a reason)."""
    from huiqi.complaints.service import decide_complainant
    from huiqi.db.engine import transaction

    factory, actor = signed_in(ctx)
    with transaction(factory) as s:
        d = decide_complainant(
            s,
            actor=actor,
            complainant_id=complainant_id,
            professional=decision == "professional",
            reason=reason,
        )
    console.print(f"complainant {d.complainant_id}: {d.decision} (review {d.review_id})")


@complaints.command()
@JSON_OPTION
@click.pass_context
@handle_errors
def stats(ctx: click.Context, as_json: bool) -> None:
    """Complaint statistics: flags, decisions, confirmation rate, answer groups."""
    from huiqi.complaints.service import complaint_stats
    from huiqi.db.engine import reading

    factory, actor = signed_in(ctx)
    with reading(factory) as s:
        st = complaint_stats(s, actor=actor)
    if as_json:
        emit_json(st)
        return
    for k, v in to_jsonable(st).items():
        # None: nothing to compute yet (no decision made, for the confirmation rate).
        console.print(f"{k:>28}: {'— (no decision yet)' if v is None else v}")
