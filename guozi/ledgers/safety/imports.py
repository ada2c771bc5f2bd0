"""Importing incident reports from a workbook (.xlsx), with whole-file checks.

Each row is either the first report of a new incident (no incident number: the number is given
on import) or a further report of an incident already recorded, keyed by its number: a
supplementary report (补报) within the window, a late correction with its reason after it. The
columns are the export's, so an exported register is a template: change a row's figures and
import it; rows whose figures did not change are counted as unchanged and left alone. Columns
that the register computes (grade, version, status…) are read and ignored.

The whole file is checked first and every problem is placed (row, column, value, reason);
nothing is written unless there is none. The rows are then written in one transaction through
the same services as the pages and the API, so the same rules hold.
"""

import re
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path

from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from guozi.ledgers.models import ACTIVE
from guozi.ledgers.sheets import Column, Sheet, SheetRow, read_sheet
from guozi.lib.clock import CHINA
from guozi.lib.errors import DomainError
from guozi.registry.imports import ImportResult, Problem
from guozi.registry.models import Enterprise
from guozi.registry.selectors import find_by_identifier, visible_enterprises

from . import services
from .models import Incident, IncidentGrade, IncidentType
from .selectors import visible_incidents

# Headers in a context of their own, so that another app's translation of the same words never
# renames this file's columns.
COLUMNS = [
    Column("number", pgettext_lazy("incident column", "Incident number"), width=18),
    Column(
        "enterprise", pgettext_lazy("incident column", "Enterprise"), aliases=("企业",), width=30
    ),
    Column(
        "identifier",
        pgettext_lazy("incident column", "Enterprise identifier"),
        aliases=("USCC", "统一社会信用代码", "identifier"),
        width=22,
    ),
    Column(
        "occurred_at",
        pgettext_lazy("incident column", "Occurred at"),
        aliases=("发生时间",),
        width=17,
    ),
    Column("incident_type", pgettext_lazy("incident column", "Incident type"), width=12),
    Column("place", pgettext_lazy("incident column", "Place"), width=30),
    Column("description", pgettext_lazy("incident column", "What happened"), width=40),
    Column(
        "deaths",
        pgettext_lazy("incident column", "Deaths"),
        required=True,
        aliases=("死亡人数",),
        width=8,
    ),
    Column(
        "serious_injuries",
        pgettext_lazy("incident column", "Serious injuries"),
        required=True,
        aliases=("重伤人数", "重伤（含急性工业中毒）"),
        width=8,
    ),
    Column(
        "direct_loss",
        pgettext_lazy("incident column", "Direct economic loss (万元)"),
        required=True,
        aliases=("直接经济损失", "direct_loss_wan"),
        width=12,
    ),
    Column("reported_at", pgettext_lazy("incident column", "Reported at"), width=17),
    Column(
        "note",
        pgettext_lazy("incident column", "Note or reason"),
        aliases=("note", "备注"),
        width=30,
    ),
    Column("responsible_name", pgettext_lazy("incident column", "Responsible person"), width=12),
    # Computed by the register: exported, ignored on import.
    Column("kind", pgettext_lazy("incident column", "Latest report"), width=10),
    Column("version", pgettext_lazy("incident column", "Version"), width=6),
    Column("grade", pgettext_lazy("incident column", "Grade"), width=10),
    Column("reason", pgettext_lazy("incident column", "Grading reason"), width=40),
    Column("city", pgettext_lazy("incident column", "City"), width=10),
    Column("industry", pgettext_lazy("incident column", "Industry"), width=18),
    Column("status", pgettext_lazy("incident column", "Handling"), width=12),
    Column("item", pgettext_lazy("incident column", "Ledger No."), width=8),
]
LABELS = {column.key: column.label for column in COLUMNS}
# A refusal of the figures as a whole (no incident at all) sits on the first figure's cell.
FIELD_COLUMN = {"__all__": "deaths"}

_TIME = re.compile(
    r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?"
    r"(?:[\sT]+(\d{1,2})\s*[:时]\s*(\d{1,2})\s*(?:[:分]\s*(\d{1,2}(?:\.\d+)?)\s*秒?)?\s*分?)?"
)


