"""Demo safety incidents for the Liaoning demo portfolio, behind `guozi load_demo`.

Fictional incidents of every grade from 2023 to 2026 at demo enterprises in mining, coking and
chemicals, construction, road and water transport, steel and power: each reported through the
register's services on its own day, re-reported where its casualties changed (one serious
incident became a major one when two of the injured died within 30 days; a road-transport one
was corrected late when the investigation fixed its loss), and handled on the ledger by the
demo users: the steel group's incidents investigated, rectified and closed by the supervisor or
still in progress, the other groups' incidents recorded by the supervisor's analyst and open,
one of them cancelled as no production-safety incident.
"""

import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils.translation import gettext as _

from guozi.ledgers import services as ledger_services
from guozi.ledgers.demo import Cast, _cast, demo_pdf, on_day
from guozi.ledgers.models import Status
from guozi.lib import clock
from guozi.lib.clock import CHINA
from guozi.registry.models import Enterprise, EnterpriseStatus, Portfolio
from guozi.registry.tree import tree_at

from . import services
from .models import Incident, IncidentGrade, IncidentReport

STEEL = ""  # the demo users' group itself
HANDED_IN = "事故调查处理工作已完成，请验收。"
WAN = Decimal(10_000)


@dataclass(frozen=True)
class Version:
    days_after: int  # after the incident, in whole days
    deaths: int
    injuries: int
    loss_wan: str
    note: str = ""


@dataclass(frozen=True)
class Story:
    occurred: str  # "2026-05-19 11:45", China time
    group: str  # the group's brand, or STEEL for the demo users' group
    industry: str  # the owner's industry code starts with this
    words: tuple[str, ...]  # the owner's short name contains one of these (if any does)
    incident_type: str
    place: str
    description: str
    versions: tuple[Version, ...]
    handling: str  # "closed", "investigated", "open" or "cancelled"
    reporter: str = "reporter"  # the demo user who reports (the analyst outside the steel group)
    extended_to: str = ""  # the investigation's term extended to this day
    extension: str = ""
    minutes_to_report: int = 45
    responsible: str = ""


