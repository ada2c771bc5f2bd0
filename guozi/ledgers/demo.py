"""Demo rectification items for the Liaoning demo portfolio, behind `guozi load_demo`.

`load_demo_items()` opens a handful of rectifications (整改) for the demo users' steel group, its
subsidiary and a few other provincial groups, and takes each through the ledger services as the
demo users would, each step on its own day in the weeks before today, so the register shows
every state: open and due soon, in progress and overdue with an update waiting for review,
milestones partly done, handed in for verification, verified and closed, rejected once and back
in progress, inactive for weeks, and cancelled.
"""

import random
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from importlib import import_module

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.test.utils import override_settings
from django.utils.translation import gettext as _

from guozi.accounts.models import Membership, Role, User
from guozi.lib import clock
from guozi.lib.errors import DomainError
from guozi.registry.models import Enterprise, EnterpriseStatus, Portfolio, Supervisor
from guozi.registry.tree import tree_at

from . import evidence, services
from .models import (
    Evidence,
    ItemEvent,
    ItemUpdate,
    Milestone,
    ProgressRule,
    Register,
    Reminder,
    TrackedItem,
)

DEFAULT_SEED = 20260828
SUPERVISOR = "ln"


@contextmanager
def on_day(day: date):
    """Run the services as if today were `day` (the one clock reads GUOZI_TODAY)."""
    with override_settings(GUOZI_TODAY=day.isoformat()):
        yield


def demo_pdf(title: str) -> bytes:
    """A small one-page PDF saying what it stands for (ASCII text, valid structure)."""
    text = title.encode("ascii", "replace").decode()
    stream = f"BT /F1 14 Tf 60 760 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def _pdf(name: str, title: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, demo_pdf(title), content_type="application/pdf")


@dataclass
class Cast:
    analyst: User
    reporter: User
    group_reviewer: User
    sub_reporter: User
    group: Enterprise  # the demo enterprise users' group
    subsidiary: Enterprise  # the sub_reporter's enterprise, under the group
    group_members: list[Enterprise]  # two more enterprises of the group
    others: list[Enterprise]  # two other groups, without demo enterprise users


def _user(username: str) -> User:
    user = User.objects.filter(username=username).first()
    if user is None:
        raise DomainError(
            _("The demo user %(name)s is missing: load the demo registry first.")
            % {"name": username},
            code="demo_registry",
        )
    return user


def _cast(seed: int, today: date) -> Cast:
    users = {
        name: _user(name) for name in ("analyst", "reporter", "group_reviewer", "sub_reporter")
    }
    at = {
        m.user.username: m.enterprise
        for m in Membership.objects.filter(
            user__in=users.values(), role=Role.ENTERPRISE_REPORTER
        ).select_related("user", "enterprise")
    }
    group, subsidiary = at.get("reporter"), at.get("sub_reporter")
    supervisor = Supervisor.objects.filter(code=SUPERVISOR).first()
    incomplete = DomainError(
        _("The demo registry is incomplete: load it again with load_demo --reset."),
        code="demo_registry",
    )
    if group is None or subsidiary is None or supervisor is None:
        raise incomplete
    tree = tree_at(today)
    rng = random.Random(seed)
    active = Enterprise.objects.filter(status=EnterpriseStatus.ACTIVE, portfolio=Portfolio.OWN)
    members = list(
        active.filter(id__in=tree.descendants(group.id)).exclude(id=subsidiary.id).order_by("id")
    )
    groups = [g for g, s in tree.supervisor_of_group.items() if s == supervisor.id]
    others = list(active.filter(id__in=groups).exclude(id=group.id).order_by("id"))
    if len(members) < 2 or len(others) < 2:
        raise incomplete
    return Cast(
        group=group,
        subsidiary=subsidiary,
        group_members=rng.sample(members, 2),
        others=rng.sample(others, 2),
        **users,
    )


# Each register's app has a `demo` module: `load(seed=, scale=, tasks=)` returns a line for the
# summary (or ""), `reset()` removes the register's own rows before the items go.
REGISTER_APPS = ("reform", "legacy", "safety", "rnd", "supply")


def _register_demos() -> list:
    return [import_module(f"guozi.ledgers.{label}.demo") for label in REGISTER_APPS]


def load_registers(*, seed: int = DEFAULT_SEED, scale: int | None = None, tasks: int = 0) -> list:
    """The other registers' demo items: the Liaoning demo's, or with `scale` the generated
    portfolio's (`tasks` reform tasks per enterprise)."""
    lines = [module.load(seed=seed, scale=scale, tasks=tasks) for module in _register_demos()]
    return [line for line in lines if line]


