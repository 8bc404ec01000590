"""Texts of synthetic complaints: ordinary ones varied, professional ones templated.

An ordinary complainant writes once, in their own words, about harm that happened:
the text is put together from independent parts (what was bought, what went wrong,
what it cost them, how the shop answered, what they ask for) with their own numbers,
so two ordinary texts share little. A professional complainant's texts come from a
few templates that cite the law and demand punitive compensation (十倍/三倍赔偿);
only the date, product and amounts change between them.
"""

from __future__ import annotations

import numpy as np

PRODUCTS = (
    "电动自行车", "冰箱", "洗衣机", "手机", "婴儿奶粉", "空调", "笔记本电脑", "热水器", "电饭煲",
    "床垫", "沙发", "儿童座椅", "羽绒服", "运动鞋", "燃气灶", "油烟机", "净水器", "扫地机器人",
    "电视机", "吹风机", "保温杯", "装修服务", "健身卡", "培训课程", "家政服务", "宽带业务",
    "二手车", "美容护理卡", "月饼礼盒", "进口红酒", "牛肉干", "蜂蜜", "橄榄油", "保健酒",
    "坚果礼包", "燕窝", "茶叶", "海参", "酸奶", "饼干", "辣条", "咖啡豆", "巧克力", "果冻",
    "口服液", "压缩饼干", "腊肠", "面膜", "洗发水", "儿童玩具",
)  # fmt: skip
SNACKS = (
    "月饼礼盒", "进口红酒", "牛肉干", "蜂蜜", "橄榄油", "保健酒", "坚果礼包", "燕窝", "茶叶",
    "海参", "酸奶", "饼干", "辣条", "咖啡豆", "巧克力", "果冻", "口服液", "压缩饼干", "腊肠",
    "面膜", "洗发水", "儿童玩具", "保温杯",
)  # fmt: skip
_OPEN = (
    "我在{d}购买了{p}", "上个月在贵店买的{p}", "{d}通过网店下单购买{p}", "家里{d}买了一台{p}",
    "我母亲在门店买了{p}", "{d}在商场专柜选购{p}", "朋友推荐我在这家店买了{p}",
    "我于{d}签约购买{p}", "孩子生日时买了{p}", "搬家后在附近门店买的{p}", "公司团购了{p}",
    "在直播间下单的{p}", "年初办理了{p}", "去年底预付款购买{p}",
)  # fmt: skip
_PROBLEM = (
    "使用{n}天后电池鼓包冒烟", "收到时外包装破损零件缺失", "安装后一直漏水把楼下天花板泡坏",
    "开机不到一周就无法启动", "送货时把门框撞坏了", "吃了以后全家腹泻呕吐",
    "商家收款后人去楼空无法联系", "说好的{n}节课只上了一半就停课了", "实物颜色尺寸和宣传完全不同",
    "插电后跳闸把插座烧黑", "维修了{n}次仍然故障", "闻到刺鼻气味检测甲醛超标",
    "门店突然关门会员卡余额无法退还", "用了{n}次皮肤红肿过敏", "发动机异响与描述的无事故不符",
    "工人施工时砸坏了卫生间瓷砖", "宽带承诺百兆实际只有几兆", "保质期标签被覆盖贴了新日期",
    "加热时外壳熔化差点引起火灾", "拉链和鞋底穿了{n}天就脱胶开裂",
)  # fmt: skip
_HARM = (
    "为此请假{n}天处理", "孩子去医院看病花了{m}元", "家里地板被泡坏需要重新铺装", "损失了{m}元押金",
    "老人因此摔倒受伤", "重新购买花了{m}元", "耽误了店里生意", "维修费用自己垫付了{m}元",
    "装修工期延误了{n}周", "一家人这{n}天都没法正常做饭", "衣物被洗坏了好几件",
    "房东要求我赔偿墙面", "影响了孩子上学接送", "已经就医并保留了病历",
)  # fmt: skip
_ANSWER = (
    "客服{s}经理一直推诿", "门店{s}师傅说不归他管", "打了{n}次电话无人接听", "商家答应处理后再无音讯",
    "售后让我自己找厂家", "店长态度恶劣拒绝沟通", "平台客服只给了{n}元优惠券", "商家说过了退货期不管",
    "厂家上门检测后不给结论", "对方让我等通知已经{n}周",
)  # fmt: skip
_ASK = (
    "要求退货退款", "希望尽快上门维修", "要求赔偿实际损失", "请求退还剩余费用", "要求更换新品",
    "请相关部门督促商家处理", "希望商家赔偿医药费", "要求按合同约定整改", "请求协调退还押金",
    "要求商家承担维修费用",
)  # fmt: skip
_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜"
# A genuine complainant sometimes asks for the compensation the law gives them.
_GENUINE_PUNITIVE = (
    "商品已过期，依法要求十倍赔偿", "商家虚假宣传属于欺诈，要求退一赔三", "要求按消法给予三倍赔偿",
)  # fmt: skip

