"""'huiqi serve' refuses an address it cannot listen on before any worker starts."""

from __future__ import annotations

import socket
from pathlib import Path

from cliutil import run


def test_a_port_in_use_is_an_error_saying_what_to_do(tmp_path: Path) -> None:
    """Regression: a port in use ended with uvicorn's "[Errno 98] Address already in use"
    and exit 3, which the README gives to "not found"; nothing said to choose --port."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        code, out = run(tmp_path / "data", "serve", "--port", str(port), "--workers", "1")
    assert code == 1, out
    assert (
        f"port {port} on 127.0.0.1 is in use by another program (an earlier 'huiqi serve'?);"
        " stop it, or choose another port with --port"
    ) in " ".join(out.split())


def test_a_host_that_is_no_address_is_an_error(tmp_path: Path) -> None:
    code, out = run(tmp_path / "data", "serve", "--host", "nosuch.invalid", "--workers", "1")
    assert code == 1, out
    assert "--host nosuch.invalid: no such address" in out
