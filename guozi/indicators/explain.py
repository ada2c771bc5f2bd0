"""Explaining a figure: its formula, every input with its value and where it came from, and for a
roll-up the members that make it up, sortable by contribution.

Explanations are recomputed from the stored reports (with the same Store and Inputs the engine
uses), so they show what the figure is made of now; the stored figure is shown beside them.
"""

from dataclasses import dataclass

from django.utils.translation import get_language

from guozi.formulas import compile_formula, evaluate_many
from guozi.lib.periods import Period
from guozi.registry.models import Enterprise
from guozi.reporting.frameworks import definition_of, version_in_force
from guozi.reporting.models import Form, ReportScope, Submission, ValueVersion
from guozi.reporting.rules import ref_label
from guozi.reporting.validation import Inputs, Store

from .definitions import IndicatorDef, resolver_for
from .engine import STATES, Computer
from .frameworks import framework_in_force, framework_of

CONSOLIDATED = ReportScope.CONSOLIDATED


@dataclass(frozen=True)
class Source:
    submission_id: int
    period: str
    scope: str
    state: str
    column: str
    version_id: int | None  # the value version that last wrote the cell
    fallback: bool  # the prior-year or opening column was empty: an earlier filing stands in


@dataclass(frozen=True)
class Input:
    key: str
    label: str
    value: float | None
    source: Source | None


@dataclass(frozen=True)
class Explanation:
    indicator: IndicatorDef
    period: str
    value: float | None
    status: int
    numerator: float | None
    denominator: float | None
    inputs: list[Input]


@dataclass(frozen=True)
class Contribution:
    enterprise_id: int
    name: str
    scope: str
    value: float | None
    numerator: float | None
    denominator: float | None
    share: float | None  # of the unit's numerator (or of its value, for an amount)


def _parts(indicator: IndicatorDef, resolver) -> dict:
    parts = {"value": compile_formula(indicator.formula, resolver, kind="number")}
    if indicator.numerator is not None:
        parts["numerator"] = compile_formula(indicator.numerator, resolver, kind="number")
        parts["denominator"] = compile_formula(indicator.denominator, resolver, kind="number")
    return parts


def explain_enterprise(
    form: Form, enterprise: Enterprise, period: Period, code: str, scope: str, data_status: str
) -> Explanation:
    """The figure of one enterprise; the caller has checked that the user may read it."""
    loaded = framework_in_force(period)
    framework = framework_of(loaded)
    indicator = framework.by_code[code]
    version = version_in_force(form, period)
    definition = definition_of(version)
    resolver = resolver_for(framework, definition)
    parts = _parts(indicator, resolver)
    refs = sorted(set().union(*(p.refs for p in parts.values())), key=lambda r: r.key)
    store = Store(form, definition, enterprise_ids={enterprise.id}, states=STATES[data_status])
    inputs = Inputs(store, definition, period)
    inputs.fallback_needs = inputs.fallbacks(refs)
    store.ensure(inputs.needs(refs))
    row = [(enterprise.id, scope)]
    frame = inputs.frame(row, refs)
    out = evaluate_many(parts, frame).row(0, named=True)
    language = "en" if (get_language() or "").startswith("en") else "zh"
    fields = definition.fields_by_code
    listed = []
    for ref in refs:
        if ref.source == "context":
            continue
        value = frame[ref.key][0] if ref.key in frame.columns else None
        listed.append(
            Input(
                key=ref.key,
                label=ref_label(ref, fields, language),
                value=value,
                source=_source(form, enterprise.id, scope, period, ref, data_status)
                if value is not None
                else None,
            )
        )
    return Explanation(
        indicator=indicator,
        period=str(period),
        value=out["value"],
        status=out["value__status"],
        numerator=out.get("numerator"),
        denominator=out.get("denominator"),
        inputs=listed,
    )


