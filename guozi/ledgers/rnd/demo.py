"""Demo key R&D projects for the Liaoning demo portfolio, behind `guozi load_demo`.

`load()` opens about forty projects (`SPECS`, fictional titles) at the steel, petrochemical,
chemical, equipment, energy, coal, port, materials, pharmaceutical and digital groups, at the
group itself or at a subsidiary of the named line of business, each through the services on its
own day from its start year on:

1. Sizes. A project's amounts are scaled to its owner, so that its yearly budget stays within
   half of the R&D expenditure the owner reported for 2025 (its December fast report,
   standalone); a project marked `exceeds` is not scaled, and its 2025 spend is set above what
   its owner reported for all its R&D: the inconsistency the summary flags.
2. Years. The analyst opens the project with its budgets by year; each closed year's spend is
   recorded in the January after it (75–112 % of the budget: a few overspend, flagged), 2026's
   spend so far in August, none for the years to come.
3. Outcomes. Patents, standards (with their level), software copyrights, new products and
   papers, each recorded on the day it was achieved.
4. Lifecycle. The steel group has the demo's enterprise users, so its projects go through the
   ledgers' whole lifecycle: milestones done by approved updates, an update waiting for review,
   a draft, one project handed in for verification, one verified and closed, one overdue. The
   other groups have no demo reporters: their projects carry the figures and outcomes recorded
   for them (by the system, as an import would) and no updates yet.

The same seed gives the same projects; with a scaled portfolio (`scale`) nothing is loaded.
"""

import random
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db import connection
from django.utils.translation import gettext as _

from guozi.accounts.models import Membership, Role, User
from guozi.ledgers import permissions
from guozi.ledgers import services as ledger_services
from guozi.ledgers.demo import on_day
from guozi.ledgers.models import Register, Status, TrackedItem
from guozi.lib import clock
from guozi.registry.models import Enterprise, EnterpriseStatus, Portfolio
from guozi.registry.tree import tree_at

from . import services
from .models import OutcomeKind, ProjectKind, RdOutcome, RdProject, RdYear, StandardLevel
from .models import TechField as F
from .reported import reported_rd

KEY, PRODUCT, PROCESS, PLATFORM = (
    ProjectKind.KEY_CORE,
    ProjectKind.PRODUCT,
    ProjectKind.PROCESS,
    ProjectKind.PLATFORM,
)
STEEL = "鑫辽钢铁"  # the group of the demo enterprise users
SIZE_YEAR = 2025  # the full year whose reported R&D sizes the projects
SHARE_OF_REPORTED = Decimal("0.5")
MIN_OWNER_RD_FEN = 300 * 1_000_000  # 300万元 of R&D in SIZE_YEAR


@dataclass(frozen=True)
class Spec:
    group: str  # the group's short name
    stem: str  # a subsidiary's line of business in its short name; "" for the group itself
    title: str
    keyword: str  # what the outcomes are about
    tech_field: str
    kind: str
    start: int
    end: int
    budget_wan: int  # total budget in 万元, before scaling to the owner
    story: str = ""  # steel group only: how far the lifecycle has gone
    exceeds: bool = False


