"""Importing key inputs and their suppliers from a workbook (`sheets.COLUMNS`).

One row per input and supplier; the rows of one enterprise's input (its identifier and the
input's name) together list all its suppliers, so suppliers missing from the file are removed
from that input, and an input with one row and no supplier has none. Inputs not in the file are
left alone. A new input opens its item (the supervisor's analysts and reviewers); an existing
one is changed by its owner's reporters or the supervisor's analysts and reviewers while its
item is not closed.

The whole file is checked first and every problem is placed (row, column, value, reason);
nothing is written when there is any, and with `dry_run` nothing is written at all. The values
are checked by the same cleaners as the forms and the API (`services.clean_*`).
"""

import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from guozi.ledgers import permissions
from guozi.ledgers.models import ACTIVE
from guozi.ledgers.sheets import Sheet, SheetRow, read_sheet
from guozi.lib import clock
from guozi.lib.errors import DomainError
from guozi.registry.imports import ImportResult, Problem, UnreadableFile
from guozi.registry.models import Enterprise, EnterpriseStatus, Portfolio
from guozi.registry.selectors import find_by_identifier, visible_enterprises
from guozi.registry.validation import FieldError, clean_date
from guozi.reporting.workbooks import Limits, check_package, check_size

from . import concentration, services
from .matching import name_key
from .models import SupplyInput
from .sheets import COLUMNS

# Cell -> the service's field, with its cleaner.
INPUT_CELLS = {
    "category": services.clean_category,
    "criticality": services.clean_criticality,
    "domestic_alternative": services.clean_flag,
    "annual_spend": services.clean_spend,
    "annual_volume": services.clean_volume,
}


def store_upload(upload) -> Path:
    """The upload in the data directory's uploads folder, under a name of our own."""
    folder = Path(settings.DATA_DIR) / "uploads"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"supply-{uuid.uuid4().hex}{Path(upload.name).suffix.lower()[:8]}"
    with path.open("wb") as stream:
        for chunk in upload.chunks():
            stream.write(chunk)
    return path


@dataclass
class Planned:
    """One input as the file gives it."""

    owner: Enterprise
    name: str
    first_row: SheetRow
    values: dict = field(default_factory=dict)  # service field -> raw text, first given
    value_rows: dict = field(default_factory=dict)  # service field -> the row that gave it
    sources: list = field(default_factory=list)  # (row, services.Source)
    shares: list = field(default_factory=list)  # (row, share) of every valid share, for the total
    item_values: dict = field(default_factory=dict)  # due_date, responsible, plan
    existing: SupplyInput | None = None