def parse_time(text: str) -> datetime | None:
    """2026-08-01 14:30, 2026/8/1 14:30:00, 2026年8月1日 14时30分, or a date alone (midnight),
    as a time in China; None when it is none of them."""
    match = _TIME.fullmatch(text.strip())
    if not match:
        return None
    year, month, day, hour, minute, second = match.groups()
    try:
        return datetime(
            int(year),
            int(month),
            int(day),
            int(hour or 0),
            int(minute or 0),
            int(float(second or 0)),
            tzinfo=CHINA,
        )
    except ValueError:
        return None


def _type_names() -> dict[str, str]:
    """Incident types by code and by name in either language, lower-case."""
    names = {}
    for code in IncidentType.values:
        names[code] = code
        for language in ("zh-hans", "en"):
            with translation.override(language):
                names[str(IncidentType(code).label).lower()] = code
    return names


def _grade_label(grading) -> str:
    return str(IncidentGrade(grading.grade.value).label)


def _wan_to_yuan(text: str):
    """A loss in 万元 as yuan; the text itself when it is no number (the service says why)."""
    try:
        return Decimal(text.replace(",", "").replace("，", "")) * 10_000
    except InvalidOperation:
        return text


@dataclass
class PlannedRow:
    """What the import does with a row, for the page: a new incident or a further report."""

    row: int
    action: str  # "new", "further" or "unchanged"
    number: str
    enterprise: str
    grade: str
    previous_grade: str = ""
    kind: str = ""


@dataclass
class _Checked:
    row: SheetRow
    owner: Enterprise | None = None
    incident: Incident | None = None
    first: services.FirstReport | None = None
    further: services.FurtherReport | None = None
    values: dict = field(default_factory=dict)


