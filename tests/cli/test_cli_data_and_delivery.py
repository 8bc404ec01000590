"""The CLI end to end for importing files, the demo, and the delivery workflow of the README."""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
from pathlib import Path

import pytest
from cliutil import accounts, run
from sqlalchemy import func, select

from huiqi import clock
from huiqi.cli.demo_accounts import DEMO_PASSWORD
from huiqi.config import get_settings
from huiqi.db.engine import open_database
from huiqi.delivery.models import Entitlement
from huiqi.profiles.datadir import use_data_dir
from huiqi.profiles.uscc import make

LIBRARY = Path(__file__).resolve().parents[2] / "huiqi" / "policies" / "library"


def test_import_gbk_file_keeps_good_rows_and_exits_4_on_a_bad_one(tmp_path: Path) -> None:
    good, bad = make("91310115MA0000001"), "91310115MA1H8R7C6D"
    text = (
        "统一社会信用代码,企业名称,成立日期,注册区划代码,行业代码,登记注册类型\n"
        f"{good},上海测试科技有限公司,2021-03-04,310115,6513,有限责任公司\n"
        f"{bad},上海错误代码有限公司,2021-03-04,310115,6513,有限责任公司\n"
    )
    path = tmp_path / "market.csv"
    path.write_bytes(text.encode("gbk"))
    steward = accounts(tmp_path / "data")["steward"]
    code, out = run(tmp_path / "data", "import", str(path), "--mapping", "market", token=steward)
    assert code == 4, out
    assert "Rows: 2 read, 1 accepted, 1 rejected" in out
    assert "line 3, column '统一社会信用代码' (field 'uscc')" in out
    assert "check character is 'D' but should be '7'" in out
    code, out = run(tmp_path / "data", "snapshots", token=steward)
    assert code == 0 and "rejected 1" in out


def test_demo_runs_on_a_small_population(tmp_path: Path) -> None:
    code, out = run(tmp_path, "demo", "--enterprises", "500")
    assert code == 0, out
    assert "Matches per policy" in out and "Top near misses" in out
    assert (tmp_path / "profiles.duckdb").exists()
    assert not (tmp_path / "today").exists()  # the suite's day is inside the library's year


