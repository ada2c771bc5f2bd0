"""Checked imports of reports from workbooks and CSV files: plan → dry run → write.

The whole file is read and checked before anything is written:
1. read — the file is checked (size, zip sanity) and its reports read (`workbooks.ReportFile`);
2. map — period, scope and enterprise of every report, the identifiers resolved in bulk;
3. convert — every value through `services.parse_cells`, so the same rules as the web form;
4. check — `batch.batch_problems` (who may fill in, locked reports and periods, leaves without a
   standalone report) and duplicates;
5. a dry run then says, per report, what would change and which rules it would fail
   (`validation.check` over the stored reports with the new values put in their place);
   a real run writes with `batch.batch_write` and validates once.
Every problem names file, sheet, row, column, value and reason. Nothing is written while any
problem remains, unless the user explicitly asks to import only the valid reports; a problem
of the file as a whole (an unknown column, a missing sheet) blocks even that.
"""

import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _

from guozi.lib.errors import DomainError
from guozi.lib.models import pick_language
from guozi.lib.periods import Period
from guozi.lib.uscc import normalise_uscc
from guozi.registry.imports import Problem, UnreadableFile, cell_text
from guozi.registry.models import Enterprise

from .batch import BatchItem, batch_problems, batch_write
from .frameworks import definition_of, version_in_force
from .models import Channel, Form, FormVersion, Submission
from .services import parse_cells
from .validation import Store, check, validate_period
from .values import UNIT_SUFFIX, CellError, parse_number
from .workbooks import Limits, Record, ReportFile, parse_scope

DEFAULT_FORM = "fast_report"
META_COLUMN = "_guozi"
CHANNELS = {"xlsx": Channel.EXCEL, "csv": Channel.CSV}
CHUNK = 2000
MESSAGES_KEPT = 3
REPORTS_KEPT = 500
TICK = 500

ProgressFn = Callable[..., None]


@dataclass
class ReportPlan:
    """What the import makes of one report of the file."""

    sheet: str
    row: int
    identifier: str
    name: str
    scope: str = ""
    period: str = ""
    enterprise_id: int | None = None
    stored: dict = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    action: str = ""  # new, changed or unchanged
    changed_cells: int = 0
    rule_errors: int | None = None
    rule_warnings: int | None = None
    messages: list[str] = field(default_factory=list)
    written: bool = False

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_dict(self) -> dict:
        return {
            "sheet": self.sheet,
            "row": self.row,
            "identifier": self.identifier,
            "name": self.name,
            "scope": self.scope,
            "period": self.period,
            "action": self.action,
            "changed_cells": self.changed_cells,
            "problems": len(self.problems),
            "rule_errors": self.rule_errors,
            "rule_warnings": self.rule_warnings,
            "messages": self.messages,
            "written": self.written,
        }


