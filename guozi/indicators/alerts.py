"""Alert rules: evaluated per enterprise with the indicators, raised once, open until cleared.

A rule's condition is a formula over fields and indicators, with `target("code")`,
`param("debt_warning_line")`, `health_rating` and `report_overdue`. It is evaluated for every
enterprise's own figure of a period (its consolidated report; a leaf's only report) on approved
data, and for the enterprises whose report is missing after its deadline. An alert is raised the
first time a rule holds for an enterprise; later periods in breach extend it; the first period
evaluated after its latest breach in which the rule does not hold clears it. Where the rule
cannot be evaluated (an input is missing), nothing changes.
"""

from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache

import polars as pl
from django.db import connection, transaction
from django.utils import timezone

from guozi.formulas import Compiled, compile_formula, evaluate_many
from guozi.formulas.refs import Ref
from guozi.lib import clock
from guozi.lib.periods import Period, last_closed
from guozi.reporting.definitions import FormDefinition
from guozi.reporting.expected import Deadlines, expected_reports
from guozi.reporting.frameworks import definition_of
from guozi.reporting.models import Form, FormVersion, ReportScope, State, Submission

from . import health
from .definitions import AlertRuleDef, Framework, alert_resolver_for
from .frameworks import framework_of
from .lines import DebtLines
from .models import (
    Alert,
    AlertEvent,
    AlertRuleSwitch,
    AlertStatus,
    IndicatorFramework,
    Target,
)

EXTRA_SOURCES = ("target", "param", "state", "health")
OVERDUE_WINDOW = 12


@dataclass(frozen=True)
class AlertPlan:
    rules: tuple[AlertRuleDef, ...]
    formulas: dict[str, Compiled]  # c<i>: condition, v<i>: value, l<i>: limit
    health_formulas: dict[str, Compiled]  # the ratios and flags health_rating needs

    @property
    def field_refs(self) -> set[Ref]:
        """The refs the reports supply (fields and context)."""
        found = set()
        for compiled in (*self.formulas.values(), *self.health_formulas.values()):
            found |= {r for r in compiled.refs if r.source not in EXTRA_SOURCES}
        return found

    @property
    def extra_refs(self) -> set[Ref]:
        found = set()
        for compiled in self.formulas.values():
            found |= {r for r in compiled.refs if r.source in EXTRA_SOURCES}
        return found


def alert_plan_for(loaded: IndicatorFramework, version: FormVersion) -> AlertPlan:
    return _alert_plan(loaded.id, loaded.sha256, version.id, version.sha256)


@lru_cache(maxsize=32)
def _alert_plan(framework_id: int, sha256: str, version_id: int, version_sha: str) -> AlertPlan:
    framework = framework_of(IndicatorFramework.objects.get(id=framework_id))
    definition = definition_of(FormVersion.objects.get(id=version_id))
    return build_alert_plan(framework, definition)


def build_alert_plan(
    framework: Framework, definition: FormDefinition, rules: tuple[AlertRuleDef, ...] | None = None
) -> AlertPlan:
    resolver = alert_resolver_for(framework, definition)
    rules = framework.alerts if rules is None else rules
    formulas = {}
    for index, rule in enumerate(rules):
        formulas[f"c{index}"] = compile_formula(rule.condition, resolver, kind="bool")
        if rule.value:
            formulas[f"v{index}"] = compile_formula(rule.value, resolver, kind="number")
        if rule.limit:
            formulas[f"l{index}"] = compile_formula(rule.limit, resolver, kind="number")
    health_formulas = {}
    wants_health = any(
        r.source == "health" for compiled in formulas.values() for r in compiled.refs
    )
    if wants_health and framework.health:
        base = alert_resolver_for(framework, definition)
        for ratio in framework.health.ratios:
            health_formulas[ratio.code] = compile_formula(ratio.code, base, kind="number")
            if ratio.worst_when:
                health_formulas[f"worst:{ratio.code}"] = compile_formula(
                    ratio.worst_when, base, kind="bool"
                )
    return AlertPlan(tuple(rules), formulas, health_formulas)


