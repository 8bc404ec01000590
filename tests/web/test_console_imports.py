"""The data steward's imports pages: the history, an import's report with its rejects and
downloads, and the upload form (``profiles.service``: ``import_files``, ``list_imports``,
``read_import``, ``import_report_file``). Stewards only; a file the importer refuses is
the importer's message on the page; no field, file or reference is a server error."""

from __future__ import annotations

import csv
import io
import re
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from portal_data import Portal, page_token, sign_in
from sqlalchemy import select

from huiqi.delivery.models import Event
from huiqi.profiles.uscc import make
from huiqi.web.settings import WebSettings

HEADER = "统一社会信用代码,企业名称,注册区划代码\n"


def one_bad(n: int) -> str:
    """A market registry file of three rows, the second's USCC not a code; two enterprises
    of their own (``n``: 1 to 9)."""
    good, other = (make(f"91310115MA{n}00000{k}") for k in (1, 2))
    return (
        f"{HEADER}{good},导入测试企业,310115\nNOT-A-CODE,坏行企业,310115\n{other},另一企业,310115\n"
    )


ONE_BAD = one_bad(9)
REPORT = re.compile(r"^/console/imports/([0-9A-Za-z-]+)\?imported=1$")


@pytest.fixture(scope="module")
def steward(portal: Portal) -> tuple[TestClient, str]:
    client = sign_in(portal.client(), "steward")
    client.get("/lang/en")
    return client, page_token(client, "/console/imports")


def upload(
    client: TestClient, token: str, name: str, content: bytes, **fields: str
) -> tuple[int, str]:
    """Post the form; (status, the report's reference or the page's text)."""
    response = client.post(
        "/console/imports",
        data={"csrf_token": token, **fields},
        files={"file": (name, content, "text/csv")},
        follow_redirects=False,
    )
    if response.status_code == 303:
        found = REPORT.match(response.headers["location"])
        assert found, response.headers["location"]
        return 303, found.group(1)
    return response.status_code, response.text


def test_a_steward_imports_a_file_with_a_bad_row_and_reads_its_report(
    portal: Portal, steward: tuple[TestClient, str]
) -> None:
    client, token = steward
    status, ref = upload(client, token, "市场主体.csv", ONE_BAD.encode("gbk"), mapping="market")
    assert status == 303 and ref.isdigit()
    report = client.get(f"/console/imports/{ref}")
    assert report.status_code == 200
    text = report.text
    assert "Imported 市场主体.csv with mapping 'market' (csv, gb18030)" in text
    assert f"as snapshot {ref}." in text
    assert "Rows: 3 read, 2 accepted, 1 rejected, 2 changed." in text
    rejects = re.findall(r'<tr class="reject">(.*?)</tr>', text, re.S)
    assert len(rejects) == 1 and "<td>市场主体.csv</td>" in rejects[0]
    assert '<td class="num">3</td>' in rejects[0] and "<td>uscc</td>" in rejects[0]
    assert "NOT-A-CODE" in rejects[0]
    # The history lists it first, by the file's name (never the folder it was read from).
    history = client.get("/console/imports").text
    first = re.search(r'<tr data-import="([^"]+)">(.*?)</tr>', history, re.S)
    assert first and first.group(1) == ref and "<td>市场主体.csv</td>" in first.group(2)
    assert "uploads" not in history
    # The test store's own snapshot was not imported: listed, with no report to open.
    assert re.search(r'<tr data-import="1">\s*<th scope="row">1</th>', history)
    # The downloads: every rejected row whole, and the normalised values' file.
    file = client.get(f"/console/imports/{ref}/rejects.csv")
    assert file.status_code == 200 and "attachment" in file.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(file.content.decode("utf-8-sig"))))
    assert [(r["line"], r["field"], r["value"]) for r in rows] == [("3", "uscc", "NOT-A-CODE")]
    assert client.get(f"/console/imports/{ref}/normalised.csv").status_code == 200
    with portal.factory() as s:  # import_files recorded it
        kinds = s.scalars(select(Event.entity).where(Event.kind == "data_import")).all()
    assert f"snapshot:{ref}" in kinds


def test_the_report_reads_in_chinese(portal: Portal) -> None:
    client = sign_in(portal.client(), "steward")
    token = page_token(client, "/console/imports")
    status, ref = upload(client, token, "zh.csv", one_bad(8).encode())
    assert status == 303
    text = client.get(f"/console/imports/{ref}").text
    assert "行数：读取 3，接受 2，拒绝 1，变更 2。" in text, text
    assert "导入历史（最新在前）" in client.get("/console/imports").text
    # The importer's refusal, and the form's own, in the page's language.
    status, page = upload(client, token, "空.csv", b"")
    assert status == 400 and "空.csv：文件为空；应有一行表头，其后为数据行" in page
    status, page = upload(client, token, "a.doc", b"x")
    assert status == 400 and "&#39;a.doc&#39; 不是可导入的登记数据文件" in page


