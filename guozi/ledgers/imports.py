"""Whole-file imports of ledger items from .xlsx: the rectifications of an inspection or audit
(巡视/审计整改), and the building blocks every register's import uses.

`import_items` reads a workbook of one attribute-only register (a register whose own fields all
live in the item's `attributes`, such as rectifications): one row per item with its owner (USCC
or internal id), title, description, source, due date, responsible person, milestones and the
register's fields. Each row is opened with `guozi.ledgers.services.item_create`, so a row passes
exactly the checks the form and the API apply, all rows inside one transaction. Every problem
of the file is collected and placed (row, column, value, reason); when there is any, or when
only a check was asked for, the transaction is rolled back and nothing is written.

`RowCheck` and `run_rows` do the collecting and the all-or-nothing writing for any register's
import (the legacy-problem register's uses them too).
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import BinaryIO

from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from guozi.lib.errors import DomainError, Forbidden
from guozi.registry.imports import ImportResult, Problem
from guozi.registry.models import Enterprise
from guozi.registry.selectors import find_by_identifier, visible_enterprises

from . import services
from .models import ProgressRule, Register
from .registers import REGISTERS, Attribute, spec_of
from .sheets import Column, Sheet, SheetRow, read_sheet, write_sheet

OWNER = Column(
    "owner",
    gettext_lazy("Owner enterprise"),
    required=True,
    aliases=(
        "uscc",
        "统一社会信用代码",
        "enterprise",
        "enterprise_id",
        "企业",
        "整改单位",
        "责任单位",
    ),
    width=22,
)
TITLE = Column(
    "title", gettext_lazy("Title"), required=True, aliases=("问题", "整改事项", "标题"), width=40
)
DESCRIPTION = Column(
    "description",
    gettext_lazy("Finding and what is to be done"),
    aliases=("description", "问题描述", "描述", "整改要求"),
    width=40,
)
SOURCE = Column("source", gettext_lazy("Source"), aliases=("问题来源", "发现来源"), width=24)
DUE_DATE = Column(
    "due_date", gettext_lazy("Due date"), aliases=("整改期限", "完成时限", "截止日期"), width=12
)
RESPONSIBLE = Column(
    "responsible_name", gettext_lazy("Responsible person"), aliases=("责任人", "负责人"), width=14
)
MILESTONES = Column(
    "milestones", gettext_lazy("Milestones"), aliases=("整改节点", "节点", "里程碑"), width=30
)
ITEM_COLUMNS = (OWNER, TITLE, DESCRIPTION, SOURCE, DUE_DATE, RESPONSIBLE, MILESTONES)
MILESTONE_SEPARATORS = ("\n", ";", "；")


# --- reading cells -------------------------------------------------------------------------


def find_owner(user, text: str) -> Enterprise | None:
    """The enterprise with this USCC, internal id or COUNTRY:number, if `user` may see it."""
    found = find_by_identifier(text or "")
    if found is None or not visible_enterprises(user).filter(id=found.id).exists():
        return None
    return found


def parse_day(text: str) -> date | None:
    """A date cell (the reader gives dates as YYYY-MM-DD); None when empty; ValueError when it
    is not a date."""
    text = (text or "").strip()
    if not text:
        return None
    return date.fromisoformat(text[:10] if len(text) > 10 and text[10] == " " else text)


def choice_code(text: str, choices: Iterable[tuple[str, object]]) -> str | None:
    """The code of a choice given by its code or its label in either language; None when it is
    none of them."""
    text = (text or "").strip()
    wanted = text.lower()
    for code, label in choices:
        if wanted == str(code).lower():
            return code
        for language in ("zh-hans", "en"):
            with translation.override(language):
                if wanted == str(label).strip().lower():
                    return code
    return None


def split_milestones(text: str) -> list[str]:
    for separator in MILESTONE_SEPARATORS[1:]:
        text = text.replace(separator, MILESTONE_SEPARATORS[0])
    return [part.strip() for part in text.split(MILESTONE_SEPARATORS[0]) if part.strip()]


# --- collecting the problems of a row --------------------------------------------------------


class RowRefused(Exception):
    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(problems)
        self.problems = problems


@dataclass
class RowCheck:
    """The problems of one row, placed at their cells. A service's field names are mapped to
    the sheet's columns by `columns` (field -> column key); an unknown one is placed at the
    row with the field's name."""

    sheet: Sheet
    row: SheetRow
    columns: dict[str, str] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    def add(self, key: str, reason: str) -> None:
        """A problem of the cell; a cell already found wrong keeps its first reason (a choice
        that cannot be read is not also reported missing by the service)."""
        if key and any(problem.field == key for problem in self.problems):
            return
        self.problems.append(self.sheet.problem(self.row, key, reason))

    def refused(self, error: DomainError, *, forbidden_at: str = "") -> None:
        """A service's refusal: each field's messages at its column, the rest at the row."""
        if isinstance(error, Forbidden) or not error.fields:
            self.add(forbidden_at or "", str(error))
            return
        for name, messages in error.fields.items():
            key = self.columns.get(name, name)
            for message in [messages] if isinstance(messages, str) else messages:
                if key in self.sheet.labels:
                    self.add(key, message)
                else:
                    self.add(key, f"{name}: {message}")

    def done(self) -> None:
        """Refuse the row (its savepoint is rolled back) when it has any problem."""
        if self.problems:
            raise RowRefused(self.problems)


