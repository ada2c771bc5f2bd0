"""The supply-chain register of the Liaoning demo, behind `guozi load_demo`.

About 45 enterprises of the provincial portfolio in steel, petrochemicals, equipment and power
(among them the demo users' steel group and its subsidiaries) get two to four key inputs each,
drawn from `demo_data`: iron ore, coking coal and graphite electrodes for the steel makers,
crude oil and catalysts for the refiners, bearings, chips and control systems for the equipment
makers. Their fictional suppliers are shared across enterprises (an Australian iron-ore exporter
serves most steel makers, written in more than one way), some inputs have one supplier, some
come mostly from abroad, and some enterprises know only part of their supply. The analyst opens
each input on its own day in the months before today; the demo group's reporter and reviewer
report on a few mitigations, one of which is handed in for verification.

Deterministic for a seed. With `scale` (a generated portfolio for benchmarks) nothing is loaded.
"""

import random
from datetime import date, timedelta

from django.utils.translation import gettext as _

from guozi.accounts.models import Membership, Role, User
from guozi.ledgers import services as ledger_services
from guozi.ledgers.demo import on_day
from guozi.lib import clock
from guozi.lib.errors import DomainError
from guozi.lib.uscc import make_uscc
from guozi.registry.models import Enterprise, EnterpriseStatus, Portfolio, Supervisor
from guozi.registry.tree import tree_at

from . import services
from .demo_data import INPUTS, SECTORS, SUPPLIERS, InputSpec
from .models import Band, SupplyInput, SupplySource

SUPERVISOR = "ln"
# Enterprises per sector (a GB/T 4754 division, or coking), the demo group's among them.
SECTOR_QUOTAS = {
    "C31": 14, "coking": 2, "C30": 3, "C25": 6, "C26": 5, "C34": 7, "C35": 4, "C38": 2, "D44": 3,
}  # fmt: skip
SALT = 7  # keeps this register's draws apart from the other demos' of the same seed
RESPONSIBLE = ("张伟", "王芳", "李强", "刘洋", "陈静", "杨帆", "赵磊", "黄敏", "周杰", "吴婷")
DEPARTMENTS = ("采购部", "供应链管理部", "物资部", "设备部")


def _user(username: str) -> User:
    user = User.objects.filter(username=username).first()
    if user is None:
        raise DomainError(
            _("The demo user %(name)s is missing: load the demo registry first.")
            % {"name": username},
            code="demo_registry",
        )
    return user


def _sector(enterprise: Enterprise) -> str | None:
    if "焦化" in enterprise.name_zh:
        return "coking"  # a coke plant is filed under C25 with the refineries
    code = enterprise.industry_code[:3]
    return code if code in SECTORS else None


def _member_of(username: str) -> int | None:
    return (
        Membership.objects.filter(user__username=username, role=Role.ENTERPRISE_REPORTER)
        .values_list("enterprise_id", flat=True)
        .first()
    )


def _enterprises(rng: random.Random, today: date) -> tuple[list[Enterprise], set[int]]:
    """The demo users' enterprises, then enterprises of the portfolio by sector (the steel
    makers are all in the demo group); and the ids of the demo group's enterprises."""
    supervisor = Supervisor.objects.filter(code=SUPERVISOR).first()
    group, subsidiary = _member_of("reporter"), _member_of("sub_reporter")
    if supervisor is None or group is None:
        raise DomainError(
            _("The demo registry is incomplete: load it again with load_demo --reset."),
            code="demo_registry",
        )
    active = Enterprise.objects.filter(
        supervisor=supervisor, status=EnterpriseStatus.ACTIVE, portfolio=Portfolio.OWN
    ).order_by("id")
    producing = [e for e in active if _sector(e)]
    in_group = set(tree_at(today).descendants(group)) | {group}
    chosen = [e for e in producing if e.id in (group, subsidiary)]
    for sector, quota in SECTOR_QUOTAS.items():
        taken = sum(1 for e in chosen if _sector(e) == sector)
        candidates = [e for e in producing if _sector(e) == sector and e not in chosen]
        chosen += rng.sample(candidates, max(0, min(quota - taken, len(candidates))))
    return chosen, in_group


def _supplier_uscc(key: str) -> str:
    supplier = SUPPLIERS[key]
    return make_uscc("9", "1", supplier.region, supplier.body) if supplier.body else ""


def _shares(rng: random.Random, count: int, total: int, *, even: bool) -> list[int]:
    """Whole percentages adding up to `total`, the first supplier the largest; `even` spreads
    them out, otherwise the first suppliers take most."""
    draws = (rng.uniform(0.6, 1.0) if even else rng.uniform(0.3, 1.0) ** 2 for _ in range(count))
    weights = sorted(draws, reverse=True)
    shares = [max(1, int(total * w / sum(weights))) for w in weights]
    shares[0] += total - sum(shares)
    return shares


def _count(rng: random.Random, spec: InputSpec) -> tuple[int, bool]:
    """How many suppliers, and whether their shares are even: a few inputs have one supplier,
    most a handful, a commodity sometimes many."""
    pool = len(spec.suppliers)
    draw = rng.random()
    if pool == 1 or draw < 0.12:
        return 1, False
    if spec.many and pool >= 6 and draw > 0.4:
        return rng.randint(6, pool), True
    if pool >= 5 and draw > 0.75:
        return 5, True
    return rng.randint(2, min(4, pool)), draw > 0.6


