"""Demo of the reform register, behind `guozi load_demo`.

The Liaoning demo (`scale is None`): the Three-Year Action catalogue assigned from autumn 2020 to
the provincial groups and to a sample of their subsidiaries, the 2023–2025 deepening action from
spring 2023, and the history of every assignment written in bulk as the ledger's services would
have written it: updates by the enterprises' reporters (one measure done each, a few returned
once before their approval), approvals, verification requests and the supervisor's verdicts,
cancellations. Finish dates follow each programme's curve (`CURVES`: about 70% of the
three-year tasks verified by the end of 2021, over 90% by mid-2022), earlier deadlines tending
to finish earlier; the rest is still open today, overdue or handed in. Each item's status and
percent complete agree with its updates and events. The enterprises without demo users have
their history written by `HISTORY_USER`, an inactive account standing for the ledger migrated
from the province's earlier system. Then, through the services on their own days, a few tasks
of the supervisor's own for the demo users' enterprises (due soon, at risk, a measure proposed),
the half-yearly "Key reform indicators" reports, and the monthly snapshots since 2020.

With `scale` and `tasks > 0` (`load_demo --scale 10000 --tasks 20`, for benchmarks): `tasks`
assignments for every enterprise of the portfolio and five updates each, written in bulk (COPY
on PostgreSQL), and the snapshots; with `tasks == 0` nothing.
"""

import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from statistics import NormalDist

import orjson
from django.db import connection, transaction
from django.db.models import Count, Max
from django.utils.translation import gettext as _

from guozi.accounts.models import Membership, Role, User
from guozi.audit.services import audit_record
from guozi.ledgers import services as ledger_services
from guozi.ledgers.demo import on_day
from guozi.ledgers.models import (
    EventAction,
    ItemEvent,
    ItemUpdate,
    Milestone,
    ProgressRule,
    Register,
    Status,
    TrackedItem,
    UpdateState,
)
from guozi.ledgers.rules import milestone_progress
from guozi.lib import clock
from guozi.lib.bulk import bulk_insert
from guozi.lib.clock import CHINA
from guozi.lib.errors import DomainError
from guozi.registry.models import Enterprise, EnterpriseStatus, Portfolio, Supervisor
from guozi.registry.tree import TreeSnapshot, tree_at

from . import current, services, snapshots
from .catalogues import current_catalogues, load_built_in
from .completion import TaskFacts, last_closed_month_end, month_ends
from .indicator_reports import write_reports
from .models import (
    Catalogue,
    CatalogueTask,
    CurrentMark,
    CurrentTally,
    EnterpriseSnapshot,
    MeasureProposal,
    ReformTask,
    RollupSnapshot,
)
from .snapshots import TaskKey

SUPERVISOR = "ln"
HISTORY_USER = "reform_history"
THREE_YEAR, DEEPENING = "three_year_action", "deepening_action"
SUBSIDIARY_SHARE = 0.2  # of the groups' direct subsidiaries
# The tasks a subsidiary gets; a group gets every task of the catalogue.
SUBSIDIARY_TASKS = {
    THREE_YEAR: (
        "boards_established", "external_majority", "front_list", "tenure_contract",
        "three_systems", "two_non_two_capital", "social_functions", "party_in_charter",
    ),
    DEEPENING: (
        "functional_assessment", "board_effectiveness", "compliance_system",
        "tenure_contract_deepening", "three_abilities", "rd_intensity",
    ),
}  # fmt: skip
# When the programmes were assigned: groups in the first window, subsidiaries in the second.
WINDOWS = {
    THREE_YEAR: ((date(2020, 10, 9), date(2020, 11, 20)), (date(2020, 12, 1), date(2021, 1, 29))),
    DEEPENING: ((date(2023, 3, 1), date(2023, 4, 14)), (date(2023, 4, 17), date(2023, 5, 31))),
}
# The share of a programme's tasks (by its catalogue deadlines) verified by each day: the finish
# dates are drawn from it; the tasks beyond the last share are still open today or cancelled.
# Subsidiaries get the tasks with earlier deadlines, so the whole runs a little ahead of it.
CURVES = {
    THREE_YEAR: (
        (date(2020, 11, 1), 0.0), (date(2020, 12, 31), 0.10), (date(2021, 6, 30), 0.33),
        (date(2021, 12, 31), 0.65), (date(2022, 6, 30), 0.88), (date(2022, 12, 31), 0.955),
        (date(2023, 9, 30), 0.975),
    ),
    DEEPENING: (
        (date(2023, 5, 15), 0.0), (date(2023, 12, 31), 0.17), (date(2024, 6, 30), 0.40),
        (date(2024, 12, 31), 0.64), (date(2025, 6, 30), 0.80), (date(2025, 12, 31), 0.90),
        (date(2026, 7, 31), 0.94),
    ),
}  # fmt: skip
DEADLINE_LINK = 0.6  # how strongly an earlier deadline means an earlier finish
UPDATES_AT_SCALE = 5
CHUNK = 2000

