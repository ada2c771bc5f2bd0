"""Demo legacy problems for the Liaoning demo portfolio, behind `guozi load_demo`.

The provincial steel group of the demo users (鑫辽钢铁, Anshan) and its old subsidiaries carry
the story of Liaoning's old industrial base, each step run through the services by the demo
users on its own day:
- 三供一业: the water, power, heating, gas and property management of staff housing areas
  handed over to the city's utilities and street offices, opened in 2017 and closed in
  2018–2020 with their households and costs; one property handover still in progress;
- 厂办大集体: two collective-enterprise reforms closed in 2020–2021, one still resettling staff;
- retirees moved to social management: closed in 2020–2022 (one of the special-steel group
  absorbed in 2021), one still in progress;
- 处僵治困: a zombie subsidiary deregistered in 2020, and a bankruptcy in progress and overdue.
Other groups of old industrial cities (Fushun, Fuxin, Tieling, Shenyang) have problems opened
this year that their enterprises have not reported on yet.

`load` returns one summary line; with a `scale` (a generated portfolio for benchmarks) it loads
nothing. `reset` deletes the register's rows, before the ledgers delete the items.
"""

import random
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Sum
from django.utils.translation import gettext as _

from guozi.accounts.models import Membership, Role, User
from guozi.ledgers import services as ledger_services
from guozi.ledgers.demo import demo_pdf, on_day
from guozi.ledgers.models import WORKING, ItemUpdate, Register, Status, TrackedItem
from guozi.lib import clock
from guozi.lib.errors import DomainError
from guozi.registry.demo_data import CITIES
from guozi.registry.models import Enterprise, EnterpriseStatus, Portfolio, Supervisor
from guozi.registry.tree import TreeSnapshot, tree_at

from . import services
from .models import LegacyProblem

SUPERVISOR = "ln"
PROGRAMME_START = date(2017, 1, 1)  # the enterprises' tree when the handovers were planned
OTHER_CITIES = ("210400", "210900", "211200", "210100")  # Fushun, Fuxin, Tieling, Shenyang
CITY_NAMES = {code: name for code, name, _english in CITIES}
DISTRICTS = {
    "210300": ("铁东区", "铁西区", "立山区", "千山区"),
    "210500": ("平山区", "溪湖区", "明山区"),
    "210400": ("新抚区", "望花区", "东洲区"),
    "210100": ("铁西区", "大东区", "皇姑区"),
}
STREETS = ("光明街道", "胜利街道", "和平街道", "工人村街道", "建设街道", "站前街道")
# Per household: the cost of repairing and handing over each function (yuan), roughly as in
# the provinces' 三供一业 programmes.
COST_PER_HOUSEHOLD = {"water": 1800, "power": 3200, "heating": 2600, "gas": 2200, "property": 900}
SUPPLY_NAMES = {
    "water": "供水",
    "power": "供电",
    "heating": "供热",
    "gas": "供气",
    "property": "物业管理",
}
RECEIVERS = {
    "water": "{city}市自来水公司（演示）",
    "power": "{city}供电公司（演示）",
    "heating": "{city}市热力公司（演示）",
    "gas": "{city}市燃气公司（演示）",
    "property": "{city}市{district}{street}（演示）",
}


def _user(username: str) -> User:
    user = User.objects.filter(username=username).first()
    if user is None:
        raise DomainError(
            _("The demo user %(name)s is missing: load the demo registry first.")
            % {"name": username},
            code="demo_registry",
        )
    return user


@dataclass
class Cast:
    analyst: User
    reporter: User
    reviewer: User  # the group's reviewer
    group: Enterprise
    old: list[Enterprise]  # in the group since before the programme, oldest first
    absorbed: list[Enterprise]  # came with the group absorbed in 2021
    others: list[Enterprise]  # old subsidiaries of other groups, one per city in OTHER_CITIES


def _active(ids) -> list[Enterprise]:
    return list(
        Enterprise.objects.filter(
            id__in=list(ids),
            status=EnterpriseStatus.ACTIVE,
            portfolio=Portfolio.OWN,
            city_code__startswith="21",
        ).order_by("established_on", "id")
    )


