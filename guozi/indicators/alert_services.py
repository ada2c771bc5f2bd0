"""Writes behind the alert pages: annual targets (one by one or a whole imported workbook), the
debt-ratio line method and industry baselines. Alerts, rule switches and back-tests are the
indicator services' (`services.alert_acknowledge`, `alert_rectify`, `rule_switch`).

Each write is for the analysts and reviewers of the supervisor it belongs to, the same rule as
for alerts; it is audited, and the figures and alerts of the year it touches are recomputed once
it is committed, since alert conditions read targets and lines.
"""

import math
from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction
from django.utils.translation import gettext as _

from guozi.audit.services import audit_record, snapshot
from guozi.ledgers.permissions import managed_supervisor_ids
from guozi.lib.codetables import industries
from guozi.lib.errors import DomainError, Forbidden
from guozi.lib.periods import Period
from guozi.registry.models import Supervisor

from . import services
from .alert_imports import TargetFile, read_targets
from .alert_selectors import groups_of, target_indicators
from .models import ComputeRun, DataStatus, DebtLineMethod, DebtLinePolicy, IndustryBaseline, Target

MAX_ABS_TARGET = 1e13


def _ensure_manager(acting_user, supervisor: Supervisor) -> None:
    if supervisor.id not in managed_supervisor_ids(acting_user):
        raise Forbidden(
            _("Only the analysts and reviewers of %(supervisor)s change its settings.")
            % {"supervisor": supervisor.name}
        )


def recompute_year(year: int) -> list[str]:
    """Recompute the computed periods of the year (their alerts read targets and lines)."""
    periods = sorted(
        set(
            ComputeRun.objects.filter(
                period__startswith=str(year), data_status=DataStatus.APPROVED
            ).values_list("period", flat=True)
        )
    )
    if periods:
        services.compute(periods=[Period.parse(p) for p in periods])
    return periods


# -- targets -------------------------------------------------------------------------------------


@dataclass
class TargetsSaved:
    created: int = 0
    updated: int = 0
    removed: int = 0
    unchanged: int = 0
    recomputed: list[str] = field(default_factory=list)

    @property
    def changed(self) -> int:
        return self.created + self.updated + self.removed


def target_key(enterprise_id: int, code: str) -> str:
    """How a problem with one target is named in DomainError.fields."""
    return f"{enterprise_id}:{code}"


def _checked_targets(supervisor: Supervisor, year: int, values: dict) -> dict:
    groups = {g.id for g in groups_of(supervisor, year)}
    _set, indicators = target_indicators(year)
    codes = {i.code for i in indicators}
    problems: dict[str, list[str]] = {}
    if not codes:
        raise DomainError(
            _("No indicator set is assessed in %(year)s.") % {"year": year}, code="no_set"
        )
    for (enterprise_id, code), value in values.items():
        key = target_key(enterprise_id, code)
        if enterprise_id not in groups:
            problems[key] = [
                _("Not a group of %(supervisor)s in %(year)s.")
                % {"supervisor": supervisor.name, "year": year}
            ]
        elif code not in codes:
            problems[key] = [
                _("%(code)s is not assessed in %(year)s; the indicators are: %(codes)s.")
                % {"code": code, "year": year, "codes": ", ".join(sorted(codes))}
            ]
        elif value is not None and (
            not isinstance(value, int | float)
            or not math.isfinite(value)
            or abs(value) > MAX_ABS_TARGET
        ):
            problems[key] = [_("Enter a number.")]
    if problems:
        raise DomainError(
            _("Some targets are not valid; nothing was saved."), code="invalid", fields=problems
        )
    return values


def targets_set(*, acting_user, supervisor: Supervisor, year: int, values: dict) -> TargetsSaved:
    """Set the supervisor's targets of the year: `values` maps (enterprise id, indicator code)
    to a value in the indicator's unit (ratios as fractions), or None to remove the target.
    Every value is checked before anything is written; then the year is recomputed."""
    saved = _targets_write(acting_user=acting_user, supervisor=supervisor, year=year, values=values)
    if saved.changed:
        saved.recomputed = recompute_year(year)
    return saved


@transaction.atomic
def _targets_write(*, acting_user, supervisor: Supervisor, year: int, values: dict) -> TargetsSaved:
    _ensure_manager(acting_user, supervisor)
    _checked_targets(supervisor, year, values)
    existing = {
        (t.enterprise_id, t.indicator): t
        for t in Target.objects.select_for_update().filter(supervisor=supervisor, year=year)
    }
    saved = TargetsSaved()
    for (enterprise_id, code), value in sorted(values.items()):
        target = existing.get((enterprise_id, code))
        if value is None:
            if target is None:
                continue
            named, before = _Named(target), snapshot(target, ["indicator", "value"])
            target.delete()
            audit_record(
                actor=acting_user,
                action="delete",
                instance=named,
                before=before,
                enterprise_id=enterprise_id,
            )
            saved.removed += 1
        elif target is None:
            created = Target.objects.create(
                supervisor=supervisor,
                enterprise_id=enterprise_id,
                year=year,
                indicator=code,
                value=float(value),
                set_by=acting_user,
            )
            audit_record(
                actor=acting_user,
                action="create",
                instance=created,
                after=snapshot(created, ["year", "indicator", "value"]),
                enterprise_id=enterprise_id,
            )
            saved.created += 1
        elif target.value != float(value):
            before = snapshot(target, ["value"])
            target.value, target.set_by = float(value), acting_user
            target.save(update_fields=["value", "set_by", "set_at"])
            audit_record(
                actor=acting_user,
                action="update",
                instance=target,
                before=before,
                after=snapshot(target, ["value"]),
                enterprise_id=enterprise_id,
            )
            saved.updated += 1
        else:
            saved.unchanged += 1
    return saved


