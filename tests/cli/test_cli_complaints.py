"""`huiqi complaints`: generate, import (bad rows reported, exit 4), detect, queue, decide, stats."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from cliutil import accounts, run


def test_complaints_from_generation_to_decision(tmp_path: Path) -> None:
    data = tmp_path / "data"
    tokens = accounts(data, reviewer=["complaint_officer"], shop=["enterprise=91310115MA10000015"])
    out = tmp_path / "gen"
    code, text = run(data, "complaints", "generate", "--complaints", "1500", "--out", str(out))
    assert code == 0 and "ring members" in text, text
    export = out / "complaints.csv"
    lines = export.read_text("utf-8").splitlines()
    # One broken row: its ID number's check character is wrong.
    bad = lines[5].split(",")
    bad[2] = '"' + bad[2].strip('"')[:17] + ("0" if bad[2].strip('"')[17] != "0" else "1") + '"'
    lines[5] = ",".join(bad)
    export.write_text("\n".join(lines) + "\n", "utf-8")
    code, text = run(data, "complaints", "import", str(export), "--json", token=tokens["reviewer"])
    report = json.loads(text)
    assert code == 4 and report["rejects"] == [
        {"line": 6, "reason": "the ID number's check character is wrong: probably mistyped",
         "ref": report["rejects"][0]["ref"], "field": "id_number", "column": "证件号码"}
    ]  # fmt: skip
    assert report["stored"] == len(lines) - 2
    code, text = run(data, "complaints", "detect", token=tokens["reviewer"])
    assert code == 0 and "flagged for review" in text, text
    code, text = run(data, "complaints", "queue", "--json", token=tokens["reviewer"])
    queue = json.loads(text)
    assert code == 0 and queue and "*" in queue[0]["id_masked"]
    who = str(queue[0]["complainant_id"])
    code, text = run(
        data,
        "complaints",
        "decide",
        "professional",
        who,
        "--reason",
        "模板索赔",
        token=tokens["reviewer"],
    )
    assert code == 0 and "professional" in text
    code, text = run(data, "complaints", "stats", "--json", token=tokens["reviewer"])
    assert json.loads(text)["professional"] == 1
    code, text = run(data, "complaints", "queue", token=tokens["shop"])
    assert code == 5, text
    # Regression: the table showed complainant ids, but --after pages by queue position
    # (score id): paging with the last complainant shown skipped or repeated rows.
    code, text = run(data, "complaints", "queue", "--all", "--json", token=tokens["reviewer"])
    every = json.loads(text)
    assert len(every) >= 3
    code, text = run(data, "complaints", "queue", "--all", "--limit", "2", token=tokens["reviewer"])
    last = every[1]["score_id"]
    assert code == 0 and f"next page: huiqi complaints queue --all --after {last} --limit 2" in text
    code, text = run(
        data, "complaints", "queue", "--all", "--after", str(last), "--json",
        token=tokens["reviewer"],
    )  # fmt: skip
    assert json.loads(text) == every[2:]


def test_an_export_sent_again_with_a_changed_complaint_says_so(tmp_path: Path) -> None:
    """Regression: a complaint number sent again with another text was counted 'already
    held' and the import exited 0, the change dropped without a word."""
    data = tmp_path / "data"
    tokens = accounts(data, reviewer=["complaint_officer"])
    out = tmp_path / "gen"
    assert run(data, "complaints", "generate", "--complaints", "200", "--out", str(out))[0] == 0
    export = out / "complaints.csv"
    code, text = run(data, "complaints", "import", str(export), token=tokens["reviewer"])
    assert code == 0, text
    with export.open(encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    # The third complaint (line 4, no line breaks in the generated texts) sent again, changed.
    ref, column = rows[3][0], rows[0].index("投诉内容")
    rows[3][column] = "补充：商家已拒绝退款"
    with export.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows(rows)
    code, text = run(data, "complaints", "import", str(export), token=tokens["reviewer"])
    assert code == 4, text
    assert "already held (1 with changed content)" in text
    assert f"line 4: complaint {ref} is already held with another text;" in " ".join(text.split())


def test_an_export_without_optional_columns_and_with_grouped_yuan_is_imported(
    tmp_path: Path,
) -> None:
    """Regression: an export lacking an optional column the built-in mapping names (here
    the bank account) was refused whole, and "1,200" yuan was a rejected row."""
    data = tmp_path / "data"
    tokens = accounts(data, reviewer=["complaint_officer"])
    out = tmp_path / "gen"
    assert run(data, "complaints", "generate", "--complaints", "50", "--out", str(out))[0] == 0
    export = out / "complaints.csv"
    with export.open(encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    bank, claim = rows[0].index("收款账号"), rows[0].index("诉求赔偿金额（元）")
    rows[1][claim] = "1,200.50"
    lean = [[cell for i, cell in enumerate(r) if i != bank] for r in rows]
    with export.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows(lean)
    code, text = run(data, "complaints", "import", str(export), token=tokens["reviewer"])
    assert code == 0, text
    assert f"{len(rows) - 1} complaints stored" in text
    assert "the file has no column for bank (收款账号): left empty" in " ".join(text.split())
    code, text = run(data, "complaints", "import", str(export), "--json", token=tokens["reviewer"])
    assert json.loads(text)["absent"] == ["bank (收款账号)"]


def test_a_rejected_row_is_reported_with_the_files_name(tmp_path: Path) -> None:
    """Regression (qa1, 2026-12-05): a complaint import listed its rejected rows as "line 3,
    column …" without the file's name, unlike every other import (registry files, payment
    results, the 12345 export)."""
    data = tmp_path / "data"
    tokens = accounts(data, reviewer=["complaint_officer"])
    out = tmp_path / "gen"
    assert run(data, "complaints", "generate", "--complaints", "20", "--out", str(out))[0] == 0
    export = out / "complaints.csv"
    with export.open(encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    rows[2][rows[0].index("证件号码")] = ""
    with export.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows(rows)
    code, text = run(data, "complaints", "import", str(export), token=tokens["reviewer"])
    assert code == 4, text
    assert (
        "complaints.csv, line 3, column '证件号码' (field 'id_number'): the ID number is empty"
        in " ".join(text.split())
    )
