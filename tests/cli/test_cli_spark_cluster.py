"""`huiqi match --backend spark --master spark://…` on a real Spark standalone cluster: a
master and a worker started here (the JVMs pyspark ships), the matching done by an
executor the worker launches, in its own JVM, reading the snapshot's Parquet files; the
rows written are the DuckDB run's."""

from __future__ import annotations

import http.server
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from cliutil import accounts, run

from huiqi.engine.spark.session import missing
from huiqi.policies.loader import library_dir

# Starting two JVMs and the driver's takes most of this test's time.
STARTED_WITHIN_S = 120.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _spark_class() -> Path:
    import pyspark

    return Path(pyspark.__file__).parent / "bin" / "spark-class"


def _master_state(webui: int) -> dict[str, Any]:
    """The master's state as its web UI gives it (workers, applications); {} before it is up.
    A UI still starting answers with an empty or partial body: that is "not up" too."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{webui}/json/", timeout=5) as reply:
            state = json.load(reply)
    except (OSError, ValueError):
        return {}
    return state if isinstance(state, dict) else {}


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, int]]:
    """A standalone master and one worker (2 cores, 2 GB) on this machine: its URL and the
    master's web UI port."""
    if why := missing():
        pytest.skip(why)
    work = tmp_path_factory.mktemp("spark-cluster")
    port, webui = _free_port(), _free_port()
    env = {**os.environ, "SPARK_LOCAL_IP": "127.0.0.1", "PYSPARK_PYTHON": sys.executable}
    env.pop("SPARK_HOME", None)  # spark-class finds the pyspark it belongs to
    url = f"spark://127.0.0.1:{port}"
    daemons = []
    for args, log in (
        (["org.apache.spark.deploy.master.Master", "--host", "127.0.0.1", "--port", str(port),
          "--webui-port", str(webui)], "master.log"),
        (["org.apache.spark.deploy.worker.Worker", url, "--host", "127.0.0.1", "--cores", "2",
          "--memory", "2g", "--webui-port", str(_free_port()), "--work-dir", str(work / "w")],
         "worker.log"),
    ):  # fmt: skip
        with (work / log).open("wb") as out:
            daemons.append(
                subprocess.Popen(
                    [str(_spark_class()), *args],
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    env=env,
                    start_new_session=True,
                )
            )
    try:
        deadline = time.monotonic() + STARTED_WITHIN_S
        while _master_state(webui).get("aliveworkers", 0) < 1:
            if time.monotonic() > deadline or any(d.poll() is not None for d in daemons):
                logs = "\n".join((work / n).read_text("utf-8", "replace")[-2000:]
                                 for n in ("master.log", "worker.log"))  # fmt: skip
                pytest.fail(f"the Spark cluster did not start:\n{logs}")
            time.sleep(0.5)
        yield url, webui
    finally:
        for daemon in daemons:
            try:
                os.killpg(daemon.pid, signal.SIGTERM)
            except ProcessLookupError:
                continue
        for daemon in daemons:
            try:
                daemon.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(daemon.pid, signal.SIGKILL)
        shutil.rmtree(work / "w", ignore_errors=True)


@pytest.mark.parametrize("body", [b"", b'{"aliveworkers": ', b"[]"])
def test_a_master_ui_still_starting_reads_as_not_up(body: bytes) -> None:
    """Regression: the master's UI answered 200 with an empty body while starting, and the
    fixture's poll ended in a JSONDecodeError instead of polling again."""

    class Starting(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            return

    with http.server.HTTPServer(("127.0.0.1", 0), Starting) as server:
        threading.Thread(target=server.handle_request, daemon=True).start()
        assert _master_state(server.server_address[1]) == {}


# A few library policies of different kinds (yearly figures, qualifications, contracts,
# a budget): the conformance suite runs every policy on Spark in local mode; this test is
# about the cluster (an executor in its own JVM reading the snapshot), and each policy
# more is one more Spark job on two loaded cores.
POLICIES = [
    "jd-rd-expense-subsidy-2026.yaml",
    "mh-little-giant-award-2026.yaml",
    "pd-hte-award-2026.yaml",
    "sh-corpus-voucher-contracts-2026.yaml",
    "sh-stable-jobs-refund-2026.yaml",
    "yp-tech-sme-award-2026.yaml",
]


def _rows(summary: dict[str, object]) -> list[tuple[object, ...]]:
    table = pq.read_table(Path(str(summary["output_dir"])) / "matches.parquet")
    return sorted(zip(*(c.to_pylist() for c in table.columns), strict=True), key=repr)


def test_match_on_a_standalone_cluster_writes_the_duckdb_runs_matches(
    cluster: tuple[str, int], tmp_path: Path
) -> None:
    url, webui = cluster
    data = tmp_path / "data"
    tokens = accounts(data)
    code, out = run(data, "generate", "-n", "300", "--seed", "4", token=tokens["steward"])
    assert code == 0, out
    chosen = tmp_path / "policies"
    chosen.mkdir()
    for name in POLICIES:
        shutil.copy(library_dir() / name, chosen / name)
    code, out = run(
        data, "match", "--json", "--backend", "duckdb", "--policies", str(chosen),
        token=tokens["officer"],
    )  # fmt: skip
    assert code == 0, out
    duck = json.loads(out)
    # A process of its own, as a user runs it: one process holds one Spark master.
    env = {**os.environ, "HUIQI_TOKEN": tokens["officer"], "HUIQI_CONFIG_DIR": str(data / ".c"),
           "SPARK_LOCAL_IP": "127.0.0.1", "PYSPARK_PYTHON": sys.executable}  # fmt: skip
    command = "from huiqi.cli.main import cli; cli()"
    done = subprocess.run(
        [sys.executable, "-c", command, "--data-dir", str(data), "match", "--json",
         "--policies", str(chosen), "--backend", "spark", "--master", url],
        capture_output=True, text=True, env=env, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr[-3000:]
    spark = json.loads(done.stdout)
    assert spark["enterprises"] == duck["enterprises"] == 300
    assert spark["total_amount_fen"] == duck["total_amount_fen"]
    assert _rows(spark) == _rows(duck) != []
    # The work was the cluster's: the master saw huiqi's application come and go.
    apps = _master_state(webui).get("completedapps", []) + _master_state(webui).get(
        "activeapps", []
    )
    assert [a["name"] for a in apps] == ["huiqi"], apps