def test_a_relations_file_of_fractions_is_said_on_its_report(portal: Portal) -> None:
    """Shares written as fractions (0.3 for 30 %) under 持股比例 are kept as written; the
    report says so in the page's language."""
    client = sign_in(portal.client(), "steward")
    token = page_token(client, "/console/imports")
    buyer, parent = make("91310115MA700000A"), make("91310104MA700000B")
    body = f"统一社会信用代码,关联方类型,关联方标识,关系类型,持股比例,起始日期\n{buyer},企业,{parent},股东,0.3,2020-01-01\n"
    status, ref = upload(client, token, "股东.csv", body.encode(), mapping="relations")
    assert status == 303, ref
    text = client.get(f"/console/imports/{ref}").text
    assert "持股比例：本文件中的 1 个持股比例均不超过 1 %" in text, text


def test_a_capital_in_wan_yuan_is_said_on_its_report(portal: Portal) -> None:
    """A market file headed 注册资本（万元） imports with the built-in mapping, its amounts
    read in 万元; the report says which columns were read in their header's unit."""
    client = sign_in(portal.client(), "steward")
    token = page_token(client, "/console/imports")
    body = f"统一社会信用代码,企业名称,注册资本（万元）\n{make('91310115MA700000C')},丙公司,50\n"
    status, ref = upload(client, token, "市场主体.csv", body.encode())
    assert status == 303, ref
    text = client.get(f"/console/imports/{ref}").text
    # Regression: the unit was said twice, "注册资本（万元） (万元)", in zh and en.
    assert "按表头所注单位读取的金额列：注册资本（万元）。" in text, text
    client.get("/lang/en")
    text = client.get(f"/console/imports/{ref}").text
    assert "Amounts read in the unit their header names: 注册资本（万元）." in text, text


def test_amounts_read_in_the_declared_unit_are_said_on_the_chinese_report(portal: Portal) -> None:
    """A tax file with "单位：万元" above 营业收入 imports with the built-in mapping; the
    report says, in the page's language, which columns were read in the declared unit."""
    client = sign_in(portal.client(), "steward")
    token = page_token(client, "/console/imports")
    body = f"单位：万元\n统一社会信用代码,年度,营业收入\n{make('91310115MA700000G')},2024,1.5\n"
    status, ref = upload(client, token, "纳税.csv", body.encode())
    assert status == 303, ref
    text = client.get(f"/console/imports/{ref}").text
    assert "按表中声明的单位读取的金额列（表头未注明单位）：营业收入（万元，第 1 行）。" in text, (
        text
    )


def test_excels_unicode_text_export_is_imported_from_the_page(portal: Portal) -> None:
    """Regression: the page refused a .txt file ("not a registry file the importer reads")
    that 'huiqi import' reads: Excel's "Unicode Text" export (UTF-16, tab-separated) is
    named .txt, and a tab-separated file is often .tsv."""
    client = sign_in(portal.client(), "steward")
    token = page_token(client, "/console/imports")
    for name, code in (("企业.txt", "91310115MA700000D"), ("企业.tsv", "91310115MA700000E")):
        text = f"统一社会信用代码\t企业名称\r\n{make(code)}\t丁公司\r\n"
        body = text.encode("utf-16") if name.endswith(".txt") else text.encode("utf-8")
        status, ref = upload(client, token, name, body)
        assert status == 303, ref
        assert "行数：读取 1，接受 1，拒绝 0" in client.get(f"/console/imports/{ref}").text


def test_the_rows_above_the_header_read_in_chinese(portal: Portal) -> None:
    """Regression (QA): the rows skipped above a header were listed as "line 1: …" on the
    Chinese report."""
    client = sign_in(portal.client(), "steward")
    token = page_token(client, "/console/imports")
    body = f"2024年度企业名单\n统一社会信用代码,企业名称\n{make('91310115MA700000F')},戊公司\n"
    status, ref = upload(client, token, "名单.csv", body.encode())
    assert status == 303, ref
    text = client.get(f"/console/imports/{ref}").text
    assert "第 1 行：2024年度企业名单" in text and "line 1:" not in text, text


def test_a_wide_sheet_is_said_on_the_chinese_report(portal: Portal) -> None:
    """A wide yearly sheet (a column group per year) is read one row per year; the report
    says so, and names the year's own column of a rejected cell."""
    client = sign_in(portal.client(), "steward")
    token = page_token(client, "/console/imports")
    body = (
        "统一社会信用代码,2023年营业收入(元),2024年营业收入(元)\n"
        f"{make('91310115MA700001W')},100,abc\n{make('91310115MA700002W')},,\n"
    )
    status, ref = upload(client, token, "宽表.csv", body.encode())
    assert status == 303, ref
    text = client.get(f"/console/imports/{ref}").text
    assert "按宽表读取，年份 2023, 2024：文件的 2 行给出每家企业每个有值年份的一行" in text, text
    assert "2024年营业收入(元)" in text
    assert "1 行在各年的列中都没有值，不产生任何行（第 3 行）：其内容均未导入。" in text, text


