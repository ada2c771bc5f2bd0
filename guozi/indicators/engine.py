"""Computing every indicator of a period for every enterprise and every roll-up at once.

The formulas of a framework version are compiled once against a form version (a `Plan`). For a
period, the inputs they name are read once into one table (a column per input, a row per
report: reporting's `Store` and `Inputs`, with the prior-year and opening fall-backs), every
indicator is evaluated over all rows in one polars plan, and the same input table, summed per
unit, gives the roll-ups: ratios of sums, never means of ratios.

Roll-ups follow DESIGN.md "Two scopes": a supervisor's portfolio adds up the consolidated
reports of its groups (the top-most members on the period's last day); breakdowns by city,
industry and function class add up standalone reports (a leaf's one report counts as both), so
nothing is counted twice, though intra-group trade is not eliminated.
"""

import time
from dataclasses import dataclass, field
from functools import lru_cache

import orjson
import polars as pl
from django.db import transaction
from django.utils import timezone

from guozi.formulas import STATUS_SUFFIX, Compiled, FormulaError, compile_formula, evaluate_many
from guozi.formulas.refs import Ref
from guozi.lib.bulk import bulk_insert
from guozi.lib.periods import Period
from guozi.registry.models import Enterprise
from guozi.reporting.definitions import FormDefinition
from guozi.reporting.frameworks import definition_of, version_in_force
from guozi.reporting.models import Form, FormVersion, ReportScope, State
from guozi.reporting.validation import Inputs, Store

from . import alerts
from .alerts import AlertInputs
from .definitions import Framework, resolver_for
from .frameworks import framework_of
from .models import ComputeRun, DataStatus, IndicatorFramework, IndicatorResult, UnitKind

PER_YEAR = {"month": 12, "quarter": 4, "half": 2, "year": 1}
STATES = {
    DataStatus.APPROVED: (State.APPROVED,),
    DataStatus.SUBMITTED: (State.APPROVED, State.SUBMITTED),
}
WORST_PREFIX = "worst:"
SIGNIFICANT_DIGITS = 12
BATCH_PERIODS = 12  # periods evaluated and committed together: a year of months
# Periods before a batch that its formulas may still read (a year back, and a little more for
# monthly flows and runs of months), kept loaded; earlier ones are dropped.
KEEP_PERIODS = 15
CONSOLIDATED = ReportScope.CONSOLIDATED
STANDALONE = ReportScope.STANDALONE
RESULT_COLUMNS = [
    "run_id",
    "unit_kind",
    "supervisor_id",
    "enterprise_id",
    "unit_code",
    "scope",
    "values",
    "prior",
    "statuses",
    "members",
]


@dataclass(frozen=True)
class Plan:
    """A framework version compiled against a form version.

    `codes` is the order of the stored lists: every indicator, then a "worst:<ratio>" flag (1 or
    0) for each health-check ratio with a "worst when" condition. `prior` holds the prior-year
    comparative of the framework's indicators (not of the health-check ratios); where a formula
    reads the opening column, which has no prior-year counterpart on the form, the comparative
    is the same period a year earlier as filed then (`lag`), not restated.
    """

    codes: tuple[str, ...]
    formulas: dict[str, Compiled]
    prior: dict[str, Compiled]
    restated: frozenset[str]  # indicators whose comparative is the restated prior-year column

    @property
    def refs(self) -> list[Ref]:
        found = set()
        for compiled in (*self.formulas.values(), *self.prior.values()):
            found |= compiled.refs
        return sorted(found, key=lambda ref: ref.key)


def plan_for(loaded: IndicatorFramework, version: FormVersion) -> Plan:
    return _plan(loaded.id, loaded.sha256, version.id, version.sha256)


@lru_cache(maxsize=32)
def _plan(framework_id: int, sha256: str, version_id: int, version_sha256: str) -> Plan:
    framework = framework_of(IndicatorFramework.objects.get(id=framework_id))
    return build_plan(framework, definition_of(FormVersion.objects.get(id=version_id)))