def _source(form, enterprise_id: int, scope: str, period: Period, ref, data_status) -> Source:
    """Which report, column and value version a ref's value came from."""
    at = period.shift(-ref.offset)
    cell = f"{ref.code}.{ref.column}"
    reports = {
        s.scope: s
        for s in Submission.objects.filter(
            form=form, enterprise_id=enterprise_id, period=str(at), state__in=STATES[data_status]
        ).only("id", "scope", "state", "cells", "period")
    }
    report = reports.get(scope) or reports.get(CONSOLIDATED)
    fallback = False
    if report is None or report.cells.get(cell) is None:
        if ref.column in ("prior_year", "opening"):
            earlier = (
                at.prior_year() if ref.column == "prior_year" else at.first_of_year().previous()
            )
            earlier_reports = {
                s.scope: s
                for s in Submission.objects.filter(
                    form=form,
                    enterprise_id=enterprise_id,
                    period=str(earlier),
                    state__in=STATES[data_status],
                ).only("id", "scope", "state", "cells", "period")
            }
            report = earlier_reports.get(scope) or earlier_reports.get(CONSOLIDATED)
            cell, fallback = f"{ref.code}.current", True
    if report is None:
        return None
    return Source(
        submission_id=report.id,
        period=report.period,
        scope=report.scope,
        state=report.state,
        column=cell.rpartition(".")[2],
        version_id=_last_version(report.id, cell),
        fallback=fallback,
    )


def _last_version(submission_id: int, cell: str) -> int | None:
    versions = ValueVersion.objects.filter(submission_id=submission_id).order_by("-id")
    for version_id, changes in versions.values_list("id", "changes"):
        if cell in changes:
            return version_id
    return None


def contributions(
    form: Form,
    period: Period,
    code: str,
    *,
    unit_kind: str,
    supervisor_id: int,
    unit_code: str = "",
    data_status: str,
) -> list[Contribution]:
    """The members of a roll-up with their figure and their share of its numerator (of its
    value, for an amount), largest share first; the caller has checked the user may read it."""
    loaded = framework_in_force(period)
    framework = framework_of(loaded)
    indicator = framework.by_code[code]
    version = version_in_force(form, period)
    definition = definition_of(version)
    parts = _parts(indicator, resolver_for(framework, definition))
    refs = sorted(set().union(*(p.refs for p in parts.values())), key=lambda r: r.key)
    computer = Computer(loaded, form, data_status)
    rows = list(
        Submission.objects.filter(form=form, period=str(period), state__in=STATES[data_status])
        .order_by("enterprise_id", "scope")
        .values_list("enterprise_id", "scope")
    )
    store = computer.store(version.id, definition)
    units = computer.units(rows, store, period)
    members = units.with_row_index("row").filter(
        computer.member_filter(unit_kind, supervisor_id, unit_code)
    )
    if members.is_empty():
        return []
    picked = members.select("enterprise", "scope").rows()
    inputs = Inputs(store, definition, period)
    inputs.fallback_needs = inputs.fallbacks(refs)
    store.ensure(inputs.needs(refs))
    out = evaluate_many(parts, inputs.frame(picked, refs))
    share_of = "numerator" if "numerator" in parts else "value"
    total = out[share_of].sum() if out[share_of].count() else None
    names = dict(
        Enterprise.objects.filter(id__in=[e for e, _s in picked]).values_list(
            "id", "name_zh" if not (get_language() or "").startswith("en") else "name_en"
        )
    )
    found = []
    for (enterprise_id, scope), result in zip(picked, out.iter_rows(named=True), strict=True):
        part = result[share_of]
        found.append(
            Contribution(
                enterprise_id=enterprise_id,
                name=names.get(enterprise_id) or str(enterprise_id),
                scope=scope,
                value=result["value"],
                numerator=result.get("numerator"),
                denominator=result.get("denominator"),
                share=part / total if part is not None and total else None,
            )
        )
    return sorted(found, key=lambda c: (c.share is None, -(c.share or 0)))
