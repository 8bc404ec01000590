"""Building blocks of the synthetic population: vocabularies, weights and Arrow conversions.

Everything here is deterministic and vectorised. Money is produced as integer fen
(0.01 yuan) and turned into exact ``decimal128(18, 2)`` Arrow arrays by reinterpreting
the integers as unscaled decimals, so no float ever reaches an output file.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa

from huiqi.profiles.uscc import ALPHABET

EPOCH = dt.date(1970, 1, 1)
MONEY = pa.decimal128(18, 2)

# Plausible shares of Shanghai's market entities by district (Pudong largest; the outer
# districts host many registrations). Rough, for realism only.
DISTRICT_WEIGHTS: dict[str, float] = {
    "310115": 0.200, "310112": 0.080, "310114": 0.090, "310117": 0.070,
    "310118": 0.070, "310120": 0.080, "310113": 0.060, "310116": 0.050,
    "310151": 0.080, "310101": 0.030, "310104": 0.035, "310105": 0.025,
    "310106": 0.035, "310107": 0.025, "310109": 0.020, "310110": 0.025,
}  # fmt: skip

# Shares by GB/T 4754 section: trade and business services dominate registrations.
SECTION_WEIGHTS: dict[str, float] = {
    "F": 0.300, "L": 0.200, "M": 0.100, "I": 0.070, "C": 0.060, "E": 0.040,
    "G": 0.040, "H": 0.040, "O": 0.030, "R": 0.025, "K": 0.020, "J": 0.015,
    "P": 0.010, "N": 0.008, "A": 0.005, "Q": 0.004, "D": 0.002, "B": 0.0005,
    "S": 0.0003,
}  # fmt: skip

# Median revenue per employee (yuan) by section, before noise.
REVENUE_PER_EMPLOYEE: dict[str, float] = {
    "F": 2_000_000, "C": 1_000_000, "I": 600_000, "M": 500_000, "L": 700_000,
    "E": 1_200_000, "G": 800_000, "H": 250_000, "K": 2_000_000, "J": 2_000_000,
    "D": 3_000_000, "B": 2_000_000,
}  # fmt: skip
DEFAULT_REVENUE_PER_EMPLOYEE = 400_000.0

# Shift of log(employees) by section: manufacturing and construction employ more people.
EMPLOYEE_SHIFT: dict[str, float] = {
    "C": 0.9, "E": 0.5, "G": 0.4, "H": 0.4, "I": 0.3, "D": 1.2, "B": 1.0, "Q": 0.6,
    "F": -0.2, "L": -0.3, "K": 0.0,
}  # fmt: skip

# How likely a section is to hold innovation qualifications (relative weight).
INNOVATION_WEIGHT: dict[str, float] = {"I": 6.0, "M": 5.0, "C": 6.0, "D": 1.0, "E": 0.3}
DEFAULT_INNOVATION_WEIGHT = 0.15

INTEGRATED_CIRCUIT_CLASSES = ("3562", "3972", "3973", "3985", "6520", "3974", "3976")
BIOMEDICINE_CLASSES = (
    "2710", "2720", "2730", "2740", "2761", "2762", "2770", "2780",
    "3581", "3582", "3583", "3584", "3585", "3586", "3589", "7340", "7512", "5151",
)  # fmt: skip

PARKS: dict[str, tuple[str, ...]] = {
    "310115": ("张江科学城", "陆家嘴金融城", "金桥经济技术开发区", "外高桥保税区", "临港新片区"),
    "310104": ("漕河泾新兴技术开发区", "徐汇滨江西岸"),
    "310112": ("紫竹高新技术产业开发区", "莘庄工业区"),
    "310106": ("市北高新技术服务业园区",),
    "310107": ("桃浦智创城",),
    "310110": ("环同济知识经济圈", "杨浦滨江"),
    "310114": ("嘉定工业区", "安亭汽车城"),
    "310117": ("松江经济技术开发区", "G60科创走廊"),
    "310118": ("青浦工业园区", "市西软件信息园"),
    "310120": ("东方美谷", "奉贤经济开发区"),
    "310116": ("金山工业区", "碳谷绿湾"),
    "310113": ("宝山工业园区", "上海机器人产业园"),
    "310151": ("崇明工业园区", "长兴海洋装备产业园"),
    "310101": ("外滩金融集聚带",),
    "310105": ("虹桥临空经济示范区",),
    "310109": ("北外滩航运服务集聚区",),
}

NAME_FIRST = "华明锦恒汇瑞鼎新博启众天海嘉宏卓安昊睿云星弘志德诚佳泰达盛丰"
NAME_SECOND = "信德程通智丰盛元远航诚衡纳禾达越泰天思帆辰毅源鑫荣邦宇峰川润"
NAME_TRADE: dict[str, tuple[str, ...]] = {
    "I": ("信息科技", "网络科技", "软件技术", "数据科技", "智能科技"),
    "M": ("科技发展", "生物科技", "检测技术", "工程技术", "医药科技"),
    "C": ("机械制造", "电子", "精密机械", "新材料", "汽车零部件", "制药"),
    "F": ("贸易", "商贸", "进出口", "国际贸易", "实业"),
    "L": ("企业管理咨询", "商务咨询", "投资管理", "广告", "人力资源"),
    "E": ("建筑工程", "建设工程", "装饰工程"),
    "G": ("物流", "供应链管理", "运输"),
    "H": ("餐饮管理", "酒店管理"),
    "K": ("房地产开发", "物业管理"),
}
DEFAULT_TRADE = ("实业", "服务")
NAME_SUFFIX: dict[str, str] = {
    "limited_company": "有限公司",
    "joint_stock": "股份有限公司",
    "foreign_invested": "有限公司",
    "partnership": "合伙企业（有限合伙）",
    "sole_proprietorship": "个人独资企业",
    "individual_business": "经营部",
    "cooperative": "专业合作社",
    "state_owned": "总厂",
    "collective": "集体企业",
    "hmt_invested": "有限公司",
    "wholly_state_owned_company": "集团有限公司",
    "private": "有限公司",
    "joint_stock_cooperative": "股份合作公司",
}

# GB 11714 check on the organisation code (USCC characters 9-16), standards.md §1.4.
_GB11714_WEIGHTS = np.array([3, 7, 9, 10, 5, 8, 4, 2], dtype=np.int64)
_USCC_WEIGHTS = np.array([pow(3, i, 31) for i in range(17)], dtype=np.int64)
_ALPHABET_BYTES = np.frombuffer(ALPHABET.encode("ascii"), dtype=np.uint8)
# Value of each USCC alphabet character in GB 11714 (digits 0-9, letters A=10 ... Z=35).
_LATIN_VALUE = np.array(
    [int(c) if c.isdigit() else 10 + ord(c) - ord("A") for c in ALPHABET], dtype=np.int64
)
_BODY_SPACE = 31**6


def weighted_choice(
    rng: np.random.Generator, weights: dict[str, float], n: int
) -> tuple[np.ndarray, list[str]]:
    """Draw ``n`` indices into ``list(weights)`` with the given relative weights."""
    keys = list(weights)
    p = np.array([weights[k] for k in keys], dtype=np.float64)
    return rng.choice(len(keys), size=n, p=p / p.sum()), keys


def uscc_strings(
    prefix: np.ndarray, region: np.ndarray, serial: np.ndarray, body_a: int, body_b: int
) -> pa.Array:
    """Valid, unique USCCs as an Arrow string array.

    Args:
        prefix: (n,) array of 2-character prefixes ("91", "92", "93").
        region: (n,) array of 6-digit region codes.
        serial: (n,) distinct non-negative integers below 31**6 (one per enterprise).
        body_a: multiplier coprime with 31, scrambling serials into bodies.
        body_b: offset of that affine bijection.

    The body is "MA" plus six characters; an affine map modulo 31**6 is a bijection,
    so distinct serials give distinct codes.
    """
    n = len(serial)
    scrambled = (serial.astype(np.int64) * body_a + body_b) % _BODY_SPACE
    digits = np.empty((n, 6), dtype=np.int64)
    for k in range(5, -1, -1):
        digits[:, k] = scrambled % 31
        scrambled //= 31
    values = np.empty((n, 17), dtype=np.int64)
    head = np.char.add(prefix.astype("U2"), region.astype("U6")).astype("S8")
    head_bytes = np.frombuffer(head.tobytes(), dtype=np.uint8).reshape(n, 8)
    lookup = np.full(128, -1, dtype=np.int64)
    lookup[_ALPHABET_BYTES] = np.arange(31)
    values[:, :8] = lookup[head_bytes]
    values[:, 8] = ALPHABET.index("M")
    values[:, 9] = ALPHABET.index("A")
    values[:, 10:16] = digits
    # Character 17: GB 11714 check over characters 9-16 (r = 11 -> '0', r = 10 -> 'X').
    r = 11 - (_LATIN_VALUE[values[:, 8:16]] @ _GB11714_WEIGHTS) % 11
    values[:, 16] = np.where(r == 11, 0, np.where(r == 10, ALPHABET.index("X"), r))
    check = (31 - (values @ _USCC_WEIGHTS) % 31) % 31
    chars = np.empty((n, 18), dtype=np.uint8)
    chars[:, :17] = _ALPHABET_BYTES[values]
    chars[:, 17] = _ALPHABET_BYTES[check]
    return fixed_width_strings(chars)


def fixed_width_strings(chars: np.ndarray) -> pa.Array:
    """An Arrow string array from an (n, width) uint8 array of ASCII bytes."""
    n, width = chars.shape
    offsets = np.arange(0, (n + 1) * width, width, dtype=np.int32)
    data = np.ascontiguousarray(chars).tobytes()
    return pa.Array.from_buffers(pa.string(), n, [None, pa.py_buffer(offsets), pa.py_buffer(data)])


def money(fen: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    """Exact ``decimal128(18, 2)`` yuan from integer fen; invalid entries become null."""
    fen = np.ascontiguousarray(fen, dtype=np.int64)
    words = np.empty((len(fen), 2), dtype=np.int64)
    words[:, 0] = fen
    words[:, 1] = fen >> 63  # sign-extend to the 128-bit two's complement
    return pa.Array.from_buffers(MONEY, len(fen), [_validity(valid), pa.py_buffer(words)])


def _validity(valid: np.ndarray | None) -> pa.Buffer | None:
    if valid is None or bool(valid.all()):
        return None
    return pa.py_buffer(np.packbits(valid.astype(bool), bitorder="little"))


def integers(values: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    mask = None if valid is None else ~valid
    return pa.array(values.astype(np.int64), mask=mask)


def booleans(values: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    mask = None if valid is None else ~valid
    return pa.array(values.astype(bool), mask=mask)


def dates(days: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    """Arrow date32 from days since 1970-01-01."""
    arr = pa.array(days.astype(np.int32), mask=None if valid is None else ~valid)
    return arr.cast(pa.date32())


def codes(vocabulary: list[str], index: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    """Strings from a small vocabulary by index; invalid entries become null."""
    idx = pa.array(index.astype(np.int32), mask=None if valid is None else ~valid)
    return pa.array(vocabulary, type=pa.string()).take(idx)


def day_number(value: dt.date) -> int:
    return (value - EPOCH).days


def year_of(days: np.ndarray) -> np.ndarray:
    """Calendar year of each day number."""
    return days.astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1970


def first_day_of_year(years: np.ndarray) -> np.ndarray:
    """Day number of 1 January of each year."""
    return (years - 1970).astype("datetime64[Y]").astype("datetime64[D]").astype(np.int64)


def lognormal_fen(
    rng: np.random.Generator, median_yuan: float | np.ndarray, sigma: float, n: int
) -> np.ndarray:
    """Integer fen drawn log-normally around a median in yuan."""
    yuan = np.asarray(median_yuan) * np.exp(sigma * rng.standard_normal(n))
    return np.rint(yuan * 100).astype(np.int64)


def scale_fen(fen: np.ndarray, factor: np.ndarray) -> np.ndarray:
    """Multiply fen by a factor and round back to whole fen."""
    return np.rint(fen * factor).astype(np.int64)