OPENING_TEXTS = (
    "已制定工作方案，明确牵头部门、责任人和时间节点。",
    "已召开专题会议部署，建立任务台账，实行挂图作战。",
    "已完成现状梳理，形成问题清单和推进计划。",
)
PROGRESS_TEXTS = (
    "已完成：{measure}。相关文件已履行决策程序并印发。",
    "{measure}已完成，佐证材料已上传。",
    "按计划完成{measure}，经集团审核确认。",
)
RETURN_REASONS = (
    "佐证材料不完整，请补充董事会决议文件。",
    "完成情况描述不具体，请补充量化数据。",
    "文件未履行决策程序，请补充会议纪要。",
)
CANCEL_REASONS = (
    "企业已完成重组整合，任务并入集团层面统筹推进。",
    "企业已注销，任务不再适用。",
)


# --- dates and people ------------------------------------------------------------------------


@lru_cache(maxsize=100_000)
def _clock(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=CHINA)


@dataclass(frozen=True)
class UpdateTimes:
    """When an update was written, (first) submitted, returned, and submitted for good."""

    written: datetime
    first_submitted: datetime | None
    returned: datetime | None
    submitted: datetime | None
    approved: datetime | None


def update_times(update: "PlannedUpdate") -> UpdateTimes:
    """The times of an update's steps, in their order: written the day before it is
    submitted (or the day before its first submission, when it was returned once)."""
    day = update.day
    if update.state == UpdateState.DRAFT:
        return UpdateTimes(_clock(day - timedelta(days=1), 10), None, None, None, None)
    if update.state == UpdateState.RETURNED:
        returned = _clock(update.returned_on, 15)
        return UpdateTimes(_clock(day - timedelta(days=1), 10), _clock(day, 10), returned,
                           None, None)  # fmt: skip
    approved = _clock(day, 12) if update.state == UpdateState.APPROVED else None
    if update.returned_on:
        first = _clock(update.returned_on - timedelta(days=1), 10)
        return UpdateTimes(_clock(update.returned_on - timedelta(days=2), 10), first,
                           _clock(update.returned_on, 15), _clock(day, 10), approved)  # fmt: skip
    return UpdateTimes(_clock(day - timedelta(days=1), 10), _clock(day, 10), None,
                       _clock(day, 10), approved)  # fmt: skip


def _between(rng: random.Random, first: date, last: date) -> date:
    span = max((last - first).days, 0)
    return first + timedelta(days=rng.randint(0, span))


def _finish_on(curve, share: float) -> date | None:
    """The day by which `share` of the tasks were verified, on the curve; None beyond it."""
    for (day_a, share_a), (day_b, share_b) in zip(curve, curve[1:], strict=False):
        if share <= share_b:
            fraction = 0 if share_b == share_a else (share - share_a) / (share_b - share_a)
            return day_a + timedelta(days=round(fraction * (day_b - day_a).days))
    return None


def history_user() -> User:
    """The account the migrated history is written under: inactive, no password."""
    user = User.objects.filter(username=HISTORY_USER).first()
    if user is None:
        user = User(
            username=HISTORY_USER,
            display_name="改革台账历史数据（迁移）",
            is_active=False,
        )
        user.set_unusable_password()
        user.save()
        audit_record(
            actor=None, action="create", instance=user, after={"event": "reform_history_user"}
        )
    return user


@dataclass(frozen=True)
class People:
    analyst: int
    history: int
    reporters: dict[int, int]  # enterprise → a reporter's user id (the demo users only)
    reviewers: dict[int, int]

    def reporter(self, owner: int, tree: TreeSnapshot) -> int:
        return self._nearest(self.reporters, owner, tree)

    def reviewer(self, owner: int, tree: TreeSnapshot) -> int:
        return self._nearest(self.reviewers, owner, tree)

    def _nearest(self, found: dict[int, int], owner: int, tree: TreeSnapshot) -> int:
        current, depth = owner, 0
        while depth < 64:
            if current in found:
                return found[current]
            if current not in tree.parent:
                return self.history
            current, depth = tree.parent[current], depth + 1
        return self.history


def _people() -> People:
    analyst = User.objects.filter(username="analyst").first()
    if analyst is None:
        raise DomainError(
            _("The demo user %(name)s is missing: load the demo registry first.")
            % {"name": "analyst"},
            code="demo_registry",
        )
    reporters, reviewers = {}, {}
    memberships = Membership.objects.filter(
        role__in=(Role.ENTERPRISE_REPORTER, Role.ENTERPRISE_REVIEWER), user__is_active=True
    ).order_by("id")
    for membership in memberships:
        chosen = reporters if membership.role == Role.ENTERPRISE_REPORTER else reviewers
        chosen.setdefault(membership.enterprise_id, membership.user_id)
    return People(analyst.id, history_user().id, reporters, reviewers)


# --- planning --------------------------------------------------------------------------------


@dataclass
class PlannedUpdate:
    day: date
    milestone: int | None  # the position of the measure it completes (0-based), if any
    state: str  # approved, submitted, returned, draft
    text: str
    returned_on: date | None = None  # returned once before (approved) or now (returned)
    reason: str = ""
    _times: "UpdateTimes | None" = None

    def times(self) -> "UpdateTimes":
        if self._times is None:
            self._times = update_times(self)
        return self._times


