"""The task ledger as an .xlsx workbook, and assignments imported from one.

Export: one row per task, headers in the user's language. Import: one row per assignment
(enterprise, programme, task code, and optionally the enterprise's own weight, deadline and
responsible person: 一企一策). The file is read whole and every problem placed (row, column,
value, reason); nothing is written unless there are none. A workbook exported here imports
again: its other columns (names, status, progress ...) are recognised and ignored.
"""

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import BinaryIO

from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from guozi.ledgers import permissions
from guozi.ledgers.models import Milestone, Status
from guozi.ledgers.sheets import Column, Sheet, read_sheet, write_sheet
from guozi.lib import clock
from guozi.lib.errors import DomainError
from guozi.registry.imports import Problem
from guozi.registry.models import EnterpriseStatus, Portfolio
from guozi.registry.selectors import find_by_identifier, visible_enterprises

from . import services
from .catalogues import current_catalogues
from .models import ReformTask

ENTERPRISE = Column(
    "enterprise",
    gettext_lazy("Enterprise identifier"),
    required=True,
    aliases=("uscc", "identifier", "统一社会信用代码", "企业代码"),
    width=22,
)
PROGRAMME = Column(
    "catalogue",
    gettext_lazy("Programme"),
    required=True,
    aliases=("programme", "改革行动", "行动"),
    width=18,
)
TASK = Column(
    "task", gettext_lazy("Task code"), required=True, aliases=("task_code", "任务编码"), width=22
)
WEIGHT = Column("weight", gettext_lazy("Weight"), aliases=("权重",), width=8)
DEADLINE = Column("deadline", gettext_lazy("Deadline"), aliases=("完成时限", "截止日期"), width=12)
RESPONSIBLE = Column(
    "responsible", gettext_lazy("Responsible person"), aliases=("责任人",), width=14
)
IMPORTED = (ENTERPRISE, PROGRAMME, TASK, WEIGHT, DEADLINE, RESPONSIBLE)
# Written by the export for people to read; an import of that file ignores them.
EXPORT_ONLY = (
    Column("item", gettext_lazy("No."), width=8),
    Column("enterprise_name", gettext_lazy("Enterprise name"), width=30),
    Column("area", gettext_lazy("Task area"), width=24),
    Column("title", gettext_lazy("Task title"), width=40),
    Column("target", gettext_lazy("Target"), width=10),
    Column("status", gettext_lazy("Status"), width=14),
    Column("progress", gettext_lazy("Percent complete"), width=10),
    Column("measures", gettext_lazy("Measures done"), width=10),
    Column("verified_on", gettext_lazy("Verified on"), width=12),
)
EXPORT_COLUMNS = [
    EXPORT_ONLY[0],
    EXPORT_ONLY[1],
    ENTERPRISE,
    PROGRAMME,
    EXPORT_ONLY[2],
    TASK,
    EXPORT_ONLY[3],
    WEIGHT,
    EXPORT_ONLY[4],
    DEADLINE,
    EXPORT_ONLY[5],
    EXPORT_ONLY[6],
    EXPORT_ONLY[7],
    EXPORT_ONLY[8],
    RESPONSIBLE,
]


# --- export ----------------------------------------------------------------------------------


def _row(task: ReformTask, areas: dict, done: dict) -> list:
    item = task.item
    measures = done.get(item.id, (0, 0))
    return [
        item.id,
        task.owner.name,
        task.owner.identifier,
        task.programme,
        areas.get((task.programme, task.area), task.area),
        task.catalogue_task.code if task.catalogue_task else "",
        item.title,
        task.weight,
        services.target_text(task.target_value, task.target_unit),
        item.due_date,
        item.get_status_display(),
        item.progress,
        f"{measures[0]}/{measures[1]}",
        item.closed_on if item.status == Status.VERIFIED else None,
        item.responsible_name,
    ]


def export_ledger(tasks: QuerySet[ReformTask], stream: BinaryIO, stamp: str = "") -> int:
    """Write the tasks to `stream`; returns the number of rows written."""
    areas = {(c.code, a.code): a.name for c in current_catalogues() for a in c.areas.all()}
    chosen = list(tasks[:100_000])
    counts = (
        Milestone.objects.filter(item_id__in=[t.item_id for t in chosen])
        .values("item_id")
        .annotate(n=Count("id"), done=Count("id", filter=Q(done_on__isnull=False)))
        .order_by()
    )
    done = {row["item_id"]: (row["done"], row["n"]) for row in counts}
    rows = (_row(task, areas, done) for task in chosen)
    return write_sheet(stream, _("Reform tasks"), EXPORT_COLUMNS, rows, stamp)


# --- import ----------------------------------------------------------------------------------


@dataclass
class Outcome:
    file: str
    rows: int = 0
    problems: list[Problem] = field(default_factory=list)
    created: int = 0
    written: bool = False

    @property
    def ok(self) -> bool:
        return not self.problems


def _catalogue_tasks() -> dict[str, tuple]:
    """Each current programme's code → (catalogue, its tasks by code)."""
    return {c.code: (c, {t.code: t for t in c.tasks.all()}) for c in current_catalogues()}


