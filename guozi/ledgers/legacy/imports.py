"""Importing legacy problems from .xlsx: the whole file checked, every problem placed, nothing
written unless every row passes.

The columns are the export's (`exports.COLUMNS`), headers in either language. A row without a
number (No.) opens a new problem (`services.problem_create`: the supervisor's analysts and
reviewers, for enterprises of their own supervisor). A row with the number of a problem the
user can see changes that problem's own fields where the file differs from what is stored
(`services.problem_edit`, with its rule of who changes what: the owner's people report the done
figures, the actual date and the closure); an empty cell leaves its field as it is (a figure is
cleared on the problem's page). The item's title, due date and other fields are changed on the
item's page, and a difference there is reported as a warning.
"""

from pathlib import Path

from django.utils.translation import gettext as _

from guozi.ledgers.imports import (
    Duplicates,
    RowCheck,
    choice_code,
    find_owner,
    parse_day,
    run_rows,
)
from guozi.ledgers.sheets import Sheet, SheetRow, read_sheet
from guozi.lib.errors import DomainError
from guozi.registry.imports import ImportResult

from . import selectors, services
from .exports import COLUMNS
from .models import Kind, SubKind

ITEM_FIELDS = ("title", "description", "source", "due_date", "responsible_name")


def _choices(check: RowCheck, values: dict) -> None:
    """Kind and sub-kind may be given by their label in either language."""
    for name, choices in (("kind", Kind.choices), ("sub_kind", SubKind.choices)):
        text = values.get(name, "")
        if not text:
            continue
        code = choice_code(text, choices)
        if code is None:
            check.add(
                name,
                _("Choose one of: %(choices)s.")
                % {"choices": ", ".join(f"{c} ({label})" for c, label in choices)},
            )
            values.pop(name)
        else:
            values[name] = code


def _fields_of(sheet: Sheet, row: SheetRow) -> dict:
    """The register's fields the file has columns for, as text."""
    return {name: row.cells[name] for name in services.FIELDS if name in sheet.labels}


class _Importer:
    def __init__(self, acting_user, sheet: Sheet) -> None:
        self.user = acting_user
        self.sheet = sheet
        self.items = selectors.legacy_items(acting_user)
        self.numbers = Duplicates()
        self.titles = Duplicates()
        self.warnings = []

    def handle(self, row: SheetRow) -> str:
        check = RowCheck(self.sheet, row)
        fields = _fields_of(self.sheet, row)
        _choices(check, fields)
        number = row.cells.get("id", "")
        if number:
            return self.update(check, number, fields)
        return self.create(check, fields)

    def create(self, check: RowCheck, fields: dict) -> str:
        cells = check.row.cells
        owner = None
        if not cells.get("owner"):
            check.add("owner", _("Required."))
        else:
            owner = find_owner(self.user, cells["owner"])
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
            earlier = self.titles.first((owner.id, cells["title"].strip()), check.row)
            if earlier is not None:
                check.add(
                    "title", _("Row %(row)s has the same owner and title.") % {"row": earlier}
                )
        if owner is not None:
            try:
                services.problem_create(
                    acting_user=self.user,
                    owner=owner,
                    title=cells.get("title", ""),
                    due_date=due_date,
                    description=cells.get("description", ""),
                    source=cells.get("source", ""),
                    responsible_name=cells.get("responsible_name", ""),
                    fields=fields,
                )
            except DomainError as error:
                check.refused(error, forbidden_at="owner")
        check.done()
        return "created"

    def update(self, check: RowCheck, number: str, fields: dict) -> str:
        known = number.isdigit() and len(number) <= 18
        item = self.items.filter(id=int(number)).first() if known else None
        if item is None:
            check.add("id", _("No legacy problem you can see has this number."))
            check.done()
        earlier = self.numbers.first((item.id,), check.row)
        if earlier is not None:
            check.add("id", _("Row %(row)s has the same number.") % {"row": earlier})
            check.done()
        problem = getattr(item, "legacy_problem", None)
        stored = services.stored_values(problem) if problem is not None else {}
        given, unreadable = services.read_fields(fields)
        changes = {
            name: fields[name]
            for name in given
            if name not in unreadable
            and fields[name] != ""
            and not _same(given[name], stored.get(name))
        }
        for name, messages in unreadable.items():
            for message in messages:
                check.add(name, message)
        self.warn_item_changes(check.row, item)
        if changes and not check.problems:
            try:
                services.problem_edit(acting_user=self.user, item=item, changes=changes)
            except DomainError as error:
                check.refused(error, forbidden_at="id")
        check.done()
        return "updated" if changes else "unchanged"

    def warn_item_changes(self, row: SheetRow, item) -> None:
        for name in ITEM_FIELDS:
            if name not in self.sheet.labels:
                continue
            stored = getattr(item, name)
            stored = stored.isoformat() if hasattr(stored, "isoformat") else str(stored or "")
            if row.cells.get(name, "") != stored:
                self.warnings.append(
                    self.sheet.problem(
                        row, name, _("Not changed by an import; change it on the item's page.")
                    )
                )


def _same(given, stored) -> bool:
    """Whether a cell says what is stored; an empty cell and an empty field are the same."""
    if given in (None, "") or stored in (None, ""):
        return given in (None, "") and stored in (None, "")
    return given == stored


def import_problems(*, acting_user, path: Path, name: str, dry_run: bool = False) -> ImportResult:
    """Check the workbook whole and, when every row passes and `dry_run` is false, write it."""
    sheet = read_sheet(path, name, COLUMNS)
    importer = _Importer(acting_user, sheet)
    result = run_rows(sheet, importer.handle, dry_run=dry_run, required=("owner", "title"))
    result.warnings = importer.warnings
    return result