@dataclass
class ReportImportResult:
    file: str
    dry_run: bool = True
    valid_only: bool = False
    format: str = ""
    layout: str = ""
    form: str = ""
    problems: list[Problem] = field(default_factory=list)  # of the file as a whole
    warnings: list[Problem] = field(default_factory=list)
    reports: list[ReportPlan] = field(default_factory=list)
    written: bool = False
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def errors(self) -> list[Problem]:
        return self.problems + [p for plan in self.reports for p in plan.problems]

    @property
    def ok(self) -> bool:
        return not self.problems and all(plan.ok for plan in self.reports)

    @property
    def valid(self) -> list[ReportPlan]:
        return [plan for plan in self.reports if plan.ok]

    @property
    def invalid(self) -> list[ReportPlan]:
        return [plan for plan in self.reports if not plan.ok]

    @property
    def can_import_valid(self) -> bool:
        """Whether "import only the valid reports" would write something."""
        return not self.problems and bool(self.valid)

    @property
    def counts(self) -> dict[str, int]:
        """created, updated and unchanged count the reports written (or, in a dry run, those
        that would be); skipped counts the reports with problems."""
        counted = [p for p in self.reports if p.written] if self.written else self.valid
        return {
            "created": sum(p.action == "new" for p in counted),
            "updated": sum(p.action == "changed" for p in counted),
            "unchanged": sum(p.action == "unchanged" for p in counted),
            "skipped": len(self.invalid),
        }

    @property
    def rule_outcome(self) -> dict[str, int]:
        """How many reports fail a rule with an error, and how many only with warnings."""
        checked = [p for p in self.reports if p.rule_errors is not None]
        return {
            "with_rule_errors": sum(bool(p.rule_errors) for p in checked),
            "with_rule_warnings": sum(not p.rule_errors and bool(p.rule_warnings) for p in checked),
        }

    def describe(self) -> str:
        """One sentence on the outcome, in the active language."""
        counts = {**self.counts, "reports": len(self.reports), "errors": len(self.errors)}
        if self.written:
            text = _(
                "Imported %(created)d new and %(updated)d changed reports; %(unchanged)d unchanged."
            )
            if counts["skipped"]:
                text += " " + _(
                    "%(skipped)d reports with problems were left out; %(errors)d problems."
                )
            return text % counts
        if self.problems or self.invalid:
            return (
                ngettext(
                    "%(errors)d problem in %(reports)d reports; nothing was written.",
                    "%(errors)d problems in %(reports)d reports; nothing was written.",
                    counts["errors"],
                )
                % counts
            )
        if not self.dry_run:
            return _("The file holds no reports; nothing was written.")
        return (
            _(
                "Checked %(reports)d reports: %(created)d new, %(updated)d changed, "
                "%(unchanged)d unchanged. Nothing was written (dry run)."
            )
            % counts
        )

    def summary(self, limit: int = 500) -> dict:
        """A JSON-safe summary for a job's result: counts, problems and the first reports."""
        errors = self.errors
        return {
            "file": self.file,
            "dry_run": self.dry_run,
            "valid_only": self.valid_only,
            "written": self.written,
            "rows": len(self.reports),
            "counts": self.counts,
            "rules": self.rule_outcome,
            "error_count": len(errors),
            "errors": [p.as_dict() for p in errors[:limit]],
            "warnings": [p.as_dict() for p in self.warnings[:limit]],
            "reports": [plan.as_dict() for plan in self.reports[:REPORTS_KEPT]],
        }


def import_reports(
    *,
    acting_user,
    path: Path,
    name: str | None = None,
    form_code: str | None = None,
    period: str | None = None,
    dry_run: bool = True,
    valid_only: bool = False,
    progress: ProgressFn | None = None,
    limits: Limits | None = None,
) -> ReportImportResult:
    """Check a workbook or CSV file of reports and, unless `dry_run`, write it as drafts.

    `form_code` and `period` are what the user chose; a template names its own, and a
    disagreement is a problem. `valid_only` writes the valid reports even when others have
    problems."""
    return _ReportImport(
        acting_user=acting_user,
        path=Path(path),
        name=name or Path(path).name,
        form_code=form_code,
        period=period,
        dry_run=dry_run,
        valid_only=valid_only,
        progress=progress,
        limits=limits,
    ).run()


# --- identifiers in bulk --------------------------------------------------------------------


def enterprises_by_identifier(identifiers: set[str]) -> tuple[dict[str, int], set[str]]:
    """Identifier → enterprise id, with `registry.selectors.find_by_identifier`'s rules (an
    internal id, a USCC, COUNTRY:number or a bare foreign number), a few queries in all;
    also the identifiers that match more than one enterprise."""
    found: dict[str, int] = {}
    numbers = {i for i in identifiers if i.isdigit() and len(i) < 18}
    known_ids = _in_chunks(
        numbers, lambda chunk: Enterprise.objects.filter(id__in=[int(i) for i in chunk])
    )
    for enterprise_id, *_rest in known_ids:
        found[str(enterprise_id)] = enterprise_id
    rest = identifiers - set(found)
    usccs = {normalise_uscc(i): i for i in rest}
    for enterprise_id, uscc, _country, _number in _in_chunks(
        set(usccs), lambda chunk: Enterprise.objects.filter(uscc__in=chunk)
    ):
        found[usccs[uscc]] = enterprise_id
    rest -= set(found)
    foreign = {}
    for identifier in rest:
        country, colon, number = identifier.partition(":")
        if colon and len(country) == 2:
            foreign[identifier] = (country.upper(), number.strip())
        else:
            foreign[identifier] = (None, identifier)
    matches = defaultdict(list)
    for enterprise_id, _uscc, country, number in _in_chunks(
        {number for _country, number in foreign.values()},
        lambda chunk: Enterprise.objects.filter(foreign_reg_no__in=chunk),
    ):
        matches[number].append((country, enterprise_id))
    ambiguous = set()
    for identifier, (country, number) in foreign.items():
        hits = [e for c, e in matches.get(number, []) if country is None or c == country]
        if len(hits) == 1:
            found[identifier] = hits[0]
        elif len(hits) > 1:
            ambiguous.add(identifier)
    return found, ambiguous