@dataclass
class PlannedTask:
    owner: int
    supervisor: int
    task: CatalogueTask
    area: str
    programme: str
    catalogue_id: int
    weight: int
    assigned: date
    due: date
    measures: list[str]
    author: int
    reviewer: int
    updates: list[PlannedUpdate] = field(default_factory=list)
    requested: date | None = None  # handed in for verification
    verified: date | None = None
    cancelled: date | None = None
    cancel_reason: str = ""

    @property
    def done(self) -> int:
        return sum(
            1 for u in self.updates if u.milestone is not None and u.state == UpdateState.APPROVED
        )

    @property
    def status(self) -> str:
        if self.cancelled:
            return Status.CANCELLED
        if self.verified:
            return Status.VERIFIED
        if self.requested:
            return Status.AWAITING_VERIFICATION
        approved = any(u.state == UpdateState.APPROVED for u in self.updates)
        return Status.IN_PROGRESS if approved else Status.OPEN

    @property
    def progress(self) -> int:
        if self.verified:
            return 100
        return milestone_progress(self.done, len(self.measures))

    def facts(self) -> TaskFacts:
        points, done = [], 0
        for update in self.updates:
            if update.state == UpdateState.APPROVED:
                done += update.milestone is not None
                points.append((update.day, milestone_progress(done, len(self.measures))))
        return TaskFacts(
            weight=self.weight,
            assigned_on=self.assigned,
            due_on=self.due,
            verified_on=self.verified,
            cancelled_on=self.cancelled,
            progress=tuple(points),
        )

    def key(self) -> TaskKey:
        return TaskKey(self.owner, self.supervisor, self.programme, self.area)


@dataclass
class Owner:
    id: int
    supervisor: int
    group: bool