def build_plan(framework: Framework, definition: FormDefinition) -> Plan:
    resolver = resolver_for(framework, definition)
    formulas, codes = {}, []
    for indicator in framework.all_indicators:
        formulas[indicator.code] = compile_formula(indicator.formula, resolver, kind="number")
        codes.append(indicator.code)
    for indicator in framework.all_indicators:
        if indicator.worst_when:
            code = WORST_PREFIX + indicator.code
            formulas[code] = compile_formula(
                f"if({indicator.worst_when}, 1, 0)", resolver, kind="number"
            )
            codes.append(code)
    prior, restated = {}, set()
    per_year = PER_YEAR[definition.period_type]
    for indicator in framework.indicators:
        try:
            prior[indicator.code] = compile_formula(f"prior_year({indicator.code})", resolver)
            restated.add(indicator.code)
        except FormulaError:
            prior[indicator.code] = compile_formula(f"lag({indicator.code}, {per_year})", resolver)
    return Plan(tuple(codes), formulas, prior, frozenset(restated))


@dataclass
class Outcome:
    """The computed rows of one period, before they are stored."""

    period: Period
    codes: tuple[str, ...]
    restated: frozenset[str]
    rows: list[tuple]  # (unit kind, supervisor, enterprise, unit code, scope, values, prior,
    #                     statuses, members)
    reports: int
    seconds: float = 0.0
    findings: list = field(default_factory=list)


@dataclass
class Prepared:
    """One period's reports: their inputs (a column per ref) and their units (see `units`);
    and the rows alert rules are evaluated on, with their inputs."""

    period: Period
    plan: Plan
    table: pl.DataFrame
    units: pl.DataFrame
    reports: int
    seconds: float
    alert_plan: object = None
    alert_rows: pl.DataFrame | None = None
    alert_table: pl.DataFrame | None = None