def _sources(rng: random.Random, spec: InputSpec) -> list[dict]:
    pool = list(spec.suppliers)
    count, even = _count(rng, spec)
    weights = [1 / (position + 1) for position in range(len(pool))]
    picked: list[str] = []
    while len(picked) < count:
        key = rng.choices(pool, weights)[0]
        if key not in picked:
            picked.append(key)
    known = 100 if count == 1 or rng.random() > 0.12 else rng.randint(80, 95)
    rows = []
    for key, share in zip(picked, _shares(rng, count, known, even=even), strict=True):
        supplier = SUPPLIERS[key]
        name = supplier.name
        if supplier.aliases and rng.random() < 0.3:
            name = rng.choice(supplier.aliases)
        uscc = _supplier_uscc(key) if supplier.body and rng.random() < 0.8 else ""
        rows.append({"supplier": name, "uscc": uscc, "country": supplier.country, "share": share})
    return rows


def _inputs_of(rng: random.Random, enterprise: Enterprise) -> list[InputSpec]:
    choices = SECTORS[_sector(enterprise)]
    count = min(len(choices), rng.choice((2, 3, 3, 4)))
    weights = [1 / (position + 1) for position in range(len(choices))]
    picked: list[str] = []
    while len(picked) < count:
        key = rng.choices(choices, weights)[0]
        if key not in picked:
            picked.append(key)
    return [INPUTS[key] for key in picked]


def _fields(rng: random.Random, spec: InputSpec) -> dict:
    volume = rng.randint(*spec.volume)
    spend = round(volume * spec.price_wan * rng.uniform(0.85, 1.15))
    return {
        "name": spec.name,
        "category": spec.category,
        "criticality": spec.criticality,
        "domestic_alternative": spec.domestic_alternative,
        "annual_spend": max(spend, 1),
        "annual_volume": volume,
        "volume_unit": spec.unit,
    }


def _open(rng: random.Random, analyst: User, enterprise: Enterprise, spec: InputSpec, today: date):
    opened = today - timedelta(days=rng.randint(20, 160))
    due = opened + timedelta(days=rng.randint(90, 330))
    with on_day(opened):
        return services.input_create(
            acting_user=analyst,
            owner=enterprise,
            fields=_fields(rng, spec),
            sources=_sources(rng, spec),
            due_date=due,
            responsible_name=f"{rng.choice(RESPONSIBLE)}（{rng.choice(DEPARTMENTS)}）",
            plan=spec.plan,
        )


def _report(today: date, supply_input: SupplyInput, progress: int, text: str) -> None:
    """The group's reporter writes an update two days ago, its reviewer approves it today."""
    reporter, reviewer = _user("reporter"), _user("group_reviewer")
    with on_day(today - timedelta(days=2)):
        update = ledger_services.item_update_add(
            acting_user=reporter, item=supply_input.item, text=text, progress=progress, submit=True
        )
    with on_day(today - timedelta(days=1)):
        ledger_services.item_update_approve(acting_user=reviewer, update=update)


def _mitigate(today: date, group_inputs: list[SupplyInput]) -> None:
    working = [i for i in group_inputs if i.item.due_date >= today]
    steps = (
        (35, "已完成新增供应商资质审核，替代来源进入试用。"),
        (60, "替代来源已批量供货，采购占比按计划提升。"),
        (100, "替代供应渠道已稳定供货，应对措施全部完成。"),
    )
    for supply_input, (progress, text) in zip(working, steps, strict=False):
        _report(today, supply_input, progress, f"{supply_input.name}：{text}")
    for supply_input in working[:3]:
        supply_input.item.refresh_from_db()
        if supply_input.item.progress == 100:
            ledger_services.verification_request(
                acting_user=_user("group_reviewer"),
                item=supply_input.item,
                note="替代供应渠道已稳定供货，请验收。",
            )


def load(*, seed: int, scale: int | None, tasks: int) -> str:
    if scale is not None:
        return ""
    today = clock.today()
    rng = random.Random(seed * 31 + SALT)
    analyst = _user("analyst")
    enterprises, in_group = _enterprises(rng, today)
    group_inputs = []
    for enterprise in enterprises:
        for spec in _inputs_of(rng, enterprise):
            opened = _open(rng, analyst, enterprise, spec, today)
            if enterprise.id in in_group:
                group_inputs.append(opened)
    _mitigate(today, group_inputs)
    return summary()


def summary() -> str:
    inputs = SupplyInput.objects.all()
    return _(
        "Supply-chain register: %(inputs)s key inputs of %(enterprises)s enterprises from "
        "%(suppliers)s suppliers; %(high)s highly concentrated, %(single)s single-source, "
        "%(imported)s import-dependent, %(no_alternative)s without a domestic alternative."
    ) % {
        "inputs": inputs.count(),
        "enterprises": inputs.values("owner_id").distinct().count(),
        "suppliers": SupplySource.objects.values("name_key").distinct().count(),
        "high": inputs.filter(band=Band.HIGH).count(),
        "single": inputs.filter(single_source=True).count(),
        "imported": inputs.filter(import_dependent=True).count(),
        "no_alternative": inputs.filter(domestic_alternative=False).count(),
    }


def reset() -> None:
    """Delete this register's rows; the ledgers then delete the items."""
    SupplySource.objects.all().delete()
    SupplyInput.objects.all().delete()