class _Checker:
    """Checks the rows of a sheet; collects every problem with its place."""

    def __init__(self, user, sheet: Sheet) -> None:
        self.user = user
        self.sheet = sheet
        self.managed = permissions.managed_supervisor_ids(user)
        self.visible = set(visible_enterprises(user).values_list("id", flat=True))
        self.found: dict[str, object] = {}
        self.catalogues = _catalogue_tasks()
        self.today = clock.today()
        self.seen: dict[tuple[int, int], object] = {}  # the row that asked for the pair
        self.pairs: list[services.Pair] = []

    def fail(self, row, key: str, reason: str) -> None:
        self.sheet.problems.append(self.sheet.problem(row, key, reason))

    def enterprise(self, row):
        text = row.cells.get("enterprise", "")
        if not text:
            self.fail(row, "enterprise", _("Required."))
            return None
        if text not in self.found:
            self.found[text] = find_by_identifier(text)
        found = self.found[text]
        if found is None or found.id not in self.visible:
            self.fail(
                row,
                "enterprise",
                _("No enterprise you can see has the identifier %(value)s.") % {"value": text},
            )
            return None
        if found.supervisor_id not in self.managed:
            self.fail(
                row,
                "enterprise",
                _("%(name)s is not an enterprise of your own supervisor's portfolio.")
                % {"name": found.name},
            )
            return None
        if found.status != EnterpriseStatus.ACTIVE or found.portfolio != Portfolio.OWN:
            self.fail(
                row,
                "enterprise",
                _("%(name)s is not an active enterprise of the portfolio.") % {"name": found.name},
            )
            return None
        return found

    def task(self, row):
        code = row.cells.get("catalogue", "")
        known = self.catalogues.get(code)
        if known is None:
            reason = (
                _("Required.")
                if not code
                else _("No programme %(value)s; the programmes are: %(known)s.")
                % {"value": code, "known": ", ".join(self.catalogues)}
            )
            self.fail(row, "catalogue", reason)
            return None
        catalogue, tasks = known
        task_code = row.cells.get("task", "")
        task = tasks.get(task_code)
        if task is None:
            reason = (
                _("Required.")
                if not task_code
                else _("%(programme)s has no task %(value)s.")
                % {"programme": catalogue.name, "value": task_code}
            )
            self.fail(row, "task", reason)
        return task

    def weight(self, row) -> int | None:
        errors: dict = {}
        value = services.check_weight(row.cells.get("weight", ""), errors)
        if errors:
            self.fail(row, "weight", errors["weight"][0])
        return value

    def deadline(self, row, task) -> date | None:
        text = row.cells.get("deadline", "")
        day = None
        if text:
            try:
                day = date.fromisoformat(text[:10])
            except ValueError:
                self.fail(row, "deadline", _("Enter a date as YYYY-MM-DD."))
                return None
            if day < self.today:
                self.fail(row, "deadline", _("The deadline cannot be in the past."))
                return None
        elif task is not None and task.deadline < self.today:
            self.fail(
                row,
                "deadline",
                _("Required: the catalogue deadline %(day)s has passed.")
                % {"day": task.deadline.isoformat()},
            )
        return day

    def check(self, row) -> None:
        enterprise = self.enterprise(row)
        task = self.task(row)
        weight = self.weight(row)
        deadline = self.deadline(row, task)
        responsible = row.cells.get("responsible", "")
        if len(responsible) > 100:
            self.fail(row, "responsible", _("At most %(n)s characters.") % {"n": 100})
        if enterprise is None or task is None:
            return
        pair = (enterprise.id, task.id)
        if pair in self.seen:
            self.fail(row, "task", _("Repeats row %(row)s.") % {"row": self.seen[pair].number})
            return
        self.seen[pair] = row
        self.pairs.append(services.Pair(enterprise, task, weight, deadline, responsible))

    def check_assigned(self) -> None:
        if not self.pairs:
            return
        taken = services.already_assigned(
            [p.task for p in self.pairs], [p.enterprise for p in self.pairs]
        )
        for pair in self.pairs:
            if (pair.enterprise.id, pair.task.id) in taken:
                self.fail(
                    self.seen[pair.enterprise.id, pair.task.id],
                    "task",
                    _("Already assigned to this enterprise."),
                )


def import_assignments(*, acting_user, path: Path, file_name: str, dry_run: bool) -> Outcome:
    """Check the whole file; unless `dry_run`, assign its rows when there is no problem."""
    sheet = read_sheet(path, file_name, [*IMPORTED, *EXPORT_ONLY])
    outcome = Outcome(file=file_name, rows=len(sheet.rows))
    checker = _Checker(acting_user, sheet)
    for row in sheet.rows:
        checker.check(row)
    checker.check_assigned()
    outcome.problems = sorted(sheet.problems, key=lambda p: (p.row or 0, p.column))
    if outcome.problems or dry_run:
        return outcome
    try:
        created = services.assign_pairs(acting_user=acting_user, pairs=checker.pairs)
    except DomainError as error:
        outcome.problems = [Problem(file_name, sheet.sheet, None, "", "", str(error))]
        return outcome
    outcome.created, outcome.written = len(created), True
    return outcome