def reset() -> None:
    """Remove every ledger item with its updates, history and reminders, and the evidence
    files those rows name (files the database does not know of are left alone)."""
    for module in _register_demos():
        module.reset()
    stored = list(Evidence.objects.values_list("stored_path", flat=True))
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for model in (Reminder, Evidence, ItemEvent, Milestone, ItemUpdate):
            cursor.execute(f"DELETE FROM {quote(model._meta.db_table)}")
    # Through the ORM: rows of other apps that point at an item (an alert) let go of it.
    TrackedItem.objects.all().delete()

    def unlink() -> None:
        for relative in stored:
            path = evidence.stored_file(relative)
            if path is not None:
                path.unlink()

    # Only once the rows are gone for good: a rolled-back reset keeps its files.
    transaction.on_commit(unlink)


@dataclass
class LoadedItems:
    items: int
    states: Counter
    updates: int
    evidence: int


class Story:
    """The demo's steps, each run through the services on its own day."""

    def __init__(self, cast: Cast, today: date) -> None:
        self.cast = cast
        self.today = today

    def day(self, days_ago: int):
        return on_day(self.today - timedelta(days=days_ago))

    def open(self, days_ago: int, *, due_in: int, **fields) -> TrackedItem:
        with self.day(days_ago):
            return services.item_create(
                acting_user=self.cast.analyst,
                register=Register.RECTIFICATION,
                due_date=self.today + timedelta(days=due_in),
                **fields,
            )

    def write(self, days_ago: int, item, text: str, *, by=None, submit=True, pdf="", **fields):
        files = [_pdf(pdf, f"Evidence {item.id}")] if pdf else []
        with self.day(days_ago):
            return services.item_update_add(
                acting_user=by or self.cast.reporter,
                item=item,
                text=text,
                submit=submit,
                uploads=files,
                **fields,
            )

    def approve(self, days_ago: int, update: ItemUpdate) -> None:
        with self.day(days_ago):
            services.item_update_approve(acting_user=self.cast.group_reviewer, update=update)

    def hand_in(self, days_ago: int, item, note: str) -> None:
        with self.day(days_ago):
            services.verification_request(
                acting_user=self.cast.group_reviewer, item=item, note=note
            )

    def verify(self, days_ago: int, item, *, accept: bool, reason: str = "") -> None:
        with self.day(days_ago):
            services.verify(acting_user=self.cast.analyst, item=item, accept=accept, reason=reason)

    def cancel(self, days_ago: int, item, reason: str) -> None:
        with self.day(days_ago):
            services.item_cancel(acting_user=self.cast.analyst, item=item, reason=reason)


