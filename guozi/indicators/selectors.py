"""Scoped reads of computed indicators.

Enterprise figures are read by whoever may read the enterprise; roll-ups (a portfolio, a city,
an industry, a function class) by the supervisor roles of that supervisor and of those above it.
Figures use approved data unless `data_status` asks to include submitted reports, in which case
a period with reports awaiting approval uses its "submitted" computation.
"""

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import FloatField, QuerySet
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast, Substr
from django.utils.translation import get_language

from guozi.accounts.access import active_memberships
from guozi.lib.codetables import industries, region
from guozi.lib.models import pick_language
from guozi.lib.periods import Period
from guozi.registry.models import Enterprise, ManagementLink, Supervisor
from guozi.registry.selectors import supervisor_descendants, visible_enterprises
from guozi.reporting.models import Form

from . import health
from .definitions import Framework, IndicatorDef
from .frameworks import framework_of
from .models import ComputeRun, DataStatus, IndicatorResult, UnitKind

OK = "0"


@dataclass(frozen=True)
class Figure:
    """One indicator of one unit in one period, with its restated comparative."""

    indicator: IndicatorDef
    value: float | None
    status: int  # 0 ok, 1 missing, 2 undefined
    prior: float | None = None
    prior_status: int = 1
    restated: bool = True

    @property
    def change(self) -> float | None:
        """Year-on-year: a growth rate for amounts, a change in percentage points (as a
        fraction) for ratios; None when either side is not a number or the base is 0."""
        if self.value is None or self.prior is None:
            return None
        if self.indicator.is_ratio:
            return self.value - self.prior
        if self.prior == 0:
            return None
        return (self.value - self.prior) / abs(self.prior)


@dataclass
class UnitFigures:
    """Every indicator of one unit (an enterprise in one scope, or a roll-up) in one period."""

    run: ComputeRun
    framework: Framework
    unit_kind: str
    supervisor_id: int
    enterprise_id: int | None
    unit_code: str
    scope: str
    members: int
    values: dict[str, float | None]
    statuses: dict[str, int]
    prior: dict[str, float | None]
    prior_statuses: dict[str, int]
    label: str = ""
    extra: dict = field(default_factory=dict)

    def figure(self, code: str) -> Figure:
        indicator = self.framework.by_code[code]
        return Figure(
            indicator=indicator,
            value=self.values.get(code),
            status=self.statuses.get(code, 1),
            prior=self.prior.get(code),
            prior_status=self.prior_statuses.get(code, 1),
            restated=code in self.run.restated,
        )

    def worst(self, code: str) -> bool:
        return bool(self.values.get(f"worst:{code}"))

    def bands(self, thresholds: dict[str, tuple] | None = None) -> dict[str, health.Banded]:
        """The health-check band of each ratio (thresholds per ratio code may override the
        framework's, e.g. a supervisor's own)."""
        found = {}
        for ratio in self.framework.health.ratios if self.framework.health else ():
            limits = (thresholds or {}).get(ratio.code, ratio.thresholds)
            found[ratio.code] = health.band_of(
                self.values.get(ratio.code), limits, ratio.direction, self.worst(ratio.code)
            )
        return found

    def rating(self, thresholds: dict[str, tuple] | None = None) -> tuple[float | None, int | None]:
        check = self.framework.health
        if check is None:
            return None, None
        bands = self.bands(thresholds)
        enabled = [bands[r.code].band for r in check.ratios if r.enabled]
        return health.overall(enabled, check.overall_cuts)


def _prior_codes(run: ComputeRun, framework: Framework) -> list[str]:
    """The run's codes that have a prior-year comparative: the framework's own indicators."""
    own = {i.code for i in framework.indicators}
    return [c for c in run.indicators if c in own]