def _others(tree: TreeSnapshot, before: TreeSnapshot, supervisor: Supervisor, group) -> list:
    """For each city of OTHER_CITIES, the oldest subsidiary there of another group, a group
    based in that city first, each group once; in its group since before the programme."""
    groups = sorted(g for g, s in tree.supervisor_of_group.items() if s == supervisor.id)
    cities = dict(Enterprise.objects.filter(id__in=groups).values_list("id", "city_code"))
    found, used = [], {group.id}
    for city in OTHER_CITIES:
        for candidate in sorted(groups, key=lambda g: (cities.get(g) != city, g)):
            if candidate in used:
                continue
            members = [
                e
                for e in _active(tree.descendants(candidate))
                if e.city_code == city and before.group_of(e.id) == candidate
            ]
            if members:
                found.append(members[0])
                used.add(candidate)
                break
    return found


def _cast(today: date) -> Cast:
    users = {name: _user(name) for name in ("analyst", "reporter", "group_reviewer")}
    membership = (
        Membership.objects.filter(user=users["reporter"], role=Role.ENTERPRISE_REPORTER)
        .select_related("enterprise")
        .first()
    )
    supervisor = Supervisor.objects.filter(code=SUPERVISOR).first()
    if membership is None or supervisor is None:
        raise DomainError(
            _("The demo registry is incomplete: load it again with load_demo --reset."),
            code="demo_registry",
        )
    group = membership.enterprise
    tree, before = tree_at(today), tree_at(PROGRAMME_START)
    members = _active(tree.descendants(group.id))
    old = [e for e in members if before.group_of(e.id) == group.id and e.established_on]
    # The special-steel group absorbed in 2021 was based in Benxi: its Benxi subsidiaries first.
    absorbed = sorted(
        (e for e in members if before.group_of(e.id) not in (None, group.id)),
        key=lambda e: e.city_code != "210500",
    )
    others = _others(tree, before, supervisor, group)
    if len(old) < 12 or not absorbed or len(others) < 3:
        raise DomainError(
            _("The demo registry is incomplete: load it again with load_demo --reset."),
            code="demo_registry",
        )
    return Cast(
        analyst=users["analyst"],
        reporter=users["reporter"],
        reviewer=users["group_reviewer"],
        group=group,
        old=old,
        absorbed=absorbed,
        others=others,
    )


def _city(enterprise: Enterprise) -> str:
    return CITY_NAMES.get(enterprise.city_code, "辽宁")


class Story:
    """The demo's steps, each run through the services on its own day."""

    def __init__(self, cast: Cast, rng: random.Random) -> None:
        self.cast = cast
        self.rng = rng

    def open(self, day: date, owner: Enterprise, title: str, due: date, fields: dict, **item):
        with on_day(day):
            return services.problem_create(
                acting_user=self.cast.analyst,
                owner=owner,
                title=title,
                due_date=due,
                fields=fields,
                **item,
            ).item

    def report(self, day: date, item, text: str, progress: int, done=None, pdf="") -> None:
        """The reporter states what is done and writes the update; the reviewer approves it
        a few days later."""
        files = (
            [SimpleUploadedFile(pdf, demo_pdf(f"Legacy {item.id}"), "application/pdf")]
            if pdf
            else []
        )
        with on_day(day):
            if done:
                services.problem_edit(acting_user=self.cast.reporter, item=item, changes=done)
            update = ledger_services.item_update_add(
                acting_user=self.cast.reporter,
                item=item,
                text=text,
                progress=progress,
                submit=True,
                uploads=files,
            )
        with on_day(day + timedelta(days=3)):
            ledger_services.item_update_approve(acting_user=self.cast.reviewer, update=update)

    def close(self, handed_in: date, verified: date, item, note: str) -> None:
        with on_day(handed_in):
            ledger_services.verification_request(acting_user=self.cast.reviewer, item=item)
        with on_day(verified):
            ledger_services.verify(
                acting_user=self.cast.analyst, item=item, accept=True, reason=note
            )