@dataclass(frozen=True)
class Finding:
    """One rule for one enterprise in one period: holds (True), does not (False), or cannot
    be evaluated (None)."""

    period: str
    rule: AlertRuleDef
    enterprise_id: int
    supervisor_id: int
    holds: bool | None
    value: float | None
    limit: float | None


@dataclass(frozen=True)
class Switches:
    """Which rules are on for which supervisor: as a supervisor switched them, else as the
    framework ships them (`enabled`)."""

    chosen: dict[tuple[int, str], bool]

    def on(self, supervisor_id: int, rule: AlertRuleDef) -> bool:
        return self.chosen.get((supervisor_id, rule.code), rule.enabled)


def switches(framework_code: str) -> Switches:
    rows = AlertRuleSwitch.objects.filter(framework_code=framework_code).values_list(
        "supervisor_id", "rule", "enabled"
    )
    return Switches({(supervisor, rule): enabled for supervisor, rule, enabled in rows})


class AlertInputs:
    """The columns alert conditions read beyond the reports: targets, lines, report state."""

    def __init__(self, framework: Framework, form: Form) -> None:
        self.framework = framework
        self.form = form
        self.lines = DebtLines()
        self.targets: dict[int, dict[tuple[int, str], float]] = {}

    def target(self, year: int) -> dict[tuple[int, str], float]:
        if year not in self.targets:
            self.targets[year] = {
                (enterprise, code): value
                for enterprise, code, value in Target.objects.filter(year=year).values_list(
                    "enterprise_id", "indicator", "value"
                )
            }
        return self.targets[year]

    def columns(self, refs: set[Ref], rows: pl.DataFrame) -> list[pl.Series]:
        """A column per extra ref for the rows (period, enterprise, supervisor, overdue)."""
        found = []
        keys = rows.select(
            "enterprise", "supervisor", year=pl.col("period").str.slice(0, 4).cast(pl.Int64)
        )
        combos = keys.unique().rows()
        for ref in sorted(refs, key=lambda r: r.key):
            if ref.source == "target":
                table = [(e, s, y, self.target(y).get((e, ref.code))) for e, s, y in combos]
            elif ref.source == "param":
                which = 0 if ref.code == "debt_warning_line" else 1
                table = []
                for e, s, y in combos:
                    line = self.lines.lines(s, e, y)
                    table.append((e, s, y, line[which] if line else None))
            elif ref.source == "state":
                found.append(rows["overdue"].alias(ref.key))
                continue
            else:  # health_rating: computed from the health-check ratios
                continue
            lookup = pl.DataFrame(
                table,
                schema={"enterprise": pl.Int64, "supervisor": pl.Int64, "year": pl.Int64,
                        ref.key: pl.Float64},
                orient="row",
            )  # fmt: skip
            joined = keys.join(
                lookup, on=["enterprise", "supervisor", "year"], how="left", maintain_order="left"
            )
            found.append(joined[ref.key])
        return found


def overdue_rows(form: Form, definition: FormDefinition, period: Period, tree) -> list[int]:
    """Enterprises whose consolidated report of the period is not submitted or approved
    although its deadline (extended where granted) has passed; checked for the last
    OVERDUE_WINDOW periods (older gaps are the completeness pages' business)."""
    today = clock.today()
    if period.end >= today or period < last_closed(today, period.type).shift(-OVERDUE_WINDOW):
        return []
    sent = dict(
        Submission.objects.filter(
            form=form, period=str(period), scope=ReportScope.CONSOLIDATED
        ).values_list("enterprise_id", "state")
    )
    extended = dict(
        Submission.objects.filter(
            form=form, period=str(period), extended_to__isnull=False
        ).values_list("enterprise_id", "extended_to")
    )
    deadlines = Deadlines(form.id, definition, period)
    found = []
    for expected in expected_reports(definition, period, tree):
        if expected.scope != ReportScope.CONSOLIDATED:
            continue
        if sent.get(expected.enterprise_id) in (State.SUBMITTED, State.APPROVED):
            continue
        due = extended.get(expected.enterprise_id) or deadlines.due(
            expected.supervisor_id, expected.level
        )
        if due is not None and due < today:
            found.append(expected.enterprise_id)
    return found


