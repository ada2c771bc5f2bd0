"""Importing the register's workbook (the columns of `exports.py`): new projects with their
years, and the years of projects already registered.

- A row without a number (No.) belongs to a new project; the rows of one new project share its
  owner and title, and give the same project details. The project is opened by the importing
  user (an analyst or reviewer of the owner's supervisor) with the budgets by year of its rows.
- A row with a number belongs to a project already in the register: the import records that
  year's budget and spend (the owner's reporters), and changes nothing else, so its other cells
  must be empty or agree with the register.

The whole file is checked first: every problem is placed (row, column, value, reason). Then the
changes run through the services inside one transaction, which collect the services' own
refusals the same way; on any problem, or in a dry run, the transaction is rolled back and
nothing is written.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from guozi.ledgers.sheets import SheetRow, read_sheet
from guozi.lib.errors import DomainError
from guozi.registry.imports import Problem
from guozi.registry.selectors import find_by_identifier, visible_enterprises

from . import rules, services
from .exports import COLUMNS, EXPORT_ONLY
from .models import ProjectKind, RdYear, TechField
from .selectors import visible_projects

PROJECT_CELLS = (
    "title",
    "owner",
    "tech_field",
    "kind",
    "start_year",
    "end_year",
    "total_budget",
    "due_date",
    "responsible_name",
)


@dataclass
class ImportReport:
    file: str
    sheet: str = ""
    rows: int = 0
    dry_run: bool = True
    problems: list[Problem] = field(default_factory=list)
    projects_created: int = 0
    years_recorded: int = 0
    unchanged: int = 0
    written: bool = False

    @property
    def ok(self) -> bool:
        return not self.problems

    def describe(self) -> str:
        counts = {
            "projects": self.projects_created,
            "years": self.years_recorded,
            "unchanged": self.unchanged,
        }
        if self.problems:
            return ngettext(
                "%(n)d problem; nothing was written.",
                "%(n)d problems; nothing was written.",
                len(self.problems),
            ) % {"n": len(self.problems)}
        if self.written:
            return (
                _(
                    "Imported: %(projects)d new projects, %(years)d years recorded, "
                    "%(unchanged)d rows unchanged."
                )
                % counts
            )
        return (
            _(
                "Checked: %(projects)d new projects, %(years)d years to record, %(unchanged)d "
                "rows unchanged. Nothing was written (check only)."
            )
            % counts
        )


@dataclass
class Row:
    number: int
    cells: dict[str, str]
    year: int | None = None
    budget: object = None  # the cell as typed; the services read amounts
    spend: object = None


@dataclass
class NewProject:
    rows: list[Row]
    owner: object = None
    due_date: date | None = None


def _choice_codes(choices) -> dict[str, str]:
    """Every way a choice may be written (code, label in either language) → its code."""
    found = {}
    for value, label in choices.choices:
        found[value.lower()] = value
        for language in ("zh-hans", "en"):
            with translation.override(language):
                found[str(label).lower()] = value
    return found


class _Import:
    def __init__(self, *, acting_user, path: Path, file_name: str, dry_run: bool) -> None:
        self.user = acting_user
        self.path = path
        self.report = ImportReport(file=file_name, dry_run=dry_run)
        self.sheet = None
        self.codes = {"tech_field": _choice_codes(TechField), "kind": _choice_codes(ProjectKind)}

    def problem(self, row: Row, key: str, reason: str) -> None:
        self.report.problems.append(
            self.sheet.problem(SheetRow(row.number, row.cells), key, reason)
        )

    # -- reading ------------------------------------------------------------------------------

    def read(self) -> list[Row]:
        self.sheet = read_sheet(self.path, self.report.file, COLUMNS)
        self.report.sheet = self.sheet.sheet
        self.report.rows = len(self.sheet.rows)
        self.report.problems.extend(self.sheet.problems)
        rows = []
        for sheet_row in self.sheet.rows:
            cells = {k: v for k, v in sheet_row.cells.items() if k not in EXPORT_ONLY}
            if not any(cells.values()):
                continue
            rows.append(Row(sheet_row.number, cells))
        return rows

    def read_year(self, row: Row) -> None:
        year_text = row.cells.get("year", "")
        row.budget, row.spend = row.cells.get("budget", ""), row.cells.get("spend", "")
        for key, text in (("budget", row.budget), ("spend", row.spend)):
            try:
                rules.parse_amount(text)
            except rules.AmountError as error:
                self.problem(row, key, services.amount_message(error.code))
        if not year_text:
            if row.budget or row.spend:
                self.problem(row, "year", _("Say which year this budget or spend is for."))
            return
        try:
            row.year = rules.parse_year(year_text)
        except ValueError:
            self.problem(row, "year", services.year_message("not_a_year"))
            return
        if rules.year_problem(row.year):
            self.problem(row, "year", services.year_message(rules.year_problem(row.year)))
            row.year = None
        elif not row.budget:
            self.problem(row, "budget", _("Give the year's budget (0 if none)."))

    # -- checking -----------------------------------------------------------------------------

    def split(self, rows: list[Row]) -> tuple[dict, dict]:
        """(existing project id → rows, (owner, title) → rows of a new project)."""
        existing, new = defaultdict(list), defaultdict(list)
        for row in rows:
            number = row.cells.get("id", "")
            if number:
                if not number.isdigit() or len(number) > 18:
                    self.problem(row, "id", _("A project number is a whole number."))
                    continue
                existing[int(number)].append(row)
            else:
                key = (row.cells.get("owner", "").upper(), row.cells.get("title", ""))
                new[key].append(row)
        return existing, new

    def check_years_once(self, rows: list[Row]) -> None:
        seen = {}
        for row in rows:
            if row.year is None:
                continue
            if row.year in seen:
                self.problem(
                    row,
                    "year",
                    _("The year %(year)s of this project is also on row %(row)s.")
                    % {"year": row.year, "row": seen[row.year]},
                )
            else:
                seen[row.year] = row.number

    def check_new(self, project: NewProject) -> None:
        first = project.rows[0]
        for row in project.rows[1:]:
            for key in PROJECT_CELLS:
                if row.cells.get(key, "") != first.cells.get(key, ""):
                    self.problem(
                        row,
                        key,
                        _("Row %(row)s gives this project's %(column)s as %(value)s.")
                        % {
                            "row": first.number,
                            "column": self.sheet.labels.get(key, key),
                            "value": first.cells.get(key, "") or "—",
                        },
                    )
        identifier = first.cells.get("owner", "")
        owner = find_by_identifier(identifier) if identifier else None
        if owner is not None and visible_enterprises(self.user).filter(id=owner.id).exists():
            project.owner = owner
        elif identifier:
            self.problem(
                first,
                "owner",
                _("No enterprise you can see has the identifier %(value)s.")
                % {"value": identifier},
            )
        for key in (
            "title",
            "owner",
            "tech_field",
            "kind",
            "start_year",
            "end_year",
            "total_budget",
        ):
            if not first.cells.get(key):
                self.problem(first, key, _("Required for a new project."))
        for key, choices in (("tech_field", TechField), ("kind", ProjectKind)):
            text = first.cells.get(key, "")
            if text and text.lower() not in self.codes[key]:
                self.problem(
                    first,
                    key,
                    _("Choose one of: %(choices)s.")
                    % {"choices": ", ".join(str(label) for _v, label in choices.choices)},
                )
        project.due_date = self.read_date(first)

    def read_date(self, row: Row) -> date | None:
        text = row.cells.get("due_date", "")
        if not text:
            self.problem(row, "due_date", _("Required for a new project."))
            return None
        try:
            return rules.parse_date(text)
        except ValueError:
            self.problem(row, "due_date", _("Enter a date as YYYY-MM-DD."))
            return None

    def check_existing(self, item, rows: list[Row]) -> None:
        """The cells of a registered project's rows: empty, or the register's values."""
        project = getattr(item, "rd_project", None)
        stored = {
            "title": item.title,
            "owner": item.owner.identifier,
            "due_date": item.due_date.isoformat(),
            "responsible_name": item.responsible_name,
        }
        if project is not None:
            stored.update(
                tech_field=project.tech_field,
                kind=project.kind,
                start_year=str(project.start_year),
                end_year=str(project.end_year),
                total_budget=project.total_budget_fen,
            )
        for row in rows:
            for key in PROJECT_CELLS:
                text = row.cells.get(key, "")
                if text and key in stored and not self.same(key, text, stored[key]):
                    self.problem(
                        row,
                        key,
                        _(
                            "The register says %(stored)s. An import records only the years of "
                            "a registered project; change its details on its page."
                        )
                        % {"stored": _shown(key, stored[key]) or "—"},
                    )

    def same(self, key: str, text: str, stored) -> bool:
        """A cell says what the register holds, however it is written."""
        if key == "total_budget":
            return _fen(text) == stored
        if key in self.codes:
            return self.codes[key].get(text.lower()) == stored
        if key == "due_date":
            try:
                return rules.parse_date(text) == date.fromisoformat(stored)
            except ValueError:
                return False
        if key == "owner":
            return text.upper() == str(stored).upper()
        return text == str(stored)

    # -- writing ------------------------------------------------------------------------------

    def place(self, rows: list[Row], error: DomainError) -> None:
        """A service's refusal, placed at the cells it names (years.N.x: the N-th year row)."""
        with_years = [row for row in rows if row.year is not None]
        if not error.fields:
            self.problem(rows[0], "id" if rows[0].cells.get("id") else "owner", str(error))
            return
        for name, messages in error.fields.items():
            messages = [messages] if isinstance(messages, str) else messages
            row, key = rows[0], name
            parts = name.split(".")
            if parts[0] == "years" and len(parts) == 3 and parts[1].isdigit():
                index = int(parts[1])
                row = with_years[index] if index < len(with_years) else rows[0]
                key = parts[2]
            elif name not in {c.key for c in COLUMNS}:
                key = "title"
                messages = [f"{name}: {m}" for m in messages]
            for message in messages:
                self.problem(row, key, str(message))

    def create(self, project: NewProject) -> None:
        first = project.rows[0]
        codes = self.codes
        with_years = [row for row in project.rows if row.year is not None]
        try:
            services.project_create(
                acting_user=self.user,
                owner=project.owner,
                title=first.cells.get("title", ""),
                due_date=project.due_date,
                tech_field=codes["tech_field"].get(first.cells.get("tech_field", "").lower(), ""),
                kind=codes["kind"].get(first.cells.get("kind", "").lower(), ""),
                start_year=first.cells.get("start_year"),
                end_year=first.cells.get("end_year"),
                total_budget=first.cells.get("total_budget"),
                responsible_name=first.cells.get("responsible_name", ""),
                years=[
                    {"year": row.year, "budget": row.budget, "spend": row.spend or None}
                    for row in with_years
                ],
            )
        except DomainError as error:
            self.place(project.rows, error)
            return
        self.report.projects_created += 1

    def record(self, item, rows: list[Row]) -> None:
        recorded = {
            r.year: (r.budget_fen, r.spend_fen) for r in RdYear.objects.filter(project__item=item)
        }
        for row in rows:
            if row.year is None:
                self.report.unchanged += 1
                continue
            wanted = (_fen(row.budget), _fen(row.spend))
            if recorded.get(row.year) == wanted:
                self.report.unchanged += 1
                continue
            try:
                services.year_set(
                    acting_user=self.user,
                    item=item,
                    year=row.year,
                    budget=row.budget,
                    spend=row.spend or None,
                )
            except DomainError as error:
                self.place([row], error)
                continue
            self.report.years_recorded += 1

    # -- the whole file -----------------------------------------------------------------------

    def run(self) -> ImportReport:
        rows = self.read()
        if self.report.problems:
            return self.report
        for row in rows:
            self.read_year(row)
        existing, new = self.split(rows)
        found = {
            item.id: item
            for item in visible_projects(self.user)
            .filter(id__in=list(existing))
            .select_related("owner", "rd_project")
        }
        ready_existing, ready_new = [], []
        for number, project_rows in existing.items():
            if number not in found:
                for row in project_rows:
                    self.problem(
                        row,
                        "id",
                        _("No R&D project you can see has the number %(value)s.")
                        % {"value": number},
                    )
                continue
            self.check_existing(found[number], project_rows)
            self.check_years_once(project_rows)
            if not _bad_rows(self.report.problems, project_rows):
                ready_existing.append((found[number], project_rows))
        for project_rows in new.values():
            project = NewProject(project_rows)
            self.check_new(project)
            self.check_years_once(project.rows)
            if not _bad_rows(self.report.problems, project_rows):
                ready_new.append(project)
        self.write(ready_existing, ready_new)
        return self.report

    def write(self, existing: list, new: list[NewProject]) -> None:
        """Run the changes through the services, which may refuse some more; keep them only
        when the whole file is clean and this is not a check."""
        with transaction.atomic():
            for item, project_rows in existing:
                self.record(item, project_rows)
            for project in new:
                self.create(project)
            if self.report.problems or self.report.dry_run:
                transaction.set_rollback(True)
            else:
                self.report.written = True


def _bad_rows(problems: list[Problem], rows: list[Row]) -> bool:
    """Some of these rows already have a problem (of their year cells, read earlier)."""
    numbers = {row.number for row in rows}
    return any(problem.row in numbers for problem in problems)


def _fen(text) -> int | None:
    try:
        return rules.to_fen(rules.parse_amount(text))
    except rules.AmountError:
        return None


def _shown(key: str, stored) -> str:
    if key == "total_budget":
        return str(rules.yuan(stored))
    if key == "tech_field":
        return str(TechField(stored).label)
    if key == "kind":
        return str(ProjectKind(stored).label)
    return str(stored)


def import_projects(*, acting_user, path: Path, file_name: str, dry_run: bool) -> ImportReport:
    return _Import(acting_user=acting_user, path=path, file_name=file_name, dry_run=dry_run).run()
