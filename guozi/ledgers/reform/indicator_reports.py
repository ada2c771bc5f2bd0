"""Demo reports of the form "Key reform indicators" (reform_indicators), half-yearly from the
second half of 2020, for the enterprises with reform tasks, approved, written in bulk with the
reporting demo's helpers: the report row, its first value version, its submit and approve
events.

The values follow each enterprise's own tasks: a board and an external-director majority once
the matching task was verified by the half-year's end, the share of managers under tenure and
contract management and of subsidiaries with a board growing with the programme, and so on, so
that every rule of the form holds.
"""

import random
from datetime import date, datetime, time, timedelta

from django.db import connection
from django.db.models import Max

from guozi.accounts.models import User
from guozi.ledgers.models import Status
from guozi.lib.clock import CHINA
from guozi.lib.periods import Period, last_closed
from guozi.registry.tree import tree_at
from guozi.reporting.demo import CELLS, CHANGES, EVENTS, NAMED, SUBMISSIONS, VERSIONS
from guozi.reporting.expected import Deadlines
from guozi.reporting.frameworks import definition_of, load_built_in, version_in_force
from guozi.reporting.models import Action, Channel, Form, ReportScope, State, ValueVersion
from guozi.reporting.values import to_stored

from .kpis import FORM_CODE
from .models import ReformTask

FIRST = Period.parse("2020H2")
VERIFIED_BY = {
    "board_established": "boards_established",
    "external_majority": "external_majority",
    "front_list": "front_list",
}


def _share(start: float, full_on: date, day: date, begin: date = date(2020, 7, 1)) -> float:
    """Rises linearly from `start` at `begin` to 1 on `full_on`."""
    if day >= full_on:
        return 1.0
    if day <= begin:
        return start
    return start + (1 - start) * (day - begin).days / (full_on - begin).days


def _verified_tasks() -> dict[int, dict[str, date]]:
    found: dict[int, dict[str, date]] = {}
    rows = ReformTask.objects.filter(
        catalogue_task__isnull=False, item__status=Status.VERIFIED
    ).values_list("owner_id", "catalogue_task__code", "item__closed_on")
    for owner, code, closed_on in rows:
        found.setdefault(owner, {})[code] = closed_on
    return found


def _values(rng: random.Random, owner: int, group: bool, day: date, verified: dict, base: dict):
    done = verified.get(owner, {})

    def by(code: str) -> bool:
        return code in done and done[code] <= day

    board = group or by("boards_established")
    majority = board and (by("external_majority") or (group and day >= date(2022, 6, 30)))
    managers = base["managers"]
    contract = round(managers * _share(base["contract_start"], date(2021, 12, 31), day))
    if by("tenure_contract"):
        contract = managers
    due_board = base["due_board"]
    with_board = min(due_board, round(due_board * _share(0.45, date(2022, 6, 30), day)))
    return {
        "board_established": "是" if board else "否",
        "external_majority": "是" if majority else "否",
        "front_list": "是" if (by("front_list") or day >= date(2021, 12, 31)) else "否",
        "subsidiaries_due_board": due_board if group else None,
        "subsidiaries_with_board": with_board if group else None,
        "managers_total": managers,
        "managers_contract": contract,
        "managers_contract_share": round(100 * contract / managers, 2) if managers else 0,
        "incentive_people": round(base["incentives"] * _share(0.0, date(2025, 12, 31), day)),
        "non_state_share": base["non_state"],
        "non_core_exited": rng.randint(0, 3) if day <= date(2022, 12, 31) else rng.randint(0, 1),
    }


def write_reports(*, seed: int, today: date) -> int:
    """Write the demo reports; returns how many."""
    load_built_in()
    form = Form.objects.filter(code=FORM_CODE).first()
    if form is None:
        return 0
    owners = sorted(set(ReformTask.objects.values_list("owner_id", flat=True)))
    if not owners:
        return 0
    rng = random.Random(f"{seed}:reform:indicators")
    tree = tree_at(today)
    verified = _verified_tasks()
    approver = User.objects.filter(username="reviewer").values_list("id", flat=True).first()
    bases = {}
    for owner in owners:
        group = owner in tree.supervisor_of_group
        bases[owner] = {
            "managers": rng.randint(30, 80) if group else rng.randint(4, 12),
            "contract_start": rng.uniform(0.0, 0.3),
            "due_board": max(1, round(len(tree.descendants(owner)) * rng.uniform(0.4, 0.7))),
            "incentives": rng.randint(20, 300) if group else rng.randint(0, 40),
            "non_state": round(rng.uniform(20, 49), 2) if rng.random() < 0.3 else 0,
        }
    last = last_closed(today, "half")
    periods = []
    period = FIRST
    while period.start <= last.start:
        periods.append(period)
        period = period.shift(1)
    written = 0
    for period in periods:
        written += _write_period(form, period, owners, tree, verified, bases, rng, approver)
    return written


def _write_period(form, period, owners, tree, verified, bases, rng, approver) -> int:
    version = version_in_force(form, period)
    definition = definition_of(version)
    fields = definition.fields_by_code
    deadlines = Deadlines(form.id, definition, period)
    period_tree = tree_at(period.end)
    at = connection.ops.adapt_datetimefield_value
    day = connection.ops.adapt_datefield_value
    rows, plans = [], []
    for owner in owners:
        group = owner in tree.supervisor_of_group
        values = _values(rng, owner, group, period.end, verified, bases[owner])
        cells = {
            f"{code}.current": to_stored(fields[code], value)
            for code, value in values.items()
            if value is not None
        }
        due = deadlines.due(period_tree.supervisor(owner), period_tree.level(owner) or 1)
        due = due or period.end + timedelta(days=21)
        created = datetime.combine(period.end + timedelta(days=3), time(9, 30), tzinfo=CHINA)
        submitted = datetime.combine(
            min(due, period.end + timedelta(days=rng.randint(6, 18))), time(15, 0), tzinfo=CHINA
        )
        approved = submitted + timedelta(days=rng.randint(1, 4), hours=1)
        rows.append(
            (at(created), at(approved), owner, form.id, version.id, str(period), day(period.end),
             ReportScope.CONSOLIDATED, State.APPROVED, CELLS.prep(cells), day(due), at(submitted),
             at(submitted), at(approved), approver, 0)
        )  # fmt: skip
        plans.append((cells, at(created), at(submitted), at(approved)))
    with connection.cursor() as cursor:
        SUBMISSIONS.insert(cursor, rows)
        ids = dict(form.submissions.filter(period=str(period)).values_list("enterprise_id", "id"))
        last_version = ValueVersion.objects.aggregate(last=Max("id"))["last"] or 0
        VERSIONS.insert(
            cursor,
            [
                (ids[owner], created, None, Channel.DEMO,
                 CHANGES.prep({key: [None, value] for key, value in cells.items()}), False)
                for owner, (cells, created, _s, _a) in zip(owners, plans, strict=True)
            ],
        )  # fmt: skip
        versions = list(
            ValueVersion.objects.filter(id__gt=last_version)
            .order_by("id")
            .values_list("id", flat=True)
        )
        nothing = NAMED.prep([])
        events = []
        for owner, version_id, (_cells, _c, submitted, approved) in zip(
            owners, versions, plans, strict=True
        ):
            events.append((ids[owner], Action.SUBMIT, submitted, None, "", nothing, version_id))
            events.append((ids[owner], Action.APPROVE, approved, approver, "", nothing, version_id))
        EVENTS.insert(cursor, events)
    return len(rows)