class Computer:
    """Computes periods of one form and data status, reusing the loaded reports across
    periods (a prior year read for one month is the current year of another)."""

    def __init__(
        self,
        loaded: IndicatorFramework,
        form: Form,
        data_status: str,
        *,
        alerts: bool = False,
        alert_rules: tuple | None = None,
    ) -> None:
        self.loaded = loaded
        self.form = form
        self.data_status = data_status
        self.stores: dict[int, Store] = {}
        self.attributes: pl.DataFrame | None = None
        # Alerts are raised on approved data only.
        self.alerts = alerts and data_status == DataStatus.APPROVED
        self.alert_inputs = AlertInputs(framework_of(loaded), form) if self.alerts else None
        self.alert_rules = alert_rules  # instead of the framework's (a back-test)
        self.open_alerts: set[tuple[str, int]] = set()  # (rule, enterprise) with an alert

    def store(self, version_id: int, definition: FormDefinition) -> Store:
        if version_id not in self.stores:
            self.stores = {
                version_id: Store(self.form, definition, states=STATES[self.data_status])
            }
        return self.stores[version_id]

    def compute(self, periods: list[Period]) -> list[Outcome]:
        """The outcome of each period. Periods filed on one form version are summed up and
        evaluated together: the roll-ups are one group-by and the polars plan is built once."""
        prepared = []
        for index, period in enumerate(periods):
            if index + 1 < len(periods):
                self.read_ahead(periods[index + 1])
            prepared.append(self.prepare(period))
        rows: dict[str, list] = {str(p.period): [] for p in prepared}
        seconds = {str(p.period): p.seconds for p in prepared}
        for plan, group in _by_plan(prepared):
            started = time.perf_counter()
            keys, table = self.with_rollups(
                pl.concat([p.table for p in group], how="vertical_relaxed"),
                pl.concat([p.units for p in group], how="vertical_relaxed"),
            )
            evaluated = _evaluated(plan, table)
            share = (time.perf_counter() - started) / sum(p.reports for p in group)
            for item in group:
                seconds[str(item.period)] += share * item.reports
            for (period, kind, supervisor, enterprise, code, scope, members), encoded in zip(
                keys, evaluated, strict=True
            ):
                if supervisor is not None:
                    rows[period].append(
                        (kind, supervisor, enterprise, code, scope, *encoded, members)
                    )
        findings = self.findings(prepared) if self.alerts else []
        outcomes = [
            Outcome(
                p.period,
                p.plan.codes,
                p.plan.restated,
                rows[str(p.period)],
                p.reports,
                seconds[str(p.period)],
            )
            for p in prepared
        ]
        if outcomes:
            outcomes[-1].findings = findings
        return outcomes

    def findings(self, prepared: list["Prepared"]) -> list:
        """Every alert rule over the enterprises' own figures and the overdue reports."""
        found = []
        by_plan: dict[int, list[Prepared]] = {}
        for item in prepared:
            if item.alert_rows is not None and item.alert_rows.height:
                by_plan.setdefault(id(item.alert_plan), []).append(item)
        for group in by_plan.values():
            found += alerts.evaluate(
                group[0].alert_plan,
                pl.concat([p.alert_table for p in group], how="diagonal_relaxed"),
                pl.concat([p.alert_rows for p in group], how="vertical_relaxed"),
                self.alert_inputs,
                open_alerts=self.open_alerts,
            )
        return found

    def read_ahead(self, period: Period) -> None:
        """Start reading the next period's reports while this one is prepared."""
        version = version_in_force(self.form, period)
        definition = definition_of(version)
        refs, _alert_plan = self.refs(version, definition)
        needs = Inputs(None, definition, period).needs(refs)
        self.store(version.id, definition).prefetch(period, needs[str(period)])

    def refs(self, version: FormVersion, definition: FormDefinition):
        """What the indicators (and the alert rules, when raised) read; the alert plan."""
        plan = plan_for(self.loaded, version)
        alert_plan = self.alert_plan(version, definition) if self.alerts else None
        if alert_plan is not None and not alert_plan.rules:
            alert_plan = None
        refs = plan.refs
        if alert_plan is not None:  # what the alert rules read, besides
            refs = sorted(set(refs) | alert_plan.field_refs, key=lambda r: r.key)
        return refs, alert_plan

    def prepare(self, period: Period) -> "Prepared":
        """The period's reports: their inputs and what each belongs to."""
        started = time.perf_counter()
        version = version_in_force(self.form, period)
        definition = definition_of(version)
        plan = plan_for(self.loaded, version)
        refs, alert_plan = self.refs(version, definition)
        store = self.store(version.id, definition)
        inputs = Inputs(store, definition, period)
        inputs.fallback_needs = inputs.fallbacks(refs)
        store.ensure(inputs.needs(refs))
        reports = store.frame(period).select("enterprise", "scope").sort("enterprise", "scope")
        rows = reports.rows()
        table = inputs.frame(rows, refs) if rows else pl.DataFrame()
        units = (
            self.units(rows, store, period).with_columns(period=pl.lit(str(period)))
            if rows
            else pl.DataFrame()
        )
        prepared = Prepared(period, plan, table, units, len(rows), 0.0)
        if alert_plan is not None:
            self.alert_part(prepared, alert_plan, definition, store, refs)
        prepared.seconds = time.perf_counter() - started
        return prepared

    def alert_plan(self, version: FormVersion, definition: FormDefinition):
        if self.alert_rules is None:
            return alerts.alert_plan_for(self.loaded, version)
        return alerts.build_alert_plan(framework_of(self.loaded), definition, self.alert_rules)

    def alert_part(self, prepared, alert_plan, definition, store: Store, refs) -> None:
        """The rows alert rules are evaluated on: each enterprise's own figure (its
        consolidated report) and, with empty inputs, each enterprise whose report is overdue."""
        period = prepared.period
        tree = store.tree(period)
        parts, tables = [], []
        if prepared.reports:
            own = prepared.units["scope"] == ReportScope.CONSOLIDATED
            parts.append(
                prepared.units.filter(own).select(
                    "period", "enterprise", "supervisor", overdue=pl.lit(False)
                )
            )
            tables.append(prepared.table.filter(own))
        late = (
            alerts.overdue_rows(self.form, definition, period, tree)
            if any(ref.source == "state" for ref in alert_plan.extra_refs)
            else []
        )
        if late:
            own = dict(self.attribute_table().select("enterprise", "own_supervisor").rows())
            supervisors = [tree.supervisor(e) or own.get(e) for e in late]
            parts.append(
                pl.DataFrame(
                    {
                        "period": [str(period)] * len(late),
                        "enterprise": late,
                        "supervisor": supervisors,
                        "overdue": [True] * len(late),
                    },
                    schema={
                        "period": pl.String,
                        "enterprise": pl.Int64,
                        "supervisor": pl.Int64,
                        "overdue": pl.Boolean,
                    },
                )
            )
            tables.append(_empty_inputs(refs, period, len(late)))
        if parts:
            rows = pl.concat(parts, how="vertical_relaxed")
            keep = rows["supervisor"].is_not_null()
            prepared.alert_rows = rows.filter(keep)
            prepared.alert_table = pl.concat(tables, how="diagonal_relaxed").filter(keep)
            prepared.alert_plan = alert_plan

    def units(self, rows: list[tuple[int, str]], store: Store, period: Period) -> pl.DataFrame:
        """Per report: its enterprise's supervisor, whether it is a group or a leaf on the
        period's last day, its city, industry section and function class."""
        tree = store.tree(period)
        reports = pl.DataFrame(
            rows, schema={"enterprise": pl.Int64, "scope": pl.String}, orient="row"
        ).with_row_index("__row")
        managed = pl.DataFrame(
            list(tree.supervisors().items()),
            schema={"enterprise": pl.Int64, "managed_by": pl.Int64},
            orient="row",
        )
        groups = pl.Series(list(tree.supervisor_of_group), dtype=pl.Int64).implode()
        parents = pl.Series([e for e, kids in tree.children.items() if kids], dtype=pl.Int64)
        return (
            reports.join(self.attribute_table(), on="enterprise", how="left")
            .join(managed, on="enterprise", how="left")
            .sort("__row")
            .select(
                "enterprise",
                "scope",
                supervisor=pl.coalesce("managed_by", "own_supervisor"),
                group=pl.col("enterprise").is_in(groups),
                leaf=~pl.col("enterprise").is_in(parents.implode()),
                **{
                    UnitKind.CITY.value: pl.col("city"),
                    UnitKind.INDUSTRY.value: pl.col("industry"),
                    UnitKind.FUNCTION_CLASS.value: pl.col("function_class"),
                },
            )
        )

    def attribute_table(self) -> pl.DataFrame:
        """Every enterprise's own supervisor, city, industry section and function class."""
        if self.attributes is None:
            rows = Enterprise.objects.values_list(
                "id", "supervisor_id", "city_code", "industry_section", "function_class_id"
            )
            self.attributes = pl.DataFrame(
                [
                    (pk, supervisor, city or None, industry or None,
                     str(function_class) if function_class else None)
                    for pk, supervisor, city, industry, function_class in rows.iterator(
                        chunk_size=5000
                    )
                ],
                schema={"enterprise": pl.Int64, "own_supervisor": pl.Int64, "city": pl.String,
                        "industry": pl.String, "function_class": pl.String},
                orient="row",
            )  # fmt: skip
        return self.attributes

    def forget_before(self, period: Period) -> None:
        """Drop the reports of periods no later period reads (memory stays flat over years)."""
        for store in self.stores.values():
            for key in [k for k in store.frames if Period.parse(k) < period]:
                del store.frames[key]
            for key in [k for k in store.trees if Period.parse(k) < period]:
                del store.trees[key]
                store.parent_ids.pop(key, None)

    def with_rollups(self, frame: pl.DataFrame, units: pl.DataFrame) -> tuple[list, pl.DataFrame]:
        """The inputs of every report, then of every roll-up (the sums of its members' inputs),
        in one table; and per row its key: (period, kind, supervisor, enterprise, unit code,
        scope, members)."""
        inputs = [c for c in frame.columns if not c.startswith("__")]
        numbers = [c for c in inputs if not c.startswith("context:")]
        context = [c for c in inputs if c.startswith("context:")]
        keys = [
            (period, UnitKind.ENTERPRISE, supervisor, enterprise, "", scope, 1)
            for period, supervisor, enterprise, scope in units.select(
                "period", "supervisor", "enterprise", "scope"
            ).rows()
        ]
        tables = [frame.select(inputs)]
        joined = pl.concat([units, frame.select(inputs)], how="horizontal")
        for kind in ROLLUPS:
            key = None if kind == UnitKind.PORTFOLIO else kind.value
            by = ["period", "supervisor"] if key is None else ["period", "supervisor", key]
            members = joined.filter(_member_rows(kind))
            if members.is_empty():
                continue
            summed = (
                members.group_by(by)
                .agg(
                    pl.len().alias("__members"),
                    *[
                        pl.when(pl.col(c).count() > 0).then(pl.col(c).sum()).alias(c)
                        for c in numbers
                    ],
                    *[pl.col(c).first() for c in context],
                )
                .sort(by)
            )
            scope = CONSOLIDATED if kind == UnitKind.PORTFOLIO else STANDALONE
            tables.append(summed.select(inputs))
            for label in summed.select(*by, "__members").rows():
                period, supervisor, *rest = label
                unit_code, count = ("", rest[0]) if key is None else rest
                keys.append((period, kind, supervisor, None, unit_code, scope, count))
        return keys, pl.concat(tables, how="vertical_relaxed")

    @staticmethod
    def member_filter(kind: str, supervisor_id: int, unit_code: str = "") -> pl.Expr:
        """The rows of the units table that make up one roll-up."""
        where = _member_rows(UnitKind(kind)) & (pl.col("supervisor") == supervisor_id)
        if kind != UnitKind.PORTFOLIO:
            where = where & (pl.col(UnitKind(kind).value) == unit_code)
        return where


