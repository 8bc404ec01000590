"""Golden by hand, delivered: registry files written here are imported, five of the
hand-golden policies (tests/engine/hand_golden/) published, an offer claimed, and the
grants and the disbursement batch must be exactly what the policy texts say, worked out
by hand in the comments (never copied from huiqi's output).
"""

from __future__ import annotations

import csv
import json
from decimal import Decimal
from pathlib import Path

from cliutil import accounts, run

POLICIES = Path(__file__).parent.parent / "engine" / "hand_golden"
ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def uscc(region: str, n: int) -> str:
    body = f"91{region}MA1QAP{n:03d}"
    total = sum(ALPHABET.index(c) * pow(3, i, 31) for i, c in enumerate(body))
    return body + ALPHABET[(31 - total % 31) % 31]


XH, YP, MH, PD = "310104", "310110", "310112", "310115"
DISTRICT = {1: XH, 2: XH, 4: XH, 6: XH, 7: XH, 9: YP, 11: YP, 13: YP, 15: PD, 16: PD}
DISTRICT |= {28: MH, 29: MH, 30: MH, 31: MH, 32: PD}
U = {n: uscc(d, n) for n, d in DISTRICT.items()}
NUMBER = {u: n for n, u in U.items()}

FILES: dict[str, list[list[object]]] = {
    "market.csv": [
        [
            "统一社会信用代码",
            "企业名称",
            "成立日期",
            "注册区划代码",
            "行业代码",
            "法定代表人户籍类型",
            "创业者年龄",
        ],
        *[
            [U[n], f"企业{n}", "2015-01-01", DISTRICT[n], "3911", "", ""]
            for n in DISTRICT
            if n not in (9, 11, 13)
        ],
        [U[9], "企业9", "2023-01-01", YP, "6520", "hukou", 35],
        [U[11], "企业11", "2024-05-10", YP, "6520", "residence_permit", 18],
        [U[13], "企业13", "2025-02-28", YP, "6520", "hukou", ""],
    ],
    "credit.csv": [
        ["统一社会信用代码", "列入失信名单"],
        *[[U[n], "是" if n == 7 else "否"] for n in DISTRICT],
    ],
    "social.csv": [
        [
            "统一社会信用代码",
            "年度",
            "年末参保人数",
            "实缴失业保险费(元)",
            "裁员人数",
            "招用应届高校毕业生人数",
        ],
        [U[1], 2024, 50, "", "", ""],
        [U[1], 2025, 48, "12345.67", 2, ""],
        [U[2], 2024, 2000, "", "", ""],
        [U[2], 2025, 1950, "1234.55", 110, ""],
        [U[4], 2024, 30, "", "", ""],
        [U[4], 2025, 24, "0.05", 6, ""],
        [U[6], 2024, 0, "", "", ""],
        [U[6], 2025, 3, "999.99", 0, ""],
        [U[7], 2024, 100, "", "", ""],
        [U[7], 2025, 100, 5000, 0, ""],
        [U[15], 2025, "", "", "", 20],
        [U[16], 2025, "", "", "", 21],
    ],
    "tax.csv": [
        ["统一社会信用代码", "年度", "营业收入(元)"],
        [U[28], 2025, 60000000],
        [U[29], 2025, 10000000],
        [U[30], 2025, "9999999.99"],
        [U[32], 2025, 1000000],
    ],
    "quals.csv": [
        ["统一社会信用代码", "资质类型", "证书编号", "有效期起", "有效期止"],
        [U[28], "high_tech", "GR28", "2025-11-20", "2028-11-19"],
        [U[29], "high_tech", "GR29", "2025-03-01", "2028-02-28"],
        [U[30], "high_tech", "GR30", "2025-06-01", "2028-05-31"],
        [U[31], "high_tech", "GR31", "2025-06-01", "2028-05-31"],
        [U[32], "high_tech", "GR32", "2025-06-01", "2028-05-31"],
    ],
}