def _receiver(sub_kind: str, owner: Enterprise, rng: random.Random) -> str:
    districts = DISTRICTS.get(owner.city_code, ("城区",))
    return RECEIVERS[sub_kind].format(
        city=_city(owner), district=rng.choice(districts), street=rng.choice(STREETS)
    )


def _supplies(story: Story, owner: Enterprise, sub_kinds, households: int, closed: date) -> None:
    """One housing area's 三供一业 handovers, opened in 2017 and closed around `closed`."""
    rng = story.rng
    for offset, sub_kind in enumerate(sub_kinds):
        receiver = _receiver(sub_kind, owner, rng)
        cost = Decimal(households * COST_PER_HOUSEHOLD[sub_kind] // 100 * 100)
        name = SUPPLY_NAMES[sub_kind]
        item = story.open(
            date(2017, 3, 15) + timedelta(days=20 * offset),
            owner,
            f"{owner.short_name}职工家属区{name}分离移交",
            date(2020, 12, 31),
            {
                "kind": "three_supplies",
                "sub_kind": sub_kind,
                "households_total": households,
                "amount_total": cost,
                "receiving_party": receiver,
                "planned_on": closed,
                "plan_text": f"对家属区{name}设施进行维修改造，达到接收标准后整体移交{receiver}，"
                "实行专业化管理。",
            },
            responsible_name=rng.choice(("王建国", "刘志强", "张丽华", "孙伟", "陈明")),
            source="国务院办公厅转发国务院国资委、财政部《关于国有企业职工家属区“三供一业”"
            "分离移交工作的指导意见》",
            description=f"职工家属区{households:,}户{name}由企业代管，需分离移交地方专业单位。",
        )
        halfway = closed - timedelta(days=200)
        story.report(
            halfway,
            item,
            f"移交协议已签订，维修改造工程完成{rng.randint(55, 70)}%。",
            60,
            done={"amount_done": (cost * Decimal("0.6")).quantize(Decimal("1"))},
        )
        story.report(
            closed,
            item,
            f"维修改造完成并通过验收，{households:,}户{name}已移交{receiver}。",
            100,
            done={
                "households_done": households,
                "amount_done": cost,
                "done_on": closed,
                "closure_text": f"资产划转和移交手续办理完毕，{receiver}已接管运营。",
            },
            pdf=f"{name}移交协议.pdf",
        )
        story.close(
            closed + timedelta(days=10),
            closed + timedelta(days=40),
            item,
            "移交手续完备，验收通过。",
        )


def _collective(story: Story, owner: Enterprise, people: int, closed: date | None) -> None:
    rng = story.rng
    cost = Decimal(people * rng.randint(28, 45) * 1000)
    item = story.open(
        date(2018, 9, 1),
        owner,
        f"{owner.short_name}厂办大集体改革",
        date(2021, 6, 30) if closed else clock.today() + timedelta(days=125),
        {
            "kind": "collective",
            "people_total": people,
            "amount_total": cost,
            "planned_on": closed or date(2026, 12, 31),
            "plan_text": "理顺产权关系，妥善安置在职集体职工，接续社会保险，关闭注销无经营能力的"
            "集体企业。",
        },
        responsible_name=rng.choice(("赵永刚", "李淑芬", "马国庆")),
        source="辽宁省厂办大集体改革实施方案",
    )
    resettled = people * 6 // 10
    story.report(
        date(2019, 12, 10),
        item,
        f"已与{resettled:,}名集体职工解除或变更劳动关系，经济补偿金已支付。",
        55,
        done={"people_done": resettled, "amount_done": cost * 6 // 10},
    )
    if closed is None:
        return
    story.report(
        closed,
        item,
        f"{people:,}名集体职工全部安置，社会保险关系接续完毕，集体企业已注销。",
        100,
        done={
            "people_done": people,
            "amount_done": cost,
            "done_on": closed,
            "closure_text": "集体企业改制完成，职工安置到位。",
        },
        pdf="厂办大集体改革验收报告.pdf",
    )
    story.close(closed + timedelta(days=7), closed + timedelta(days=30), item, "改革任务完成。")


def _retirees(story: Story, owner, people: int, opened: date, closed: date | None) -> None:
    rng = story.rng
    receiver = (
        f"{_city(owner)}市{rng.choice(DISTRICTS.get(owner.city_code, ('城区',)))}"
        f"{rng.choice(STREETS)}社区（演示）"
    )
    item = story.open(
        opened,
        owner,
        f"{owner.short_name}退休人员社会化管理移交",
        opened + timedelta(days=540) if closed else clock.today() + timedelta(days=95),
        {
            "kind": "retirees",
            "people_total": people,
            "receiving_party": receiver,
            "amount_total": Decimal(people * 300),
            "planned_on": closed or clock.today() + timedelta(days=90),
            "plan_text": "退休人员党组织关系和人事档案移交街道社区，养老金社会化发放。",
        },
        responsible_name=rng.choice(("周桂兰", "吴海涛", "郑春梅")),
        source="《关于国有企业退休人员社会化管理的指导意见》",
    )
    moved = people * 7 // 10
    story.report(
        opened + timedelta(days=180),
        item,
        f"已移交退休人员{moved:,}人，人事档案同步移交。",
        70,
        done={"people_done": moved, "amount_done": Decimal(moved * 300)},
    )
    if closed is None:
        return
    story.report(
        closed,
        item,
        f"{people:,}名退休人员全部移交{receiver}管理。",
        100,
        done={
            "people_done": people,
            "amount_done": Decimal(people * 300),
            "done_on": closed,
            "closure_text": "退休人员全部纳入社区管理服务。",
        },
        pdf="退休人员移交清单.pdf",
    )
    story.close(closed + timedelta(days=5), closed + timedelta(days=35), item, "移交完成。")


def _zombies(story: Story, closed_owner, overdue_owner) -> None:
    today = clock.today()
    item = story.open(
        date(2018, 3, 1),
        closed_owner,
        f"{closed_owner.short_name}“僵尸企业”清算注销",
        date(2020, 12, 31),
        {
            "kind": "zombie",
            "sub_kind": "deregistration",
            "people_total": 86,
            "amount_total": Decimal("12600000"),
            "planned_on": date(2020, 10, 31),
        },
        responsible_name="高志远",
        source="辽宁省国资委处置“僵尸企业”和特困企业专项工作",
    )
    story.report(
        date(2020, 9, 25),
        item,
        "86名职工全部分流安置，债权债务清理完毕，工商注销登记已完成。",
        100,
        done={
            "people_done": 86,
            "amount_done": Decimal("12600000"),
            "done_on": date(2020, 9, 25),
            "closure_text": "完成清算注销。",
        },
        pdf="注销通知书.pdf",
    )
    story.close(date(2020, 10, 8), date(2020, 11, 12), item, "已注销，出清完成。")
    # In progress and overdue: the bankruptcy court's proceedings took longer than planned.
    late = story.open(
        today - timedelta(days=480),
        overdue_owner,
        f"{overdue_owner.short_name}特困企业破产清算",
        today - timedelta(days=59),
        {
            "kind": "zombie",
            "sub_kind": "bankruptcy",
            "people_total": 212,
            "amount_total": Decimal("35800000"),
            "planned_on": today - timedelta(days=59),
        },
        responsible_name="韩冬",
        source="辽宁省国资委处置“僵尸企业”和特困企业专项工作",
    )
    story.report(
        today - timedelta(days=150),
        late,
        "法院已受理破产申请，管理人已接管；已安置职工160人。",
        70,
        done={"people_done": 160, "amount_done": Decimal("21000000")},
    )


def _not_yet_reported(story: Story, others: list[Enterprise]) -> None:
    """Opened this year for other groups; their enterprises have not reported yet."""
    today = clock.today()
    fushun, fuxin, tieling = others[:3]
    story.open(
        today - timedelta(days=60),
        fushun,
        f"{fushun.short_name}职工家属区物业管理分离移交",
        today + timedelta(days=185),
        {
            "kind": "three_supplies",
            "sub_kind": "property",
            "households_total": 2460,
            "amount_total": Decimal("2214000"),
            "receiving_party": _receiver("property", fushun, story.rng),
        },
        responsible_name="齐立新",
        source="2026年历史遗留问题专项排查",
    )
    story.open(
        today - timedelta(days=45),
        fuxin,
        f"{fuxin.short_name}退休人员社会化管理移交（剩余部分）",
        today + timedelta(days=125),
        {"kind": "retirees", "people_total": 1380, "receiving_party": "阜新市海州区社区（演示）"},
        responsible_name="白雪",
        source="2026年历史遗留问题专项排查",
    )
    story.open(
        today - timedelta(days=20),
        tieling,
        f"{tieling.short_name}特困企业扭亏解困",
        today + timedelta(days=310),
        {"kind": "zombie", "sub_kind": "turnaround", "people_total": 340},
        responsible_name="邵明",
        source="2026年历史遗留问题专项排查",
    )


def load(*, seed: int, scale: int | None, tasks: int) -> str:
    if scale is not None:
        return ""
    today = clock.today()
    cast = _cast(today)
    rng = random.Random(seed)
    story = Story(cast, rng)
    old = cast.old
    housing = [old[0], old[1], old[2]]
    _supplies(
        story, housing[0], ("water", "power", "heating", "property"), 6420, date(2018, 11, 20)
    )
    _supplies(story, housing[1], ("water", "power", "gas"), 3850, date(2019, 9, 16))
    _supplies(story, housing[2], ("heating", "property"), 2180, date(2020, 6, 30))
    in_progress = story.open(
        date(2019, 4, 1),
        old[3],
        f"{old[3].short_name}职工家属区物业管理分离移交",
        today + timedelta(days=125),
        {
            "kind": "three_supplies",
            "sub_kind": "property",
            "households_total": 4870,
            "amount_total": Decimal("4383000"),
            "receiving_party": _receiver("property", old[3], rng),
            "planned_on": today + timedelta(days=120),
        },
        responsible_name="杨帆",
        source="2026年历史遗留问题专项排查",
    )
    story.report(
        today - timedelta(days=40),
        in_progress,
        "已完成3,120户物业移交，剩余楼栋正在维修改造。",
        64,
        done={"households_done": 3120, "amount_done": Decimal("2808000")},
    )
    _collective(story, old[4], 1260, date(2020, 12, 18))
    _collective(story, old[5], 740, date(2021, 5, 28))
    _collective(story, old[6], 2150, None)
    _retirees(story, old[7], 18650, date(2019, 6, 1), date(2020, 12, 20))
    _retirees(story, old[8], 9320, date(2019, 6, 1), date(2021, 9, 30))
    _retirees(story, cast.absorbed[0], 6410, date(2021, 10, 8), date(2022, 8, 31))
    _retirees(story, old[9], 4780, today - timedelta(days=300), None)
    _zombies(story, old[10], old[11])
    _not_yet_reported(story, cast.others)
    return summary()


def summary() -> str:
    problems = LegacyProblem.objects.filter(item__register=Register.LEGACY_PROBLEM)
    today = clock.today()
    items = TrackedItem.objects.filter(register=Register.LEGACY_PROBLEM)
    sums = problems.aggregate(households=Sum("households_done"), people=Sum("people_done"))
    return _(
        "Legacy-problem register: %(n)s problems (%(closed)s closed, %(overdue)s overdue), "
        "%(households)s households and %(people)s people handed over, %(updates)s updates."
    ) % {
        "n": problems.count(),
        "closed": items.filter(status=Status.VERIFIED).count(),
        "overdue": items.filter(status__in=WORKING, due_date__lt=today).count(),
        "households": f"{sums['households'] or 0:,}",
        "people": f"{sums['people'] or 0:,}",
        "updates": ItemUpdate.objects.filter(item__register=Register.LEGACY_PROBLEM).count(),
    }


def reset() -> None:
    LegacyProblem.objects.all().delete()