ROLLUPS = (UnitKind.PORTFOLIO, UnitKind.CITY, UnitKind.INDUSTRY, UnitKind.FUNCTION_CLASS)


def _member_rows(kind: UnitKind) -> pl.Expr:
    """A portfolio adds up its groups' consolidated reports; a breakdown adds up standalone
    reports, a leaf's one report standing for both scopes."""
    if kind == UnitKind.PORTFOLIO:
        where = (pl.col("scope") == CONSOLIDATED) & pl.col("group")
    else:
        where = (
            (pl.col("scope") == STANDALONE) | ((pl.col("scope") == CONSOLIDATED) & pl.col("leaf"))
        ) & pl.col(kind.value).is_not_null()
    return where & pl.col("supervisor").is_not_null()


def _evaluated(plan: Plan, frame: pl.DataFrame) -> list[tuple[str, str, str]]:
    """Per row: the values and the comparatives as JSON lists, and the status digits."""
    named = {f"v{i}": plan.formulas[code] for i, code in enumerate(plan.codes)}
    prior_codes = [code for code in plan.codes if code in plan.prior]
    named.update({f"p{i}": plan.prior[code] for i, code in enumerate(prior_codes)})
    out = evaluate_many(named, frame)
    # Sums of fen amounts as floats carry noise in the last digits (1971989.6199999999).
    out = out.with_columns(pl.col(list(named)).round_sig_figs(SIGNIFICANT_DIGITS))
    value_columns = [f"v{i}" for i in range(len(plan.codes))]
    prior_columns = [f"p{i}" for i in range(len(prior_codes))]
    statuses = out.select(
        pl.concat_str(
            [
                pl.concat_str([pl.col(f"{c}{STATUS_SUFFIX}") for c in value_columns]),
                pl.concat_str([pl.col(f"{c}{STATUS_SUFFIX}") for c in prior_columns]),
            ],
            separator="/",
        )
    ).to_series()
    values = out.select(value_columns).rows()
    prior = out.select(prior_columns).rows()
    return [
        (orjson.dumps(v).decode(), orjson.dumps(p).decode(), s)
        for v, p, s in zip(values, prior, statuses, strict=True)
    ]