class IncidentImport:
    """One file, checked whole (`check`) and written only without errors (`write`)."""

    def __init__(self, user, path: Path, file_name: str) -> None:
        self.user = user
        self.sheet: Sheet = read_sheet(path, file_name, COLUMNS)
        self.result = self.sheet.result()
        self.result.errors.extend(self.sheet.problems)
        self.checked: list[_Checked] = []
        self.plan: list[PlannedRow] = []
        self._types = _type_names()
        self._owners: dict[tuple[str, str], Enterprise | str] = {}
        self._seen_numbers: dict[str, int] = {}
        self._seen_incidents: dict[tuple, int] = {}

    # -- problems ----------------------------------------------------------------------------

    def _problem(self, row: SheetRow | None, key: str, reason: str) -> None:
        problem = self.sheet.problem(row, key, reason)
        if key not in self.sheet.labels and key in LABELS:
            # A column the file does not have: named in the user's language.
            problem = replace(problem, column=str(LABELS[key]))
        self.result.errors.append(problem)

    def _problems(self, row: SheetRow, errors: dict[str, list[str]]) -> None:
        for name, messages in errors.items():
            key = FIELD_COLUMN.get(name, name)
            for message in messages:
                self._problem(row, key, message)

    # -- checking ---------------------------------------------------------------------------

    def check(self) -> ImportResult:
        if self.result.errors:
            return self.result
        for row in self.sheet.rows:
            if not any(row.cells.values()):
                continue
            if row.cells.get("number"):
                self._check_further(row)
            else:
                self._check_first(row)
        return self.result

    def _owner(self, row: SheetRow) -> Enterprise | None:
        identifier = row.cells.get("identifier", "")
        name = row.cells.get("enterprise", "")
        key = (identifier, name)
        if key not in self._owners:
            self._owners[key] = self._find_owner(identifier, name)
        found = self._owners[key]
        if isinstance(found, str):
            named = identifier or (not name and "identifier" in self.sheet.labels)
            self._problem(row, "identifier" if named else "enterprise", found)
            return None
        return found

    def _find_owner(self, identifier: str, name: str) -> Enterprise | str:
        """The enterprise the row names and the user may report for, or why not."""
        visible = visible_enterprises(self.user)
        if identifier:
            found = find_by_identifier(identifier)
            if found is None or not visible.filter(id=found.id).exists():
                return _("No enterprise you can see has the identifier %(value)s.") % {
                    "value": identifier
                }
        elif name:
            named = list(visible.filter(name_zh=name)[:2]) or list(
                visible.filter(short_name=name)[:2]
            )
            if len(named) != 1:
                return (
                    _("Several enterprises are named %(value)s; use the USCC.")
                    if named
                    else _("No enterprise you can see is called %(value)s.")
                ) % {"value": name}
            found = named[0]
        else:
            return _("Name the enterprise, by its USCC or its name.")
        if not services.may_report(self.user, found):
            return str(services.may_not_report(found))
        return found

    def _type(self, row: SheetRow) -> str:
        text = row.cells.get("incident_type", "")
        return self._types.get(text.lower(), text)

    def _time(self, row: SheetRow, key: str, errors: dict):
        text = row.cells.get(key, "")
        if not text:
            return None
        moment = parse_time(text)
        if moment is None:
            errors[key] = [_("Enter the date and time, e.g. 2026-08-01 14:30.")]
            return "invalid"
        return moment

    def _figures(self, row: SheetRow) -> dict:
        cells = row.cells
        return {
            "deaths": cells.get("deaths", ""),
            "serious_injuries": cells.get("serious_injuries", ""),
            "direct_loss": _wan_to_yuan(cells.get("direct_loss", "")),
        }

    def _check_first(self, row: SheetRow) -> None:
        owner = self._owner(row)
        errors: dict[str, list[str]] = {}
        occurred_at = self._time(row, "occurred_at", errors)
        reported_at = self._time(row, "reported_at", errors)
        if occurred_at is None:
            errors["occurred_at"] = [_("Required for a first report.")]
        incident_type = self._type(row)
        first, found = services.check_first_report(
            owner_id=owner.id if owner else None,
            occurred_at=occurred_at if isinstance(occurred_at, datetime) else None,
            incident_type=incident_type,
            place=row.cells.get("place", ""),
            description=row.cells.get("description", ""),
            reported_at=reported_at if isinstance(reported_at, datetime) else None,
            note=row.cells.get("note", ""),
            responsible_name=row.cells.get("responsible_name", ""),
            **self._figures(row),
        )
        for name, messages in found.items():
            errors.setdefault(name, messages)
        if "incident_type" in errors:
            errors["incident_type"] = [
                _("Choose one of: %(choices)s.")
                % {"choices": ", ".join(str(label) for label in IncidentType.labels)}
            ]
        if owner is not None and not errors.keys() & {"occurred_at", "incident_type"}:
            key = (owner.id, first.occurred_at, incident_type)
            if key in self._seen_incidents:
                errors["occurred_at"] = [
                    _("The same incident is already in row %(row)s of this file.")
                    % {"row": self._seen_incidents[key]}
                ]
            self._seen_incidents.setdefault(key, row.number)
        self._problems(row, errors)
        if errors or owner is None:
            return
        self.checked.append(_Checked(row=row, owner=owner, first=first))
        self.result.created += 1
        self.plan.append(PlannedRow(row.number, "new", "", owner.name, _grade_label(first.grading)))

    def _incident(self, row: SheetRow) -> Incident | None:
        number = row.cells["number"].strip().upper()
        incident = (
            visible_incidents(self.user)
            .select_related("item__owner", "latest")
            .filter(number=number)
            .first()
        )
        if incident is None:
            self._problem(
                row,
                "number",
                _("No incident you can see has the number %(value)s.") % {"value": number},
            )
            return None
        if number in self._seen_numbers:
            self._problem(
                row,
                "number",
                _("This incident is already in row %(row)s: one report per incident in a file.")
                % {"row": self._seen_numbers[number]},
            )
            return None
        self._seen_numbers[number] = row.number
        return incident

    def _matches(self, row: SheetRow, incident: Incident) -> dict[str, list[str]]:
        """The incident's own cells, when the row fills them, must be the incident's."""
        errors: dict[str, list[str]] = {}
        owner, cells = incident.item.owner, row.cells
        differs = _("The incident %(number)s has %(value)s here.")
        if cells.get("identifier") and cells["identifier"] != owner.identifier:
            errors["identifier"] = [
                differs % {"number": incident.number, "value": owner.identifier}
            ]
        if cells.get("enterprise") and cells["enterprise"] not in (
            owner.name_zh,
            owner.short_name,
            owner.name,
        ):
            errors["enterprise"] = [differs % {"number": incident.number, "value": owner.name_zh}]
        occurred = self._time(row, "occurred_at", errors)
        if isinstance(occurred, datetime) and occurred != incident.occurred_at:
            shown = incident.occurred_at.astimezone(CHINA).strftime("%Y-%m-%d %H:%M")
            errors["occurred_at"] = [differs % {"number": incident.number, "value": shown}]
        if cells.get("incident_type") and self._type(row) != incident.incident_type:
            errors["incident_type"] = [
                differs % {"number": incident.number, "value": incident.get_incident_type_display()}
            ]
        return errors

    def _check_further(self, row: SheetRow) -> None:
        incident = self._incident(row)
        if incident is None:
            return
        item = incident.item
        if not services.may_report(self.user, item.owner):
            self._problem(row, "number", str(services.may_not_report(item.owner)))
            return
        if item.status not in ACTIVE:
            self._problem(row, "number", services.closed_error(item).message)
            return
        errors = self._matches(row, incident)
        reported_at = self._time(row, "reported_at", errors)
        further, found = services.check_further_report(
            incident,
            reported_at=reported_at if isinstance(reported_at, datetime) else None,
            note=row.cells.get("note", ""),
            **self._figures(row),
        )
        for name, messages in found.items():
            errors.setdefault(name, messages)
        if further.unchanged and not errors.keys() - {"reported_at", "note"}:
            # An exported row left as it was: nothing to report; its old time and missing
            # reason do not matter.
            self.result.unchanged += 1
            return
        self._problems(row, errors)
        if errors:
            return
        self.checked.append(_Checked(row=row, incident=incident, further=further))
        self.result.updated += 1
        self.plan.append(
            PlannedRow(
                row.number,
                "further",
                incident.number,
                item.owner.name,
                _grade_label(further.grading),
                previous_grade=incident.latest.get_grade_display(),
                kind=further.kind,
            )
        )

    # -- writing ----------------------------------------------------------------------------

    @transaction.atomic
    def write(self) -> ImportResult:
        """Write every checked row; on any refusal nothing stays written."""
        if self.result.errors:
            return self.result
        try:
            for checked in self.checked:
                self._write(checked)
        except DomainError as error:
            transaction.set_rollback(True)
            self._problem(checked.row, "number", error.message)
            for name, messages in error.fields.items():
                for message in messages:
                    self._problem(checked.row, FIELD_COLUMN.get(name, name), message)
            return self.result
        self.result.dry_run = False
        self.result.written = True
        return self.result

    def _write(self, checked: _Checked) -> None:
        if checked.first is not None:
            first = checked.first
            services.incident_report_first(
                acting_user=self.user,
                owner=checked.owner,
                occurred_at=first.occurred_at,
                incident_type=first.incident_type,
                place=first.place,
                description=first.description,
                deaths=first.figures.deaths,
                serious_injuries=first.figures.serious_injuries,
                direct_loss=Decimal(first.figures.direct_loss_fen) / 100,
                reported_at=first.reported_at,
                note=first.note,
                responsible_name=first.responsible_name,
            )
        else:
            further = checked.further
            services.incident_report_again(
                acting_user=self.user,
                incident=checked.incident,
                deaths=further.figures.deaths,
                serious_injuries=further.figures.serious_injuries,
                direct_loss=Decimal(further.figures.direct_loss_fen) / 100,
                reported_at=further.reported_at,
                note=further.note,
            )


def import_incidents(*, acting_user, path: Path, file_name: str, dry_run: bool = False):
    """Check a workbook of incident reports and, unless `dry_run` or any problem, write it.
    Returns (the result, the planned rows)."""
    importer = IncidentImport(acting_user, path, file_name)
    importer.check()
    if not dry_run and importer.result.ok:
        importer.write()
    return importer.result, importer.plan


def problem_rows(problems: list[Problem]) -> list[dict]:
    return [problem.as_dict() for problem in problems]