STORIES = (
    Story(
        "2023-03-14 10:20", STEEL, "C25", ("焦化",), "hazardous_chemicals",
        "焦化厂2号焦炉地下室煤气管道阀门处",
        "检修人员更换煤气管道阀门时未执行作业审批，煤气泄漏致1人中毒死亡、2人中毒送医。",
        (Version(0, 1, 2, "186"),), "closed", reporter="sub_reporter",
        responsible="张建国（安全环保部）",
    ),
    Story(
        "2023-07-22 15:05", STEEL, "B08", ("矿业",), "mining",
        "铁矿井下-330米水平主运输巷道",
        "斜井提升矿车连接插销脱落，矿车跑车撞击巷道内作业人员，3人死亡、1人重伤。",
        (Version(0, 3, 1, "620"),), "closed", responsible="刘志强（矿山安全部）",
    ),
    Story(
        "2023-11-08 09:30", STEEL, "G59", ("物流",), "road_traffic",
        "沈海高速鞍山段K412处",
        "公司重型半挂货车追尾前方减速车辆，驾驶员当场死亡。",
        (Version(0, 1, 0, "45"),), "closed", responsible="王海涛（运输部）",
    ),
    Story(
        "2024-01-17 21:40", STEEL, "C31", ("板材", "冷轧"), "industry_trade",
        "炼钢车间2号转炉出钢跨",
        "钢包吊运过程中倾覆，钢水喷溅，造成2人死亡、3人重度烧伤。",
        (Version(0, 2, 3, "310"),), "closed", responsible="赵立新（生产安全部）",
    ),
    Story(
        "2024-06-03 14:15", STEEL, "E49", ("机电安装",), "construction",
        "新建冷轧厂房屋面钢结构安装作业面",
        "作业人员未系挂安全带，从约18米高处坠落死亡。",
        (Version(0, 1, 0, "132"),), "closed", responsible="孙成（工程管理部）",
    ),
    Story(
        "2024-09-12 08:50", STEEL, "C26", ("工业气体",), "hazardous_chemicals",
        "空分装置液氧储罐区",
        "液氧储罐安全阀失效超压爆裂，引发周边可燃物燃烧，11名作业人员冻伤、烧伤。",
        (Version(0, 0, 9, "980"), Version(3, 0, 11, "1350")), "closed",
        responsible="周明（安全环保部）",
    ),
    Story(
        "2025-02-26 03:10", STEEL, "D44", ("热电",), "fire",
        "2号输煤栈桥",
        "输煤皮带托辊卡死摩擦起火，火势沿栈桥蔓延，无人员伤亡。",
        (Version(0, 0, 0, "260"),), "closed", responsible="陈刚（设备部）",
    ),
    Story(
        "2025-07-03 06:40", STEEL, "G59", ("物流",), "road_traffic",
        "鞍山市铁西区物流园停车场",
        "公司驾驶员在车辆内被发现死亡，初报为交通事故。",
        (Version(0, 1, 0, "0"),), "cancelled",
    ),
    Story(
        "2025-08-30 16:20", STEEL, "C33", ("钢结构",), "special_equipment",
        "钢结构加工车间3号门式起重机作业区",
        "起重机吊运钢梁时吊索具断裂，钢梁坠落砸中地面指挥人员，1人死亡、1人重伤。",
        (Version(0, 1, 1, "95"),), "closed", responsible="吴涛（设备部）",
    ),
    Story(
        "2025-12-05 07:30", STEEL, "G59", ("物流",), "road_traffic",
        "丹阜高速本溪段K96处",
        "冰雪路面车辆侧滑侧翻，司乘人员1人死亡、2人重伤。",
        (
            Version(0, 1, 2, "80"),
            Version(5, 2, 1, "80"),
            Version(46, 2, 1, "126", "事故调查组核定直接经济损失126万元，原报未含车辆报废损失。"),
        ),
        "closed", responsible="王海涛（运输部）",
    ),
    Story(
        "2026-05-19 11:45", STEEL, "B08", ("矿业",), "mining",
        "露天采场东帮+86米至+110米台阶",
        "露天采场边坡局部坍塌，掩埋正在作业的穿孔机和运输车辆，8人死亡、5人重伤；"
        "其后2名重伤人员经抢救无效死亡。",
        (Version(0, 8, 5, "2100"), Version(21, 10, 3, "2100")),
        "investigated",
        extended_to="2026-09-15",
        extension="重大事故调查经省政府批准延期60日。",
        responsible="刘志强（矿山安全部）",
    ),
    Story(
        "2026-07-08 13:10", STEEL, "C25", ("焦化",), "hazardous_chemicals",
        "煤气净化车间脱硫塔检修现场",
        "检修人员进入脱硫塔内作业前未进行气体检测，硫化氢中毒，1人死亡、3人中毒；"
        "其后1名中毒人员死亡。",
        (Version(0, 1, 3, "210"), Version(3, 2, 2, "210")),
        "investigated", reporter="sub_reporter", responsible="张建国（安全环保部）",
    ),
    Story(
        "2026-08-19 22:40", STEEL, "C31", ("冷轧",), "industry_trade",
        "冷轧车间酸洗线入口段",
        "操作人员在设备未停机状态下清理带钢废边，被卷入转动部件死亡。",
        (Version(0, 1, 0, "58"),), "open", responsible="赵立新（生产安全部）",
    ),
    Story(
        "2026-01-13 05:20", "岭源", "B06", ("煤矿", "矿"), "mining",
        "煤矿井下1203综采工作面回风巷",
        "工作面回风巷局部瓦斯积聚遇电气火花发生爆燃，4人死亡、2人重伤。",
        (Version(0, 4, 2, "860"),), "open", reporter="analyst",
        extended_to="2026-09-30",
        extension="事故调查组提请延长调查期限，经市政府批准。",
    ),
    Story(
        "2026-03-27 02:15", "盘海", "C25", ("石油化工", "炼化"), "fire",
        "储运部原油罐区",
        "原油储罐浮盘密封失效引发火灾，扑救过程中3名消防人员重伤；过火罐及周边设施损毁严重，"
        "直接经济损失1.26亿元。",
        (Version(0, 0, 3, "8500"), Version(6, 0, 3, "12600")),
        "open", reporter="analyst",
        extended_to="2026-11-30",
        extension="特别重大事故由国务院事故调查组调查，调查期限相应延长。",
    ),
    Story(
        "2026-04-16 14:00", "润辰", "C26", ("精细化工", "化工"), "hazardous_chemicals",
        "精细化工车间硝化反应釜",
        "硝化反应釜冷却水中断后超温超压爆炸，5人死亡、12人重伤。",
        (Version(0, 5, 12, "3200"),), "open", reporter="analyst",
        extended_to="2026-08-14",
        extension="较大事故调查经市政府批准延期。",
    ),
    Story(
        "2026-06-11 10:05", "筑盛", "E47", ("建筑",), "construction",
        "保障性住房项目5号楼外脚手架",
        "悬挑式外脚手架连墙件被违规拆除后局部坍塌，3人死亡、5人重伤。",
        (Version(0, 3, 5, "690"),), "open", reporter="analyst",
    ),
    Story(
        "2026-07-02 17:45", "通衢", "E48", ("路桥", "桥"), "construction",
        "沈阳绕城高速改扩建工程K23+460跨线桥",
        "现浇箱梁支架局部失稳垮塌，1人死亡、2人重伤。",
        (Version(0, 1, 2, "420"),), "open", reporter="analyst",
    ),
    Story(
        "2026-07-25 06:50", "驰远", "G54", ("高速公路", "客运"), "road_traffic",
        "京哈高速盘锦段K602养护作业区",
        "社会车辆闯入高速公路养护作业区，撞击作业人员，2人死亡、1人重伤；重伤人员其后死亡。",
        (Version(0, 2, 1, "36"), Version(4, 3, 0, "36")),
        "open", reporter="analyst",
    ),
    Story(
        "2026-08-09 20:30", "营拓", "G59", ("物流",), "road_traffic",
        "营口港疏港路与滨海路交叉口",
        "危险化学品运输车辆与货车追尾，驾驶员死亡，无泄漏。",
        (Version(0, 1, 0, "62"),), "open", reporter="analyst",
    ),
    Story(
        "2026-08-24 09:15", "东溟", "G55", ("码头", "港"), "water_transport",
        "散货码头3号泊位",
        "装卸作业人员在船舷作业时落水，经搜救打捞后死亡。",
        (Version(0, 1, 0, "12"),), "open", reporter="analyst",
    ),
)  # fmt: skip