def load_demo_items(*, seed: int = DEFAULT_SEED, today: date | None = None) -> LoadedItems:
    """Open the demo rectifications and take them through their steps; see the module doc."""
    today = today or clock.today()
    cast = _cast(seed, today)
    story = Story(cast, today)

    # In progress and ten days overdue; a second update waits for the group's reviewer.
    receivables = story.open(
        75,
        due_in=-10,
        owner=cast.group,
        title="三年以上应收账款未足额计提坏账准备",
        description="2026年第二季度财务专项检查发现：账龄三年以上的应收账款1.2亿元未按会计政策计提坏账准备。",
        responsible_name="王磊（财务部）",
        source="2026年第二季度财务专项检查",
        source_kind="inspection",
        source_ref="2026Q2-FIN-07",
        attributes={"severity": "serious", "measures": "逐笔核查，补提坏账准备，启动追偿。"},
    )
    story.approve(
        58,
        story.write(
            60,
            receivables,
            "已完成逐笔核查，形成应收账款清单，补提坏账准备4,800万元。",
            progress=40,
            pdf="应收账款核查清单.pdf",
        ),
    )
    story.write(
        2,
        receivables,
        "剩余款项已启动法律追偿程序，拟补提坏账准备7,200万元，议案待董事会审议。",
        progress=85,
        pdf="董事会议案.pdf",
    )

    # Open, due in five days; the subsidiary's reporter has a draft not yet submitted.
    land = story.open(
        40,
        due_in=5,
        owner=cast.subsidiary,
        title="闲置土地长期未盘活",
        description="厂区东侧约80亩土地闲置超过两年，未制定盘活方案。",
        responsible_name="李娜（资产管理部）",
        source="2026年国有资产质量巡查",
        attributes={"severity": "general"},
    )
    story.write(
        3,
        land,
        "已与属地政府对接收储意向，盘活方案初稿编制中。",
        by=cast.sub_reporter,
        progress=30,
        submit=False,
    )

    # Counted by milestones: two of three done.
    safety = story.open(
        50,
        due_in=30,
        owner=cast.group,
        title="安全生产责任制落实不到位",
        description="安全生产专项检查发现：二级单位安全生产责任清单未覆盖全部岗位。",
        responsible_name="赵强（安全环保部）",
        source="2026年安全生产专项检查",
        source_kind="inspection",
        source_ref="2026-SAFE-03",
        progress_rule=ProgressRule.MILESTONES,
        milestones=["修订安全生产责任清单", "全员培训并考核", "第三方评估"],
        attributes={"severity": "major"},
    )
    steps = list(safety.milestones.order_by("position").values_list("id", flat=True))
    story.approve(40, story.write(42, safety, "责任清单已修订并印发。", milestones=[steps[0]]))
    story.approve(
        12,
        story.write(
            14,
            safety,
            "全员培训已完成，考核通过率98.6%。",
            milestones=[steps[1]],
            pdf="培训考核记录.pdf",
        ),
    )

    # Done and handed in: the supervisor's turn to verify.
    related = story.open(
        70,
        due_in=10,
        owner=cast.group,
        title="关联交易未履行董事会审议程序",
        description="2025年度经济责任审计发现3笔关联交易合计2.3亿元未经董事会审议。",
        responsible_name="孙丽（董事会办公室）",
        source="2025年度经济责任审计",
        attributes={"severity": "serious", "measures": "补充履行审议程序，修订关联交易管理办法。"},
    )
    story.approve(
        30,
        story.write(
            32,
            related,
            "已补充履行董事会审议程序，修订并印发关联交易管理办法。",
            progress=100,
            pdf="董事会决议.pdf",
        ),
    )
    story.hand_in(5, related, "整改已完成，请验收。")

    # Verified and closed.
    debt = story.open(
        90,
        due_in=-15,
        owner=cast.group_members[0],
        title="资产负债率高于管控线",
        description="资产负债率连续两个季度高于管控线。",
        responsible_name="刘洋（财务部）",
        source="2026年一季度经济运行监测",
        source_kind="monitoring",
        source_ref="2026Q1-DEBT",
    )
    story.approve(
        40,
        story.write(
            41,
            debt,
            "通过增资和压降带息负债，资产负债率已降至管控线以内。",
            progress=100,
            pdf="资产负债表.pdf",
        ),
    )
    story.hand_in(30, debt, "请验收。")
    story.verify(25, debt, accept=True, reason="经核查，资产负债率已连续两个月低于管控线。")

    # Rejected once, worked on again; ready to be handed in anew.
    contracts = story.open(
        80,
        due_in=12,
        owner=cast.group_members[1],
        title="合同管理不规范",
        description="内部审计发现部分采购合同未经法律审核即签订。",
        responsible_name="周敏（法务部）",
        source="2026年内部审计",
        attributes={"severity": "general"},
    )
    story.approve(
        50,
        story.write(52, contracts, "已对全部采购合同补充法律审核。", progress=100),
    )
    story.hand_in(45, contracts, "请验收。")
    story.verify(40, contracts, accept=False, reason="未提供法律审核记录，佐证材料不足。")
    story.approve(
        20,
        story.write(
            22,
            contracts,
            "补充提交法律审核记录，并修订合同管理办法。",
            progress=100,
            pdf="法律审核记录.pdf",
        ),
    )

    # Open and untouched for six weeks: the reminders call it inactive.
    story.open(
        45,
        due_in=20,
        owner=cast.others[0],
        title="闲置设备清查处置不及时",
        description="账面闲置设备原值约3,600万元，未按期完成清查处置。",
        source="2026年国有资产质量巡查",
        attributes={"severity": "general"},
    )

    # Cancelled: the same finding was already being rectified.
    duplicate = story.open(
        30,
        due_in=30,
        owner=cast.others[1],
        title="对外担保未履行审批程序",
        source="2026年内部审计",
    )
    story.cancel(25, duplicate, "与集团层面的对外担保整改事项重复，合并办理。")

    items = TrackedItem.objects.filter(register=Register.RECTIFICATION)
    return LoadedItems(
        items=items.count(),
        states=Counter(items.values_list("status", flat=True)),
        updates=ItemUpdate.objects.count(),
        evidence=Evidence.objects.count(),
    )


def summary(loaded: LoadedItems) -> str:
    return _(
        "Rectification register: %(n)s items (%(active)s not closed), %(updates)s updates, "
        "%(files)s evidence files."
    ) % {
        "n": loaded.items,
        "active": sum(
            n for status, n in loaded.states.items() if status not in ("verified", "cancelled")
        ),
        "updates": loaded.updates,
        "files": loaded.evidence,
    }