def test_a_demo_run_after_its_library_closed_runs_as_of_the_librarys_last_day(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every library policy closes on 2026-12-31 at the latest, and a policy delivers only
    inside its window: run in 2027 on the machine's date, the demo would deliver nothing
    and its enterprise would have no offer to claim."""
    monkeypatch.setattr(clock, "machine_date", lambda: dt.date(2027, 3, 1))
    code, out = run(tmp_path, "demo", "--enterprises", "500", HUIQI_TODAY="")
    assert code == 0, out
    assert "this demo runs as of that day" in out and "2026-12-31" in out
    assert (tmp_path / "today").read_text("utf-8") == "2026-12-31\n"
    with open_database(get_settings(tmp_path))() as s:
        offered = s.scalar(
            select(func.count()).select_from(Entitlement).where(Entitlement.status == "offered")
        )
    assert offered  # the demo enterprise's offer, as the README says
    # Later commands in that data directory take the same day (``huiqi serve`` as well).
    use_data_dir(tmp_path)
    monkeypatch.delenv("HUIQI_TODAY")
    assert clock.today() == dt.date(2026, 12, 31)


def test_readme_delivery_workflow(tmp_path: Path) -> None:
    """The README's "Delivering benefits" walkthrough, signing in as each demo account."""
    data = tmp_path / "data"
    code, out = run(data, "demo", "-n", "3000", "--seed", "3")
    assert code == 0 and "Demo accounts" in out, out

    def login(user: str) -> None:
        code, out = run(data, "login", user, HUIQI_PASSWORD=DEMO_PASSWORD)
        assert code == 0 and f"signed in as {user}" in out, out

    def ok(*args: str, token: str | None = None) -> str:
        code, out = run(data, *args, token=token)
        assert code == 0, (args, out)
        return out

    # The desk and complaint officers of the README's table sign in and see their queues.
    login("desk")
    ok("desk", "list")
    login("complaints")
    ok("complaints", "queue")
    login("officer")
    published = ok("publish", str(LIBRARY / "sh-stable-jobs-refund-2026.yaml"))
    assert "granted" in published
    # The phases the console's job page shows, on stderr.
    assert "v1: matching…" in published and "delivering, chunk 1 of 1" in published
    assert "offered" in ok("publish", str(LIBRARY / "sh-startup-opening-subsidy-2026.yaml"))
    assert "offered" in ok("records", "--status", "offered", "--limit", "5")
    assert "sh-startup-opening-subsidy-2026" in ok("versions")
    # The 申报 policy asks for 10 m yuan of AI product sales, which few of 3,000 synthetic
    # enterprises reach: the AI platform reports two more, one above the threshold and one
    # within 20 % of it (a near miss, which an apply policy also pre-fills).
    reported = [r["uscc"] for r in json.loads(ok("records", "--limit", "2", "--json"))]
    ai_file = tmp_path / "ai_platform.csv"
    with ai_file.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(
            [
                ["统一社会信用代码", "年度", "人工智能产品销售额(元)"],
                [reported[0], "2025", "12000000"],
                [reported[1], "2025", "9000000"],
            ]
        )
    login("steward")
    assert "2 accepted" in ok("import", str(ai_file))
    login("officer")
    assert "applications" in ok("publish", str(LIBRARY / "sh-ai-product-sales-support-2026.yaml"))
    open_apps = json.loads(
        ok("application", "list", "--status", "application_open", "--limit", "5", "--json")
    )
    assert open_apps, "the apply policy made no applications"

    login("ent")
    uscc = ok("whoami").split("enterprise=")[1].split(")")[0]
    offers = json.loads(ok("records", "--status", "offered", "--json"))
    assert [o["uscc"] for o in offers] == [uscc]
    first, second = ok("claim", str(offers[0]["id"])), ok("claim", str(offers[0]["id"]))
    assert "already claimed" in second
    assert first.split("grant ")[1].split(",")[0] == second.split("grant ")[1].split(",")[0]
    assert "已确认领取" in ok("inbox", uscc)
    # Someone else's record is out of reach: access denied, exit 5.
    code, out = run(data, "application", "submit", str(open_apps[0]["record_id"]))
    assert code == 5 and "may not submit this application" in out, out
    code, out = run(data, "totals")  # the dashboards are for officers
    assert code == 5 and "may not read the dashboards' totals" in out, out

    login("park")
    park_grants = json.loads(ok("grants", "--json"))
    assert uscc in {g["uscc"] for g in park_grants}

    login("admin")
    applicant = open_apps[0]
    ok("user", "add", "applicant", "--role", f"enterprise={applicant['uscc']}", "--no-password")
    token = ok("token", "create", "readme", "--user", "applicant").split()[-1]
    ok("application", "submit", str(applicant["record_id"]), "--attest", token=token)
    # Withdrawn before it is decided: out of the officers' queue, then submitted again.
    rid = str(applicant["record_id"])
    said = ok("application", "withdraw", rid, "--reason", "材料有误", token=token)
    assert f"application {rid}: application_open — withdrawn" in said, said
    assert "already withdrawn; nothing to do" in ok("application", "withdraw", rid, token=token)

    login("officer")
    assert json.loads(ok("application", "list", "--status", "submitted", "--json")) == []
    code, out = run(data, "application", "withdraw", rid)
    assert code == 5 and "may not withdraw this application" in out, out
    ok("application", "submit", rid, "--attest", token=token)
    # Regression (QA): a second submit said "submitted" again, as if it had done something.
    again = ok("application", "submit", rid, "--attest", token=token)
    assert again == f"application {rid} was already submitted; nothing changed\n", again
    submitted = json.loads(ok("application", "list", "--status", "submitted", "--json"))
    assert [a["record_id"] for a in submitted] == [applicant["record_id"]]
    if submitted[0]["decidable"]:
        assert "granted" in ok("application", "approve", str(applicant["record_id"]))
    else:
        code, out = run(data, "application", "approve", str(applicant["record_id"]))
        assert code == 4 and "near miss" in out, out
        assert "rejected" in ok(
            "application", "reject", str(applicant["record_id"]), "--reason", "合同未经审计"
        )

    # A pro-rata pool: grants wait as pending allocations until the budget is shared out.
    pool = "mh-rd-investment-pool-2026"
    assert "granted" in ok("publish", str(LIBRARY / f"{pool}.yaml"))
    pending = json.loads(
        ok("records", "--policy", pool, "--status", "pending_allocation", "--json")
    )
    assert pending, "the pro-rata policy made no provisional grants"
    allocated = ok("allocate", pool)
    assert f"among {len(pending)} grant(s) of {pool} v1" in allocated, allocated
    # Amounts as every other listing shows them (they were printed without grouping).
    assert re.search(r"allocated \d{1,3}(,\d{3})*\.\d\d yuan", allocated), allocated
    assert not json.loads(
        ok("records", "--policy", pool, "--status", "pending_allocation", "--json")
    )
    assert "nothing to allocate" in ok("allocate", pool)

    scheduler = (data / "scheduler.token").read_text().strip()
    assert "offers expired" in ok("expire", token=scheduler)
    assert "matched" in ok("deliver", token=scheduler)
    assert "the application log only" in ok("notify", "send", token=scheduler)
    code, out = run(data, "expire")  # signed in as officer: not the scheduler's job
    assert code == 5 and "may not expire offers" in out

    login("finance")
    assert "granted" in ok("grants", "--limit", "10")
    out = ok("disburse", "export")
    assert "batch 1" in out, out
    assert "the finance system fills them from its own payee records" in out  # not broken
    code, out = run(data, "disburse", "export")
    assert code == 1 and "nothing to pay" in out, out
    batch = json.loads(ok("disburse", "batches", "--json"))[0]
    grant_id = read_csv(Path(batch["csv_path"]))[0]["grant_id"]
    payments = tmp_path / "payments.csv"
    payments.write_text(f"grant_id,result\n{grant_id},paid\n", encoding="utf-8")
    assert "1 paid" in ok("disburse", "results", str(payments))
    paid = json.loads(ok("totals", "--by", "status,month", "--status", "paid", "--json"))
    assert [t["n"] for t in paid] == [1] and len(paid[0]["month"]) == 7, paid
    by_policy = ok("totals", "--kind", "record", "--by", "policy,department")
    assert "sh-stable-jobs-refund-2026" in by_policy and "count" in by_policy, by_policy
    code, out = run(data, "totals", "--by", "uscc")
    assert code == 2 and "choose from policy, status, district" in out, out

    login("admin")
    assert "batch_exported" in ok("audit", "log", "--limit", "20")
    assert "applicant" in ok("audit", "log", "--kind", "user_added")
    assert "audit chain intact" in ok("audit", "verify")
    assert "same decision" in ok("audit", "recompute", grant_id)


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def test_commands_without_sign_in_exit_5_and_never_act_as_admin(tmp_path: Path) -> None:
    """Regression: 'huiqi claim' with no --as acted as a built-in admin, and anyone could add
    an admin user."""
    data = tmp_path / "data"
    for args in (
        ["claim", "1"],
        ["user", "add", "mallory", "--role", "admin", "--no-password"],
        ["grants"],
        ["records"],
        ["audit", "log"],
        ["audit", "recompute", "1"],
        ["notify", "send"],
        ["inbox", "91310115MA1H8R7C41"],
        ["disburse", "export"],
        ["snapshots"],
    ):
        code, out = run(data, *args)
        assert code == 5 and "sign in first" in out, (args, out)