SPECS = (
    # The steel group: the whole lifecycle, by the demo users.
    Spec(STEEL, "", "氢基竖炉直接还原铁关键技术攻关", "氢基竖炉",
         F.NEW_ENERGY, KEY, 2023, 2026, 28000, "three_done"),
    Spec(STEEL, "板材", "新能源汽车用2000MPa级热成形钢开发", "热成形钢",
         F.NEW_MATERIALS, PRODUCT, 2024, 2026, 6800, "waiting_review"),
    Spec(STEEL, "焦化", "焦炉煤气制氢及高值化利用技术", "焦炉煤气制氢",
         F.ENERGY_SAVING, PROCESS, 2024, 2027, 9500, "draft"),
    Spec(STEEL, "冷轧", "高牌号无取向硅钢冷轧工艺升级", "无取向硅钢",
         F.NEW_MATERIALS, PROCESS, 2023, 2025, 5200, "verified"),
    Spec(STEEL, "线材", "超纯净高碳铬轴承钢冶炼与连铸技术攻关", "轴承钢",
         F.NEW_MATERIALS, KEY, 2023, 2025, 12000, "handed_in"),
    Spec(STEEL, "设计研究院", "钢铁全流程智能管控平台建设", "智能管控平台",
         F.DIGITAL, PLATFORM, 2024, 2026, 4200, "half_done"),
    Spec(STEEL, "节能环保", "烧结烟气多污染物协同治理技术", "烧结烟气治理",
         F.ENERGY_SAVING, PROCESS, 2025, 2027, 3600, "open"),
    Spec(STEEL, "耐火材料", "长寿命高炉用耐火材料研制", "高炉耐火材料",
         F.NEW_MATERIALS, PRODUCT, 2025, 2026, 1800, "overdue"),
    # Petrochemicals and chemicals.
    Spec("盘海石化", "新材料", "茂金属聚乙烯催化剂国产化攻关", "茂金属催化剂",
         F.NEW_MATERIALS, KEY, 2023, 2026, 15000),
    Spec("盘海石化", "炼化", "渣油加氢与催化裂化组合工艺优化", "渣油加氢",
         F.ENERGY_SAVING, PROCESS, 2024, 2026, 6000),
    Spec("盘海石化", "检测技术", "炼化装置腐蚀在线监测系统研发", "腐蚀在线监测",
         F.DIGITAL, PRODUCT, 2025, 2026, 1500, exceeds=True),
    Spec("盘海石化", "", "百万吨级乙烯装置数字孪生平台", "乙烯装置数字孪生",
         F.DIGITAL, PLATFORM, 2025, 2027, 8000),
    Spec("润辰化工", "乙烯", "高端聚烯烃弹性体成套技术开发", "聚烯烃弹性体",
         F.NEW_MATERIALS, KEY, 2024, 2027, 22000),
    Spec("润辰化工", "检测技术", "电子级湿化学品提纯与检测技术", "电子级湿化学品",
         F.NEW_MATERIALS, KEY, 2025, 2027, 7500),
    # Equipment.
    Spec("启衡装备", "", "大型盾构机主轴承国产化攻关", "盾构机主轴承",
         F.HIGH_END_EQUIPMENT, KEY, 2023, 2026, 18000),
    Spec("启衡装备", "风电装备", "16兆瓦海上风电机组主轴承研制", "海上风电主轴承",
         F.NEW_ENERGY, KEY, 2024, 2027, 14000),
    Spec("启衡装备", "鼓风机", "百万吨级乙烯裂解气压缩机组研制", "裂解气压缩机",
         F.HIGH_END_EQUIPMENT, PRODUCT, 2023, 2026, 9000),
    Spec("启衡装备", "智能制造", "重型装备焊接机器人工作站开发", "焊接机器人",
         F.HIGH_END_EQUIPMENT, PRODUCT, 2025, 2026, 2600),
    Spec("启衡装备", "电气", "特高压换流变压器关键组件研发", "换流变压器",
         F.HIGH_END_EQUIPMENT, KEY, 2024, 2026, 8800),
    Spec("宏瓴精机", "数控", "五轴联动数控系统国产化攻关", "五轴数控系统",
         F.HIGH_END_EQUIPMENT, KEY, 2023, 2026, 11000),
    Spec("宏瓴精机", "精密轴承", "机床主轴精密轴承寿命提升技术", "精密轴承",
         F.HIGH_END_EQUIPMENT, PROCESS, 2024, 2026, 3200),
    Spec("宏瓴精机", "研究院", "精密机床共性技术创新平台", "精密机床",
         F.HIGH_END_EQUIPMENT, PLATFORM, 2024, 2027, 5000),
    Spec("安澜装备", "石化装备", "大型加氢反应器锻焊技术研究", "加氢反应器",
         F.HIGH_END_EQUIPMENT, PROCESS, 2024, 2026, 4600),
    Spec("安澜装备", "仪表", "高精度工业压力变送器研制", "压力变送器",
         F.HIGH_END_EQUIPMENT, KEY, 2025, 2027, 3800, exceeds=True),
    # Energy and coal.
    Spec("阜昇能源", "储能技术", "百兆瓦时级液流电池储能电站示范", "液流电池储能",
         F.NEW_ENERGY, KEY, 2024, 2026, 16000),
    Spec("阜昇能源", "发电", "燃煤机组掺氨燃烧技术研究与示范", "掺氨燃烧",
         F.ENERGY_SAVING, PROCESS, 2025, 2027, 7000),
    Spec("阜昇能源", "新能源", "风光储一体化智能调度平台", "风光储调度",
         F.DIGITAL, PLATFORM, 2024, 2026, 3500),
    Spec("岭源煤业", "煤矿机械", "薄煤层智能化综采成套装备研制", "智能化综采装备",
         F.HIGH_END_EQUIPMENT, PRODUCT, 2023, 2026, 8500),
    Spec("岭源煤业", "煤化工", "煤矸石制备陶粒及固废综合利用", "煤矸石综合利用",
         F.ENERGY_SAVING, PROCESS, 2024, 2026, 2400),
    # Port, materials, pharmaceuticals, digital.
    Spec("东溟港口", "集装箱码头", "自动化集装箱码头智能调度系统", "码头智能调度",
         F.DIGITAL, PLATFORM, 2024, 2026, 6500),
    Spec("东溟港口", "信息科技", "港口北斗高精度定位与5G融合应用", "北斗高精度定位",
         F.DIGITAL, PRODUCT, 2025, 2026, 1900),
    Spec("镁晟材料", "镁质材料", "高纯电熔镁砂低碳制备技术", "电熔镁砂",
         F.NEW_MATERIALS, PROCESS, 2023, 2026, 4800),
    Spec("镁晟材料", "新材料", "高性能镁合金汽车轻量化部件开发", "镁合金部件",
         F.NEW_MATERIALS, PRODUCT, 2024, 2027, 6200),
    Spec("镁晟材料", "耐火材料", "菱镁矿低品位资源高效利用技术", "低品位菱镁矿",
         F.ENERGY_SAVING, KEY, 2025, 2027, 5400),
    Spec("参源医药", "制药", "人参皂苷Rg3创新药临床前研究", "人参皂苷Rg3",
         F.BIOMEDICINE, KEY, 2023, 2027, 9800),
    Spec("参源医药", "中药", "中药配方颗粒质量标准研究", "中药配方颗粒",
         F.BIOMEDICINE, PRODUCT, 2024, 2026, 1600),
    Spec("参源医药", "医疗器械", "医用高分子介入导管国产化", "介入导管",
         F.BIOMEDICINE, PRODUCT, 2025, 2026, 1200),
    Spec("云岚数科", "集成电路", "工业控制芯片国产化设计", "工业控制芯片",
         F.DIGITAL, KEY, 2024, 2027, 13000),
    Spec("云岚数科", "网络安全", "国资监管数据安全防护平台", "数据安全防护",
         F.DIGITAL, PLATFORM, 2025, 2026, 2800),
    Spec("云岚数科", "软件", "工业互联网标识解析二级节点建设", "标识解析",
         F.DIGITAL, PLATFORM, 2024, 2026, 3300),
)  # fmt: skip