class Planner:
    """Draws each assignment's history; one random stream, so the same seed plans the same."""

    def __init__(self, seed, today: date, people: People, tree: TreeSnapshot) -> None:
        self.rng = random.Random(f"{seed}:reform")
        self.today = today
        self.people = people
        self.tree = tree
        self.normal = NormalDist()
        self.scores = {
            c.code: self._scores(list(c.tasks.values_list("deadline", flat=True)))
            for c in current_catalogues()
        }

    def _scores(self, deadlines: list[date]) -> dict[date, float]:
        """Each deadline's normal score by its rank among the catalogue's, standardised."""
        ranks = {}
        for deadline in set(deadlines):
            below = sum(1 for d in deadlines if d < deadline)
            same = sum(1 for d in deadlines if d == deadline)
            ranks[deadline] = min(max((below + same / 2) / len(deadlines), 0.01), 0.99)
        scores = [self.normal.inv_cdf(ranks[d]) for d in deadlines]
        mean = sum(scores) / len(scores)
        spread = (sum((x - mean) ** 2 for x in scores) / len(scores)) ** 0.5 or 1.0
        return {d: (self.normal.inv_cdf(rank) - mean) / spread for d, rank in ranks.items()}

    def finish_share(self, programme: str, deadline: date) -> float:
        """A task's place on its programme's curve: uniform over the tasks, and earlier for an
        earlier deadline (a Gaussian copula with the deadline's rank among the catalogue's)."""
        score = self.scores[programme].get(deadline, 0.0)
        noise = (1 - DEADLINE_LINK**2) ** 0.5 * self.rng.gauss(0, 1)
        return self.normal.cdf(DEADLINE_LINK * score + noise)

    def task(self, owner: Owner, catalogue: Catalogue, task: CatalogueTask, areas, window):
        rng = self.rng
        assigned = _between(rng, *window)
        due = task.deadline
        weight = task.weight
        if not owner.group and rng.random() < 0.15:  # 一企一策: a later deadline for some
            due = min(due + timedelta(days=rng.choice((92, 183))), catalogue.ends_on)
        if rng.random() < 0.1:
            weight = max(1, weight + rng.choice((-1, 1, 2)))
        return PlannedTask(
            owner=owner.id,
            supervisor=owner.supervisor,
            task=task,
            area=areas[task.area_id],
            programme=catalogue.code,
            catalogue_id=catalogue.id,
            weight=weight,
            assigned=assigned,
            due=due,
            measures=[m["zh"] for m in task.measures],
            author=self.people.reporter(owner.id, self.tree),
            reviewer=self.people.reviewer(owner.id, self.tree),
        )

    def history(self, planned: PlannedTask, curve, *, updates: int | None = None) -> None:
        """Fill in the updates and the verdict: finished on the curve, or still open today."""
        rng = self.rng
        share = self.finish_share(planned.programme, planned.task.deadline)
        finish = _finish_on(curve, share)
        if finish is not None:
            finish = max(finish, planned.assigned + timedelta(days=30))
        if finish is not None and finish <= self.today - timedelta(days=2):
            self._finished(planned, finish, updates)
        elif rng.random() < 0.12:
            end = min(self.today - timedelta(days=20), planned.due + timedelta(days=200))
            day = _between(rng, planned.assigned + timedelta(days=60), end)
            self._cancelled(planned, day, updates)
        else:
            self._open(planned, updates)

    def _days(self, first: date, last: date, count: int) -> list[date]:
        if count <= 0:
            return []
        last = max(last, first)
        return sorted(_between(self.rng, first, last) for _ in range(count))

    def _write_updates(self, planned, days, milestones, final_state=UpdateState.APPROVED):
        rng = self.rng
        extra = len(days) - len(milestones)
        for index, day in enumerate(days):
            milestone = milestones[index - extra] if index >= extra else None
            text = (
                rng.choice(PROGRESS_TEXTS).format(measure=planned.measures[milestone])
                if milestone is not None
                else rng.choice(OPENING_TEXTS)
            )
            state = UpdateState.APPROVED if index < len(days) - 1 else final_state
            update = PlannedUpdate(day, milestone, state, text)
            earliest = (days[index - 1] if index else planned.assigned) + timedelta(days=3)
            returned_on = day - timedelta(days=rng.randint(4, 12))
            if state == UpdateState.APPROVED and rng.random() < 0.08 and returned_on >= earliest:
                update.returned_on = returned_on
                update.reason = rng.choice(RETURN_REASONS)
            planned.updates.append(update)

    def _finished(self, planned: PlannedTask, finish: date, updates: int | None) -> None:
        count = len(planned.measures)
        total = updates if updates is not None else count + (self.rng.random() < 0.5)
        total = max(total, count)
        start = planned.assigned + timedelta(days=10)
        days = self._days(start, finish - timedelta(days=12), total)
        self._write_updates(planned, days, list(range(count)))
        requested = finish - timedelta(days=self.rng.randint(3, 10))
        planned.requested = max(requested, days[-1] + timedelta(days=1))
        planned.verified = max(finish, planned.requested)

    def _cancelled(self, planned: PlannedTask, day: date, updates: int | None) -> None:
        done = self.rng.randint(0, max(len(planned.measures) - 2, 0))
        total = max(updates if updates is not None else done + 1, done)
        days = self._days(planned.assigned + timedelta(days=10), day - timedelta(days=5), total)
        self._write_updates(planned, days, list(range(done)))
        planned.cancelled = day
        planned.cancel_reason = self.rng.choice(CANCEL_REASONS)

    def _open(self, planned: PlannedTask, updates: int | None) -> None:
        """Still open today: most overdue with measures left; some handed in; some with an
        update waiting for review or returned."""
        rng = self.rng
        count = len(planned.measures)
        kind = rng.random()
        recent = self.today - timedelta(days=rng.randint(5, 40))
        if kind < 0.2:  # every measure done, handed in, waiting for the supervisor
            total = max(updates or count, count)
            days = self._days(planned.assigned + timedelta(days=10), recent, total)
            self._write_updates(planned, days, list(range(count)))
            planned.requested = min(max(days[-1] + timedelta(days=1), recent), self.today)
            return
        done = rng.randint(0, count - 1)
        pending = kind < 0.55  # the last update waits for review, or was returned
        total = max(updates if updates is not None else done + 1 + pending, done + pending)
        days = self._days(planned.assigned + timedelta(days=10), recent, total)
        milestones = list(range(done + pending))
        if not pending:
            self._write_updates(planned, days, milestones)
            return
        state = UpdateState.SUBMITTED if kind < 0.42 else UpdateState.RETURNED
        self._write_updates(planned, days, milestones, final_state=state)
        last = planned.updates[-1]
        if state == UpdateState.RETURNED:
            last.returned_on = min(last.day + timedelta(days=rng.randint(2, 6)), self.today)
            last.reason = rng.choice(RETURN_REASONS)


# --- writing ---------------------------------------------------------------------------------


ITEM_COLUMNS = [
    "created_at", "updated_at", "register", "supervisor_id", "owner_id", "title", "description",
    "source", "source_kind", "source_ref", "attributes", "responsible_name", "opened_on",
    "due_date", "status", "progress", "progress_rule", "last_activity_at", "closed_on",
    "created_by_id",
]  # fmt: skip
TASK_COLUMNS = [
    "item_id", "owner_id", "supervisor_id", "assigned_on", "catalogue_id", "programme", "area",
    "catalogue_task_id", "weight", "target_value", "target_unit",
]  # fmt: skip
MILESTONE_COLUMNS = ["item_id", "position", "title", "done_on"]
UPDATE_COLUMNS = [
    "created_at", "updated_at", "item_id", "text", "progress", "milestones_done", "author_id",
    "written_at", "state", "submitted_at", "reviewed_by_id", "reviewed_at", "return_reason",
]  # fmt: skip
EVENT_COLUMNS = ["item_id", "action", "actor_id", "at", "update_id", "before", "after", "reason"]


def _json(value) -> str:
    return orjson.dumps(value).decode()


