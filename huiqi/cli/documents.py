"""``huiqi application documents``: what an application (申报) must attach, its policy's
``documents`` list, beside the files attached so far (``delivery.documents``)."""

from __future__ import annotations

import json

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
    """The materials to attach to an application, required or optional, and the files
    attached. Files are not tagged with the item they are: compare them yourself (so
    does the reviewing officer); submitting is not refused for a missing one."""
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
                {"label": {"zh": d.label.zh, "en": d.label.en}, "required": d.required}
                for d in c.documents
            ],
            "files": [{"id": f.id, "filename": f.filename, "size": f.size} for f in c.files],
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
            console.print(f"  {escape(d.label.zh)}{en} — {need}", soft_wrap=True)
    names = ", ".join(escape(f.filename) for f in c.files)
    console.print(f"files attached ({len(c.files)}): {names or 'none'}", soft_wrap=True)