def run_rows(
    sheet: Sheet,
    handle: Callable[[SheetRow], str],
    *,
    dry_run: bool,
    required: Iterable[str] = (),
) -> ImportResult:
    """Run `handle` on every row inside one transaction, each row in a savepoint of its own;
    `handle` writes its row through the services and returns "created" or "updated", or raises
    `RowRefused`. Nothing is kept unless every row passed and `dry_run` is false."""
    result = sheet.result()
    result.dry_run = dry_run
    result.errors = list(sheet.problems)
    if not sheet.rows or any(key not in sheet.labels for key in required):
        return result
    with transaction.atomic():
        for row in sheet.rows:
            try:
                with transaction.atomic():
                    outcome = handle(row)
            except RowRefused as refused:
                result.errors.extend(refused.problems)
                continue
            if outcome == "updated":
                result.updated += 1
            elif outcome == "unchanged":
                result.unchanged += 1
            else:
                result.created += 1
        if result.errors or dry_run:
            transaction.set_rollback(True)
        else:
            result.written = True
    return result


class Duplicates:
    """Rows of one file that say the same thing twice: the first row a key was seen on."""

    def __init__(self) -> None:
        self.seen: dict[tuple, int] = {}

    def first(self, key: tuple, row: SheetRow) -> int | None:
        earlier = self.seen.get(key)
        if earlier is None:
            self.seen[key] = row.number
        return earlier


# --- items of an attribute-only register -----------------------------------------------------


def attribute_only(register: str) -> bool:
    spec = REGISTERS.get(register)
    return spec is not None and spec.panel is None


def _attribute_column(attribute: Attribute) -> Column:
    return Column(attribute.key, attribute.label, width=30 if attribute.kind == "text" else 14)


def columns_for(register: str) -> list[Column]:
    """The columns of a register's item workbook: the item's, then the register's fields."""
    spec = spec_of(register)
    return [*ITEM_COLUMNS, *(_attribute_column(a) for a in spec.attributes)]


def write_template(stream: BinaryIO, register: str) -> None:
    """An empty workbook with the register's columns, in the user's language."""
    write_sheet(stream, str(Register(register).label), columns_for(register), [])


def _attributes(check: RowCheck, attributes: tuple[Attribute, ...]) -> dict:
    """The register's fields of a row; a choice may be given by its label."""
    values = {}
    for attribute in attributes:
        text = check.row.cells.get(attribute.key, "")
        if attribute.kind == "choice" and text:
            code = choice_code(text, attribute.choices)
            if code is None:
                check.add(
                    attribute.key,
                    _("Choose one of: %(choices)s.")
                    % {"choices": ", ".join(f"{c} ({label})" for c, label in attribute.choices)},
                )
                continue
            text = code
        if text:
            values[attribute.key] = text
    return values


def import_items(
    *, acting_user, path: Path, name: str, register: str = Register.RECTIFICATION, dry_run=False
) -> ImportResult:
    """Open one item per row of the workbook, or, on any problem, none; see the module doc."""
    if not attribute_only(register):
        raise DomainError(
            _("Items of the %(register)s register are imported on the register's own page.")
            % {"register": Register(register).label if register in Register.values else register},
            code="register",
        )
    spec = spec_of(register)
    sheet = read_sheet(path, name, columns_for(register))
    columns = {f"attributes.{a.key}": a.key for a in spec.attributes}
    columns["progress_rule"] = "milestones"
    duplicates = Duplicates()

    def handle(row: SheetRow) -> str:
        check = RowCheck(sheet, row, columns)
        cells = row.cells
        owner = None
        if not cells.get("owner"):
            check.add("owner", _("Required."))
        else:
            owner = find_owner(acting_user, cells["owner"])
            if owner is None:
                check.add(
                    "owner",
                    _("No enterprise you can see has the identifier %(value)s.")
                    % {"value": cells["owner"]},
                )
        try:
            due_date = parse_day(cells.get("due_date", ""))
        except ValueError:
            due_date = None
            check.add("due_date", _("Enter a date as YYYY-MM-DD."))
        if owner is not None and cells.get("title"):
            earlier = duplicates.first((owner.id, cells["title"].strip()), row)
            if earlier is not None:
                check.add(
                    "title", _("Row %(row)s has the same owner and title.") % {"row": earlier}
                )
        attributes = _attributes(check, spec.attributes)
        milestones = split_milestones(cells.get("milestones", ""))
        if owner is not None:
            try:
                services.item_create(
                    acting_user=acting_user,
                    register=register,
                    owner=owner,
                    title=cells.get("title", ""),
                    due_date=due_date,
                    description=cells.get("description", ""),
                    source=cells.get("source", ""),
                    responsible_name=cells.get("responsible_name", ""),
                    progress_rule=ProgressRule.MILESTONES if milestones else "",
                    milestones=milestones,
                    attributes=attributes,
                )
            except DomainError as error:
                check.refused(error, forbidden_at="owner")
        check.done()
        return "created"

    return run_rows(sheet, handle, dry_run=dry_run, required=("owner", "title"))
