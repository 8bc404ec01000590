"""``huiqi application documents``: what an application (申报) must attach, its policy's
``documents`` list, beside the files attached so far (``delivery.documents``); ``huiqi
application attach``: attach a file, as the listed document it is."""

from __future__ import annotations

import json
from pathlib import Path

import click
from rich.markup import escape

from huiqi.cli.common import RECORD_ID, console, handle_errors, signed_in
from huiqi.db.engine import reading


@click.command("documents")
@click.argument("record_id", type=RECORD_ID)
@click.option("--json", "as_json", is_flag=True, help="Print the checklist as JSON.")
@click.pass_context
@handle_errors
def application_documents(ctx: click.Context, record_id: int, as_json: bool) -> None:
    """The materials to attach to an application, required or optional, the files attached
    as each, and the other files; submitting is refused while a required one has none."""
    from huiqi.delivery.documents import application_documents as checklist_of

    factory, actor = signed_in(ctx)
    with reading(factory) as s:
        c = checklist_of(s, actor=actor, record_id=record_id)
    if as_json:
        body = {
            "record_id": c.record_id,
            "policy_id": c.policy_id,
            "version": c.version,
            "documents": [
                {
                    "label": {"zh": d.label.zh, "en": d.label.en},
                    "required": d.required,
                    "files": [f.id for f in c.files_of(d)],
                }
                for d in c.documents
            ],
            "files": [
                {"id": f.id, "filename": f.filename, "size": f.size, "document": f.document}
                for f in c.files
            ],
            "missing": [d.label.zh for d in c.missing],
        }
        click.echo(json.dumps(body, ensure_ascii=False, indent=2))
        return
    console.print(f"application {c.record_id} · {c.policy_id} v{c.version}")
    if not c.documents:
        console.print("materials to attach: the policy lists none")
    else:
        console.print("materials to attach:")
        for d in c.documents:
            en = f" ({escape(d.label.en)})" if d.label.en else ""
            need = "required" if d.required else "optional"
            files = c.files_of(d)
            held = (
                "attached: " + ", ".join(escape(f.filename) for f in files)
                if files
                else ("MISSING" if d.required else "not attached")
            )
            console.print(f"  {escape(d.label.zh)}{en} — {need}; {held}", soft_wrap=True)
    others = [f for f in c.files if f.document is None]
    names = ", ".join(escape(f.filename) for f in others)
    console.print(f"other files ({len(others)}): {names or 'none'}", soft_wrap=True)
    if c.missing:
        first = escape(c.missing[0].label.zh)
        console.print(
            f"submitting waits for the missing documents: 'huiqi application attach"
            f" {c.record_id} FILE --document {first}'",
            soft_wrap=True,
        )


@click.command("attach")
@click.argument("record_id", type=RECORD_ID)
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--document",
    help="Which of the policy's listed documents the file is (its Chinese or English name).",
)
@click.pass_context
@handle_errors
def application_attach(
    ctx: click.Context, record_id: int, path: Path, document: str | None
) -> None:
    """Attach a file (PDF, PNG, JPEG, xlsx, docx) to your open application, as one of the
    documents its policy lists ('huiqi application documents' shows them) or as another."""
    from huiqi.db.engine import transaction
    from huiqi.delivery.attachments import add_attachment, check_attachable

    factory, actor = signed_in(ctx)
    with reading(factory) as s:  # refused before the file is read
        check_attachable(s, actor=actor, record_id=record_id, document=document)
    content = path.read_bytes()
    with transaction(factory) as s:
        row = add_attachment(
            s,
            actor=actor,
            record_id=record_id,
            filename=path.name,
            content=content,
            document=document,
        )
    what = f" as {escape(row.document)}" if row.document else ""
    console.print(
        f"attached {escape(row.filename)} ({row.size:,} bytes){what} to application"
        f" {row.record_id} (file {row.id})",
        soft_wrap=True,
    )
