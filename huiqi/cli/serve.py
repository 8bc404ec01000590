"""``huiqi serve``: the portal and the JSON API under a production ASGI server."""

from __future__ import annotations

import os

import click

from huiqi.cli.common import WholeNumber, database, handle_errors, settings_from
from huiqi.errors import HuiqiError


def check_listenable(host: str, port: int) -> None:
    """Refuse, before the workers start, an address this machine cannot listen on: a port
    in use ended with uvicorn's "[Errno 98] Address already in use" and exit 3, which the
    README gives to "not found"."""
    import errno
    import socket

    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
    except socket.gaierror as e:
        raise HuiqiError(f"--host {host}: no such address ({e.strerror}); give an address"
                         " of this machine, e.g. 127.0.0.1 or 0.0.0.0") from None  # fmt: skip
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
        try:
            probe.bind(address)
        except OSError as e:
            if e.errno == errno.EADDRINUSE:
                raise HuiqiError(
                    f"port {port} on {host} is in use by another program (an earlier"
                    " 'huiqi serve'?); stop it, or choose another port with --port"
                ) from None
            raise HuiqiError(
                f"cannot listen on {host}:{port} ({e.strerror}); give an address of this"
                " machine with --host (e.g. 127.0.0.1 or 0.0.0.0) and a free --port"
            ) from None


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=WholeNumber(1, 65535))
@click.option(
    "--workers",
    default=min(4, os.cpu_count() or 1) if (os.cpu_count() or 1) > 1 else 2,
    show_default="the CPU count, 2 to 4",
    type=WholeNumber(1, 64),
    help="Worker processes (each serves requests on its own; the database is shared).",
)
@click.option(
    "--forwarded-allow-ips",
    default="127.0.0.1",
    show_default=True,
    help="Proxies whose X-Forwarded-For/-Proto headers are trusted (client address, https).",
)
@click.pass_context
@handle_errors
def serve(ctx: click.Context, host: str, port: int, workers: int, forwarded_allow_ips: str) -> None:
    """Serve the web portal and the JSON API (/api/v1) with several worker processes.

    The portal reads the same data directory and database as every command (after
    `make demo`, the demo's), so the demo accounts can sign in at once. Put it behind
    an https proxy in production: the session cookie is then marked Secure.
    """
    import uvicorn

    settings = settings_from(ctx)
    check_listenable(host, port)
    # The schema brought up to date (and the office dictionary checked) once, before the
    # workers start; each worker then opens the database itself.
    database(ctx)
    os.environ["HUIQI_DATA_DIR"] = str(settings.data_dir)
    if ctx.obj and ctx.obj.get("database_url"):
        os.environ["HUIQI_DATABASE_URL"] = ctx.obj["database_url"]
    click.echo(
        f"huiqi portal on http://{host}:{port}/ ({workers} worker{'' if workers == 1 else 's'}, data {settings.data_dir})"
    )
    uvicorn.run(
        "huiqi.web.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        proxy_headers=True,
        forwarded_allow_ips=forwarded_allow_ips,
        log_level="info",
    )
