"""Benchmark publishing from the console as a background job: how long the officer's
request takes to answer, how long the job takes to finish, and what its status endpoint
showed meanwhile, over a store of N enterprises that all qualify (N grants).

It signs in a publisher on the real application (FastAPI's test client, SQLite ledger in a
temporary folder), saves a draft of an ``auto`` policy, posts the publish form, then polls
``GET /api/v1/console/jobs/{id}`` every 0.2 s until the job ends, and prints the answer's
latency, the job's wall time and every distinct (phase, chunk of chunks) it saw.

Usage:
    .venv/bin/python benchmarks/bench_publish_job.py --enterprises 200000
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "delivery"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "web"))
import helpers as h
from fastapi.testclient import TestClient
from portal_data import page_token, sign_in

from huiqi.accounts import service as accounts
from huiqi.accounts.roles import Role, RoleGrant
from huiqi.db.engine import session_factory, transaction
from huiqi.db.testing import fresh_database
from huiqi.web.app import create_app
from huiqi.web.settings import WebSettings

PASSWORD = "portal-test-pass-2026"  # portal_data's
POLICY = "bench-job"


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--enterprises", type=int, default=20_000)
    args = parser.parse_args()
    print(f"machine: {cpu_model()}, {os.cpu_count()} cores; load {os.getloadavg()}")
    with tempfile.TemporaryDirectory() as tmp, fresh_database("sqlite", Path(tmp)) as engine:
        started = time.perf_counter()
        settings, _ = h.numbered_store(Path(tmp) / "data", args.enterprises)
        print(f"store of {args.enterprises:,} built in {time.perf_counter() - started:.1f} s")
        factory = session_factory(engine)
        with transaction(factory) as s:
            accounts.init_admin(s, username="admin", password=PASSWORD)
            admin = accounts.actor_of(accounts.find_user(s, "admin"))
            roles = [RoleGrant(Role.POLICY_AUTHOR, "*"), RoleGrant(Role.POLICY_PUBLISHER, "*")]
            accounts.add_user(s, actor=admin, username="publisher", roles=roles, password=PASSWORD)
        client = sign_in(
            TestClient(create_app(settings, factory, WebSettings())), "publisher", PASSWORD
        )
        url = f"/console/policies/{POLICY}/draft"
        token = page_token(client, url)
        text = h.policy_yaml(POLICY, budget=10**10)
        assert client.post(url, data={"text": text, "csrf_token": token}).status_code == 200
        t0 = time.perf_counter()
        answer = client.post(f"{url}/publish", data={"csrf_token": token}, follow_redirects=False)
        answered = time.perf_counter() - t0
        found = re.fullmatch(r"/console/jobs/(\d+)", answer.headers.get("location", ""))
        assert answer.status_code == 303 and found, answer.text[:500]
        job_id = int(found.group(1))
        seen: list[str] = []
        polls, slowest = 0, 0.0
        while True:
            p0 = time.perf_counter()
            status = client.get(f"/api/v1/console/jobs/{job_id}").json()
            slowest = max(slowest, time.perf_counter() - p0)
            polls += 1
            step = f"{status['phase']} {status['chunk']}/{status['chunks']}"
            if not seen or seen[-1] != step:
                seen.append(step)
            if status["state"] != "running":
                break
            time.sleep(0.2)
        total = time.perf_counter() - t0
    print(f"publish request answered in {answered * 1000:.0f} ms (303 to the job page)")
    print(f"job {status['state']} after {total:.1f} s: {status['granted']:,} grants")
    print(f"{polls} status polls, slowest {slowest * 1000:.0f} ms; steps seen: {', '.join(seen)}")
    print(f"load after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