class Writer:
    """Writes planned assignments in chunks: items, tasks, milestones, updates, events."""

    def __init__(self, people: People, catalogues: dict[int, Catalogue]) -> None:
        self.people = people
        self.catalogues = catalogues
        # Times and days repeat across thousands of rows: prepare each once.
        self.stamp = lru_cache(maxsize=None)(connection.ops.adapt_datetimefield_value)
        self.day = lru_cache(maxsize=None)(connection.ops.adapt_datefield_value)
        self.counts = Counter()

    def _new_ids(self, model, after: int, count: int) -> list[int]:
        ids = list(
            model.objects.filter(id__gt=after).order_by("id").values_list("id", flat=True)[:count]
        )
        if len(ids) != count:
            raise RuntimeError(f"expected {count} new {model.__name__} rows, found {len(ids)}")
        return ids

    @staticmethod
    def _last(model) -> int:
        return model.objects.aggregate(last=Max("id"))["last"] or 0

    def write(self, planned: list[PlannedTask]) -> None:
        for start in range(0, len(planned), CHUNK):
            self._chunk(planned[start : start + CHUNK])

    def _item_row(self, p: PlannedTask, last_activity: datetime) -> tuple:
        catalogue = self.catalogues[p.catalogue_id]
        target = services.target_text(p.task.target_value, p.task.target_unit)
        description = f"{catalogue.name_zh} · {p.task.area.name_zh}"
        if target:
            description += f"\n目标：{target}"
        closed = p.verified or p.cancelled
        opened = datetime.combine(p.assigned, time(9, 0), tzinfo=CHINA)
        return (
            self.stamp(opened), self.stamp(last_activity), Register.REFORM_TASK, p.supervisor,
            p.owner, p.task.name_zh, description, f"{catalogue.name_zh}（{catalogue.version}）",
            services.SOURCE_KIND, f"{catalogue.code}:{p.task.code}", "{}", "", self.day(p.assigned),
            self.day(p.due), p.status, p.progress, ProgressRule.MILESTONES,
            self.stamp(last_activity), self.day(closed) if closed else None, self.people.analyst,
        )  # fmt: skip

    def _chunk(self, planned: list[PlannedTask]) -> None:
        events_of = [self._timeline(p) for p in planned]
        last_item = self._last(TrackedItem)
        bulk_insert(
            TrackedItem,
            ITEM_COLUMNS,
            [self._item_row(p, ev[-1][1]) for p, ev in zip(planned, events_of, strict=True)],
        )
        item_ids = self._new_ids(TrackedItem, last_item, len(planned))
        bulk_insert(
            ReformTask,
            TASK_COLUMNS,
            [
                (item_id, p.owner, p.supervisor, self.day(p.assigned), p.catalogue_id,
                 p.programme, p.area, p.task.id, p.weight, p.task.target_value,
                 p.task.target_unit)
                for item_id, p in zip(item_ids, planned, strict=True)
            ],
        )  # fmt: skip
        last_milestone = self._last(Milestone)
        milestone_rows, done_days = [], {}
        for item_id, p in zip(item_ids, planned, strict=True):
            for update in p.updates:
                if update.milestone is not None and update.state == UpdateState.APPROVED:
                    done_days[item_id, update.milestone] = update.day
            for position, title in enumerate(p.measures):
                done = done_days.get((item_id, position))
                milestone_rows.append(
                    (item_id, position + 1, title, self.day(done) if done else None)
                )
        bulk_insert(Milestone, MILESTONE_COLUMNS, milestone_rows)
        milestone_ids = self._new_ids(Milestone, last_milestone, len(milestone_rows))
        ids_of, cursor = {}, 0
        for item_id, p in zip(item_ids, planned, strict=True):
            ids_of[item_id] = milestone_ids[cursor : cursor + len(p.measures)]
            cursor += len(p.measures)
        last_update = self._last(ItemUpdate)
        update_rows = []
        for item_id, p in zip(item_ids, planned, strict=True):
            done = 0
            for update in p.updates:
                ids = [ids_of[item_id][update.milestone]] if update.milestone is not None else []
                done += bool(ids)
                times = update.times()
                submitted = times.submitted or times.first_submitted
                reviewed = times.approved or (
                    times.returned if update.state == UpdateState.RETURNED else None
                )
                written = times.written
                update_rows.append(
                    (self.stamp(written), self.stamp(reviewed or submitted or written), item_id,
                     update.text, milestone_progress(done, len(p.measures)), _json(ids),
                     p.author, self.stamp(written), update.state,
                     self.stamp(submitted) if submitted else None,
                     p.reviewer if reviewed else None, self.stamp(reviewed) if reviewed else None,
                     update.reason if update.state == UpdateState.RETURNED else "")
                )  # fmt: skip
        bulk_insert(ItemUpdate, UPDATE_COLUMNS, update_rows)
        update_ids = self._new_ids(ItemUpdate, last_update, len(update_rows))
        self._link_milestones(update_ids, item_ids, planned, ids_of)
        event_rows, cursor = [], 0
        for item_id, p, timeline in zip(item_ids, planned, events_of, strict=True):
            own = update_ids[cursor : cursor + len(p.updates)]
            cursor += len(p.updates)
            for action, at, actor, update_index, after, reason in timeline:
                update_id = own[update_index] if update_index is not None else None
                if update_id is not None:
                    after = {"update": update_id, **after}
                event_rows.append(
                    (item_id, action, actor, self.stamp(at), update_id, "{}", _json(after), reason)
                )
        bulk_insert(ItemEvent, EVENT_COLUMNS, event_rows)
        self.counts["items"] += len(planned)
        self.counts["updates"] += len(update_rows)
        self.counts["events"] += len(event_rows)
        self.counts.update(p.status for p in planned)

    def _link_milestones(self, update_ids, item_ids, planned, ids_of) -> None:
        """Each done milestone names the update that completed it."""
        pairs, cursor = [], 0
        for item_id, p in zip(item_ids, planned, strict=True):
            for offset, update in enumerate(p.updates):
                if update.milestone is not None and update.state == UpdateState.APPROVED:
                    pairs.append((ids_of[item_id][update.milestone], update_ids[cursor + offset]))
            cursor += len(p.updates)
        table = connection.ops.quote_name(Milestone._meta.db_table)
        with connection.cursor() as cursor_:
            for start in range(0, len(pairs), 500):
                part = pairs[start : start + 500]
                cases = " ".join("WHEN %s THEN %s" for _pair in part)
                marks = ", ".join("%s" for _pair in part)
                params = [value for pair in part for value in pair] + [m for m, _u in part]
                cursor_.execute(
                    f"UPDATE {table} SET done_by_update_id = CASE id {cases} END "
                    f"WHERE id IN ({marks})",
                    params,
                )

    def _timeline(self, p: PlannedTask) -> list[tuple]:
        """The item's history: (action, at, actor, update index, after, reason), in order."""
        analyst = self.people.analyst
        opened = datetime.combine(p.assigned, time(9, 0), tzinfo=CHINA)
        events = [
            (EventAction.CREATED, opened, analyst, None,
             {"register": Register.REFORM_TASK, "owner": p.owner, "title": p.task.name_zh,
              "due_date": p.due.isoformat(), "progress_rule": ProgressRule.MILESTONES,
              "milestones": p.measures}, "")
        ]  # fmt: skip
        done = 0
        for index, update in enumerate(p.updates):
            times = update.times()
            milestones = [update.milestone] if update.milestone is not None else []
            events.append((EventAction.UPDATE_ADDED, times.written, p.author, index, {}, ""))
            if update.state == UpdateState.DRAFT:
                continue
            submitted = {"state": "submitted", "milestones": milestones}
            events.append((EventAction.UPDATE_SUBMITTED, times.first_submitted, p.author, index,
                           submitted, ""))  # fmt: skip
            if times.returned:
                events.append((EventAction.UPDATE_RETURNED, times.returned, p.reviewer, index,
                               {"state": "returned"}, update.reason))  # fmt: skip
            if update.state != UpdateState.APPROVED:
                continue
            if times.returned:
                events.append((EventAction.UPDATE_EDITED, times.returned + timedelta(hours=2),
                               p.author, index, {}, ""))  # fmt: skip
                events.append((EventAction.UPDATE_SUBMITTED, times.submitted, p.author, index,
                               submitted, ""))  # fmt: skip
            done += bool(milestones)
            after = {"status": Status.IN_PROGRESS,
                     "progress": milestone_progress(done, len(p.measures))}  # fmt: skip
            events.append((EventAction.UPDATE_APPROVED, times.approved, p.reviewer, index,
                           after, ""))  # fmt: skip
        if p.requested:
            events.append(
                (
                    EventAction.VERIFICATION_REQUESTED,
                    _clock(p.requested, 14),
                    p.reviewer,
                    None,
                    {"status": Status.AWAITING_VERIFICATION},
                    "",
                )
            )
        if p.verified:
            events.append(
                (
                    EventAction.VERIFIED,
                    _clock(p.verified, 16, 30),
                    analyst,
                    None,
                    {"status": Status.VERIFIED, "progress": 100},
                    "经核查，任务已完成，佐证材料齐全。",
                )
            )
        if p.cancelled:
            events.append((EventAction.CANCELLED, _clock(p.cancelled, 16), analyst, None,
                           {"status": Status.CANCELLED}, p.cancel_reason))  # fmt: skip
        events.sort(key=lambda event: event[1])
        return events


