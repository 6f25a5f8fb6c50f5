"""A realistic, reproducible demo book: two years of a small sales department.

Chinese and English customers, departments, reps and stores, consumable and durable
products, contacts with follow-ups, deals in every stage of the four built-in pipelines
with their checkpoints, stakeholders and objections — so that every report and most
reminder kinds show something on day one. Dates are relative to "today".
"""

import json
import random
import sqlite3
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from salesflow import pipelines, settings, tiers
from salesflow.db import Change
from salesflow.errors import Conflict
from salesflow.i18n import N_, _

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚华飞鑫波斌宇浩凯佳琪晨欣怡"
ENGLISH_FIRST = [
    "Emily",
    "David",
    "Sarah",
    "Michael",
    "Anna",
    "James",
    "Linda",
    "Peter",
    "Grace",
    "Kevin",
    "Olivia",
    "Daniel",
    "Sophie",
    "Henry",
    "Chloe",
    "Lucas",
]
ENGLISH_LAST = [
    "Chen",
    "Wang",
    "Smith",
    "Li",
    "Brown",
    "Zhang",
    "Taylor",
    "Liu",
    "Wilson",
    "Huang",
    "Martin",
    "Lee",
]
COMPANIES = [
    "华为",
    "腾讯",
    "美的集团",
    "格力电器",
    "万科",
    "顺丰速运",
    "比亚迪",
    "海尔智家",
    "Acme Trading",
    "Northwind Ltd",
    "远洋地产",
    "恒安纸业",
    "青岛啤酒",
    "伊利乳业",
]
SOURCES = ["web", "social", "referral", "event", "cold-call", "ad", "walk-in"]
HOBBIES = ["golf", "tea", "hiking", "photography", "钓鱼", "书法", "travel", "badminton"]
EDUCATION = ["本科", "硕士", "MBA", "大专", "PhD"]
TITLES = ["总经理", "采购经理", "IT Director", "店长", "CFO", "技术总监", "owner"]


@dataclass(frozen=True)
class Team:
    department: str
    reps: tuple[str, ...]
    stores: tuple[str, ...]


TEAMS = (
    Team("华东事业部", ("李娜", "王强"), ("上海徐汇店", "杭州西湖店")),
    Team("华南事业部", ("陈静", "刘洋"), ("深圳福田店", "广州天河店")),
    Team("大客户部", ("张伟", "Emily Chen"), ("总部",)),
    Team("零售部", ("赵敏", "David Wang"), ("北京朝阳店", "Online")),
)
CONSUMABLES = [
    ("洗发水", "日化", 8900, 45),
    ("护发素", "日化", 7900, 60),
    ("面霜", "护肤", 32000, 60),
    ("茶叶", "食品", 26800, 30),
    ("咖啡豆", "食品", 12800, 21),
    ("打印纸", "办公", 4500, 30),
    ("墨盒", "办公", 19900, 90),
    ("净水滤芯", "家电耗材", 29900, 120),
    ("维生素", "保健", 15800, 60),
    ("奶粉", "母婴", 36800, 20),
    ("狗粮", "宠物", 23900, 30),
    ("隐形眼镜", "眼镜", 16800, 30),
]
DURABLES = [
    ("净水器", "家电", 329900),
    ("打印机", "办公", 189900),
    ("金项链", "珠宝", 568000),
    ("钻石戒指", "珠宝", 1288000),
    ("办公椅", "家具", 159900),
    ("咖啡机", "家电", 259900),
    ("服务器维保", "服务", 4800000),
    ("网络布线工程", "工程", 12000000),
]
OBJECTIONS = [
    ("太贵了", "先算一笔经济账：按使用周期折算每天的成本，再对比同类产品", "proposal", "price"),
    ("我再考虑一下", "请问具体是哪一点还需要考虑？我们逐项确认", "closing", "stall"),
    (
        "我们已经有供应商了",
        "了解现有供应商哪里满意、哪里不满意，提出补充方案",
        "needs",
        "competition",
    ),
    ("预算还没批下来", "协助准备立项材料，确认预算审批的时间点", "qualification", "budget"),
    (
        "Your competitor is cheaper",
        "Compare total cost of ownership, not unit price",
        "proposal",
        "price",
    ),
    ("需要老板拍板", "约决策人一起做方案演示，提前设定议程与期望结果", "presentation", "authority"),
    ("交货期太长", "分批交付，先交付关键部分", "negotiation", "delivery"),
    (
        "We don't need it now",
        "Ask what would make it urgent; agree a follow-up date",
        "needs",
        "timing",
    ),
    ("售后服务没保障", "介绍本地服务团队与响应时效，提供客户推荐", "proposal", "service"),
    ("款式不喜欢", "推荐类似款式并邀请试戴", "interested", "retail"),
]


