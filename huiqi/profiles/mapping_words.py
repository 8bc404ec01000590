"""What a mapping draft (:mod:`huiqi.profiles.mappingdraft`) matches a header against,
and what it says of a header nothing matched.

A header is compared, in its comparable form (``unitwords.comparable``: no unit, no
spaces, lower case), with the common headers of :data:`LAYOUT_WORDS`, the headers and
aliases of the built-in mappings and the dictionary's field names and zh and en labels,
in that order of precedence (:func:`known_headers`). A header none of them knows gets a
comment naming the fields whose label it resembles (:func:`not_matched`), never taken
without a person's word, and the unit its column is in when that is not yuan
(:func:`unit_hint`).
"""

from __future__ import annotations

import difflib

from huiqi.profiles.dictionary import Field, load_dictionary
from huiqi.profiles.mapping import KEY_NAMES, LAYOUT_COLUMNS
from huiqi.profiles.mapping_finder import packaged_mappings
from huiqi.profiles.unitwords import OTHER_MONEY, UNIT_WORDS, header_unit_word
from huiqi.profiles.unitwords import comparable as _key

BUILT_IN = "a header of a built-in mapping"
LAYOUT_WORDS = {
    # The key columns' other names, which every built-in layout reads too
    # (mapping.KEY_NAMES; the taxpayer number of an enterprise is its USCC since 2015),
    # and names a draft matches besides.
    # An office's sheet names whose code or year it is: 企业统一社会信用代码, 统计年份.
    "uscc": (
        *KEY_NAMES["uscc"],
        "企业代码",
        "企业统一社会信用代码",
        "单位统一社会信用代码",
        "企业社会信用代码",
        "usci",
        "credit code",
    ),
    "year": ("年度", *KEY_NAMES["year"], "统计年份", "数据年份", "所属年份", "year", "data year"),
    "qualification": ("资质", "资质类型", "资质名称", "qualification"),
    "certificate_id": ("证书编号", "证书号", "certificate", "certificate id"),
    "valid_from": ("有效期起", "发证日期", "认定日期", "valid from"),
    "valid_to": ("有效期止", "到期日期", "valid to"),
    # Fields as registries' own sheets often head them.
    "name": ("单位名称", "公司名称", "市场主体名称", "纳税人名称"),
    "district_code": (
        "所属区",
        "所在区",
        "所属区县",
        "区县",
        "注册地区",
        "所属区域",
        "行政区划",
        "行政区划代码",
        "注册区划",
    ),
    "industry_class": (
        "所属行业",
        "行业",
        "行业代码",
        "所属行业代码",
        "国民经济行业",
        "国民经济行业代码",
        "行业分类代码",
        "行业小类",
        "行业小类代码",
    ),
    "employees": ("从业人数", "从业人员数", "职工人数", "员工人数"),
    # The registry's 企业类型 column is the 登记注册类型 (有限责任公司, 股份有限公司…).
    "registration_type": ("企业类型", "企业登记注册类型", "登记类型", "注册类型", "企业注册类型"),
    "registration_date": ("注册日期", "设立日期", "成立时间"),
    # The tax bureau's own word for the rating is 级别 as often as 等级.
    "tax_credit_rating": ("纳税信用级别", "纳税信用评价等级", "纳税信用评价级别"),
}


def known_headers() -> dict[str, tuple[str, str]]:
    """Comparable form -> (field, how it is known)."""
    d = load_dictionary()
    known: dict[str, tuple[str, str]] = {}
    for target, words in LAYOUT_WORDS.items():
        for w in words:
            known.setdefault(_key(w)[0], (target, "a common header"))
    for m in packaged_mappings().values():
        for header, target in {**m.columns, **m.aliases}.items():
            # Which built-in mapping to name is decided per file (mapping_closest.describe).
            known.setdefault(_key(header)[0], (target, BUILT_IN))
    for f in d.fields:
        if f.derived or f.type == "qualification":
            continue
        known.setdefault(_key(f.name)[0], (f.name, "the field's name"))
        known.setdefault(_key(f.label.zh)[0], (f.name, f"the field's label {f.label.zh}"))
        known.setdefault(_key(f.label.en)[0], (f.name, f"the field's label '{f.label.en}'"))
    return known


# Columns only a layout of records between enterprises has (valid_from, valid_to and
# the USCC are shared with others): one of them decides the layout.
LINK_COLUMNS = {
    "contracts": ("contract_id", "seller_uscc", "contract_type", "signed_on", "amount"),
    "relations": ("party_kind", "party", "relation", "share_pct"),
}


def unit_hint(header: str, above: str | None) -> str:
    """What the comment on an unmatched header adds when its column is in another unit
    than yuan (its own header's, or one declared above it): the draft cannot know the
    column is money, and without a ``units:`` entry the confirmed mapping refuses the
    file (the sheet declares 万元 but the mapping reads yuan). Not said of a column whose
    header resembles only fields that hold no amount (企业名, 是否列入失信名单)."""
    unit = UNIT_WORDS.get(header_unit_word(header) or "", above)
    if unit is None or unit == "yuan" or unit in OTHER_MONEY:
        return ""
    like = _resembled(header)
    if like and not any(f.type == "money" for f in like):
        return ""
    return f"; if it is an amount, it is in {unit}: list its field under units: as <field>: {unit}"


def _resembled(header: str) -> list[Field]:
    """The dictionary fields whose zh label the header contains or is contained in."""
    key = _key(header)[0]
    return [
        f
        for f in load_dictionary().fields
        if not (f.derived or f.type == "qualification")
        and len(label := _key(f.label.zh)[0]) >= 2
        and (label in key or key in label)
    ]


def not_matched(header: str, layout: str = "static") -> str:
    """The comment on a header nothing matched: the fields whose zh label it most
    resembles ("研发人员数" → rd_staff, 研发人员), never taken without a person's word. In a
    contracts or relations file, the columns of that layout ("签约日期" → signed_on, 签订日期),
    not the dictionary's fields, which such a file cannot feed."""
    key = _key(header)[0]
    labels: dict[str, str] = {}
    if layout in LINK_COLUMNS:
        for m in packaged_mappings().values():
            if m.layout == layout:
                for written, target in {**m.columns, **m.aliases}.items():
                    labels.setdefault(_key(written)[0], f"{target} ({written})")
    else:
        for f in load_dictionary().fields:
            if not (f.derived or f.type == "qualification"):
                labels.setdefault(_key(f.label.zh)[0], f"{f.name} ({f.label.zh})")
    within = [k for k in labels if len(k) >= 2 and (k in key or key in k)]
    close = within or difflib.get_close_matches(key, list(labels), n=2, cutoff=0.5)
    if not close and layout in LINK_COLUMNS:
        own = ", ".join(["uscc", *LAYOUT_COLUMNS[layout]])
        return f"? not matched: write the column it feeds in a {layout} file: one of {own}"
    if not close:
        return "? not matched: write the field it feeds (docs/policies.md §12 lists them)"
    maybe = " or ".join(labels[k] for k in sorted(close, key=len, reverse=True)[:2])
    return f"? not matched: write the field it feeds, perhaps {maybe}"
