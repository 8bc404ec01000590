"""What the browser tests share: Debian's Chromium, a free port, and a real server started
with ``huiqi serve --workers 2`` over a test portal's data directory and database."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from portal_data import PASSWORD, Portal

CHROMIUM = Path("/usr/bin/chromium")
ROOT = Path(__file__).resolve().parents[2]
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
needs_chromium = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="browser tests need Debian's chromium at /usr/bin/chromium"
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serving(portal: Portal, tmp: Path, **extra_env: str) -> Iterator[str]:
    """``huiqi serve`` itself, as a newcomer starts it, until the block ends: its base URL."""
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT), **extra_env}
    log = (tmp / "serve.log").open("w")
    process = subprocess.Popen(  # `huiqi serve` itself, as a newcomer starts it
        [
            sys.executable,
            "-c",
            "from huiqi.cli.main import cli; cli()",
            "--data-dir",
            str(portal.settings.data_dir),
            "--database-url",
            portal.engine.url.render_as_string(hide_password=False),
            "serve",
            "--port",
            str(port),
            "--workers",
            "2",
        ],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):  # until it answers (or 30 s): starting workers takes a moment
            if process.poll() is not None:
                raise RuntimeError(f"huiqi serve exited with {process.returncode}; see {log.name}")
            try:
                if httpx.get(f"{base}/policies", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        else:
            raise RuntimeError(f"huiqi serve did not answer on {base}; see {log.name}")
        yield base
    finally:
        process.terminate()
        process.wait(timeout=20)
        log.close()


def launch(p):  # type: ignore[no-untyped-def]
    return p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)


def sign_in_page(context, server: str, username: str):  # type: ignore[no-untyped-def]
    page = context.new_page()
    page.goto(f"{server}/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.press("#password", "Enter")  # the keyboard submits the form
    page.wait_for_url(lambda url: "/login" not in url)
    return page