# --- the Liaoning demo -----------------------------------------------------------------------


def _owners(tree: TreeSnapshot, supervisor: Supervisor, rng: random.Random, keep: set[int]):
    """The supervisor's groups and a sample of their direct subsidiaries, active today."""
    active = set(
        Enterprise.objects.filter(
            status=EnterpriseStatus.ACTIVE, portfolio=Portfolio.OWN
        ).values_list("id", flat=True)
    )
    groups = sorted(g for g, s in tree.supervisor_of_group.items() if s == supervisor.id)
    groups = [g for g in groups if g in active]
    subsidiaries = sorted(
        child for g in groups for child in tree.children.get(g, ()) if child in active
    )
    sample = {s for s in subsidiaries if rng.random() < SUBSIDIARY_SHARE} | (
        keep & set(subsidiaries)
    )
    return [Owner(g, supervisor.id, True) for g in groups] + [
        Owner(s, supervisor.id, False) for s in sorted(sample)
    ]


def _plan_programme(planner: Planner, catalogue: Catalogue, owners: list[Owner]):
    tasks = list(catalogue.tasks.select_related("area").order_by("position"))
    areas = {task.area_id: task.area.code for task in tasks}
    subsidiary = [t for t in tasks if t.code in SUBSIDIARY_TASKS.get(catalogue.code, ())]
    group_window, subsidiary_window = WINDOWS.get(
        catalogue.code, ((catalogue.starts_on, catalogue.starts_on + timedelta(days=60)),) * 2
    )
    planned = []
    for owner in owners:
        chosen = tasks if owner.group else subsidiary
        window = group_window if owner.group else subsidiary_window
        for task in chosen:
            planned.append(planner.task(owner, catalogue, task, areas, window))
    return planned