def _in_chunks(values: set, query) -> list[tuple]:
    values = sorted(values)
    rows = []
    for start in range(0, len(values), CHUNK):
        rows.extend(
            query(values[start : start + CHUNK]).values_list(
                "id", "uscc", "foreign_country", "foreign_reg_no"
            )
        )
    return rows


# --- the import ------------------------------------------------------------------------------


class _ReportImport:
    def __init__(
        self, *, acting_user, path, name, form_code, period, dry_run, valid_only, progress, limits
    ) -> None:
        self.acting_user = acting_user
        self.path = path
        self.name = name
        self.form_code = (form_code or "").strip()
        self.period_text = (period or "").strip()
        self.progress = progress or (lambda *args, **kwargs: None)
        self.limits = limits
        self.result = ReportImportResult(file=name, dry_run=dry_run, valid_only=valid_only)
        self.form: Form | None = None
        self.period: Period | None = None  # the file's period, or the user's
        self.mapping: FormVersion | None = None
        self.records: list[Record] = []
        self.definitions: dict[int, object] = {}
        self.versions: dict[str, FormVersion] = {}
        self.stores: dict[str, Store] = {}
        self.existing: dict[tuple, dict | None] = {}
        self._started = time.perf_counter()

    # -- bookkeeping -----------------------------------------------------------------------

    def lap(self, phase: str) -> None:
        now = time.perf_counter()
        self.result.timings[phase] = round(now - self._started, 3)
        self._started = now

    def file_problem(self, reason: str, *, column: str = "", value: str = "", sheet="") -> None:
        self.result.problems.append(
            Problem(
                file=self.name,
                sheet=sheet,
                row=None,
                column=column,
                value=str(value)[:200],
                reason=reason,
            )
        )

    def tick(self, done: int, total: int, message: str) -> None:
        if done % TICK == 0 or done == total:
            self.progress(done, total, message)

    # -- the steps -------------------------------------------------------------------------

    def run(self) -> ReportImportResult:
        self.progress(0, None, _("Reading the file"))
        try:
            source = ReportFile(self.path, self.name, self.limits)
        except UnreadableFile as exc:
            self.file_problem(str(exc))
            return self.result
        try:
            self.result.format = source.format
            if not self.choose_form(source):
                return self.result
            reading = source.read(definition_of(self.mapping), self.form)
        except UnreadableFile as exc:
            self.file_problem(str(exc))
            return self.result
        finally:
            source.close()
        self.result.layout = reading.layout
        self.result.problems.extend(reading.problems)
        self.result.warnings.extend(reading.warnings)
        self.records = reading.records
        self.lap("read")
        self.map_reports()
        self.lap("map")
        self.convert()
        self.lap("convert")
        self.check()
        self.lap("check")
        if self.result.dry_run:
            self.preview()
            self.lap("validate")
        else:
            self.write()
        return self.result

    def choose_form(self, source: ReportFile) -> bool:
        meta = source.meta
        code = meta.get("form") or self.form_code or DEFAULT_FORM
        if meta.get("form") and self.form_code and meta["form"] != self.form_code:
            self.file_problem(
                _("The workbook is a template of the form %(file)s, not %(chosen)s.")
                % {"file": meta["form"], "chosen": self.form_code},
                value=meta["form"],
            )
            return False
        self.form = Form.objects.filter(code=code).first()
        if self.form is None:
            self.file_problem(_("There is no form %(code)s.") % {"code": code}, value=code)
            return False
        self.result.form = self.form.code
        if meta.get("basis") and meta["basis"] != self.form.basis:
            self.file_problem(
                _("The workbook is of basis %(file)s; the form %(form)s is of basis %(basis)s.")
                % {"file": meta["basis"], "form": self.form.code, "basis": self.form.basis},
                value=meta["basis"],
            )
            return False
        if not self.choose_period(meta.get("period", "")):
            return False
        try:
            if self.period is not None:
                self.mapping = version_in_force(self.form, self.period)
            else:
                self.mapping = FormVersion.objects.filter(form=self.form).latest("valid_from_date")
        except (DomainError, FormVersion.DoesNotExist) as exc:
            self.file_problem(getattr(exc, "message", "") or str(exc))
            return False
        stated = meta.get("version")
        if stated and stated != self.mapping.version:
            self.result.warnings.append(
                Problem(
                    file=self.name,
                    sheet="",
                    row=None,
                    column="",
                    value=stated,
                    reason=_(
                        "The template is of version %(file)s; version %(version)s is in force. "
                        "Its columns are read by field code."
                    )
                    % {"file": stated, "version": self.mapping.version},
                )
            )
        return True

    def choose_period(self, stated: str) -> bool:
        periods = []
        for text, whose in ((stated, "file"), (self.period_text, "user")):
            if not text:
                continue
            try:
                periods.append(self.parse_period(text))
            except ValueError as exc:
                if whose == "user":
                    self.file_problem(str(exc), column="period", value=text)
                    return False
                self.file_problem(str(exc), column=META_COLUMN, value=text)
                return False
        if len(periods) == 2 and periods[0] != periods[1]:
            self.file_problem(
                _("The workbook is for the period %(file)s, but %(chosen)s was chosen.")
                % {"file": periods[0], "chosen": periods[1]},
                value=str(periods[0]),
            )
            return False
        self.period = periods[0] if periods else None
        return True

    def parse_period(self, text: str) -> Period:
        period = Period.parse(text)
        if period.type != self.form.period_type:
            raise ValueError(
                _("%(period)s is not a period of this form, which is reported by %(type)s.")
                % {"period": text, "type": self.form.period_type}
            )
        return period

    def map_reports(self) -> None:
        plans = []
        missing_period = False
        for record in self.records:
            plan = ReportPlan(
                sheet=record.sheet,
                row=record.row,
                identifier=record.identifier,
                name=record.name,
                problems=list(record.problems),
            )
            plans.append(plan)
            plan.scope = parse_scope(record.scope) or ""
            if not plan.scope:
                plan.problems.append(
                    record.problem(
                        None,
                        _("Unknown scope: write 合并 (consolidated) or 本部 (standalone)."),
                        record.scope,
                        name="scope",
                    )
                )
            if record.period:
                try:
                    period = self.parse_period(record.period)
                except ValueError as exc:
                    plan.problems.append(
                        record.problem(None, str(exc), record.period, name="period")
                    )
                else:
                    if self.period is not None and period != self.period:
                        plan.problems.append(
                            record.problem(
                                None,
                                _("The file or your choice is for the period %(period)s.")
                                % {"period": self.period},
                                record.period,
                                name="period",
                            )
                        )
                    plan.period = str(period)
            elif self.period is not None:
                plan.period = str(self.period)
            else:
                missing_period = True
            if not record.identifier:
                plan.problems.append(
                    record.problem(
                        None,
                        _("The identifier (统一社会信用代码) is missing."),
                        "",
                        name="identifier",
                    )
                )
        if missing_period:
            self.file_problem(
                _("The file names no period: add a period column or choose the period."),
                column="period",
            )
        found, ambiguous = enterprises_by_identifier(
            {r.identifier.strip() for r in self.records if r.identifier.strip()}
        )
        for plan, record in zip(plans, self.records, strict=True):
            identifier = record.identifier.strip()
            if not identifier:
                continue
            plan.enterprise_id = found.get(identifier)
            if plan.enterprise_id is None:
                reason = (
                    _("More than one enterprise has this foreign number; write COUNTRY:number.")
                    if identifier in ambiguous
                    else _("No enterprise has this identifier.")
                )
                plan.problems.append(record.problem(None, reason, identifier, name="identifier"))
        self.result.reports = plans
        self.flag_duplicates()
        self.progress(len(plans), len(plans), _("Matching enterprises"))

    def flag_duplicates(self) -> None:
        seen = defaultdict(list)
        for plan in self.result.reports:
            if plan.enterprise_id and plan.scope and plan.period:
                seen[(plan.period, plan.enterprise_id, plan.scope)].append(plan)
        for plans in seen.values():
            if len(plans) < 2:
                continue
            where = ", ".join(_label(p) for p in plans)
            for plan, record in self.with_records(plans):
                plan.problems.append(
                    record.problem(
                        None,
                        _("The same enterprise, scope and period appear more than once (%(rows)s).")
                        % {"rows": where},
                        plan.identifier,
                        name="identifier",
                    )
                )

    def with_records(self, plans: list[ReportPlan]):
        index = {id(plan): i for i, plan in enumerate(self.result.reports)}
        return [(plan, self.records[index[id(plan)]]) for plan in plans]

    def version_for(self, period: str) -> FormVersion:
        if period not in self.versions:
            self.versions[period] = version_in_force(self.form, Period.parse(period))
        return self.versions[period]

    def definition_for(self, period: str):
        version = self.version_for(period) if period else self.mapping
        if version.id not in self.definitions:
            self.definitions[version.id] = definition_of(version)
        return self.definitions[version.id]

    def convert(self) -> None:
        total = len(self.records)
        message = _("Reading values")
        for done, (plan, record) in enumerate(zip(self.result.reports, self.records, strict=True)):
            try:
                definition = self.definition_for(plan.period)
            except DomainError as exc:
                plan.problems.append(record.problem(None, exc.message, plan.period, name="period"))
                continue
            raw, unreadable = _prepared(record, definition)
            stored, errors = parse_cells(definition, raw)
            errors.update(unreadable)
            for cell, reason in errors.items():
                plan.problems.append(record.problem(cell, reason))
            plan.stored = stored
            self.tick(done + 1, total, message)

    def groups(self) -> dict[str, list[ReportPlan]]:
        by_period = defaultdict(list)
        for plan in self.result.reports:
            if plan.period:
                by_period[plan.period].append(plan)
        return dict(sorted(by_period.items()))

    def check(self) -> None:
        for period, plans in self.groups().items():
            self.check_period(period, plans)
            self.plan_actions(period, plans)
        total = len(self.result.reports)
        self.progress(total, total, _("Checking"))

    def check_period(self, period: str, plans: list[ReportPlan]) -> None:
        keys, labelled, items = set(), {}, []
        for plan, record in self.with_records(plans):
            if not (plan.enterprise_id and plan.scope):
                continue
            key = (plan.enterprise_id, plan.scope)
            if key in keys:
                continue  # a duplicate, already flagged
            keys.add(key)
            label = _label(plan)
            labelled[label] = (plan, record)
            items.append(BatchItem(plan.enterprise_id, plan.scope, plan.stored, label))
        if not items:
            return
        for text in batch_problems(self.acting_user, self.form, Period.parse(period), items):
            label, separator, reason = text.partition(": ")
            if separator and label in labelled:
                plan, record = labelled[label]
                plan.problems.append(
                    record.problem(None, reason, plan.identifier, name="identifier")
                )
                continue
            for plan, record in labelled.values():  # the period as a whole: closed
                plan.problems.append(record.problem(None, text, plan.period, name="period"))

    def store_for(self, period: str, plans: list[ReportPlan]) -> Store:
        """The stored reports the checks read: those of the file's enterprises and of their
        direct subsidiaries, with this period loaded now and the others on demand."""
        if period not in self.stores:
            store = Store(self.form, self.definition_for(period))
            tree = store.tree(Period.parse(period))
            ids = {p.enterprise_id for p in plans if p.enterprise_id}
            store.enterprise_ids = ids | {c for e in ids for c in tree.children.get(e, ())}
            self.stores[period] = store
            stored = Submission.objects.filter(
                form=self.form, period=period, enterprise_id__in=sorted(ids)
            ).values_list("enterprise_id", "scope", "cells")
            for enterprise_id, scope, cells in stored.iterator(chunk_size=5000):
                self.existing[(period, enterprise_id, scope)] = cells
        return self.stores[period]

    def plan_actions(self, period: str, plans: list[ReportPlan]) -> None:
        store = self.store_for(period, plans)
        for plan in plans:
            if not plan.enterprise_id or not plan.scope:
                continue
            existing = self.existing_cells(store, period, plan)
            if existing is None:
                plan.action = "new"
                plan.changed_cells = sum(v is not None for v in plan.stored.values())
                continue
            plan.changed_cells = sum(existing.get(c) != v for c, v in plan.stored.items())
            plan.action = "changed" if plan.changed_cells else "unchanged"

    def existing_cells(self, store: Store, period: str, plan: ReportPlan) -> dict | None:
        """The cells stored for the plan's report before this import."""
        return self.existing.get((period, plan.enterprise_id, plan.scope))

    def preview(self) -> None:
        """The validation outcome each valid report would have once written."""
        groups = self.groups()
        for number, (period, plans) in enumerate(groups.items(), start=1):
            valid = [p for p in plans if p.ok]
            if not valid:
                continue
            store = self.store_for(period, plans)
            for plan in valid:
                cells = dict(self.existing_cells(store, period, plan) or {})
                for cell, value in plan.stored.items():
                    if value is None:
                        cells.pop(cell, None)
                    else:
                        cells[cell] = value
                store.put(period, plan.enterprise_id, plan.scope, cells)
            definition = self.definition_for(period)
            rows = [(p.enterprise_id, p.scope) for p in valid]
            outcome = check(store, definition, Period.parse(period), rows)
            for plan, violations in zip(valid, outcome, strict=True):
                _record_outcome(plan, violations)
            self.progress(number, len(groups), _("Validating"))

    def write(self) -> None:
        result = self.result
        if result.problems:
            return
        if result.invalid and not result.valid_only:
            return
        groups = {period: [p for p in plans if p.ok] for period, plans in self.groups().items()}
        groups = {period: plans for period, plans in groups.items() if plans}
        if not groups:
            return
        channel = CHANNELS[result.format]
        written: dict[str, list[int]] = {}
        write_seconds = validate_seconds = 0.0
        try:
            with transaction.atomic():
                for number, (period, plans) in enumerate(groups.items(), start=1):
                    items = [
                        BatchItem(p.enterprise_id, p.scope, p.stored, _label(p)) for p in plans
                    ]
                    started = time.perf_counter()
                    self.progress(number - 1, len(groups), _("Writing"))
                    batch = batch_write(
                        acting_user=self.acting_user,
                        form=self.form,
                        period=Period.parse(period),
                        items=items,
                        channel=channel,
                        validate=False,
                    )
                    middle = time.perf_counter()
                    self.progress(number - 1, len(groups), _("Validating"))
                    validate_period(self.form, Period.parse(period), batch.submission_ids)
                    write_seconds += middle - started
                    validate_seconds += time.perf_counter() - middle
                    written[period] = batch.submission_ids
                    self.progress(number, len(groups), _("Validating"))
        except DomainError as exc:
            self.file_problem(exc.message)
            for reason in exc.fields.get("__all__", []):
                self.file_problem(reason)
            return
        result.written = True
        result.timings["write"] = round(write_seconds, 3)
        result.timings["validate"] = round(validate_seconds, 3)
        self._started = time.perf_counter()
        self.read_back(groups, written)
        self.lap("read_back")

    def read_back(self, groups: dict[str, list[ReportPlan]], written: dict[str, list[int]]):
        """The stored validation outcome of each written report."""
        for period, plans in groups.items():
            outcome = {}
            ids = written[period]
            for start in range(0, len(ids), CHUNK):
                rows = Submission.objects.filter(id__in=ids[start : start + CHUNK]).values_list(
                    "enterprise_id", "scope", "errors", "warnings"
                )
                for enterprise_id, scope, errors, warnings in rows:
                    outcome[(enterprise_id, scope)] = (errors, warnings)
            for plan in plans:
                plan.written = True
                plan.rule_errors, plan.rule_warnings = outcome.get(
                    (plan.enterprise_id, plan.scope), (None, None)
                )