def is_empty(conn: sqlite3.Connection) -> bool:
    return not any(
        conn.execute(f"SELECT 1 FROM {table} LIMIT 1").fetchone()
        for table in ("customers", "products", "sales", "contacts", "deals", "objections")
    )


BOOK_TABLES = (
    "objection_uses",
    "objections",
    "stakeholders",
    "deal_checks",
    "deal_history",
    "contacts",
    "returns",  # before the sales they take back
    "sales",
    "deals",
    "products",
    "customers",
)


def clear_book(change: Change) -> None:
    """Remove every record and its history (not settings or pipelines) for `demo --force`."""
    for table in BOOK_TABLES:
        change.conn.execute(f"DELETE FROM {table}")
    change.conn.execute("DELETE FROM events WHERE change_id != ?", [change.id])
    change.conn.execute("DELETE FROM changes WHERE id != ?", [change.id])


def build(change: Change, *, customers: int, seed: int, today: date, force: bool) -> dict[str, int]:
    """Fill the book; returns how many records of each kind were made."""
    conn = change.conn
    if not is_empty(conn):
        if not force:
            raise Conflict(_("the database already holds records"), hint="force-replace")
        clear_book(change)
    pipelines.ensure_builtins(conn)
    maker = DemoBook(random.Random(seed), today, customers)
    counts = {
        "products": change.insert_many("products", *maker.products()),
        "customers": change.insert_many("customers", *maker.customers()),
        "sales": change.insert_many("sales", *maker.sales()),
        "contacts": change.insert_many("contacts", *maker.contacts()),
    }
    counts.update(maker.deals(change))
    graded = tiers.grade_members(conn, today, settings.load(conn))
    conn.executemany(
        "UPDATE customers SET tier = ? WHERE id = ? AND tier_locked = 0",
        [(row["tier"], row["customer_id"]) for row in tiers.tier_changes(graded)],
    )
    change.describe(N_("demo book: {count} customers"), count=customers)
    return counts