def test_an_import_that_accepts_no_row_shows_its_rejects(steward: tuple[TestClient, str]) -> None:
    client, token = steward
    status, ref = upload(client, token, "bad.csv", f"{HEADER}X1,坏,310115\n".encode())
    assert status == 303 and not ref.isdigit()
    text = client.get(f"/console/imports/{ref}").text
    assert "Nothing imported from bad.csv" in text and '<tr class="reject">' in text
    rejects = client.get(f"/console/imports/{ref}/rejects.csv")
    assert rejects.status_code == 200 and "X1" in rejects.content.decode("utf-8-sig")
    assert f'data-import="{ref}"' in client.get("/console/imports").text


@pytest.mark.parametrize(
    ("name", "content", "said"),
    [
        ("x.csv", "编号,名称,金额\n1,甲,3\n".encode(), "mapping"),
        ("x.csv", b"", "empty"),
        ("x.csv", bytes(range(256)) * 3, "no mapping matches the headers"),
        ("x.doc", HEADER.encode(), "not a registry file the importer reads"),
    ],
    ids=["header-fits-no-mapping", "empty", "binary", "wrong-type"],
)
def test_a_file_the_importer_refuses_gives_its_message_on_the_page(
    steward: tuple[TestClient, str], name: str, content: bytes, said: str
) -> None:
    client, token = steward
    status, text = upload(client, token, name, content)
    assert status == 400, text
    error = re.search(r'<p class="error" role="alert" id="file-error">(.*?)</p>', text, re.S)
    assert error and said in error.group(1).lower(), error and error.group(1)
    assert "uploads" not in error.group(1) and "--mapping" not in error.group(1)


def test_a_file_over_the_limit_is_refused_naming_it(portal: Portal) -> None:
    client = sign_in(portal.client(WebSettings(max_upload_bytes=1024 * 1024)), "steward")
    token = page_token(client, "/console/imports")
    client.get("/lang/en")
    assert "At most 1 MB" in client.get("/console/imports").text
    big = (HEADER + "X,甲,310115\n" * 120_000).encode()  # 1.5 MB
    status, text = upload(client, token, "big.csv", big)
    assert status == 413 and "1 MB" in text and "split it into smaller files" in text
    assert "huiqi import" not in text  # a visitor of the site has no command line


def test_a_mapping_is_named_never_a_path(steward: tuple[TestClient, str]) -> None:
    client, token = steward
    status, text = upload(client, token, "m.csv", ONE_BAD.encode(), mapping="/etc/x.yaml")
    assert status == 400 and "no mapping named" in text


def test_no_file_chosen_says_so(steward: tuple[TestClient, str]) -> None:
    client, token = steward
    response = client.post("/console/imports", data={"csrf_token": token})
    assert response.status_code == 400 and "Choose a registry file to import." in response.text


def test_a_form_without_its_token_is_refused(steward: tuple[TestClient, str]) -> None:
    client, _ = steward
    status, _ = upload(client, "forged", "a.csv", ONE_BAD.encode())
    assert status == 403


@pytest.mark.parametrize(
    "ref", ["999999", "0", "%2E%2E", "..%2Fimports", "20261204T101500123456Z-0123456789ab"]
)
def test_an_import_not_there_is_not_found(steward: tuple[TestClient, str], ref: str) -> None:
    client, _ = steward
    for suffix in ("", "/rejects.csv", "/normalised.csv"):
        assert client.get(f"/console/imports/{ref}{suffix}").status_code in (400, 404, 422)


@pytest.mark.parametrize("user", ["officer", "author", "finance", "admin", "ent0"])
def test_only_a_steward_opens_the_imports(
    portal: Portal, steward: tuple[TestClient, str], user: str
) -> None:
    client, token = steward
    _, ref = upload(client, token, "r.csv", one_bad(7).encode())
    other = sign_in(portal.client(), user)
    for path in ("", f"/{ref}", f"/{ref}/rejects.csv", f"/{ref}/normalised.csv"):
        assert other.get(f"/console/imports{path}").status_code == 403, path
    their = page_token(other, "/policies")
    assert upload(other, their, "r.csv", ONE_BAD.encode())[0] == 403


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    name=st.one_of(
        st.sampled_from(["r.csv", "r.xlsx", "r.xls", "r.parquet", "", "../../r.csv", ".csv"]),
        st.text(max_size=60),
    ),
    content=st.one_of(
        st.binary(max_size=300),
        st.text(max_size=200).map(lambda t: (HEADER + t).encode("utf-8")),
    ),
    mapping=st.one_of(st.sampled_from(["", "market", "tax", "../x.yaml"]), st.text(max_size=30)),
    sheet=st.text(max_size=120),
)
def test_no_upload_is_a_server_error(
    steward: tuple[TestClient, str], name: str, content: bytes, mapping: str, sheet: str
) -> None:
    client, token = steward
    status, _ = upload(client, token, name, content, mapping=mapping, sheet=sheet)
    assert status in (303, 400, 413), status


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(ref=st.text(max_size=50), suffix=st.sampled_from(["", "/rejects.csv", "/normalised.csv"]))
def test_no_reference_is_a_server_error(
    steward: tuple[TestClient, str], ref: str, suffix: str
) -> None:
    client, _ = steward
    response = client.get(f"/console/imports/{quote(ref, safe='')}{suffix}")
    assert response.status_code < 500