@dataclass
class TargetImport:
    file: TargetFile
    saved: TargetsSaved | None  # None: the file has problems and nothing was written


def targets_import(
    *, acting_user, supervisor: Supervisor, year: int, path: Path, name: str
) -> TargetImport:
    """Set targets from a filled template: the whole file is checked first, and nothing is
    written unless all of it is valid."""
    _ensure_manager(acting_user, supervisor)
    read = read_targets(path, name, supervisor=supervisor, year=year)
    if not read.ok:
        return TargetImport(read, None)
    saved = targets_set(
        acting_user=acting_user, supervisor=supervisor, year=year, values=read.values
    )
    return TargetImport(read, saved)


class _Named:
    """A deleted row as the audit log names it (its id is gone from the instance)."""

    def __init__(self, instance) -> None:
        self._meta = instance._meta
        self.id = instance.id
        self._text = str(instance)

    def __str__(self) -> str:
        return self._text


# -- debt-ratio lines ----------------------------------------------------------------------------


def _line_industry(code: str) -> bool:
    """A GB/T 4754 section or division: the levels the lines look baselines up by."""
    found = industries().get(code)
    return found is not None and found.level in (1, 2)


def debt_line_method_set(*, acting_user, supervisor: Supervisor, method: str) -> list[str]:
    """Choose how the supervisor's debt-ratio lines are set; recomputes the latest year with
    figures. Returns the periods recomputed."""
    changed, year = _method_write(acting_user=acting_user, supervisor=supervisor, method=method)
    return recompute_year(year) if changed and year else []


@transaction.atomic
def _method_write(*, acting_user, supervisor: Supervisor, method: str) -> tuple[bool, int | None]:
    _ensure_manager(acting_user, supervisor)
    if method not in DebtLineMethod.values:
        raise DomainError(
            _("Choose one of: %(choices)s.") % {"choices": ", ".join(DebtLineMethod.values)},
            code="invalid",
            fields={"method": [_("Unknown method.")]},
        )
    policy, _created = DebtLinePolicy.objects.select_for_update().get_or_create(
        supervisor=supervisor
    )
    if policy.method == method:  # a new policy starts with the default: the guideline
        return False, None
    before = snapshot(policy, ["method"])
    policy.method = method
    policy.save(update_fields=["method"])
    audit_record(
        actor=acting_user,
        action="update",
        instance=policy,
        before=before,
        after=snapshot(policy, ["method"]),
    )
    latest = (
        ComputeRun.objects.filter(data_status=DataStatus.APPROVED)
        .order_by("-period")
        .values_list("period", flat=True)
        .first()
    )
    return True, int(latest[:4]) if latest else None


def baseline_set(
    *,
    acting_user,
    supervisor: Supervisor,
    year: int,
    industry: str,
    baseline: float,
    source: str = "",
) -> IndustryBaseline:
    """Enter or change an industry's baseline debt ratio (a fraction) for the year's lines;
    recomputes the year."""
    found = _baseline_write(
        acting_user=acting_user,
        supervisor=supervisor,
        year=year,
        industry=industry,
        baseline=baseline,
        source=source,
    )
    recompute_year(year)
    return found


@transaction.atomic
def _baseline_write(*, acting_user, supervisor, year, industry, baseline, source):
    _ensure_manager(acting_user, supervisor)
    industry = (industry or "").strip().upper()
    problems: dict[str, list[str]] = {}
    if not _line_industry(industry):
        problems["industry"] = [
            _("Enter a GB/T 4754 section (a letter, e.g. C) or division (e.g. C31).")
        ]
    if (
        not isinstance(baseline, int | float)
        or not math.isfinite(baseline)
        or not (0 < baseline < 1)
    ):
        problems["baseline"] = [_("Enter a debt ratio above 0% and below 100%.")]
    if not 2000 <= year <= 2100:
        problems["year"] = [_("Enter a year from 2000 to 2100.")]
    source = (source or "").strip()
    if len(source) > 300:
        problems["source"] = [_("At most 300 characters.")]
    if problems:
        raise DomainError(_("The baseline is not valid."), code="invalid", fields=problems)
    found = IndustryBaseline.objects.filter(supervisor=supervisor, year=year, industry=industry)
    existing = found.select_for_update().first()
    if existing is None:
        created = IndustryBaseline.objects.create(
            supervisor=supervisor, year=year, industry=industry, baseline=baseline, source=source
        )
        audit_record(
            actor=acting_user,
            action="create",
            instance=created,
            after=snapshot(created, ["year", "industry", "baseline", "source"]),
        )
        return created
    before = snapshot(existing, ["baseline", "source"])
    existing.baseline, existing.source = float(baseline), source
    existing.save(update_fields=["baseline", "source"])
    audit_record(
        actor=acting_user,
        action="update",
        instance=existing,
        before=before,
        after=snapshot(existing, ["baseline", "source"]),
    )
    return existing


def baseline_delete(*, acting_user, baseline: IndustryBaseline) -> None:
    """Remove a baseline: its industry has no guideline lines that year until one is entered."""
    year = baseline.year
    _baseline_remove(acting_user=acting_user, baseline=baseline)
    recompute_year(year)


@transaction.atomic
def _baseline_remove(*, acting_user, baseline: IndustryBaseline) -> None:
    _ensure_manager(acting_user, baseline.supervisor)
    before = snapshot(baseline, ["year", "industry", "baseline", "source"])
    named = _Named(baseline)
    baseline.delete()
    audit_record(actor=acting_user, action="delete", instance=named, before=before)