class Check:
    """The whole-file check: every row read, every problem placed."""

    def __init__(self, user, sheet: Sheet) -> None:
        self.user = user
        self.sheet = sheet
        self.errors: list[Problem] = []
        self.planned: dict[tuple[int, str], Planned] = {}
        self._enterprises: dict[str, Enterprise | None] = {}
        self._visible = visible_enterprises(user)

    def problem(self, row: SheetRow, key: str, reason: str) -> None:
        self.errors.append(self.sheet.problem(row, key, reason))

    def cell(self, row: SheetRow, key: str, cleaner, *args):
        try:
            return cleaner(row.cells.get(key, ""), *args)
        except FieldError as error:
            self.problem(row, key, error.message)
            return None

    def enterprise(self, row: SheetRow) -> Enterprise | None:
        text = row.cells.get("enterprise", "")
        if not text:
            self.problem(row, "enterprise", _("Required."))
            return None
        if text not in self._enterprises:
            found = find_by_identifier(text)
            if found is not None and not self._visible.filter(id=found.id).exists():
                found = None
            self._enterprises[text] = found
        found = self._enterprises[text]
        if found is None:
            self.problem(
                row,
                "enterprise",
                _("No enterprise you can see has the identifier %(value)s.") % {"value": text},
            )
        return found

    def read(self) -> None:
        for row in self.sheet.rows:
            self.read_row(row)
        existing = SupplyInput.objects.filter(
            owner_id__in={owner for owner, _name in self.planned}
        ).select_related("item")
        by_key = {(i.owner_id, i.name): i for i in existing}
        for key, planned in self.planned.items():
            planned.existing = by_key.get(key)
            self.check_input(planned)

    def read_row(self, row: SheetRow) -> None:
        owner = self.enterprise(row)
        name = self.cell(row, "input", services.clean_name)
        values = {key: row.cells[key] for key in INPUT_CELLS if row.cells.get(key, "")}
        cleaned = {key: self.cell(row, key, INPUT_CELLS[key]) for key in values}
        unit = row.cells.get("volume_unit", "")
        if unit or cleaned.get("annual_volume") is not None:
            self.cell(row, "volume_unit", services.clean_unit, cleaned.get("annual_volume"))
        if unit:
            values["volume_unit"] = unit
        item_values = self.item_cells(row)
        source, share = self.source(row)
        if owner is None or name is None:
            return
        planned = self.planned.setdefault((owner.id, name), Planned(owner, name, row))
        for key, text in values.items():
            self.merge(planned, row, key, text)
        for key, value in item_values.items():
            planned.item_values.setdefault(key, value)
        if source is not None:
            planned.sources.append((row, source))
        if share is not None:
            planned.shares.append((row, share))

    def merge(self, planned: Planned, row: SheetRow, key: str, text: str) -> None:
        """The input's fields come from its first row that gives them; another row of the same
        input may repeat a value but not contradict it."""
        if key not in planned.values:
            planned.values[key] = text
            planned.value_rows[key] = row.number
        elif text != planned.values[key]:
            self.problem(
                row,
                key,
                _("Row %(row)s gives %(value)s for the same input; one value per input.")
                % {"row": planned.value_rows[key], "value": planned.values[key]},
            )

    def item_cells(self, row: SheetRow) -> dict:
        values = {}
        if row.cells.get("due_date", ""):
            due = self.cell(row, "due_date", clean_date)
            if due is not None and due < clock.today():
                self.problem(row, "due_date", _("The due date cannot be in the past."))
            elif due is not None:
                values["due_date"] = due
        for key, limit in (("responsible", 100), ("plan", 2000)):
            text = row.cells.get(key, "")
            if len(text) > limit:
                self.problem(row, key, _("At most %(n)s characters.") % {"n": limit})
            elif text:
                values[key] = text
        return values

    def source(self, row: SheetRow) -> tuple[services.Source | None, Decimal | None]:
        """The row's supplier, and its share when that alone is valid (for the total)."""
        cells = ("supplier", "supplier_uscc", "country", "share")
        if not any(row.cells.get(key, "") for key in cells):
            return None, None
        supplier = self.cell(row, "supplier", services.clean_supplier_name)
        country = self.cell(row, "country", services.clean_country)
        uscc = self.cell(row, "supplier_uscc", services.clean_supplier_uscc, country or "")
        share = self.cell(row, "share", services.clean_share)
        if None in (supplier, country, uscc, share):
            return None, share
        return services.Source(supplier, uscc, country, share), share

    def check_input(self, planned: Planned) -> None:
        row = planned.first_row
        if planned.existing is None:
            self.check_new(planned, row)
        else:
            self.check_existing(planned, row)
        seen: dict[str, int] = {}
        for source_row, source in planned.sources:
            key = f"uscc:{source.uscc}" if source.uscc else f"name:{name_key(source.supplier_name)}"
            if key in seen:
                self.problem(
                    source_row,
                    "supplier",
                    _("Row %(row)s lists this supplier for the same input already.")
                    % {"row": seen[key]},
                )
            seen.setdefault(key, source_row.number)
        total = sum((share for _row, share in planned.shares), Decimal(0))
        if not concentration.share_total_allowed(total):
            last = planned.shares[-1][0]
            self.problem(
                last,
                "share",
                _("The shares of %(input)s at %(enterprise)s add up to %(total)s%%.")
                % {"input": planned.name, "enterprise": planned.owner.name, "total": total}
                + " "
                + _("They may add up to less than 100%, never more."),
            )

    def check_new(self, planned: Planned, row: SheetRow) -> None:
        owner = planned.owner
        if not permissions.can_create(self.user, owner.supervisor_id):
            self.problem(
                row,
                "input",
                _(
                    "%(input)s is new at %(enterprise)s; only the supervisor's analysts and "
                    "reviewers open inputs."
                )
                % {"input": planned.name, "enterprise": owner.name},
            )
        if owner.status != EnterpriseStatus.ACTIVE or owner.portfolio != Portfolio.OWN:
            self.problem(
                row,
                "enterprise",
                _("%(name)s is not an active enterprise of the portfolio.") % {"name": owner.name},
            )
        for key in ("category", "domestic_alternative"):
            if key not in planned.values:
                self.problem(row, key, _("Required for a new input."))

    def check_existing(self, planned: Planned, row: SheetRow) -> None:
        item = planned.existing.item
        if not services.can_change(self.user, item):
            self.problem(
                row,
                "input",
                _("You may not change %(input)s at %(enterprise)s.")
                % {"input": planned.name, "enterprise": planned.owner.name},
            )
        elif item.status not in ACTIVE:
            self.problem(
                row,
                "input",
                _("The item of %(input)s is %(status)s: its input is no longer changed.")
                % {"input": planned.name, "status": item.get_status_display().lower()},
            )