def evaluate(
    plan: AlertPlan,
    table: pl.DataFrame,
    rows: pl.DataFrame,
    extra: AlertInputs,
    thresholds=None,
    *,
    open_alerts: set[tuple[str, int]] | None = None,
) -> list[Finding]:
    """Every rule over the rows: `table` holds their field and context inputs, `rows` their
    period, enterprise, supervisor and whether their report is overdue. Only what can change
    an alert comes back: where a rule holds, and where it does not hold for an enterprise
    that has (or gets, in these periods) an alert of that rule."""
    if not plan.rules or table.is_empty():
        return []
    columns = extra.columns(plan.extra_refs, rows)
    if plan.health_formulas:
        columns.append(_health_ratings(plan, table, extra.framework, thresholds))
    frame = pl.concat([table, pl.DataFrame(columns)], how="horizontal") if columns else table
    out = evaluate_many(plan.formulas, frame)
    keys = rows.select("period", "enterprise", "supervisor")
    long = []
    for index in range(len(plan.rules)):
        long.append(
            keys.with_columns(
                rule=pl.lit(index, dtype=pl.Int32),
                holds=out[f"c{index}"],
                value=out[f"v{index}"] if f"v{index}" in out.columns else pl.lit(None, pl.Float64),
                limit=out[f"l{index}"] if f"l{index}" in out.columns else pl.lit(None, pl.Float64),
            ).filter(pl.col("holds").is_not_null())
        )
    findings = pl.concat(long)
    breaching = findings.filter(pl.col("holds")).select("rule", "enterprise").unique()
    known = [
        (index, enterprise)
        for index, rule in enumerate(plan.rules)
        for code, enterprise in (open_alerts or set())
        if code == rule.code
    ]
    if known:
        breaching = pl.concat(
            [
                breaching,
                pl.DataFrame(
                    known, schema={"rule": pl.Int32, "enterprise": pl.Int64}, orient="row"
                ),
            ]
        ).unique()
    relevant = findings.join(breaching, on=["rule", "enterprise"], how="semi")
    return [
        Finding(period, plan.rules[index], enterprise, supervisor, holds, value, limit)
        for period, enterprise, supervisor, index, holds, value, limit in relevant.rows()
    ]


def _health_ratings(plan: AlertPlan, table: pl.DataFrame, framework: Framework, thresholds):
    check = framework.health
    cuts = check.overall_cuts
    out = evaluate_many(plan.health_formulas, table)
    bands = []
    for ratio in check.ratios:
        if not ratio.enabled:
            continue
        limits = (thresholds or {}).get(ratio.code, ratio.thresholds)
        band = health.band_expr(pl.col(ratio.code), limits, ratio.direction)
        if f"worst:{ratio.code}" in out.columns:
            band = pl.when(pl.col(f"worst:{ratio.code}").fill_null(False)).then(5).otherwise(band)
        bands.append(band)
    score = pl.mean_horizontal(bands)
    rating = pl.lit(1.0) + pl.sum_horizontal([(score >= cut).cast(pl.Float64) for cut in cuts])
    rating = out.select(pl.when(score.is_not_null()).then(rating).alias("rating"))["rating"]
    return rating.alias(Ref("health", "rating").key)


def sync(framework_code: str, findings: list[Finding], rules: Switches) -> dict:
    """Raise, extend and clear alerts from the findings of the rules switched on, oldest
    period first; the alerts are worked out in memory and written in bulk."""
    by_key: dict[tuple[str, int], list[Finding]] = defaultdict(list)
    for finding in findings:
        if rules.on(finding.supervisor_id, finding.rule):
            by_key[(finding.rule.code, finding.enterprise_id)].append(finding)
    current = {
        (a.rule, a.enterprise_id): a
        for a in Alert.objects.filter(framework_code=framework_code).exclude(
            status=AlertStatus.CLEARED
        )
    }
    run = _Sync(framework_code, timezone.now())
    for key, items in by_key.items():
        alert = current.get(key)
        for finding in sorted(items, key=lambda f: f.period):  # one period type: text order
            alert = run.step(alert, finding)
    run.write()
    return run.counts


