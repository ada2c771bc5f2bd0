"""The R&D expenditure (研发经费投入) enterprises reported in the monthly fast report, read from
the approved submissions of `guozi.reporting`.

The fast report is year-to-date, so a year's figure is the December report of that year; for
the current year it is the latest approved month so far, and that month is named wherever the
figure is shown. The figure is the enterprise's own (standalone, 本部/单户) one: the standalone
report of an enterprise that managed subsidiaries at the period's end, the one report of a leaf
(which counts as both scopes). A consolidated figure would include the subsidiaries' R&D, which
their own projects already account for. No approved report means no figure (None), never 0.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.db.models.fields.json import KeyTransform

from guozi.lib.periods import Period
from guozi.registry.models import ManagementLink
from guozi.reporting.frameworks import definition_of
from guozi.reporting.models import Form, FormVersion, ReportScope, State, Submission

FORM_CODE = "fast_report"
FIELD_CODE = "rd_expenditure"
CELL = f"{FIELD_CODE}.current"


@dataclass(frozen=True)
class ReportedRd:
    enterprise_id: int
    year: int
    period: str  # the report read, e.g. "2025-12" or "2026-07"
    scope: str
    amount_fen: int

    @property
    def month(self) -> int:
        return Period.parse(self.period).index

    @property
    def full_year(self) -> bool:
        return self.month == 12


def periods_of(year: int, today: date) -> list[str]:
    """The months whose report can give `year`'s figure, latest first: December for a past
    year, the months so far for the current one, none for a year to come."""
    if year < today.year:
        return [f"{year}-12"]
    if year == today.year:
        return [f"{year}-{month:02d}" for month in range(today.month, 0, -1)]
    return []


def _parents(enterprise_ids: set[int]) -> dict[int, list[tuple[date, date | None]]]:
    """Per enterprise, the validity of its links as a parent in the management tree."""
    spans = defaultdict(list)
    links = ManagementLink.objects.filter(parent_id__in=enterprise_ids).values_list(
        "parent_id", "valid_from", "valid_to"
    )
    for parent_id, valid_from, valid_to in links:
        spans[parent_id].append((valid_from, valid_to))
    return spans


def _own_scope(spans: list[tuple[date, date | None]], day: date) -> str:
    """Standalone for an enterprise managing a subsidiary on `day`; a leaf's one report is
    consolidated."""
    parent = any(start <= day and (end is None or end > day) for start, end in spans)
    return ReportScope.STANDALONE if parent else ReportScope.CONSOLIDATED


def _to_fen(version_id: int, stored: int, cache: dict) -> int:
    if version_id not in cache:
        version = FormVersion.objects.get(id=version_id)
        cache[version_id] = definition_of(version).field(FIELD_CODE).scale
    amount_yuan = Decimal(stored) / cache[version_id]
    return int((amount_yuan * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def reported_rd(enterprise_ids, years, *, today: date) -> dict[tuple[int, int], ReportedRd]:
    """(enterprise id, year) → the R&D expenditure reported, for those that have one. The
    caller has checked that the user may read these enterprises."""
    ids = {int(i) for i in enterprise_ids}
    wanted = {year: periods_of(year, today) for year in set(years)}
    periods = [period for listed in wanted.values() for period in listed]
    form = Form.objects.filter(code=FORM_CODE).first()
    if form is None or not ids or not periods:
        return {}
    rows = (
        Submission.objects.filter(
            form=form, state=State.APPROVED, enterprise_id__in=ids, period__in=periods
        )
        .annotate(rd=KeyTransform(CELL, "cells"))
        .values_list("enterprise_id", "period", "scope", "version_id", "rd")
    )
    found = {
        (enterprise_id, period, scope): (version_id, stored)
        for enterprise_id, period, scope, version_id, stored in rows
        if stored is not None
    }
    spans = _parents(ids)
    scales: dict[int, int] = {}
    result = {}
    for enterprise_id in ids:
        for year, candidates in wanted.items():
            for period in candidates:
                scope = _own_scope(spans.get(enterprise_id, []), Period.parse(period).end)
                hit = found.get((enterprise_id, period, scope))
                if hit is None:
                    continue
                version_id, stored = hit
                result[(enterprise_id, year)] = ReportedRd(
                    enterprise_id=enterprise_id,
                    year=year,
                    period=period,
                    scope=scope,
                    amount_fen=_to_fen(version_id, int(stored), scales),
                )
                break
    return result