TEMPLATES = (
    "本人于{d}在贵公司购买{p}一件，支付{a}元。经本人仔细核查，该商品标签未标注生产许可证编号，"
    "违反《食品安全法》第六十七条的规定，属于不符合食品安全标准的食品。依据《食品安全法》第一百四十八条"
    "第二款，请求贵公司退还货款并支付价款十倍的赔偿金{c}元，如不处理本人将向市场监管部门举报并提起诉讼。",
    "投诉人于{d}购买{p}，价款{a}元。该产品外包装标注的营养成分表不符合GB28050的要求，"
    "系不符合食品安全标准的食品，经营者明知而销售。现依法要求：一、退还货款{a}元；二、支付十倍赔偿金{c}元；"
    "三、对经营者的违法行为依法查处并书面答复投诉人。",
    "{d}本人在该店购买{p}，共计{a}元。该商品宣传用语含有“最佳”“国家级”等绝对化用语，违反《广告法》"
    "第九条，构成对消费者的欺诈。根据《消费者权益保护法》第五十五条，要求退一赔三，赔偿金额{c}元，"
    "并请贵局对其立案查处，将处理结果告知举报人。",
    "举报人{d}于被举报人处购得{p}，支付{a}元，被举报人销售的商品无中文标签，属于进口食品未经检验检疫，"
    "违反《食品安全法》第九十七条。请求依法责令被举报人十倍赔偿{c}元，依法给予举报人奖励。",
    "我于{d}在贵店消费购买{p}，金额{a}元，发现商品已超过保质期仍在销售，"
    "违反食品安全法第三十四条第十项。要求贵店按照食品安全法第一百四十八条支付十倍赔偿{c}元，"
    "逾期不处理将逐级投诉并向法院起诉。",
    "本人{d}在该公司网店下单{p}，实付{a}元。页面宣称的功效无任何依据，属于虚假宣传，"
    "依据《消费者权益保护法》第五十五条第一款，经营者提供商品有欺诈行为的，应当按照消费者的要求增加赔偿，"
    "故要求三倍赔偿{c}元，不接受调解。",
)


def _pick(rng: np.random.Generator, pool: tuple[str, ...], n: int) -> np.ndarray:
    return np.asarray(pool, dtype=object)[rng.integers(0, len(pool), n)]


def ordinary_texts(
    rng: np.random.Generator,
    products: np.ndarray,
    dates: np.ndarray,
    punitive: np.ndarray,
) -> list[str]:
    """One varied text per complaint (``dates`` as 'M月D日' strings)."""
    n = len(products)
    opens, problems, harms = _pick(rng, _OPEN, n), _pick(rng, _PROBLEM, n), _pick(rng, _HARM, n)
    answers, asks = _pick(rng, _ANSWER, n), _pick(rng, _ASK, n)
    legal = _pick(rng, _GENUINE_PUNITIVE, n)
    surnames = np.asarray(list(_SURNAMES), dtype=object)[rng.integers(0, len(_SURNAMES), n)]
    ns, ms = rng.integers(2, 15, n), rng.integers(80, 6000, n)
    order = rng.integers(0, 2, n)
    out: list[str] = []
    for i in range(n):
        fill = {"p": products[i], "d": dates[i], "n": ns[i], "m": ms[i], "s": surnames[i]}
        head = opens[i].format(**fill) + "，" + problems[i].format(**fill)
        middle = [harms[i].format(**fill), answers[i].format(**fill)]
        if order[i]:
            middle.reverse()
        ask = legal[i] if punitive[i] else asks[i]
        out.append(f"{head}，{middle[0]}，{middle[1]}。{ask}。")
    return out


def templated_texts(
    template: np.ndarray,
    products: np.ndarray,
    dates: np.ndarray,
    amounts_yuan: np.ndarray,
    claims_yuan: np.ndarray,
) -> list[str]:
    """Texts from ``TEMPLATES[template[i]]`` with the complaint's own date, product, amounts."""
    return [
        TEMPLATES[t].format(d=d, p=p, a=f"{a:.2f}", c=f"{c:.2f}")
        for t, p, d, a, c in zip(template, products, dates, amounts_yuan, claims_yuan, strict=True)
    ]


def punitive_template(template: int) -> str:
    """'三倍' or '十倍': the multiple a template demands."""
    return "三倍" if "三倍" in TEMPLATES[template] or "赔三" in TEMPLATES[template] else "十倍"
