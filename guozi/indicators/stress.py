"""Stress tests: a scenario's shocks applied to the latest period's figures of every
enterprise, the indicators computed again, and the enterprises that turn loss-making, cross a
debt-ratio line or fall in health rating listed."""

from dataclasses import dataclass

import polars as pl

from guozi.formulas import evaluate_many
from guozi.lib.periods import Period
from guozi.registry.models import Enterprise
from guozi.registry.selectors import visible_enterprises
from guozi.reporting.models import Form, ReportScope

from . import health
from .definitions import Framework, Scenario
from .engine import Computer
from .frameworks import framework_in_force, framework_of
from .lines import DebtLines
from .models import DataStatus

REVENUE_LINES = ("operating_revenue", "total_operating_revenue", "main_business_revenue",
                 "sei_revenue", "cash_from_sales")  # fmt: skip
EQUITY_LINES = ("owners_equity", "equity_parent", "retained_earnings", "total_assets",
                "current_assets", "cash")  # fmt: skip


@dataclass(frozen=True)
class Outcome:
    enterprise_id: int
    name: str
    net_profit: tuple[float | None, float | None]  # before, after
    debt_ratio: tuple[float | None, float | None]
    lines: tuple[float, float] | None  # warning, key
    rating: tuple[int | None, int | None]
    turns_loss: bool
    crosses_warning: bool
    crosses_key: bool
    rating_worse: bool

    @property
    def affected(self) -> bool:
        return self.turns_loss or self.crosses_warning or self.crosses_key or self.rating_worse


@dataclass(frozen=True)
class StressResult:
    scenario: Scenario
    period: str
    enterprises: int
    outcomes: list[Outcome]  # the affected ones

    def count(self, flag: str) -> int:
        return sum(getattr(o, flag) for o in self.outcomes)


def shocked(table: pl.DataFrame, scenario: Scenario) -> pl.DataFrame:
    """The inputs after the shocks; only this period's own values change (comparatives and
    earlier periods stay as reported)."""

    def col(code: str) -> pl.Expr:
        key = f"field:{code}"
        return pl.col(key).fill_null(0) if key in table.columns else pl.lit(0.0)

    elapsed = pl.col("context:period_index") / pl.col("context:periods_per_year")
    revenue_change = col("operating_revenue") * scenario.revenue
    cost_change = col("operating_cost") * scenario.operating_cost
    interest_change = col("interest_bearing_debt") * scenario.interest_bp / 10_000 * elapsed
    operating_change = revenue_change - cost_change - interest_change
    pretax_change = operating_change - scenario.one_off_loss
    net_change = pretax_change * (1 - scenario.tax_rate)
    changes = {
        "operating_cost": cost_change,
        "interest_expense": interest_change,
        "operating_profit": operating_change,
        "total_profit": pretax_change,
        "income_tax": pretax_change * scenario.tax_rate,
        "net_profit": net_change,
        "net_profit_parent": net_change,
        "cfo_net": operating_change,
        **{code: net_change for code in EQUITY_LINES},
    }
    scaled = [
        (pl.col(f"field:{code}") * (1 + scenario.revenue)).alias(f"field:{code}")
        for code in REVENUE_LINES
        if f"field:{code}" in table.columns
    ]
    moved = [
        (pl.col(f"field:{code}") + change).alias(f"field:{code}")
        for code, change in changes.items()
        if f"field:{code}" in table.columns
    ]
    return table.with_columns(scaled + moved)  # every change from the figures as reported


def stress_test(
    user, form: Form, scenario: Scenario, period: Period, *, supervisor_id: int | None = None
) -> StressResult:
    """The scenario over the enterprises the user may read (their own figures: consolidated)."""
    loaded = framework_in_force(period)
    framework = framework_of(loaded)
    computer = Computer(loaded, form, DataStatus.APPROVED)
    prepared = computer.prepare(period)
    if not prepared.reports:
        return StressResult(scenario, str(period), 0, [])
    visible = set(visible_enterprises(user).values_list("id", flat=True))
    keep = (prepared.units["scope"] == ReportScope.CONSOLIDATED) & prepared.units[
        "enterprise"
    ].is_in(pl.Series(sorted(visible), dtype=pl.Int64).implode())
    if supervisor_id is not None:
        keep = keep & (prepared.units["supervisor"] == supervisor_id)
    units = prepared.units.filter(keep)
    table = prepared.table.filter(keep)
    formulas = {code: prepared.plan.formulas[code] for code in prepared.plan.codes}
    before = evaluate_many(formulas, table).select(prepared.plan.codes)
    after = evaluate_many(formulas, shocked(table, scenario)).select(prepared.plan.codes)
    names = dict(Enterprise.objects.filter(id__in=units["enterprise"].to_list()).values_list(
        "id", "name_zh"))  # fmt: skip
    lines = DebtLines()
    outcomes = []
    for unit, old, new in zip(
        units.iter_rows(named=True), before.iter_rows(named=True), after.iter_rows(named=True),
        strict=True,
    ):  # fmt: skip
        line = lines.lines(unit["supervisor"], unit["enterprise"], period.end.year)
        outcome = _compare(framework, unit["enterprise"], names, old, new, line)
        if outcome.affected:
            outcomes.append(outcome)
    outcomes.sort(key=lambda o: (not o.turns_loss, not o.crosses_key, -(o.rating[1] or 0)))
    return StressResult(scenario, str(period), units.height, outcomes)


def _rating(framework: Framework, values: dict) -> int | None:
    check = framework.health
    if check is None:
        return None
    bands = []
    for ratio in check.ratios:
        if ratio.enabled:
            worst = bool(values.get(f"worst:{ratio.code}"))
            bands.append(
                health.band_of(
                    values.get(ratio.code), ratio.thresholds, ratio.direction, worst
                ).band
            )
    return health.overall(bands, check.overall_cuts)[1]


def _compare(framework, enterprise_id, names, old: dict, new: dict, line) -> Outcome:
    profit = (old.get("net_profit"), new.get("net_profit"))
    debt = (old.get("debt_ratio"), new.get("debt_ratio"))
    rating = (_rating(framework, old), _rating(framework, new))

    def crosses(limit: float) -> bool:
        return debt[0] is not None and debt[1] is not None and debt[0] <= limit < debt[1]

    return Outcome(
        enterprise_id=enterprise_id,
        name=names.get(enterprise_id, str(enterprise_id)),
        net_profit=profit,
        debt_ratio=debt,
        lines=line,
        rating=rating,
        turns_loss=profit[0] is not None and profit[1] is not None and profit[0] >= 0 > profit[1],
        crosses_warning=bool(line) and crosses(line[0]),
        crosses_key=bool(line) and crosses(line[1]),
        rating_worse=None not in rating and rating[1] > rating[0],
    )