class _Sync:
    UPDATED = ["status", "last_period", "cleared_period", "value", "message_zh", "message_en",
               "updated_at"]  # fmt: skip

    def __init__(self, framework_code: str, now) -> None:
        self.framework_code = framework_code
        self.now = now
        self.created: list[Alert] = []
        self.changed: dict[int, Alert] = {}
        self.events: list[tuple[Alert, str, str]] = []
        self.counts = {"raised": 0, "cleared": 0}

    def step(self, alert: Alert | None, finding: Finding) -> Alert | None:
        """The alert open for the finding's rule and enterprise after it (None: none)."""
        if finding.holds:
            message_zh, message_en = _messages(finding)
            if alert is None:
                alert = Alert(
                    framework_code=self.framework_code,
                    rule=finding.rule.code,
                    supervisor_id=finding.supervisor_id,
                    enterprise_id=finding.enterprise_id,
                    severity=finding.rule.severity,
                    first_period=finding.period,
                    last_period=finding.period,
                    value=finding.value,
                    message_zh=message_zh,
                    message_en=message_en,
                    raised_at=self.now,
                    updated_at=self.now,
                )
                self.created.append(alert)
                self.events.append((alert, "raised", finding.period))
                self.counts["raised"] += 1
            elif finding.period >= alert.last_period:
                alert.last_period = finding.period
                alert.value = finding.value
                alert.message_zh, alert.message_en = message_zh, message_en
                self._touch(alert)
            return alert
        if alert is not None and finding.period > alert.last_period:
            alert.status = AlertStatus.CLEARED
            alert.cleared_period = finding.period
            self._touch(alert)
            self.events.append((alert, "cleared", finding.period))
            self.counts["cleared"] += 1
            return None
        return alert

    def _touch(self, alert: Alert) -> None:
        alert.updated_at = self.now
        if alert.pk is not None:
            self.changed[alert.pk] = alert

    def _update(self, alerts: list[Alert]) -> None:
        """Plain UPDATEs by id: the ORM's bulk_update builds a CASE per field and row."""
        if not alerts:
            return
        quote = connection.ops.quote_name
        fields = [Alert._meta.get_field(name) for name in self.UPDATED]
        assignments = ", ".join(f"{quote(f.column)} = %s" for f in fields)
        sql = f"UPDATE {quote(Alert._meta.db_table)} SET {assignments} WHERE id = %s"
        rows = [
            [f.get_db_prep_save(getattr(a, f.attname), connection) for f in fields] + [a.pk]
            for a in alerts
        ]
        with connection.cursor() as cursor:
            cursor.executemany(sql, rows)

    def write(self) -> None:
        with transaction.atomic():
            Alert.objects.bulk_create(self.created, batch_size=1000)
            self._update(list(self.changed.values()))
            AlertEvent.objects.bulk_create(
                [
                    AlertEvent(alert=alert, action=action, period=period, at=self.now)
                    for alert, action, period in self.events
                ],
                batch_size=2000,
            )


def _messages(finding: Finding) -> tuple[str, str]:
    rule = finding.rule
    value = format_value(finding.value, rule.unit)
    limit = format_value(finding.limit, rule.unit)
    return (
        rule.message_zh.format(value=value, limit=limit),
        rule.message_en.format(value=value, limit=limit),
    )


def format_value(value: float | None, unit: str) -> str:
    if value is None:
        return "—"
    if unit == "%":
        return f"{value * 100:.1f}%"
    if unit in ("万元", "元", "亿元"):
        return f"{value:,.2f} {unit}"
    if unit == "score":
        return f"{value:g}"
    return f"{value:,.2f}"


def open_alert_keys(framework_code: str) -> set[tuple[str, int]]:
    return set(
        Alert.objects.filter(framework_code=framework_code)
        .exclude(status=AlertStatus.CLEARED)
        .values_list("rule", "enterprise_id")
    )