# Industry standard prefixes by group (the supervising ministry's series).
STANDARD_SERIES = {
    STEEL: "YB/T",
    "盘海石化": "SH/T",
    "润辰化工": "HG/T",
    "启衡装备": "JB/T",
    "宏瓴精机": "JB/T",
    "安澜装备": "JB/T",
    "阜昇能源": "NB/T",
    "岭源煤业": "MT/T",
    "东溟港口": "JT/T",
    "镁晟材料": "YB/T",
    "参源医药": "YY/T",
    "云岚数科": "SJ/T",
}
MILESTONES = {
    KEY: ["技术路线论证与立项", "关键技术攻关", "中试与工程化验证", "成果鉴定与验收"],
    PRODUCT: ["产品方案设计", "样机（样品）试制", "用户试用与定型", "项目验收"],
    PROCESS: ["工艺方案论证", "工业试验", "工艺固化与推广", "项目验收"],
    PLATFORM: ["平台建设方案", "软硬件部署", "试运行", "验收与运营"],
}
PATENTS = (
    "一种{k}的制备方法",
    "一种{k}的检测装置",
    "{k}控制系统及控制方法",
    "一种提高{k}性能的工艺",
)
PAPERS = ("{k}关键技术研究与应用", "{k}工艺参数优化研究", "{k}工程化应用实践", "{k}技术进展与展望")
RESPONSIBLE = ("王建国", "李明", "张伟", "刘洋", "陈静", "杨帆", "赵磊", "黄海", "周强", "吴敏")