def _from_row(
    run: ComputeRun, framework: Framework, row: IndicatorResult, prior_codes: list | None = None
) -> UnitFigures:
    codes = run.indicators
    own, _sep, prior_digits = row.statuses.partition("/")
    if prior_codes is None:
        prior_codes = _prior_codes(run, framework)
    return UnitFigures(
        run=run,
        framework=framework,
        unit_kind=row.unit_kind,
        supervisor_id=row.supervisor_id,
        enterprise_id=row.enterprise_id,
        unit_code=row.unit_code,
        scope=row.scope,
        members=row.members,
        values=dict(zip(codes, row.values, strict=True)),
        statuses={c: int(d) for c, d in zip(codes, own, strict=True)},
        prior=dict(zip(prior_codes, row.prior, strict=True)),
        prior_statuses={c: int(d) for c, d in zip(prior_codes, prior_digits, strict=True)},
    )


def _runs(form: Form, periods: list[str], data_status: str) -> dict[str, ComputeRun]:
    """The run to read for each period: the "submitted" one where asked for and present."""
    runs = ComputeRun.objects.filter(form=form, period__in=periods).select_related("framework")
    chosen: dict[str, ComputeRun] = {}
    for run in runs:
        if run.data_status == DataStatus.APPROVED and run.period not in chosen:
            chosen[run.period] = run
        elif run.data_status == DataStatus.SUBMITTED and data_status == DataStatus.SUBMITTED:
            chosen[run.period] = run
    return chosen


def of_runs(runs) -> QuerySet:
    """The ids of `runs`, as a subquery to filter results by. A list of ids would do, but a
    recompute gives the runs new ids, and until the table's statistics are gathered again
    PostgreSQL takes each new id for a rare one and reads every result of the runs through
    the run's own index; through a subquery it goes by the runs' number and the right index."""
    return ComputeRun.objects.filter(id__in=[run.id for run in runs]).values("id")


def rollup_supervisor_ids(user) -> set[int]:
    """Supervisors whose roll-ups the user may read."""
    own = {m.supervisor_id for m in active_memberships(user) if m.supervisor_id}
    return supervisor_descendants(own) if own else set()


def computed_periods(form: Form) -> list[str]:
    periods = ComputeRun.objects.filter(form=form, data_status=DataStatus.APPROVED)
    return sorted(set(periods.values_list("period", flat=True)), reverse=True)


@dataclass(frozen=True)
class Freshness:
    computed_at: datetime | None
    stale: bool


def freshness(form: Form, period: str) -> Freshness:
    runs = ComputeRun.objects.filter(form=form, period=period)
    times = [r.computed_at for r in runs]
    return Freshness(max(times) if times else None, any(r.stale for r in runs))


def unit_figures(
    user,
    form: Form,
    period: str,
    *,
    unit_kind: str,
    data_status: str = DataStatus.APPROVED,
    supervisor_id: int | None = None,
    enterprise_ids: list[int] | None = None,
    scope: str | None = None,
) -> list[UnitFigures]:
    """The figures of the units of one kind in one period that the user may read."""
    run = _runs(form, [period], data_status).get(period)
    if run is None:
        return []
    framework = framework_of(run.framework)
    rows = _readable_rows(user, run, unit_kind, supervisor_id, enterprise_ids, scope)
    prior_codes = _prior_codes(run, framework)
    found = [_from_row(run, framework, row, prior_codes) for row in rows]
    _label(found)
    return found


def _readable_rows(user, run, unit_kind, supervisor_id, enterprise_ids, scope) -> QuerySet:
    rows = IndicatorResult.objects.filter(run=run, unit_kind=unit_kind)
    if unit_kind == UnitKind.ENTERPRISE:
        visible = visible_enterprises(user).values("id")
        rows = rows.filter(enterprise_id__in=visible)
        if enterprise_ids is not None:
            rows = rows.filter(enterprise_id__in=enterprise_ids)
        if scope:
            rows = rows.filter(scope=scope)
    else:
        allowed = rollup_supervisor_ids(user)
        rows = rows.filter(supervisor_id__in=allowed)
    if supervisor_id is not None:
        rows = rows.filter(supervisor_id=supervisor_id)
    return rows.order_by("id")