def _changes(planned: Planned) -> bool:
    """Whether importing the input would change it (always, for a new one)."""
    existing = planned.existing
    if existing is None:
        return True
    errors: dict = {}
    cleaned = services.clean_fields(planned.values, errors)
    for model_field, value in cleaned.items():
        if getattr(existing, model_field) != value:
            return True
    stored = [
        services.Source(s.supplier_name, s.uscc, s.country, s.share)
        for s in existing.sources.order_by("position")
    ]
    return stored != [source for _row, source in planned.sources]


def _write(user, planned: Planned) -> None:
    sources = [source.as_dict() for _row, source in planned.sources]
    if planned.existing is None:
        services.input_create(
            acting_user=user,
            owner=planned.owner,
            fields={"name": planned.name, **planned.values},
            sources=sources,
            due_date=planned.item_values.get("due_date"),
            responsible_name=planned.item_values.get("responsible", ""),
            plan=planned.item_values.get("plan", ""),
        )
    else:
        services.input_update(
            acting_user=user,
            supply_input=planned.existing,
            fields=planned.values,
            sources=sources,
            reason=_("Imported from a workbook."),
        )


def _refused(path: Path, file_name: str) -> Problem | None:
    """The reporting imports' guards before any parsing: the size limit, and for an .xlsx its
    package checked whole (no zip bomb, no damaged member)."""
    limits = Limits.from_settings()
    try:
        check_size(path, limits)
        if file_name.lower().endswith(".xlsx"):
            check_package(path, limits)
    except UnreadableFile as error:
        return Problem(file_name, "", None, "", "", str(error), field="file")
    return None


def import_inputs(*, acting_user, path: Path, file_name: str, dry_run: bool) -> ImportResult:
    """Check the workbook whole and, when it is clean and not a dry run, write every input in
    one transaction. See the module's doc."""
    refused = _refused(path, file_name)
    if refused:
        return ImportResult(file=file_name, dry_run=dry_run, errors=[refused])
    sheet = read_sheet(path, file_name, COLUMNS)
    result = ImportResult(file=file_name, sheet=sheet.sheet, dry_run=dry_run, rows=len(sheet.rows))
    if sheet.problems:
        result.errors = sheet.problems
        return result
    check = Check(acting_user, sheet)
    check.read()
    result.errors = sorted(check.errors, key=lambda p: (p.row or 0, p.column))
    if result.errors:
        return result
    for planned in check.planned.values():
        if planned.existing is None:
            result.created += 1
        elif _changes(planned):
            result.updated += 1
        else:
            result.unchanged += 1
    if dry_run:
        return result
    changed = [p for p in check.planned.values() if p.existing is None or _changes(p)]
    try:
        with transaction.atomic():
            for planned in changed:
                _write(acting_user, planned)
    except DomainError as error:
        # A rule the check missed, or a change made meanwhile: nothing was written.
        result.errors = [Problem(file_name, sheet.sheet, None, "", "", error.message)] + [
            Problem(file_name, sheet.sheet, None, name, "", "; ".join(messages))
            for name, messages in error.fields.items()
        ]
        return result
    result.written = True
    return result