def _catalogues() -> dict[str, Catalogue]:
    load_built_in()
    found = {c.code: c for c in current_catalogues()}
    missing = {THREE_YEAR, DEEPENING} - set(found)
    if missing:
        raise DomainError(
            _("The reform catalogues %(codes)s are not loaded.") % {"codes": ", ".join(missing)},
            code="demo_catalogue",
        )
    return found


def _keep_demo_enterprises() -> set[int]:
    return set(
        Membership.objects.filter(
            role__in=(Role.ENTERPRISE_REPORTER, Role.ENTERPRISE_REVIEWER),
            enterprise__isnull=False,
        ).values_list("enterprise_id", flat=True)
    )


def _snapshots(planned_facts: list[tuple[TaskKey, TaskFacts]], today: date) -> dict:
    if not planned_facts:
        return {"enterprise_rows": 0, "rollup_rows": 0}
    first = min(facts.assigned_on for _key, facts in planned_facts)
    months = month_ends(first, last_closed_month_end(today))
    owners = {key.owner for key, _facts in planned_facts}
    cities = dict(Enterprise.objects.filter(id__in=owners).values_list("id", "city_code"))
    computed = snapshots.compute(
        planned_facts, months, cities=cities, groups=snapshots.groups_by_month(owners, months)
    )
    return snapshots.write_rows(computed)


def load_liaoning(seed: int, today: date) -> Counter:
    catalogues = _catalogues()
    supervisor = Supervisor.objects.filter(code=SUPERVISOR).first()
    if supervisor is None:
        raise DomainError(
            _("The demo registry is incomplete: load it again with load_demo --reset."),
            code="demo_registry",
        )
    people = _people()
    keep = _keep_demo_enterprises()
    by_id = {c.id: c for c in catalogues.values()}
    writer = Writer(people, by_id)
    facts = []
    for code in (THREE_YEAR, DEEPENING):
        catalogue = catalogues[code]
        tree = tree_at(WINDOWS[code][0][0])
        planner = Planner(f"{seed}:{code}", today, people, tree_at(today))
        owners = _owners(tree, supervisor, random.Random(f"{seed}:reform:{code}"), keep)
        planned = _plan_programme(planner, catalogue, owners)
        for task in planned:
            planner.history(task, CURVES[code])
        writer.write(planned)
        facts += [(task.key(), task.facts()) for task in planned]
    own = _own_tasks(catalogues[DEEPENING], today)
    facts += own
    _snapshots(facts, today)
    reports = write_reports(seed=seed, today=today)
    writer.counts["reports"] = reports
    return writer.counts


def _own_tasks(catalogue: Catalogue, today: date) -> list[tuple[TaskKey, TaskFacts]]:
    """Tasks of the supervisor's own for the demo users' group and subsidiary, through the
    services on their own days: one on track with a measure proposed, one at risk."""
    analyst = User.objects.get(username="analyst")
    reporter = User.objects.filter(username="reporter").first()
    reviewer = User.objects.filter(username="group_reviewer").first()
    memberships = {
        m.user.username: m.enterprise
        for m in Membership.objects.filter(
            user__username__in=("reporter", "sub_reporter"), role=Role.ENTERPRISE_REPORTER
        ).select_related("user", "enterprise")
    }
    group, subsidiary = memberships.get("reporter"), memberships.get("sub_reporter")
    if group is None or subsidiary is None or reporter is None or reviewer is None:
        return []
    opened_on = today - timedelta(days=120)
    with on_day(opened_on):
        review = services.own_task_create(
            acting_user=analyst,
            owner=group,
            catalogue=catalogue,
            area_code="governance",
            title="深化提升行动收官评估发现问题整改",
            description="2026年上半年深化提升行动收官评估发现：部分子企业董事会授权事项清单未动态调整。",
            measures=["制定整改方案", "修订授权事项清单", "子企业董事会审议通过", "整改成效评估"],
            weight=4,
            deadline=today + timedelta(days=64),
            responsible_name="陈静（改革办）",
        )
        risky = services.own_task_create(
            acting_user=analyst,
            owner=subsidiary,
            catalogue=catalogue,
            area_code="market_mechanisms",
            title="推行管理人员末等调整和不胜任退出",
            measures=["制定实施办法", "完成年度考核", "落实调整退出"],
            weight=3,
            deadline=today + timedelta(days=30),
            responsible_name="刘洋（人力资源部）",
        )
    steps = list(review.item.milestones.order_by("position").values_list("id", flat=True))
    with on_day(opened_on + timedelta(days=20)):
        update = ledger_services.item_update_add(
            acting_user=reporter,
            item=review.item,
            text="整改方案已经集团党委会前置研究、董事会审议通过。",
            milestones=steps[:1],
            submit=True,
        )
    with on_day(opened_on + timedelta(days=22)):
        ledger_services.item_update_approve(acting_user=reviewer, update=update)
    with on_day(today - timedelta(days=6)):
        services.measure_propose(
            acting_user=reporter,
            task=review,
            title="建立授权事项动态评估机制",
            note="每年对授权事项执行情况开展一次评估，作为调整依据。",
        )
    mine = {review.item_id, risky.item_id}
    return [(key, facts) for item_id, key, facts in snapshots.task_facts_of(mine)]


