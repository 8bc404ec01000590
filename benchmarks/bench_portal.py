"""The portal under load: `huiqi serve` on a demo data directory, and N concurrent clients
in this (separate) process on loopback for a bounded time.

Each client is the demo enterprise `ent`, signed in once (its own session cookie), and
loops over its home, the catalogue search page, the JSON catalogue search and the
one-click claim of its offer (the first claim grants; every later one is the idempotent
"already claimed" path, which is what a double click or a reload costs), pausing
``--think-ms`` between requests (0: a closed loop at saturation). Latencies per
request kind are printed as p50 / p95 / p99 with the throughput.

    make demo N=200000          # or: .venv/bin/huiqi --data-dir DIR demo -n 200000
    .venv/bin/python benchmarks/bench_portal.py --data-dir huiqi-data --clients 100 --seconds 30
"""

from __future__ import annotations

import argparse
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections import defaultdict
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "huiqi-demo-2026"
OFFER_POLICY = "sh-startup-opening-subsidy-2026"  # the demo enterprise's offer
CSRF = re.compile(r'name="csrf-token" content="([^"]+)"')


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start(data_dir: Path, port: int, workers: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-c", "from huiqi.cli.main import cli; cli()"]
    command += ["--data-dir", str(data_dir), "serve", "--port", str(port)]
    command += ["--workers", str(workers)]
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    for _ in range(600):
        try:
            if httpx.get(f"{base}/policies", timeout=1).status_code == 200:
                return process
        except httpx.HTTPError:
            time.sleep(0.1)
    process.terminate()
    raise SystemExit("huiqi serve did not answer within 60 s")


def signed_in(base: str, username: str) -> httpx.Client:
    client = httpx.Client(base_url=base, timeout=30, follow_redirects=True)
    found = CSRF.search(client.get("/login").text)
    assert found
    response = client.post(
        "/login", data={"username": username, "password": PASSWORD, "csrf_token": found[1]}
    )
    assert response.status_code == 200 and "/home" in str(response.url), response.text[:300]
    return client


def offer_id(client: httpx.Client) -> int | None:
    """The demo enterprise's offer (claimed or not: after the first claim, every claim is
    the idempotent path)."""
    records = client.get("/api/v1/records", params={"policy_id": OFFER_POLICY}).json()
    return int(records[0]["id"]) if records else None


def run(base: str, clients: int, seconds: float, think: float = 0.0) -> dict[str, list[float]]:
    timings: dict[str, list[float]] = defaultdict(list)
    lock = threading.Lock()
    sessions = [signed_in(base, "ent") for _ in range(clients)]
    record = offer_id(sessions[0])
    token = CSRF.search(sessions[0].get("/policies").text)
    requests: list[tuple[str, str, str]] = [
        ("home", "GET", "/home"),
        ("search page", "GET", "/policies?q=研发"),
        ("search API", "GET", "/api/v1/policies?q=补贴"),
    ]
    if record is not None:
        requests.append(("claim", "POST", f"/api/v1/records/{record}/claim"))
    stop = time.perf_counter() + seconds
    errors: list[str] = []

    def client_loop(client: httpx.Client) -> None:
        headers = {"X-CSRF-Token": CSRF.search(client.get("/policies").text)[1]}  # type: ignore[index]
        mine: dict[str, list[float]] = defaultdict(list)
        i = 0
        if think:
            # People arrive spread over a think time, as a load generator's spawn rate
            # spreads them; all 100 starting in the same millisecond would measure a
            # burst of 100 homes queued behind each other, which no portal sees.
            time.sleep(random.uniform(0, think))
        while time.perf_counter() < stop:
            name, method, path = requests[i % len(requests)]
            i += 1
            began = time.perf_counter()
            response = client.request(method, path, headers=headers)
            mine[name].append(time.perf_counter() - began)
            if response.status_code >= 400:
                errors.append(f"{name}: {response.status_code}")
            if think:
                time.sleep(think * random.uniform(0.5, 1.5))
        with lock:
            for key, values in mine.items():
                timings[key].extend(values)

    assert token
    threads = [threading.Thread(target=client_loop, args=(c,)) for c in sessions]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        print(f"{len(errors)} error responses, e.g. {errors[:3]}")
    return timings


def pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--clients", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--think-ms", type=float, default=0, help="each client's pause between requests (±50 %%)"
    )
    args = parser.parse_args()
    port = free_port()
    server = start(args.data_dir, port, args.workers)
    try:
        timings = run(f"http://127.0.0.1:{port}", args.clients, args.seconds, args.think_ms / 1000)
    finally:
        server.terminate()
        server.wait(timeout=30)
    print(
        f"{args.clients} clients, {args.seconds:.0f} s, {args.workers} workers,"
        f" think {args.think_ms:.0f} ms"
    )
    print(f"{'request':<12} {'n':>7} {'req/s':>7} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}")
    for name, values in timings.items():
        print(
            f"{name:<12} {len(values):>7} {len(values) / args.seconds:>7.1f}"
            f" {pct(values, 50):>8.1f} {pct(values, 95):>8.1f} {pct(values, 99):>8.1f}"
        )


if __name__ == "__main__":
    main()