def unit_values(
    user,
    form: Form,
    period: str,
    codes: list[str],
    *,
    unit_kind: str = UnitKind.ENTERPRISE,
    data_status: str = DataStatus.APPROVED,
    supervisor_id: int | None = None,
    enterprise_ids=None,
    scope: str | None = None,
    enterprise_fields: tuple[str, ...] = (),
) -> list[UnitFigures]:
    """The units of `unit_figures`, with only the indicators `codes` (values and statuses, no
    prior-year comparatives): each value is picked out by the database, so that thousands of
    units cost one light query instead of decoding every stored row. `enterprise_ids` may be
    a list or a query of ids; the enterprise's `enterprise_fields` are read along, into
    `extra`."""
    run = _runs(form, [period], data_status).get(period)
    if run is None:
        return []
    framework = framework_of(run.framework)
    wanted = [(code, run.indicators.index(code)) for code in codes if code in run.indicators]
    columns = {}
    for number, (code, value) in enumerate(_value_columns(run, codes).items()):
        columns[f"value_{number}"] = value
        columns[f"status_{number}"] = Substr("statuses", run.indicators.index(code) + 1, 1)
    rows = _readable_rows(user, run, unit_kind, supervisor_id, enterprise_ids, scope)
    names = ("enterprise__name_zh", "enterprise__name_en")
    fields = [f"enterprise__{name}" for name in enterprise_fields]
    language = get_language()
    found = []
    for row in rows.values("supervisor_id", "enterprise_id", "unit_code", "scope", "members",
                           *names, *fields, **columns):  # fmt: skip
        found.append(
            UnitFigures(
                run=run,
                framework=framework,
                unit_kind=unit_kind,
                supervisor_id=row["supervisor_id"],
                enterprise_id=row["enterprise_id"],
                unit_code=row["unit_code"],
                scope=row["scope"],
                members=row["members"],
                values={code: row[f"value_{n}"] for n, (code, _p) in enumerate(wanted)},
                statuses={code: int(row[f"status_{n}"]) for n, (code, _p) in enumerate(wanted)},
                prior={},
                prior_statuses={},
                extra={name: row[f"enterprise__{name}"] for name in enterprise_fields},
            )
        )
        if unit_kind == UnitKind.ENTERPRISE:
            found[-1].label = pick_language(row[names[0]], row[names[1]], language)
    if unit_kind != UnitKind.ENTERPRISE:
        _label(found)
    return found


def health_ratings(
    user,
    form: Form,
    period: str,
    *,
    data_status: str = DataStatus.APPROVED,
    enterprise_ids=None,
    scope: str | None = None,
) -> tuple[Framework | None, Counter]:
    """How many of the enterprises (as `unit_figures` reads them) fall in each overall
    health-check rating (None: no rating), with the framework the rating is of: the same as
    `UnitFigures.rating`, from the stored values alone, for thousands of enterprises."""
    run = _runs(form, [period], data_status).get(period)
    if run is None:
        return None, Counter()
    framework = framework_of(run.framework)
    rows = _readable_rows(user, run, UnitKind.ENTERPRISE, None, enterprise_ids, scope)
    check = framework.health
    if check is None:
        return framework, Counter({None: rows.count()})
    ratios = [r for r in check.ratios if r.enabled]
    columns = _value_columns(run, [c for r in ratios for c in (r.code, f"worst:{r.code}")])
    places = {code: place for place, code in enumerate(columns)}
    banding = [
        (places.get(r.code), places.get(f"worst:{r.code}"), r.thresholds, r.direction)
        for r in ratios
    ]
    found: Counter = Counter()
    for values in rows.values_list(*columns.values()):
        bands = [
            health.band_of(
                None if value is None else values[value],
                thresholds,
                direction,
                worst is not None and bool(values[worst]),
            ).band
            for value, worst, thresholds, direction in banding
        ]
        found[health.overall(bands, check.overall_cuts)[1]] += 1
    return framework, found