def store_outcome(
    loaded: IndicatorFramework, form: Form, data_status: str, outcome: Outcome
) -> ComputeRun | None:
    """Replace the period's stored run with this outcome (none when no report counts)."""
    ComputeRun.objects.filter(
        framework=loaded, form=form, period=str(outcome.period), data_status=data_status
    ).delete()
    if not outcome.rows:
        return None
    run = ComputeRun.objects.create(
        framework=loaded,
        form=form,
        period=str(outcome.period),
        data_status=data_status,
        indicators=list(outcome.codes),
        restated=sorted(outcome.restated),
        computed_at=timezone.now(),
        seconds=round(outcome.seconds, 3),
        reports=outcome.reports,
    )
    bulk_insert(IndicatorResult, RESULT_COLUMNS, [(run.id, *row) for row in outcome.rows])
    return run


def compute_periods(
    loaded: IndicatorFramework,
    form: Form,
    periods: list[Period],
    data_status: str,
    progress=None,
    *,
    raise_alerts: bool = True,
) -> list[ComputeRun]:
    """Compute and store the periods, oldest first, a batch of periods at a time (each batch
    evaluated together and committed together); raise and clear alerts on the way."""
    computer = Computer(loaded, form, data_status, alerts=raise_alerts)
    rules = alerts.switches(loaded.code) if computer.alerts else None
    ordered = sorted(periods)
    runs = []
    for start in range(0, len(ordered), BATCH_PERIODS):
        batch = ordered[start : start + BATCH_PERIODS]
        if computer.alerts:
            computer.open_alerts = alerts.open_alert_keys(loaded.code)
        computer.forget_before(batch[0].shift(-KEEP_PERIODS))
        outcomes = computer.compute(batch)
        with transaction.atomic():
            for outcome in outcomes:
                run = store_outcome(loaded, form, data_status, outcome)
                if run:
                    runs.append(run)
            findings = [f for outcome in outcomes for f in outcome.findings]
            if findings:
                alerts.sync(loaded.code, findings, rules)
        if progress:
            progress(start + len(batch), len(ordered))
    return runs


def _by_plan(prepared: list[Prepared]) -> list[tuple[Plan, list[Prepared]]]:
    """The periods with reports, grouped by the plan they are evaluated with."""
    found: dict[int, tuple[Plan, list[Prepared]]] = {}
    for item in prepared:
        if item.reports:
            found.setdefault(id(item.plan), (item.plan, []))[1].append(item)
    return list(found.values())


def _empty_inputs(refs, period: Period, height: int) -> pl.DataFrame:
    """Inputs of rows without a report: every value missing, the period's context known."""
    columns = {}
    for ref in refs:
        if ref.source == "context":
            at = period.shift(-ref.offset)
            value = float(at.index if ref.code == "period_index" else at.per_year)
            columns[ref.key] = pl.Series(ref.key, [value] * height, dtype=pl.Float64)
        else:
            dtype = {"number": pl.Float64, "bool": pl.Boolean, "text": pl.String}[ref.kind]
            columns[ref.key] = pl.Series(ref.key, [None] * height, dtype=dtype)
    return pl.DataFrame(columns)