# --- at scale --------------------------------------------------------------------------------


def load_scaled(seed: int, tasks_per_enterprise: int, today: date) -> Counter:
    catalogues = _catalogues()
    people = _people()
    by_id = {c.id: c for c in catalogues.values()}
    writer = Writer(people, by_id)
    tree = tree_at(today)
    planner = Planner(seed, today, people, tree)
    supervisors = tree.supervisors()
    enterprises = sorted(
        e
        for e in Enterprise.objects.filter(
            status=EnterpriseStatus.ACTIVE, portfolio=Portfolio.OWN
        ).values_list("id", flat=True)
        if e in supervisors
    )
    three_year, deepening = catalogues[THREE_YEAR], catalogues[DEEPENING]
    three_tasks = list(three_year.tasks.select_related("area").order_by("position"))
    deep_tasks = list(deepening.tasks.select_related("area").order_by("position"))
    first_share = min(len(three_tasks), round(tasks_per_enterprise * 0.6))
    facts = []
    for start in range(0, len(enterprises), 500):
        owners = [
            Owner(e, supervisors[e], tree.supervisor_of_group.get(e) is not None)
            for e in enterprises[start : start + 500]
        ]
        planned = []
        for catalogue, tasks, count in (
            (three_year, three_tasks, first_share),
            (deepening, deep_tasks, tasks_per_enterprise - first_share),
        ):
            count = min(count, len(tasks))
            areas = {task.area_id: task.area.code for task in tasks}
            windows = WINDOWS[catalogue.code]
            for owner in owners:
                chosen = planner.rng.sample(tasks, count)
                window = windows[0] if owner.group else windows[1]
                for task in chosen:
                    task_plan = planner.task(owner, catalogue, task, areas, window)
                    planner.history(task_plan, CURVES[catalogue.code], updates=UPDATES_AT_SCALE)
                    planned.append(task_plan)
        writer.write(planned)
        facts += [(p.key(), p.facts()) for p in planned]
    _snapshots(facts, today)
    return writer.counts


# --- entry points ----------------------------------------------------------------------------


def summary(counts: Counter) -> str:
    return _(
        "Reform programme: %(items)s tasks assigned (%(verified)s verified, %(open)s not "
        "closed), %(updates)s updates, %(reports)s reform-indicator reports; monthly snapshots "
        "since 2020."
    ) % {
        "items": counts["items"],
        "verified": counts[Status.VERIFIED],
        "open": counts[Status.OPEN]
        + counts[Status.IN_PROGRESS]
        + counts[Status.AWAITING_VERIFICATION],
        "updates": counts["updates"],
        "reports": counts["reports"],
    }


def load(*, seed: int, scale: int | None, tasks: int) -> str:
    today = clock.today()
    if ReformTask.objects.exists():
        raise DomainError(
            _(
                "The database already holds reform tasks; nothing was changed. Run load_demo "
                "--reset to replace the demo."
            ),
            code="demo_reform_exists",
        )
    with transaction.atomic():
        if scale is None:
            counts = load_liaoning(seed, today)
        elif tasks > 0:
            counts = load_scaled(seed, tasks, today)
        else:
            return ""
        current.refresh(today)
    return summary(_counted(counts["reports"]))


def _counted(reports: int) -> Counter:
    """What the demo holds now: tasks by status, updates, reports."""
    items = TrackedItem.objects.filter(register=Register.REFORM_TASK)
    counts = Counter(dict(items.values_list("status").annotate(n=Count("id")).order_by()))
    counts["items"] = sum(counts.values())
    counts["updates"] = ItemUpdate.objects.filter(item__register=Register.REFORM_TASK).count()
    counts["reports"] = reports
    return counts


def reset() -> None:
    """Delete the register's own rows (the items go with the ledger's reset, next)."""
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for model in (
            CurrentTally, CurrentMark, EnterpriseSnapshot, RollupSnapshot, MeasureProposal,
            ReformTask,
        ):  # fmt: skip
            cursor.execute(f"DELETE FROM {quote(model._meta.db_table)}")