@dataclass
class Planned:
    spec: Spec
    owner: Enterprise
    opened: date
    due: date
    budgets: dict[int, Decimal]  # 万元 by year
    spends: dict[int, Decimal] = field(default_factory=dict)

    @property
    def total(self) -> Decimal:
        return sum(self.budgets.values(), Decimal(0))


def _wan(value) -> Decimal:
    return Decimal(value).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _yuan(wan: Decimal) -> Decimal:
    return wan * 10_000


def _candidates(spec: Spec, groups: dict[str, Enterprise], tree, active: set[int]) -> list[int]:
    """The enterprises that may carry the project: the group's subsidiaries in the named line
    of business, then the group itself."""
    group = groups.get(spec.group)
    if group is None:
        return []
    if not spec.stem:
        return [group.id]
    found = Enterprise.objects.filter(
        id__in=set(tree.descendants(group.id)) & active, short_name__contains=spec.stem
    )
    return [*sorted(found.values_list("id", flat=True)), group.id]


def _budgets(rng: random.Random, spec: Spec) -> dict[int, Decimal]:
    years = list(range(spec.start, spec.end + 1))
    weights = [rng.uniform(0.7, 1.3) * (0.6 if i == 0 else 1.0) for i in range(len(years))]
    scale = Decimal(spec.budget_wan) / Decimal(str(sum(weights)))
    budgets = {year: _wan(Decimal(str(w)) * scale) for year, w in zip(years, weights, strict=True)}
    budgets[years[-1]] += Decimal(spec.budget_wan) - sum(budgets.values())
    return budgets


def _plan(rng: random.Random, today: date, cast: "Cast") -> tuple[list[Planned], dict]:
    """The projects with their owners (of the candidates, the subsidiary reporter's own
    enterprise, else the one that reported the most R&D for SIZE_YEAR), and what the owners
    reported."""
    tree = tree_at(today)
    active = set(
        Enterprise.objects.filter(
            status=EnterpriseStatus.ACTIVE, portfolio=Portfolio.OWN
        ).values_list("id", flat=True)
    )
    groups = {
        g.short_name: g
        for g in Enterprise.objects.filter(id__in=set(tree.supervisor_of_group) & active)
    }
    candidates = {spec: _candidates(spec, groups, tree, active) for spec in SPECS}
    reported = reported_rd(
        {i for found in candidates.values() for i in found}, [SIZE_YEAR], today=today
    )
    enterprises = Enterprise.objects.in_bulk({i for found in candidates.values() for i in found})

    demo_subsidiary = set(
        Membership.objects.filter(
            user=cast.sub_reporter, role=Role.ENTERPRISE_REPORTER
        ).values_list("enterprise_id", flat=True)
    )

    def size(enterprise_id: int) -> tuple[bool, int]:
        found = reported.get((enterprise_id, SIZE_YEAR))
        return enterprise_id in demo_subsidiary, found.amount_fen if found else -1

    planned = []
    for spec in SPECS:
        if not candidates[spec]:
            continue
        *subsidiaries, group = candidates[spec]
        best = max(subsidiaries, key=lambda i: (size(i), -i), default=group)
        if not size(best)[0] and size(best)[1] < MIN_OWNER_RD_FEN:
            best = group  # no subsidiary of that line does enough R&D for a key project
        owner = enterprises[best]
        opened = date(spec.start, 2, 15) + timedelta(days=rng.randrange(60))
        if owner.established_on and opened < owner.established_on:
            opened = owner.established_on + timedelta(days=30)
        due = date(spec.end, 12, 31)
        if spec.end > today.year and rng.random() < 0.3:
            due = date(spec.end, 6, 30)
        if spec.story == "overdue":
            due = date(spec.end, 6, 30)
        planned.append(Planned(spec, owner, min(opened, today), due, _budgets(rng, spec)))
    return planned, reported