def _label(plan: ReportPlan) -> str:
    """How batch messages name a report; unique in the file."""
    if plan.sheet:
        return _("sheet %(sheet)s row %(row)s") % {"sheet": plan.sheet, "row": plan.row}
    return _("row %(row)s") % {"row": plan.row}


def _prepared(record: Record, definition) -> tuple[dict, dict]:
    """The values as parse_cells takes them: converted from the column's unit to the field's,
    and as text for a text field (a typed 5 is "5", not "5.0"); a value with a unit of its own
    other than the field's is an error."""
    raw = record.values
    fields = definition.fields_by_code
    plain = all(f.numeric for f in definition.fields)
    if plain and not record.scales and not any(isinstance(v, str) and v for v in raw.values()):
        return raw, {}
    prepared, errors = {}, {}
    for cell, value in raw.items():
        scale = record.scales.get(cell)
        field_def = fields.get(cell.partition(".")[0])
        if field_def is not None and not field_def.numeric:
            prepared[cell] = cell_text(value)
            continue
        if isinstance(value, str) and field_def is not None:
            suffix = UNIT_SUFFIX.search(value.strip())
            if suffix and (scale is not None or suffix.group(1) != field_def.unit):
                errors[cell] = _(
                    "The value is in %(unit)s; write the number in the column's unit."
                ) % {"unit": suffix.group(1)}
                continue
        if scale is None:
            prepared[cell] = value
            continue
        try:
            number = parse_number(value)
        except CellError as exc:
            errors[cell] = str(exc)
            continue
        prepared[cell] = None if number is None else number * scale
    return prepared, errors


def _record_outcome(plan: ReportPlan, violations) -> None:
    plan.rule_errors = sum(v.severity == "error" for v in violations)
    plan.rule_warnings = sum(v.severity == "warning" for v in violations)
    language = get_language()
    plan.messages = [
        pick_language(v.message_zh, v.message_en, language) for v in violations[:MESSAGES_KEPT]
    ]