class DemoBook:
    """Generates the rows; one instance per book, driven by one seeded random source."""

    def __init__(self, chance: random.Random, today: date, customers: int) -> None:
        self.chance = chance
        self.today = today
        self.count = customers
        self.product_count = min(200, max(len(CONSUMABLES) + len(DURABLES), customers // 500))
        self.people: list[dict] = []
        self.catalogue: list[tuple[int, int, int | None]] = []  # id, price cents, cycle days

    def day(self, days_ago: int) -> str:
        return (self.today - timedelta(days=days_ago)).isoformat()

    def products(self):
        rows = []
        for number in range(self.product_count):
            if number < len(CONSUMABLES) + len(DURABLES):
                if number < len(CONSUMABLES):
                    name, category, price, cycle = CONSUMABLES[number]
                else:
                    name, category, price = DURABLES[number - len(CONSUMABLES)]
                    cycle = None
            else:
                base = self.chance.choice(CONSUMABLES + [(*d, None) for d in DURABLES])
                name = f"{base[0]} {number:03d}型"
                category, cycle = base[1], base[3]
                price = base[2] * self.chance.choice([50, 80, 100, 120, 150]) // 100
            self.catalogue.append((number + 1, price, cycle))
            rows.append((number + 1, name, f"SKU-{number + 1:04d}", category, price, cycle))
        return ("id", "name", "sku", "category", "price_cents", "cycle_days"), rows

    def _name(self) -> str:
        if self.chance.random() < 0.2:
            return f"{self.chance.choice(ENGLISH_FIRST)} {self.chance.choice(ENGLISH_LAST)}"
        given = "".join(self.chance.choice(GIVEN) for _ in range(self.chance.choice((1, 2))))
        return self.chance.choice(SURNAMES) + given

    def customers(self):
        rows = []
        for number in range(1, self.count + 1):
            team = self.chance.choice(TEAMS)
            owner = self.chance.choice(team.reps)
            recent = self.chance.random() < 0.15
            created = self.chance.randint(1, 60) if recent else self.chance.randint(60, 900)
            b2b = team.department == "大客户部" or self.chance.random() < 0.15
            profile = {}
            if self.chance.random() < 0.3 or number == 1:
                offset = 3 if number == 1 else self.chance.randint(0, 364)
                birthday = self.today + timedelta(days=offset)
                profile["birthday"] = (
                    f"{self.chance.randint(1960, 2000)}-{birthday:%m-%d}"
                    if self.chance.random() < 0.5
                    else f"{birthday:%m-%d}"
                )
            if self.chance.random() < 0.4:
                profile["hobby"] = self.chance.choice(HOBBIES)
            if self.chance.random() < 0.2:
                profile["education"] = self.chance.choice(EDUCATION)
            if b2b:
                profile["title"] = self.chance.choice(TITLES)
            kind = self.chance.choices(["active", "stopped", "never"], [75, 15, 10])[0]
            locked = self.chance.random() < 0.02
            self.people.append(
                {
                    "id": number,
                    "owner": owner,
                    "team": team,
                    "created": created,
                    "kind": kind,
                    "b2b": b2b,
                }
            )
            phone = f"1{self.chance.randint(30, 99)} {self.chance.randint(0, 9999):04d} " + (
                f"{self.chance.randint(0, 9999):04d}"
            )
            rows.append(
                (
                    number,
                    f"M{number:06d}" if self.chance.random() < 0.6 else None,
                    self._name(),
                    self.chance.choice(COMPANIES) if b2b else None,
                    phone,
                    "".join(c for c in phone if c.isdigit()),
                    f"customer{number}@example.com" if self.chance.random() < 0.5 else None,
                    self.chance.choice(SOURCES),
                    owner,
                    team.department,
                    self.chance.choice(team.stores),
                    self.chance.choice("ABCD") if locked else None,
                    int(locked),
                    self.chance.choice([None, 1, 2, 3, 4, 5]),
                    self.chance.choice([None, 1, 2, 3, 4, 5]),
                    self.chance.choice([None, 1, 2, 3, 4, 5]),
                    json.dumps(
                        self.chance.sample(
                            ["vip", "wechat", "new", "会员", "团购"], self.chance.randint(0, 2)
                        ),
                        ensure_ascii=False,
                    ),
                    json.dumps(profile, ensure_ascii=False),
                    self.day(created),
                )
            )
        columns = (
            "id",
            "ref",
            "name",
            "company",
            "phone",
            "phone_norm",
            "email",
            "source",
            "owner",
            "department",
            "store",
            "tier",
            "tier_locked",
            "urgency",
            "quick_effect",
            "price_fit",
            "tags",
            "profile",
            "created_at",
        )
        return columns, rows

    def sales(self):
        columns = (
            "customer_id",
            "product_id",
            "quantity",
            "amount_cents",
            "date",
            "rep",
            "department",
            "store",
        )

        def generate():
            for person in self.people:
                if person["kind"] == "never":
                    continue
                first = min(person["created"], 730)
                last = self.chance.randint(91, 400) if person["kind"] == "stopped" else 0
                if first <= last:
                    first = last + self.chance.randint(1, 30)
                favourites = self.chance.sample(self.catalogue, self.chance.randint(3, 5))
                purchases: list[tuple[int, int, Any, int]] = []
                for product_id, price, cycle in favourites:
                    days_ago = first - self.chance.randint(0, 20)
                    while days_ago >= last and len(purchases) < 20:
                        quantity = self.chance.choice((1, 1, 1, 1, 2, 3))
                        purchases.append((days_ago, product_id, price, quantity))
                        gap = cycle * quantity if cycle else self.chance.randint(30, 150)
                        days_ago -= max(1, gap + self.chance.randint(-5, 10))
                keep = self.chance.randint(4, 24)
                for days_ago, product_id, price, quantity in sorted(purchases)[:keep]:
                    days_ago = max(days_ago, 0)
                    discount = self.chance.choice((100, 100, 100, 95, 90, 0))
                    team = person["team"]
                    yield (
                        person["id"],
                        product_id,
                        quantity,
                        price * quantity * discount // 100,
                        self.day(days_ago),
                        person["owner"],
                        team.department,
                        self.chance.choice(team.stores),
                    )

        return columns, generate()

    def contacts(self):
        columns = ("customer_id", "at", "channel", "rep", "summary", "outcome", "next_at")
        summaries = [
            "电话回访",
            "门店到访",
            "微信沟通新品",
            "发送报价",
            "上门拜访",
            "Follow-up call",
            "Sent brochure",
            "节日问候",
            "售后回访",
            "方案演示",
        ]
        outcomes = [None, "interested", "有意向", "not now", "要报价", "满意"]
        channels = ("call", "visit", "wechat", "email", "sms", "meeting", "showroom")

        def generate():
            for person in self.people:
                if self.chance.random() < 0.05:
                    continue  # never contacted
                created = person["created"]
                count = self.chance.randint(1, 21)
                moments = sorted(
                    {self.chance.randint(0, created) for _ in range(count)}, reverse=True
                )
                for index, days_ago in enumerate(moments):
                    latest = index == len(moments) - 1
                    next_at = None
                    if latest and self.chance.random() < 0.5:
                        next_at = self.day(days_ago - self.chance.randint(1, 20))
                    hour = self.chance.randint(9, 18)
                    minute = self.chance.choice(("00", "15", "30", "45"))
                    yield (
                        person["id"],
                        f"{self.day(days_ago)} {hour:02d}:{minute}",
                        self.chance.choice(channels),
                        person["owner"],
                        self.chance.choice(summaries),
                        self.chance.choice(outcomes),
                        next_at,
                    )

        return columns, generate()

    def deals(self, change: Change) -> dict[str, int]:
        conn = change.conn
        stage_rows = conn.execute(
            "SELECT s.id, s.pipeline_id, s.position, s.probability, s.max_days, s.closing,"
            " p.name"
            " FROM stages s JOIN pipelines p ON p.id = s.pipeline_id WHERE p.builtin = 1"
            " ORDER BY p.id, s.position"
        ).fetchall()
        items = conn.execute("SELECT id, stage_id, required FROM stage_items").fetchall()
        by_pipeline: dict[str, list[sqlite3.Row]] = {}
        for stage in stage_rows:
            by_pipeline.setdefault(stage["name"], []).append(stage)
        total = max(len(stage_rows) + 6, min(2000, self.count // 5))
        slots = [
            (name, position)
            for name, stages in by_pipeline.items()
            for position in range(len(stages))
        ]
        deal_id = conn.execute("SELECT coalesce(max(id), 0) FROM deals").fetchone()[0]
        deals, history, checks, stakeholders = [], [], [], []
        b2b = [person for person in self.people if person["b2b"]] or self.people
        for number in range(total):
            name, position = slots[number % len(slots)]
            stages = by_pipeline[name]
            person = self.chance.choice(
                b2b if name in ("key-account", "seven-step") else self.people
            )
            deal_id += 1
            age = self.chance.randint(20, 300)
            # Open deals stop at the closing stage; the stages after it are delivery,
            # which only won deals reach.
            closing = next((s["position"] for s in stages if s["closing"]), len(stages) - 1)
            status = "open" if position <= closing else "won"
            if number >= len(slots):
                status = self.chance.choices(["open", "won", "lost"], [60, 25, 15])[0]
                position = min(position, closing)
                if status == "won":
                    position = self.chance.randint(closing, len(stages) - 1)
            entered = age
            closed_on = None
            for index in range(position + 1):
                left = None
                if index < position:
                    left = max(entered - self.chance.randint(3, 40), 1)
                closed = status != "open" and index == position
                if closed:
                    left = max(entered - self.chance.randint(1, 20), 0)
                    closed_on = self.day(left)
                history.append(
                    (
                        deal_id,
                        stages[index]["id"],
                        self.day(entered),
                        None if left is None else self.day(left),
                        person["owner"],
                        0,
                        None,
                    )
                )
                for item in items:
                    if item["stage_id"] == stages[index]["id"] and (
                        index < position or self.chance.random() < 0.4
                    ):
                        checks.append((deal_id, item["id"], self.day(entered)))
                if left is not None and index < position:
                    entered = left
            amount = self.chance.choice((50000, 120000, 300000, 880000, 1500000, 5000000)) * 100
            close_in = self.chance.randint(-20, 120)
            deals.append(
                (
                    deal_id,
                    person["id"],
                    f"{name} 项目 #{deal_id}",
                    stages[0]["pipeline_id"],
                    stages[position]["id"],
                    amount,
                    None,
                    (self.today + timedelta(days=close_in)).isoformat(),
                    person["owner"],
                    status,
                    "价格" if status == "lost" else None,
                    closed_on,
                    self.day(age),
                    self.day(entered),
                )
            )
            if name == "key-account":
                roles = ["decision-maker", "purchasing", "technical"]
                if self.chance.random() < 0.6:
                    roles.append("coach")
                for role in roles:
                    owner = person["owner"] if self.chance.random() < 0.7 else None
                    stakeholders.append(
                        (
                            person["id"],
                            self._name(),
                            self.chance.choice(TITLES),
                            role,
                            self.chance.choice(["supporter", "neutral", "opponent"]),
                            owner,
                        )
                    )
        counts = {
            "deals": change.insert_many(
                "deals",
                (
                    "id",
                    "customer_id",
                    "title",
                    "pipeline_id",
                    "stage_id",
                    "amount_cents",
                    "probability",
                    "expected_close",
                    "owner",
                    "status",
                    "lost_reason",
                    "closed_on",
                    "created_at",
                    "stage_entered_at",
                ),
                deals,
            ),
        }
        change.insert_many(
            "deal_history",
            ("deal_id", "stage_id", "entered_at", "left_at", "by", "forced", "reason"),
            history,
        )
        change.insert_many("deal_checks", ("deal_id", "item_id", "done_at"), checks)
        counts["stakeholders"] = change.insert_many(
            "stakeholders",
            ("customer_id", "name", "title", "role", "attitude", "owner"),
            stakeholders,
        )
        counts["objections"] = change.insert_many(
            "objections",
            ("text", "response", "stage", "tags"),
            [
                (text, response, stage, json.dumps([tag]))
                for text, response, stage, tag in OBJECTIONS
            ],
        )
        first_objection = conn.execute("SELECT min(id) FROM objections").fetchone()[0]
        uses = [
            (
                first_objection + self.chance.randrange(len(OBJECTIONS)),
                self.chance.randint(deal_id - len(deals) + 1, deal_id),
                self.chance.choice(("worked", "worked", "failed")),
                self.day(self.chance.randint(0, 200)),
            )
            for _ in range(min(300, len(deals) * 2))
        ]
        change.insert_many(
            "objection_uses", ("objection_id", "deal_id", "outcome", "used_on"), uses
        )
        return counts