def _scale(project: Planned, factor: Decimal) -> None:
    project.budgets = {y: _wan(b * factor) for y, b in project.budgets.items()}


def _size_to_owners(planned: list[Planned], reported: dict, today: date, rng) -> None:
    """Scale each owner's projects to what it reported, then draw the spend; a project that
    `exceeds` spends more in SIZE_YEAR than its owner reported for all its R&D."""
    by_owner = defaultdict(list)
    for project in planned:
        by_owner[project.owner.id].append(project)
    for owner_id, projects in by_owner.items():
        found = reported.get((owner_id, SIZE_YEAR))
        owner_rd = None if found is None else Decimal(found.amount_fen) / 1_000_000  # 万元
        usual = [p for p in projects if not p.spec.exceeds]
        peak = max(
            (sum(p.budgets.get(y, 0) for p in usual) for y in range(2023, today.year + 2)),
            default=0,
        )
        if owner_rd and peak:
            factor = min(Decimal(1), owner_rd * SHARE_OF_REPORTED / peak)
            for project in usual:
                _scale(project, factor)
        for project in projects:
            if project.spec.exceeds and owner_rd and project.budgets.get(SIZE_YEAR):
                wanted = owner_rd * Decimal(str(rng.uniform(0.9, 1.05)))
                _scale(project, wanted / project.budgets[SIZE_YEAR])
            for year, budget in project.budgets.items():
                if year < today.year:
                    share = Decimal(str(rng.uniform(0.75, 1.12)))
                elif year == today.year:
                    share = Decimal(str(rng.uniform(0.35, 0.62)))
                else:
                    continue
                project.spends[year] = _wan(budget * share)
        if owner_rd:
            others = sum(p.spends.get(SIZE_YEAR, 0) for p in usual)
            for project in projects:
                if project.spec.exceeds and SIZE_YEAR in project.spends:
                    above = owner_rd * Decimal(str(rng.uniform(1.15, 1.35)))
                    project.spends[SIZE_YEAR] = _wan(max(above - others, Decimal(0)))


@dataclass
class Cast:
    analyst: User
    reporter: User
    group_reviewer: User
    sub_reporter: User


def _cast() -> Cast | None:
    users = {u.username: u for u in User.objects.filter(username__in=Cast.__annotations__)}
    if len(users) < len(Cast.__annotations__):
        return None
    return Cast(**users)