@dataclass
class Loaded:
    incidents: int = 0
    reports: int = 0
    grades: Counter = field(default_factory=Counter)


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=CHINA)


def _local_day(moment: datetime) -> date:
    return moment.astimezone(CHINA).date()


class Picker:
    """Demo enterprises by group, industry and words in the short name, the same for a seed."""

    def __init__(self, cast: Cast, seed: int, today: date) -> None:
        self.rng = random.Random(seed)
        self.tree = tree_at(today)
        self.steel = cast.group
        self.groups = {
            group.id: group
            for group in Enterprise.objects.filter(
                id__in=list(self.tree.supervisor_of_group), portfolio=Portfolio.OWN
            )
        }
        self.taken: set[int] = set()

    def _group(self, brand: str) -> Enterprise:
        if brand == STEEL:
            return self.steel
        named = sorted((g for g in self.groups.values() if brand in g.name_zh), key=lambda g: g.id)
        return named[0] if named else self.steel

    def pick(self, story: Story) -> Enterprise:
        group = self._group(story.group)
        occurred = _local_day(_time(story.occurred))
        members = list(
            Enterprise.objects.filter(
                id__in=[group.id, *self.tree.descendants(group.id)],
                status=EnterpriseStatus.ACTIVE,
                portfolio=Portfolio.OWN,
            )
            .exclude(established_on__gt=occurred)
            .order_by("id")
        )
        # Enterprises in Liaoning first: the province's own incidents.
        members = [e for e in members if e.city_code.startswith("21")] or members
        fitting = [e for e in members if e.industry_code.startswith(story.industry)]
        worded = [e for e in fitting if any(w in e.short_name for w in story.words)]
        pool = worded or fitting or [group]
        fresh = [e for e in pool if e.id not in self.taken] or pool
        found = self.rng.choice(fresh)
        self.taken.add(found.id)
        return found


def _pdf(name: str, title: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, demo_pdf(title), content_type="application/pdf")


class Handling:
    """The steps on the ledger after a report, each on its own day, by the demo users."""

    def __init__(self, cast: Cast) -> None:
        self.cast = cast

    def update(self, day: date, item, text: str, milestones: list[int], pdf: str = ""):
        with on_day(day):
            update = ledger_services.item_update_add(
                acting_user=self.cast.reporter,
                item=item,
                text=text,
                milestones=milestones,
                submit=True,
                uploads=[_pdf(pdf, f"Incident {item.id}")] if pdf else [],
            )
        with on_day(day + timedelta(days=1)):
            ledger_services.item_update_approve(acting_user=self.cast.group_reviewer, update=update)

    def close(self, day: date, item) -> None:
        with on_day(day):
            ledger_services.verification_request(
                acting_user=self.cast.group_reviewer,
                item=item,
                note=HANDED_IN,
            )
        with on_day(day + timedelta(days=3)):
            ledger_services.verify(
                acting_user=self.cast.analyst,
                item=item,
                accept=True,
                reason="经核查，事故调查报告已批复，整改和责任追究措施已落实，同意结案。",
            )

    def extend(self, day: date, item, due: date, reason: str) -> None:
        with on_day(day):
            ledger_services.item_edit(
                acting_user=self.cast.analyst, item=item, changes={"due_date": due}, reason=reason
            )

    def cancel(self, day: date, item) -> None:
        with on_day(day):
            ledger_services.item_cancel(
                acting_user=self.cast.analyst,
                item=item,
                reason="经公安机关调查和医学鉴定，系驾驶员突发疾病自然死亡，不属于生产安全事故。",
            )