# (enterprise, policy) -> (status, fen), by hand:
GRANTS = {
    (1, "qa-jobs-refund-2026"): ("granted", 740740),  # 0.6 * 12345.67 = 7407.402
    (2, "qa-jobs-refund-2026"): ("granted", 37037),  # 2000 >= 300: 0.3 * 1234.55 = 370.365
    (4, "qa-jobs-refund-2026"): ("granted", 3),  # 30 or fewer, 6 <= 20 %: 0.6 * 0.05
    (6, "qa-jobs-refund-2026"): ("granted", 59999),  # 0.6 * 999.99 = 599.994
    (15, "qa-graduate-hiring-2026"): ("granted", 3000000),  # 1500 * 20
    (16, "qa-graduate-hiring-2026"): ("granted", 3000000),  # 1500 * 21 = 31500 -> cap 30000
    # 就高不重复: the city pays 100000 to every 2025 recognition; Minhang 300000 from 50 m
    # revenue, 150000 from 10 m, else 50000. The city's is published first, so 28 and 29
    # have it superseded by the higher district award; 30 keeps the city's (50000 < 100000);
    # 31 (no revenue: Minhang's amount unknown) and 32 (Pudong) keep the city's.
    (28, "qa-hte-award-city-2026"): ("superseded", 10000000),
    (29, "qa-hte-award-city-2026"): ("superseded", 10000000),
    (30, "qa-hte-award-city-2026"): ("granted", 10000000),
    (31, "qa-hte-award-city-2026"): ("granted", 10000000),
    (32, "qa-hte-award-city-2026"): ("granted", 10000000),
    (28, "qa-hte-award-mh-2026"): ("granted", 30000000),
    (29, "qa-hte-award-mh-2026"): ("granted", 15000000),
    # Startup fee (confirm, 2000 each, budget 3000): 9 claims first and is paid; 11's
    # claim finds 1000 left, less than 2000, and gets nothing; 13 has no founder age.
    (9, "qa-startup-fee-2026"): ("granted", 200000),
}


def test_the_hand_golden_policies_deliver_what_they_say(tmp_path: Path) -> None:
    data = tmp_path / "data"
    tokens = accounts(data, e9=[f"enterprise={U[9]}"], e11=[f"enterprise={U[11]}"])
    for name, rows in FILES.items():
        path = tmp_path / name
        with path.open("w", encoding="utf-8", newline="") as fh:
            csv.writer(fh).writerows(rows)
        code, out = run(data, "import", str(path), token=tokens["steward"])
        assert code == 0 and "0 rejected" in out, out
    for pid in ("jobs-refund", "graduate-hiring", "hte-award-city", "hte-award-mh", "startup-fee"):
        code, out = run(
            data, "publish", str(POLICIES / f"qa-{pid}-2026.yaml"), token=tokens["officer"]
        )
        assert code == 0, out

    code, out = run(data, "records", "--json", token=tokens["e9"])
    (offer,) = [r for r in json.loads(out) if r["status"] == "offered"]
    code, out = run(data, "claim", str(offer["id"]), "--attest", token=tokens["e9"])
    assert code == 0, out
    code, out = run(data, "records", "--json", token=tokens["e11"])
    (offer,) = [r for r in json.loads(out) if r["policy_id"] == "qa-startup-fee-2026"]
    code, out = run(data, "claim", str(offer["id"]), "--attest", token=tokens["e11"])
    assert code == 4 and "1,000.00 yuan left" in out, out

    code, out = run(data, "grants", "--json", token=tokens["officer"])
    got = {
        (NUMBER[g["uscc"]], g["policy_id"]): (g["status"], g["amount_fen"]) for g in json.loads(out)
    }
    assert got == GRANTS

    out_dir = tmp_path / "batch"
    code, out = run(data, "disburse", "export", "--out", str(out_dir), token=tokens["finance"])
    assert code == 0, out
    (sheet,) = out_dir.glob("*.csv")
    with sheet.open(encoding="utf-8-sig", newline="") as fh:
        paid = {
            (NUMBER[r["uscc"]], r["policy_id"]): Decimal(r["amount_yuan"])
            for r in csv.DictReader(fh)
        }
    # Every granted (not superseded) amount, in yuan: 7407.40 + 370.37 + 0.03 + 599.99
    # + 30000 * 2 + 100000 * 3 + 300000 + 150000 + 2000 = 820377.79
    assert paid == {k: Decimal(f) / 100 for k, (s, f) in GRANTS.items() if s == "granted"}
    assert sum(paid.values()) == Decimal("820377.79")