class Story:
    """One project's steps, each through the services on its own day."""

    def __init__(self, cast: Cast, planned: Planned, rng: random.Random, today: date) -> None:
        self.cast = cast
        self.planned = planned
        self.rng = rng
        self.today = today
        self.steel = planned.spec.group == STEEL
        self.item: TrackedItem | None = None
        self.recorder: User | None = None  # who records figures and writes updates

    def _recorder(self) -> User | None:
        """The demo reporter nearest the owner; the system outside the steel group."""
        if not self.steel:
            return None
        if permissions.can_report(self.cast.sub_reporter, self.item):
            return self.cast.sub_reporter
        return self.cast.reporter

    def open(self) -> None:
        spec, planned = self.planned.spec, self.planned
        with on_day(planned.opened):
            project = services.project_create(
                acting_user=self.cast.analyst,
                owner=planned.owner,
                title=spec.title,
                description=f"围绕{spec.keyword}开展研发，实施期{spec.start}—{spec.end}年。",
                due_date=planned.due,
                responsible_name=self.rng.choice(RESPONSIBLE),
                milestones=MILESTONES[spec.kind],
                tech_field=spec.tech_field,
                kind=spec.kind,
                start_year=spec.start,
                end_year=spec.end,
                total_budget=_yuan(planned.total),
                years=[
                    {"year": year, "budget": _yuan(budget)}
                    for year, budget in sorted(planned.budgets.items())
                ],
            )
        self.item = project.item
        self.recorder = self._recorder()

    def steps(self) -> list[tuple[date, str, object]]:
        """(day, what, detail) of everything after the opening, in any order."""
        found = []
        for year, spend in self.planned.spends.items():
            day = date(year + 1, 1, 20) if year < self.today.year else self.today - timedelta(13)
            found.append((max(day, self.planned.opened), "spend", (year, spend)))
        for outcome in self.outcomes():
            found.append((outcome["achieved_on"], "outcome", outcome))
        if self.steel:
            found.extend(self.lifecycle())
        return found

    def outcomes(self) -> list[dict]:
        spec, rng = self.planned.spec, self.rng
        first = self.planned.opened + timedelta(days=150)
        if first >= self.today:
            return []
        span = (self.today - first).days

        def day() -> date:
            return first + timedelta(days=rng.randrange(max(span, 1)))

        found = []
        patents = {KEY: (2, 6), PRODUCT: (1, 4), PROCESS: (1, 3), PLATFORM: (0, 1)}[spec.kind]
        for _n in range(rng.randint(*patents)):
            achieved = day()
            kind_digit = 1 if rng.random() < 0.7 else 2  # invention or utility model
            found.append(
                {
                    "kind": OutcomeKind.PATENT,
                    "title": rng.choice(PATENTS).format(k=spec.keyword),
                    "identifier": f"ZL{achieved.year - 1}{kind_digit}{rng.randrange(10**7):07d}."
                    f"{rng.randrange(10)}",
                    "achieved_on": achieved,
                }
            )
        if rng.random() < 0.55:
            achieved = day()
            level = rng.choices(
                [StandardLevel.NATIONAL, StandardLevel.INDUSTRY, StandardLevel.GROUP],
                [3, 5, 2],
            )[0]
            series = {
                StandardLevel.NATIONAL: "GB/T",
                StandardLevel.INDUSTRY: STANDARD_SERIES.get(spec.group, "GB/T"),
                StandardLevel.GROUP: "T/LNSA",
            }[level]
            found.append(
                {
                    "kind": OutcomeKind.STANDARD,
                    "title": f"{spec.keyword}技术规范",
                    "identifier": f"{series} {rng.randrange(1000, 45000)}-{achieved.year}",
                    "achieved_on": achieved,
                    "level": level,
                }
            )
        if spec.tech_field == F.DIGITAL or spec.kind == PLATFORM:
            achieved = day()
            found.append(
                {
                    "kind": OutcomeKind.SOFTWARE,
                    "title": f"{spec.keyword}管理软件V1.0",
                    "identifier": f"{achieved.year}SR{rng.randrange(10**7):07d}",
                    "achieved_on": achieved,
                }
            )
        if spec.kind == PRODUCT and rng.random() < 0.6:
            found.append(
                {
                    "kind": OutcomeKind.PRODUCT,
                    "title": f"{spec.keyword}（首台套）",
                    "achieved_on": day(),
                }
            )
        for title in rng.sample(PAPERS, rng.randint(0, 2)):
            found.append(
                {
                    "kind": OutcomeKind.PAPER,
                    "title": title.format(k=spec.keyword),
                    "achieved_on": day(),
                }
            )
        return found

    def lifecycle(self) -> list[tuple[date, str, object]]:
        """The steel group's updates, reviews and verification, by the project's story."""
        story, opened = self.planned.spec.story, self.planned.opened
        done = {
            "open": 0,
            "draft": 1,
            "overdue": 1,
            "half_done": 2,
            "waiting_review": 2,
            "three_done": 3,
            "handed_in": 4,
            "verified": 4,
        }[story]
        end = self.today - timedelta(days=20)
        if story in ("handed_in", "verified"):
            end = date(self.planned.spec.end, 12, 15)
        steps = []
        for number in range(done):
            day = opened + (end - opened) * (number + 1) / (done + 1)
            steps.append((day, "milestone", number))
        if story == "waiting_review":
            steps.append((self.today - timedelta(days=3), "submit", done))
        if story == "draft":
            steps.append((self.today - timedelta(days=2), "draft", done))
        if story in ("handed_in", "verified"):
            steps.append((date(self.today.year, 3, 10), "hand_in", None))
        if story == "handed_in":
            steps[-1] = (self.today - timedelta(days=8), "hand_in", None)
        if story == "verified":
            steps.append((date(self.today.year, 4, 2), "verify", None))
        return steps

    def run(self, step: tuple[date, str, object]) -> None:
        day, what, detail = step
        item = TrackedItem.objects.get(id=self.item.id)
        with on_day(min(day, self.today)):
            if what == "spend":
                year, spend = detail
                services.year_set(
                    acting_user=self.recorder,
                    item=item,
                    year=year,
                    budget=_yuan(self.planned.budgets[year]),
                    spend=_yuan(spend),
                )
            elif what == "outcome":
                services.outcome_add(acting_user=self.recorder, item=item, **detail)
            elif what in ("milestone", "submit", "draft"):
                self.update(item, detail, approve=what == "milestone", submit=what != "draft")
            elif what == "hand_in":
                ledger_services.verification_request(
                    acting_user=self.cast.group_reviewer,
                    item=item,
                    note="项目已完成全部任务，请验收。",
                )
            elif what == "verify":
                ledger_services.verify(
                    acting_user=self.cast.analyst,
                    item=item,
                    accept=True,
                    reason="经专家验收，项目完成任务书约定的全部考核指标。",
                )

    def update(self, item: TrackedItem, number: int, *, approve: bool, submit: bool) -> None:
        milestones = list(item.milestones.order_by("position"))
        if number >= len(milestones):
            return
        milestone = milestones[number]
        update = ledger_services.item_update_add(
            acting_user=self.recorder,
            item=item,
            text=f"已完成“{milestone.title}”阶段工作，形成阶段性成果报告。",
            milestones=[milestone.id],
            submit=submit,
        )
        if approve:
            ledger_services.item_update_approve(acting_user=self.cast.group_reviewer, update=update)