def _value_columns(run: ComputeRun, codes: list[str]) -> dict:
    """{code: the stored value as a number} for the codes the run has, to read in a query."""
    return {
        code: Cast(KeyTextTransform(str(run.indicators.index(code)), "values"), FloatField())
        for code in codes
        if code in run.indicators
    }


def enterprise_series(
    user,
    form: Form,
    enterprise: Enterprise,
    *,
    scope: str,
    data_status: str = DataStatus.APPROVED,
    periods: list[str] | None = None,
) -> list[UnitFigures]:
    """One enterprise's figures in one scope over the computed periods, oldest first; the
    caller has checked that the user may read the enterprise."""
    wanted = periods or computed_periods(form)
    runs = _runs(form, wanted, data_status)
    rows = IndicatorResult.objects.filter(
        run__in=of_runs(runs.values()), enterprise=enterprise, unit_kind=UnitKind.ENTERPRISE
    )
    by_period = {}
    for row in rows:
        run = next(r for r in runs.values() if r.id == row.run_id)
        if row.scope == scope:
            by_period[run.period] = _from_row(run, framework_of(run.framework), row)
    leaf_fallback = [p for p in runs if p not in by_period]
    if scope != "consolidated" and leaf_fallback:
        # A leaf files one report, which counts as both scopes; a parent that did not file its
        # standalone report has no standalone figure.
        parent_in = _parent_periods(enterprise, leaf_fallback)
        for row in rows.filter(scope="consolidated"):
            run = next(r for r in runs.values() if r.id == row.run_id)
            if run.period in leaf_fallback and run.period not in parent_in:
                by_period[run.period] = _from_row(run, framework_of(run.framework), row)
    return [by_period[p] for p in sorted(by_period)]


def _parent_periods(enterprise: Enterprise, periods: list[str]) -> set[str]:
    """The periods at whose end the enterprise managed at least one subsidiary."""
    links = list(
        ManagementLink.objects.filter(parent=enterprise).values_list("valid_from", "valid_to")
    )
    found = set()
    for period in periods:
        day = Period.parse(period).end
        if any(start <= day and (end is None or end > day) for start, end in links):
            found.add(period)
    return found


def _label(found: list[UnitFigures]) -> None:
    """A display name for each unit (enterprise, supervisor, city, industry, class)."""
    enterprise_ids = [f.enterprise_id for f in found if f.enterprise_id]
    names = {}
    if enterprise_ids:
        language = get_language()
        names = {
            id_: pick_language(name_zh, name_en, language)
            for id_, name_zh, name_en in Enterprise.objects.filter(
                id__in=enterprise_ids
            ).values_list("id", "name_zh", "name_en")
        }
    supervisors = {s.id: s for s in Supervisor.objects.all()}
    classes = {}
    if any(f.unit_kind == UnitKind.FUNCTION_CLASS for f in found):
        from guozi.registry.models import FunctionClass

        classes = {str(c.id): c for c in FunctionClass.objects.all()}
    for figures in found:
        if figures.unit_kind == UnitKind.ENTERPRISE:
            figures.label = names.get(figures.enterprise_id, str(figures.enterprise_id))
        elif figures.unit_kind == UnitKind.PORTFOLIO:
            supervisor = supervisors.get(figures.supervisor_id)
            figures.label = supervisor.name if supervisor else str(figures.supervisor_id)
        elif figures.unit_kind == UnitKind.CITY:
            figures.label = city_name(figures.unit_code)
        elif figures.unit_kind == UnitKind.INDUSTRY:
            industry = industries().get(figures.unit_code)
            figures.label = (
                f"{figures.unit_code} {industry.name_zh}" if industry else figures.unit_code
            )
        else:
            found_class = classes.get(figures.unit_code)
            figures.label = found_class.name if found_class else figures.unit_code


def city_name(code: str) -> str:
    """A prefecture's name; a municipality's city districts (市辖区) go by the municipality's."""
    found = region(code)
    if found is None:
        return code
    if found.name_zh == "市辖区" and found.parent_code and region(found.parent_code):
        return region(found.parent_code).name_zh
    return found.name_zh