def _report(story: Story, owner: Enterprise, users: dict, today: date) -> Incident:
    occurred = _time(story.occurred)
    first, *later = story.versions
    reported = occurred + timedelta(minutes=story.minutes_to_report)
    with on_day(_local_day(reported)):
        incident = services.incident_report_first(
            acting_user=users[story.reporter],
            owner=owner,
            occurred_at=occurred,
            incident_type=story.incident_type,
            place=story.place,
            description=story.description,
            deaths=first.deaths,
            serious_injuries=first.injuries,
            direct_loss=Decimal(first.loss_wan) * WAN,
            reported_at=reported,
            responsible_name=story.responsible,
        )
    for version in later:
        day = _local_day(occurred) + timedelta(days=version.days_after)
        at = datetime.combine(day, occurred.astimezone(CHINA).timetz())
        with on_day(min(day, today)):
            services.incident_report_again(
                acting_user=users[story.reporter],
                incident=incident,
                deaths=version.deaths,
                serious_injuries=version.injuries,
                direct_loss=Decimal(version.loss_wan) * WAN,
                reported_at=at,
                note=version.note,
            )
        incident.refresh_from_db()
    return incident


def _handle(story: Story, incident: Incident, handling: Handling, today: date) -> None:
    """The ledger steps of the story, in the order of their days."""
    item = incident.item
    start = _local_day(_time(story.occurred))
    steps = list(item.milestones.order_by("position").values_list("id", flat=True))
    planned = []
    if story.extended_to:
        due = date.fromisoformat(story.extended_to)
        planned.append(
            (
                start + timedelta(days=55),
                lambda day: handling.extend(day, item, due, story.extension),
            )
        )
    if story.handling == "cancelled":
        planned.append((start + timedelta(days=6), lambda day: handling.cancel(day, item)))
    if story.handling in ("investigated", "closed"):
        last_report = max(v.days_after for v in story.versions)
        investigated = start + timedelta(days=max(35, last_report + 2))
        if investigated < today - timedelta(days=2):
            planned.append(
                (
                    investigated,
                    lambda day: handling.update(
                        day,
                        item,
                        "事故调查报告已经人民政府批复，事故原因、性质和责任认定清楚。",
                        steps[:1],
                        pdf="事故调查报告批复.pdf",
                    ),
                )
            )
    if story.handling == "closed":
        planned.append(
            (
                start + timedelta(days=80),
                lambda day: handling.update(
                    day,
                    item,
                    "调查报告提出的整改和防范措施已全部落实，对相关责任人员的处理已执行到位。",
                    steps[1:],
                    pdf="整改落实情况报告.pdf",
                ),
            )
        )
        planned.append((start + timedelta(days=84), lambda day: handling.close(day, item)))
    for day, step in sorted(planned, key=lambda pair: pair[0]):
        step(day)


def load(*, seed: int, scale: int | None, tasks: int) -> str:
    """The Liaoning demo's incidents (`scale is None`); nothing for a generated portfolio."""
    if scale is not None:
        return ""
    today = clock.today()
    cast = _cast(seed, today)
    users = {"reporter": cast.reporter, "sub_reporter": cast.sub_reporter, "analyst": cast.analyst}
    picker = Picker(cast, seed, today)
    handling = Handling(cast)
    # In the order they happened, so their numbers run with time.
    for story in sorted(STORIES, key=lambda story: story.occurred):
        if story.reporter == "sub_reporter":
            owner = cast.subsidiary
        else:
            owner = picker.pick(story)
        incident = _report(story, owner, users, today)
        _handle(story, incident, handling, today)
    return summary()


def summary() -> str:
    counted = Incident.objects.exclude(item__status=Status.CANCELLED).filter(latest__isnull=False)
    grades = Counter(counted.values_list("latest__grade", flat=True))
    by_grade = ", ".join(
        f"{grade.label} {grades[grade.value]}" for grade in IncidentGrade if grades[grade.value]
    )
    return _(
        "Safety incident register: %(n)s incidents (%(by_grade)s), %(reports)s reports, "
        "%(open)s not closed."
    ) % {
        "n": counted.count(),
        "by_grade": by_grade,
        "reports": IncidentReport.objects.count(),
        "open": counted.exclude(item__status=Status.VERIFIED).count(),
    }


def reset() -> None:
    """Delete the register's own rows; the ledger deletes the items after."""
    Incident.objects.update(latest=None)
    IncidentReport.objects.all().delete()
    Incident.objects.all().delete()