def load(*, seed: int, scale: int | None, tasks: int) -> str:
    """Open the demo projects of the Liaoning demo; "" with a scaled portfolio, or when the
    demo registry and its users are not there."""
    if scale is not None:
        return ""
    cast = _cast()
    if cast is None:
        return ""
    today = clock.today()
    rng = random.Random(seed)
    planned, reported = _plan(rng, today, cast)
    _size_to_owners(planned, reported, today, rng)
    stories = [Story(cast, p, random.Random(f"{seed}-{p.spec.title}"), today) for p in planned]
    for story in sorted(stories, key=lambda s: s.planned.opened):
        story.open()
    steps = [(step, story) for story in stories for step in story.steps()]
    for step, story in sorted(steps, key=lambda s: (s[0][0], s[1].item.id, s[0][1])):
        story.run(step)
    return summary()


def summary() -> str:
    items = TrackedItem.objects.filter(register=Register.RD_PROJECT)
    states = Counter(items.values_list("status", flat=True))
    return _(
        "Key R&D project register: %(n)s projects (%(active)s not closed), %(years)s project "
        "years, %(outcomes)s outcomes."
    ) % {
        "n": items.count(),
        "active": sum(n for s, n in states.items() if s not in (Status.VERIFIED, Status.CANCELLED)),
        "years": RdYear.objects.count(),
        "outcomes": RdOutcome.objects.count(),
    }


def reset() -> None:
    """Delete the register's own rows (the tracked items go afterwards, with the ledgers')."""
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for model in (RdOutcome, RdYear, RdProject):
            cursor.execute(f"DELETE FROM {quote(model._meta.db_table)}")
