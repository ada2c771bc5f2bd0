"""Demo fast reports for the Liaoning demo portfolio, behind `guozi load_demo`.

`load_reports()` fills `months` months of the monthly fast report, up to the last month closed
before the clock's today, for every enterprise expected to file, in both scopes where expected.

1. Economics. Each enterprise draws, from the seed and its identifier alone, a size from its
   level, ratios from its industry (turnover, cost, margin, debt ratio, R&D intensity, current
   assets, staff), a growth or decline, and its own monthly noise with the industry's
   seasonality (Spring Festival dip, year-end peak). About 5% make losses and about 5% are highly
   leveraged. A month has the same figures however many months are loaded.
2. Parts. Figures are kept as parts that only add up (revenue split into strategic-emerging,
   other main-business and other revenue; assets into cash, receivables, inventory, other current
   and non-current; ...), and the form's fields are sums or differences of parts. So every
   identity and every "within" rule holds exactly in stored integers, own or consolidated.
3. Consolidation. Month by month on that month's tree, bottom-up: a parent's consolidated parts
   are its own plus its children's consolidated less its eliminations (1–5%).
4. Comparatives. Prior-year and opening columns are the enterprise's own earlier figures, except
   after a subsidiary moves between two parents (the 2025 transfer): the receiving group reports
   the year and its comparatives as if it had always held the subsidiary, the giving group
   restates its comparatives without it (see `Move`).
5. Workflow, as the reporting services allow it. A parent's reports go up only once its
   subsidiaries' are approved, so timelines are built bottom-up; an error needs a waiver accepted
   before submission, a warning an explanation. Every month before the last is approved, a few
   after a return for a doubtful value and its correction. The last month is a mix of approved,
   submitted, returned, drafts and missing reports, some late, decided top-down.
6. Writing. Period by period, in batches of `executemany` inserts; no per-row query.

Money is generated in hundreds of yuan (0.01 万元), so every amount is a whole number of 万元 with
two decimals, as entered on the form.
"""

from __future__ import annotations

import gc
import random
import time
from array import array
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from datetime import time as clock_time
from functools import lru_cache

from django.db import connection, transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from guozi.accounts.models import Membership, Role
from guozi.lib import clock
from guozi.lib.clock import CHINA
from guozi.lib.errors import DomainError
from guozi.lib.periods import Period, last_closed
from guozi.registry.models import Enterprise, EquityLink
from guozi.registry.tree import TreeSnapshot, active_own_at, tree_at

from .definitions import FormDefinition
from .expected import Deadlines, expected_reports
from .frameworks import definition_of, load_built_in, version_in_force
from .models import (
    Action,
    Cause,
    Channel,
    Decision,
    Explanation,
    Form,
    ReportScope,
    RuleResult,
    State,
    Submission,
    SubmissionEvent,
    ValueVersion,
)
from .validation import validate_range

FORM_CODE = "fast_report"
DEFAULT_MONTHS = 36
BATCH = 1000
ANCHOR = 2024 * 12 + 11  # December 2024: sizes are drawn for that month, trends run from it
HUNDRED_YUAN = 100  # one generated money unit (0.01 万元) in 元

# The last month: (cumulative share, state) of a group's reports and of a subsidiary's, when its
# parent has not sent its own (None: not started at all).
LAST_MONTH_GROUPS = ((0.62, State.APPROVED), (0.80, State.SUBMITTED), (0.86, State.RETURNED),
                     (1.00, State.DRAFT))  # fmt: skip
LAST_MONTH_OTHERS = ((0.62, State.APPROVED), (0.76, State.SUBMITTED), (0.81, State.RETURNED),
                     (0.90, State.DRAFT), (1.00, None))  # fmt: skip
SENT = (State.SUBMITTED, State.APPROVED, State.RETURNED)

CONSOLIDATED = ReportScope.CONSOLIDATED.value
STANDALONE = ReportScope.STANDALONE.value

# --- parts ------------------------------------------------------------------------------------
# Monthly flows, in hundreds of yuan.
(SEI, MAIN, OTHER_REVENUE, OTHER_INCOME, COST, RD, INTEREST, INVESTMENT, FAIR_VALUE, NON_OPERATING,
 PROFIT, TAX, DEPRECIATION, OPERATING_CASH, SALES_CASH, TAX_PAID, INCOME_TAX_DUE, OTHER_TAX_DUE,
 SUBSIDY, WAGES) = range(20)  # fmt: skip
FLOWS = 20
# Month-end balances, in hundreds of yuan, and the headcount.
(CASH, RECEIVABLES, INVENTORY, OTHER_CURRENT, NON_CURRENT, PAYABLES, OTHER_CURRENT_DEBTS,
 NON_CURRENT_DEBTS, INTEREST_BEARING, RETAINED, STAFF) = range(20, 31)  # fmt: skip
WIDTH = 31
ZERO = (0,) * WIDTH
# Parts are kept as arrays of 64-bit integers: a tenth of the memory of lists of Python ints
# (the demo holds a few hundred thousand of them). Money stays far below 2**63 hundred yuan.
Parts = array


def month_number(period: Period) -> int:
    return period.year * 12 + period.index - 1


def month_period(number: int) -> Period:
    return Period(number // 12, "month", number % 12 + 1)


# --- industries -------------------------------------------------------------------------------

SEASON_WEIGHTS = {
    # Spring Festival dip in January and February, year-end peak in December.
    "industry": (0.80, 0.70, 1.00, 1.00, 1.02, 1.08, 0.96, 0.97, 1.03, 0.98, 1.04, 1.42),
    "construction": (0.55, 0.45, 0.90, 1.05, 1.10, 1.15, 1.05, 1.05, 1.10, 1.05, 1.10, 1.65),
    "heating": (1.35, 1.15, 1.05, 0.85, 0.80, 0.85, 0.95, 0.95, 0.85, 0.90, 1.10, 1.40),
    "tourism": (0.70, 0.85, 0.75, 0.90, 1.10, 1.15, 1.45, 1.50, 1.10, 1.20, 0.70, 0.75),
    "trade": (0.95, 0.78, 0.95, 0.95, 1.00, 1.05, 0.95, 0.97, 1.03, 1.05, 1.05, 1.27),
    "farm": (0.70, 0.62, 0.80, 0.85, 0.90, 0.95, 1.00, 1.05, 1.35, 1.40, 1.20, 1.23),
    "steady": (0.92, 0.82, 1.00, 0.98, 1.00, 1.02, 1.00, 1.01, 1.00, 1.02, 1.03, 1.20),
}
# Monthly revenue against the average month.
SEASONS = {name: tuple(w * 12 / sum(ws) for w in ws) for name, ws in SEASON_WEIGHTS.items()}


@dataclass(frozen=True)
class Industry:
    turnover: float  # operating revenue a year / total assets
    cost: float  # operating cost / operating revenue
    margin: float  # total profit / operating revenue
    debt: float  # total liabilities / total assets
    rd: float  # R&D expenditure / operating revenue
    current: float  # current assets / total assets
    staff: float  # employees per 亿元 of total assets
    wage: float  # staff remuneration, 万元 per employee a year
    season: str
    size: float = 1.0  # asset size against the average enterprise of its level
    sei: float = 0.0  # typical share of strategic-emerging-industry revenue in main business
    other_income: float = 0.0  # other operating income (a finance company's interest) / revenue
    subsidy: float = 0.0  # government subsidies / revenue
    depreciation: float = 0.04  # a year, of total assets


# By industry division (letter and two digits), else by section (the letter).
INDUSTRIES = {
    "A": Industry(0.27, 0.84, 0.025, 0.58, 0.008, 0.45, 60, 8, "farm", 0.6, subsidy=0.03),
    "B": Industry(0.27, 0.68, 0.07, 0.64, 0.012, 0.30, 45, 13, "steady", 1.5),
    "C": Industry(0.45, 0.83, 0.045, 0.60, 0.025, 0.50, 38, 11, "industry", sei=0.15),
    "C25": Industry(0.57, 0.86, 0.035, 0.57, 0.015, 0.40, 20, 14, "industry", 1.6, sei=0.05),
    "C26": Industry(0.51, 0.82, 0.05, 0.56, 0.022, 0.42, 25, 13, "industry", 1.3, sei=0.25),
    "C30": Industry(0.36, 0.78, 0.06, 0.54, 0.032, 0.48, 40, 10, "industry", sei=0.35),
    "C31": Industry(0.48, 0.91, 0.02, 0.64, 0.022, 0.42, 40, 12, "industry", 1.6, sei=0.08),
    "C33": Industry(0.36, 0.80, 0.04, 0.64, 0.045, 0.62, 45, 11, "industry", sei=0.25),
    "C34": Industry(0.36, 0.80, 0.04, 0.66, 0.045, 0.62, 45, 11, "industry", sei=0.35),
    "C35": Industry(0.36, 0.79, 0.045, 0.64, 0.05, 0.62, 45, 11, "industry", sei=0.40),
    "C37": Industry(0.30, 0.86, 0.025, 0.68, 0.04, 0.65, 40, 12, "industry", 1.5, sei=0.30),
    "C38": Industry(0.42, 0.80, 0.05, 0.60, 0.045, 0.60, 40, 11, "industry", sei=0.45),
    "C39": Industry(0.48, 0.78, 0.06, 0.52, 0.07, 0.62, 35, 13, "industry", sei=0.60),
    "D": Industry(0.168, 0.84, 0.05, 0.64, 0.006, 0.18, 12, 13, "heating", 2.2,
                  subsidy=0.02, depreciation=0.05),
    "D46": Industry(0.09, 0.75, 0.03, 0.58, 0.004, 0.15, 20, 9, "steady", 1.5, subsidy=0.05),
    "E": Industry(0.39, 0.90, 0.025, 0.70, 0.014, 0.72, 30, 11, "construction", 1.2,
                  depreciation=0.02),
    "F": Industry(0.96, 0.94, 0.012, 0.66, 0.001, 0.75, 25, 9, "trade", 0.5, depreciation=0.01),
    "G": Industry(0.108, 0.66, 0.06, 0.60, 0.004, 0.15, 15, 11, "steady", 1.5),
    "G54": Industry(0.042, 0.70, 0.03, 0.64, 0.002, 0.08, 8, 11, "steady", 2.5,
                    subsidy=0.10, depreciation=0.03),
    "G55": Industry(0.096, 0.62, 0.10, 0.52, 0.005, 0.18, 14, 12, "steady", 2.0),
    "G59": Industry(0.54, 0.90, 0.03, 0.58, 0.003, 0.50, 25, 9, "trade", 0.6),
    "H": Industry(0.24, 0.55, 0.03, 0.55, 0.0, 0.25, 120, 7, "tourism", 0.5),
    "I": Industry(0.42, 0.68, 0.07, 0.45, 0.07, 0.60, 35, 16, "steady", 0.5, sei=0.70),
    "J": Industry(0.036, 0.35, 0.30, 0.72, 0.002, 0.60, 2, 25, "steady", 3.0,
                  other_income=0.40, depreciation=0.005),
    "K": Industry(0.132, 0.74, 0.08, 0.70, 0.0, 0.82, 6, 12, "construction", 2.0,
                  depreciation=0.005),
    "L": Industry(0.06, 0.70, 0.10, 0.58, 0.002, 0.40, 4, 15, "steady", 2.0, depreciation=0.01),
    "M": Industry(0.33, 0.60, 0.07, 0.45, 0.10, 0.60, 60, 15, "steady", 0.4, sei=0.50),
    "N": Industry(0.084, 0.74, 0.03, 0.58, 0.003, 0.25, 25, 8, "tourism", 1.2, subsidy=0.03),
    "R": Industry(0.21, 0.68, 0.04, 0.50, 0.005, 0.45, 50, 10, "steady", 0.4, subsidy=0.02),
}  # fmt: skip
DEFAULT_INDUSTRY = Industry(0.24, 0.72, 0.04, 0.55, 0.01, 0.45, 40, 10, "steady")

# Median own total assets by level (1 the group's headquarters), in hundreds of yuan.
MEDIAN_ASSETS = {1: 4.0e7, 2: 1.2e7, 3: 2.5e6}
MEDIAN_ASSETS_DEEPER = 6.0e5
ASSET_SPREAD = {1: 0.5, 2: 0.9, 3: 0.9}


def industry_of(code: str) -> Industry:
    return INDUSTRIES.get(code[:3]) or INDUSTRIES.get(code[:1]) or DEFAULT_INDUSTRY


@dataclass
class Economics:
    """One enterprise's own operations: everything a month of it is drawn from."""

    key: str
    start: int  # the first month it operates
    assets: float  # total assets at ANCHOR
    turnover: float
    cost: float
    margin: float
    debt: float
    debt_drift: float  # a year
    rd: float
    current: float
    season: tuple[float, ...]
    growth: float  # of revenue, a year
    asset_growth: float
    staff: float  # at ANCHOR
    staff_growth: float
    wage: float  # hundreds of yuan per employee a month
    main_share: float
    sei_share: float
    other_income: float
    subsidy: float
    depreciation: float
    investment_yield: float  # a year, of total assets
    fair_value: float  # monthly volatility, of total assets
    tax_rate: float
    other_taxes: float  # of revenue
    collection: float
    cash_share: float
    receivable_share: float
    inventory_share: float
    current_debt_share: float
    payable_share: float
    interest_bearing_share: float
    retained_share: float
    elimination: float  # of each child's figures, when it consolidates
    state_share: float
    step_from: int | None = None  # a lasting jump in business (a large new contract) from then
    step: float = 1.0


def draw_economics(
    seed: int, key: str, *, level: int, industry_code: str, municipal: bool, start: int,
    leverage: float,
) -> Economics:  # fmt: skip
    rng = random.Random(f"{seed}:{key}:economics")
    ind = industry_of(industry_code)
    headquarters = level == 1
    median = MEDIAN_ASSETS.get(level, MEDIAN_ASSETS_DEEPER) * ind.size
    if municipal:
        median *= 0.5
    assets = median * rng.lognormvariate(0, ASSET_SPREAD.get(level, 0.8))
    turnover = ind.turnover * rng.lognormvariate(0, 0.25) * (0.4 if headquarters else 1.0)
    loss_maker = rng.random() < 0.05
    margin = (
        -rng.uniform(0.03, 0.15) if loss_maker else max(ind.margin + rng.gauss(0, 0.012), 0.005)
    )
    if rng.random() < 0.05:
        debt = rng.uniform(0.76, 0.92)
    else:
        debt = min(max(ind.debt + leverage + rng.gauss(0, 0.06), 0.22), 0.74)
    growth = rng.gauss(0.04, 0.08)
    staff = max(assets / 1e6 * ind.staff * rng.lognormvariate(0, 0.3), 8.0)
    shares = [rng.uniform(0.15, 0.35), rng.uniform(0.15, 0.35), rng.uniform(0.10, 0.30)]
    while sum(shares) > 0.9:
        shares = [s * 0.9 for s in shares]
    return Economics(
        key=key,
        start=start,
        assets=assets,
        turnover=turnover,
        cost=min(ind.cost + rng.gauss(0, 0.03), 0.97),
        margin=margin,
        debt=debt,
        debt_drift=rng.gauss(-0.004, 0.006),
        rd=max(ind.rd * rng.lognormvariate(0, 0.4), 0.0),
        current=min(max(ind.current + rng.gauss(0, 0.08), 0.05), 0.9),
        season=SEASONS[ind.season],
        growth=growth,
        asset_growth=growth * 0.6 + rng.gauss(0.01, 0.02),
        staff=staff * (0.3 if headquarters else 1.0),
        staff_growth=min(growth * 0.3, 0.02) + rng.gauss(-0.01, 0.01),
        wage=ind.wage * 100 / 12 * rng.lognormvariate(0, 0.15),
        main_share=rng.uniform(0.85, 0.99),
        sei_share=min(ind.sei * rng.uniform(0, 2), 0.9) if rng.random() < 0.7 else 0.0,
        other_income=ind.other_income * rng.uniform(0.5, 1.5),
        subsidy=ind.subsidy * rng.uniform(0.5, 1.5) if rng.random() < 0.6 else 0.0,
        depreciation=ind.depreciation * rng.uniform(0.7, 1.3),
        investment_yield=rng.uniform(0.01, 0.03) if headquarters else rng.uniform(0, 0.002),
        fair_value=rng.uniform(0.0002, 0.001) if rng.random() < 0.2 else 0.0,
        tax_rate=rng.uniform(0.15, 0.25),
        other_taxes=rng.uniform(0.02, 0.05),
        collection=rng.uniform(0.85, 1.02),
        cash_share=shares[0],
        receivable_share=shares[1],
        inventory_share=shares[2],
        current_debt_share=rng.uniform(0.45, 0.85),
        payable_share=rng.uniform(0.2, 0.5),
        interest_bearing_share=rng.uniform(0.35, 0.75),
        retained_share=rng.uniform(-0.35, -0.05) if loss_maker else rng.uniform(0.05, 0.35),
        elimination=rng.uniform(0.01, 0.05),
        state_share=1.0 if rng.random() < 0.5 else rng.uniform(0.55, 0.99),
    )


def own_month(seed: int, econ: Economics, month: int) -> Parts:
    """The enterprise's own flows of one month and its balances at the month's end."""
    if month < econ.start:
        return ZERO
    rng = random.Random(f"{seed}:{econ.key}:{month}")
    years = (month - ANCHOR) / 12
    calendar_month = month % 12
    december, january = calendar_month == 11, calendar_month == 0
    step = econ.step if econ.step_from is not None and month >= econ.step_from else 1.0

    # Balances first: interest and depreciation follow them.
    assets = round(econ.assets * (1 + econ.asset_growth) ** years * (1 + rng.gauss(0, 0.008)))
    ratio = min(max(econ.debt + econ.debt_drift * years + rng.gauss(0, 0.004), 0.05), 0.95)
    liabilities = round(assets * ratio)
    current = min(round(assets * econ.current * rng.uniform(0.97, 1.03)), assets)
    cash = int(current * econ.cash_share)
    receivables = int(current * econ.receivable_share)
    inventory = int(current * econ.inventory_share)
    current_debts = round(liabilities * econ.current_debt_share)
    payables = int(current_debts * econ.payable_share)
    non_current_debts = liabilities - current_debts
    interest_bearing = int(
        (current_debts - payables + non_current_debts) * econ.interest_bearing_share
    )
    staff = econ.staff * (1 + econ.staff_growth) ** years * rng.uniform(0.997, 1.003)
    staff = max(round(staff), 1)

    yearly = econ.assets * econ.turnover * (1 + econ.growth) ** years
    revenue = max(round(yearly / 12 * econ.season[calendar_month] * rng.gauss(1, 0.05) * step), 0)
    main = int(revenue * econ.main_share)
    sei = int(main * econ.sei_share)
    investment = round(assets * econ.investment_yield / 12 * rng.gauss(1, 0.8))
    fair_value = round(assets * rng.gauss(0, econ.fair_value)) if econ.fair_value else 0
    profit = revenue * econ.margin + revenue * rng.gauss(0, 0.012) + investment + fair_value
    if december:  # year-end impairments and accruals
        profit -= revenue * rng.uniform(0, 0.02)
    profit = round(profit)
    tax = round(profit * econ.tax_rate) if profit > 0 else round(profit * 0.05)
    depreciation = round(assets * econ.depreciation / 12)
    operating_cash = profit - tax + depreciation + revenue * rng.gauss(0, 0.08)
    if december:
        operating_cash += revenue * 0.15  # year-end collections
    elif january:
        operating_cash -= revenue * 0.10
    income_tax_due = max(round(tax * rng.uniform(0.9, 1.1)), 0)
    other_tax_due = round(revenue * econ.other_taxes * rng.uniform(0.85, 1.15))
    bonus = 1.8 if december else 1.15 if january else 1.0
    parts = [0] * WIDTH
    parts[SEI] = sei
    parts[MAIN] = main - sei
    parts[OTHER_REVENUE] = revenue - main
    parts[OTHER_INCOME] = round(revenue * econ.other_income * rng.uniform(0.9, 1.1))
    parts[COST] = max(round(revenue * econ.cost * rng.gauss(1, 0.02)), 0)
    parts[RD] = round(revenue * econ.rd * rng.uniform(0.7, 1.3) * (1.6 if december else 1.0))
    parts[INTEREST] = round(interest_bearing * 0.042 / 12)
    parts[INVESTMENT] = investment
    parts[FAIR_VALUE] = fair_value
    parts[NON_OPERATING] = round(revenue * rng.gauss(0, 0.003))
    parts[PROFIT] = profit
    parts[TAX] = tax
    parts[DEPRECIATION] = depreciation
    parts[OPERATING_CASH] = round(operating_cash)
    parts[SALES_CASH] = round(revenue * 1.13 * econ.collection * rng.uniform(0.92, 1.08))
    parts[TAX_PAID] = round((income_tax_due + other_tax_due) * rng.uniform(0.8, 1.15))
    parts[INCOME_TAX_DUE] = income_tax_due
    parts[OTHER_TAX_DUE] = other_tax_due
    parts[SUBSIDY] = round(revenue * econ.subsidy * rng.uniform(0.5, 1.5))
    parts[WAGES] = round(staff * econ.wage * bonus * rng.uniform(0.97, 1.03))
    parts[CASH] = cash
    parts[RECEIVABLES] = receivables
    parts[INVENTORY] = inventory
    parts[OTHER_CURRENT] = current - cash - receivables - inventory
    parts[NON_CURRENT] = assets - current
    parts[PAYABLES] = payables
    parts[OTHER_CURRENT_DEBTS] = current_debts - payables
    parts[NON_CURRENT_DEBTS] = non_current_debts
    parts[INTEREST_BEARING] = interest_bearing
    parts[RETAINED] = round((assets - liabilities) * econ.retained_share)
    parts[STAFF] = staff
    return array("q", parts)


def contribution(parts: Parts, elimination: float) -> list[int]:
    """A child's consolidated parts as its parent adds them: less intra-group items."""
    kept = [x - int(x * elimination) for x in parts]
    kept[STAFF] = parts[STAFF]
    return kept


# --- the form's fields from the parts -------------------------------------------------------


def flow_values(p, minority: float) -> dict[str, int]:
    revenue = p[SEI] + p[MAIN] + p[OTHER_REVENUE]
    net = p[PROFIT] - p[TAX]
    return {
        "total_operating_revenue": revenue + p[OTHER_INCOME],
        "operating_revenue": revenue,
        "main_business_revenue": p[SEI] + p[MAIN],
        "sei_revenue": p[SEI],
        "operating_cost": p[COST],
        "rd_expenditure": p[RD],
        "interest_expense": p[INTEREST],
        "investment_income": p[INVESTMENT],
        "fair_value_gains": p[FAIR_VALUE],
        "operating_profit": p[PROFIT] - p[NON_OPERATING],
        "total_profit": p[PROFIT],
        "income_tax": p[TAX],
        "net_profit": net,
        "net_profit_parent": net - int(net * minority),
        "depreciation_amortisation": p[DEPRECIATION],
        "cfo_net": p[OPERATING_CASH],
        "cash_from_sales": p[SALES_CASH],
        "taxes_paid": p[TAX_PAID],
        "taxes_payable": p[INCOME_TAX_DUE] + p[OTHER_TAX_DUE],
        "income_tax_payable": p[INCOME_TAX_DUE],
        "government_subsidies": p[SUBSIDY],
        "wages_payable": p[WAGES],
    }


def balance_values(p, minority: float, state_share: float) -> dict[str, int]:
    current = p[CASH] + p[RECEIVABLES] + p[INVENTORY] + p[OTHER_CURRENT]
    assets = current + p[NON_CURRENT]
    current_debts = p[PAYABLES] + p[OTHER_CURRENT_DEBTS]
    liabilities = current_debts + p[NON_CURRENT_DEBTS]
    equity = assets - liabilities
    parent_equity = equity - int(equity * minority)
    return {
        "total_assets": assets,
        "current_assets": current,
        "cash": p[CASH],
        "receivables": p[RECEIVABLES],
        "inventory": p[INVENTORY],
        "total_liabilities": liabilities,
        "current_liabilities": current_debts,
        "payables": p[PAYABLES],
        "interest_bearing_debt": p[INTEREST_BEARING],
        "owners_equity": equity,
        "equity_parent": parent_equity,
        "retained_earnings": p[RETAINED],
        "state_capital": int(parent_equity * state_share),
        "employees_end": p[STAFF],
    }


@dataclass(frozen=True)
class CellSpec:
    key: str  # "field.column"
    code: str
    column: str
    factor: int  # stored integer per generated unit


def cell_specs(definition: FormDefinition) -> list[CellSpec]:
    """The cells of the definition that the generator knows, with their stored factor."""
    known = set(flow_values(ZERO, 0)) | set(balance_values(ZERO, 0, 1)) | {"employees_avg"}
    specs = []
    for f in definition.fields:
        if f.code not in known or not f.numeric:
            continue
        # Money: hundreds of yuan → the storage unit (元) × scale; headcounts: people × scale.
        factor = HUNDRED_YUAN * f.scale if f.money else f.scale
        specs.extend(CellSpec(f"{f.code}.{c}", f.code, c, factor) for c in f.columns)
    return specs


# --- the demo's history ------------------------------------------------------------------------


@dataclass(frozen=True)
class Move:
    """A subsidiary moved from one parent to another, in force from `month`.

    The receiving side (the new parent and those above it) reports as if the subsidiary had
    always been its own: its year-to-date and its comparatives include it (a common-control
    combination). The giving side keeps what it consolidated this year until the move, and
    restates its comparatives without the subsidiary.
    """

    child: int
    old: int
    new: int
    month: int
    receiving: frozenset[int]
    giving: frozenset[int]


def ancestors(tree: TreeSnapshot, enterprise_id: int) -> list[int]:
    chain, current = [], enterprise_id
    while current in tree.parent and len(chain) < 64:
        current = tree.parent[current]
        chain.append(current)
    return chain


@dataclass
class Month:
    number: int
    tree: TreeSnapshot
    present: set[int]  # expected to file: in the portfolio, active, in the tree
    own: dict[int, Parts] = field(default_factory=dict)
    consolidated: dict[int, Parts] = field(default_factory=dict)

    def children(self, enterprise_id: int) -> list[int]:
        return [c for c in self.tree.children.get(enterprise_id, ()) if c in self.present]


def bottom_up(present: set[int], children: dict[int, list[int]], parent: dict[int, int]):
    """Every present enterprise, each after all of its present children."""
    roots = [e for e in present if parent.get(e) not in present]
    order, stack = [], [(root, False) for root in sorted(roots)]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            order.append(node)
            continue
        stack.append((node, True))
        stack.extend((c, False) for c in children.get(node, ()) if c in present)
    return order


def consolidate(
    present: set[int], children: dict[int, list[int]], parent: dict[int, int], own: dict,
    economics: dict[int, Economics],
) -> dict[int, Parts]:  # fmt: skip
    result: dict[int, Parts] = {}
    for node in bottom_up(present, children, parent):
        kids = [c for c in children.get(node, ()) if c in present]
        if not kids:
            result[node] = own[node]
            continue
        total = list(own[node])
        elimination = economics[node].elimination
        for kid in kids:
            for i, x in enumerate(contribution(result[kid], elimination)):
                total[i] += x
        result[node] = array("q", total)
    return result


class Series:
    """Consolidated and own figures month by month, with restated views after moves."""

    def __init__(self, months: dict[int, Month], economics: dict[int, Economics]) -> None:
        self.months = months
        self.economics = economics
        self.moves = self._moves()
        self.affected = {e for m in self.moves for e in m.receiving | m.giving}
        self._restated: dict[tuple[int, tuple[Move, ...]], dict[int, Parts]] = {}
        self._ytd = {CONSOLIDATED: {}, STANDALONE: {}}
        self._staff = {CONSOLIDATED: {}, STANDALONE: {}}
        for scope in (CONSOLIDATED, STANDALONE):
            self._accumulate(scope)

    def _moves(self) -> list[Move]:
        moves = []
        numbers = sorted(self.months)
        for before, after in zip(numbers, numbers[1:], strict=False):
            old_tree, new_tree = self.months[before].tree, self.months[after].tree
            both = self.months[before].present & self.months[after].present
            for child in sorted(both):
                old, new = old_tree.parent.get(child), new_tree.parent.get(child)
                if old is None or new is None or old == new:
                    continue
                receiving = frozenset({new, *ancestors(new_tree, new)})
                giving = frozenset({old, *ancestors(old_tree, old)}) - receiving
                moves.append(Move(child, old, new, after, receiving, giving))
        return moves

    def _figures(self, scope: str, month: Month) -> dict[int, Parts]:
        return month.consolidated if scope == CONSOLIDATED else month.own

    def _accumulate(self, scope: str) -> None:
        """Year-to-date flows and headcounts as filed; standalone ones only for parents."""
        parents = {e for m in self.months.values() for e in m.present if m.tree.has_children(e)}
        running: dict[int, Parts] = {}
        staff: dict[int, tuple[int, int]] = {}
        for number in sorted(self.months):
            if number % 12 == 0:
                running, staff = {}, {}
            figures = self._figures(scope, self.months[number])
            ytd, heads = {}, {}
            for e, parts in figures.items():
                if scope == STANDALONE and e not in parents:
                    continue
                total = running.get(e)
                flows = parts[:FLOWS]
                total = array("q", map(sum, zip(total, flows, strict=True))) if total else flows
                running[e] = total
                count, people = staff.get(e, (0, 0))
                staff[e] = (count + 1, people + parts[STAFF])
                ytd[e] = total
                heads[e] = staff[e]
            self._ytd[scope][number] = ytd
            self._staff[scope][number] = heads

    def moves_seen(self, enterprise_id: int, month: int, view: int) -> tuple[Move, ...]:
        """The moves that period `view` reports as if in force in `month`, for this enterprise."""
        if enterprise_id not in self.affected:
            return ()
        comparative = month < view - view % 12
        return tuple(
            m
            for m in self.moves
            if month < m.month <= view
            and (enterprise_id in m.receiving or (comparative and enterprise_id in m.giving))
        )

    def monthly(self, scope: str, enterprise_id: int, month: int, view: int):
        """One month's parts as period `view` reports them; None when it did not file then."""
        record = self.months.get(month)
        if record is None:
            return None
        if scope == CONSOLIDATED:
            moves = self.moves_seen(enterprise_id, month, view)
            if moves:
                return self.restated(month, moves).get(enterprise_id)
        return self._figures(scope, record).get(enterprise_id)

    def restated(self, month: int, moves: tuple[Move, ...]) -> dict[int, Parts]:
        key = (month, moves)
        if key not in self._restated:
            record = self.months[month]
            parent = dict(record.tree.parent)
            children = {e: list(kids) for e, kids in record.tree.children.items()}
            for move in moves:
                if move.child in record.present and move.new in record.present:
                    if move.child in children.get(parent.get(move.child), []):
                        children[parent[move.child]].remove(move.child)
                    parent[move.child] = move.new
                    children.setdefault(move.new, []).append(move.child)
            self._restated[key] = consolidate(
                record.present, children, parent, record.own, self.economics
            )
        return self._restated[key]

    def year_to_date(self, scope: str, enterprise_id: int, month: int, view: int):
        """(flows, (months, headcount sum)) up to `month` of its year, as `view` reports them."""
        first = month - month % 12
        restated = scope == CONSOLIDATED and any(
            self.moves_seen(enterprise_id, m, view) for m in range(first, month + 1)
        )
        if not restated:
            ytd = self._ytd[scope].get(month, {}).get(enterprise_id)
            if ytd is None:
                return None, (0, 0)
            return ytd, self._staff[scope][month][enterprise_id]
        total, count, people = [0] * FLOWS, 0, 0
        for m in range(first, month + 1):
            parts = self.monthly(scope, enterprise_id, m, view)
            if parts is None:
                continue
            total = [a + b for a, b in zip(total, parts[:FLOWS], strict=True)]
            count, people = count + 1, people + parts[STAFF]
        return (total if count else None), (count, people)


def average(staff: tuple[int, int]) -> int:
    count, people = staff
    return (2 * people + count) // (2 * count) if count else 0


# --- who acts -------------------------------------------------------------------------------


class Actors:
    """The users whose memberships cover an enterprise, as the reporting permissions see them."""

    def __init__(self) -> None:
        self.reporters: dict[int, list] = defaultdict(list)
        self.enterprise_reviewers: dict[int, list] = defaultdict(list)
        self.supervisor_reviewers: dict[int, list] = defaultdict(list)
        rows = Membership.objects.filter(
            role__in=[Role.ENTERPRISE_REPORTER, Role.ENTERPRISE_REVIEWER, Role.SUPERVISOR_REVIEWER]
        ).values_list("role", "enterprise_id", "supervisor_id", "user_id", "valid_from", "valid_to")
        for role, enterprise_id, supervisor_id, user_id, valid_from, valid_to in rows:
            entry = (user_id, valid_from, valid_to)
            if role == Role.ENTERPRISE_REPORTER:
                self.reporters[enterprise_id].append(entry)
            elif role == Role.ENTERPRISE_REVIEWER:
                self.enterprise_reviewers[enterprise_id].append(entry)
            else:
                self.supervisor_reviewers[supervisor_id].append(entry)
        for entries in (self.reporters, self.enterprise_reviewers, self.supervisor_reviewers):
            for values in entries.values():
                values.sort()

    @staticmethod
    def _valid(entries, day: date) -> int | None:
        for user_id, valid_from, valid_to in entries:
            if valid_from <= day and (valid_to is None or valid_to > day):
                return user_id
        return None

    def submitter(self, tree: TreeSnapshot, enterprise_id: int, day: date) -> int | None:
        """The nearest reporter: of the enterprise itself, else of an enterprise above it."""
        for node in (enterprise_id, *ancestors(tree, enterprise_id)):
            user = self._valid(self.reporters.get(node, ()), day)
            if user:
                return user
        return None

    def approver(self, tree: TreeSnapshot, enterprise_id: int, day: date) -> int | None:
        if enterprise_id in tree.supervisor_of_group:
            supervisor = tree.supervisor_of_group[enterprise_id]
            return self._valid(self.supervisor_reviewers.get(supervisor, ()), day)
        for node in ancestors(tree, enterprise_id):
            user = self._valid(self.enterprise_reviewers.get(node, ()), day)
            if user:
                return user
        supervisor = tree.supervisor(enterprise_id)
        return self._valid(self.supervisor_reviewers.get(supervisor, ()), day)


# --- deliberate mistakes ------------------------------------------------------------------------


@dataclass(frozen=True)
class Note:
    """An explanation of a warning or a waiver of an error, as the reporter asks for it."""

    rule: str
    kind: str
    cause: str
    text: str


@dataclass(frozen=True)
class Error:
    """A rule the values break on purpose, and the reporter's case for a waiver."""

    note: Note
    apply: Callable[[dict, int], None]  # (cells, stored units per 0.01 万元)


@dataclass(frozen=True)
class Doubt:
    """A value that passes every rule but that a reviewer doubts: the reason of a return."""

    named: tuple[str, ...]
    reason: str
    apply: Callable[[dict, int], None]


def _off_balance(cells: dict, factor: int) -> None:
    cells["total_assets.current"] += 3030 * factor  # 30.30 万元


def _inventory_over(cells: dict, factor: int) -> None:
    room = cells["current_assets.current"] - sum(
        cells[f"{code}.current"] for code in ("cash", "receivables", "inventory")
    )
    over = max(cells["current_assets.current"] // factor // 100, 100) * factor
    cells["inventory.current"] += room + over


def _income_tax_over(cells: dict, factor: int) -> None:
    over = max(cells["taxes_payable.current"] // factor // 20, 500) * factor
    cells["income_tax_payable.current"] = cells["taxes_payable.current"] + over


def _rd_inflated(cells: dict, factor: int) -> None:
    cells["rd_expenditure.current"] = 3 * cells["rd_expenditure.current"] + 5000 * factor


def _staff_typo(cells: dict, factor: int) -> None:
    cells["employees_end.current"] *= 10


def _no_debt(cells: dict, factor: int) -> None:
    cells["interest_bearing_debt.current"] = 0


WAIVER = Explanation.Kind.WAIVER.value
EXPLANATION = Explanation.Kind.EXPLANATION.value
ERRORS = (
    Error(
        Note(
            "bs_identity", WAIVER, Cause.CONSOLIDATION,
            "集团内部往来对账差异30.30万元尚未抵销，已与对方单位核对一致，下月快报调整。",
        ),
        _off_balance,
    ),
    Error(
        Note(
            "quick_items_within_current", WAIVER, Cause.OTHER,
            "存货中含已完工未结算款项，按集团口径列示后合计略超流动资产，年报时重分类。",
        ),
        _inventory_over,
    ),
    Error(
        Note(
            "income_tax_payable_within_taxes", WAIVER, Cause.ONE_OFF,
            "本期补缴以前年度企业所得税，应交税费总额系统取数尚未包含，下月调整。",
        ),
        _income_tax_over,
    ),
)  # fmt: skip
DOUBTS = (
    Doubt(
        ("rd_expenditure.current",),
        "研发经费投入较上年同期成倍增长，疑似将固定资产投资计入研发经费，请核实后重新报送。",
        _rd_inflated,
    ),
    Doubt(
        ("employees_end.current",),
        "期末从业人员较上月增加近十倍，疑似录入错误，请核实。",
        _staff_typo,
    ),
    Doubt(
        ("interest_bearing_debt.current",),
        "带息负债填报为0，但本年发生利息费用，请核实。",
        _no_debt,
    ),
)
JUMPS = {
    "business": Note(
        "revenue_yoy_jump", EXPLANATION, Cause.BUSINESS,
        "本年新签大额合同陆续履约、新产线投产，营业收入同比大幅增长，属业务实际变化。",
    ),
    "new": Note(
        "revenue_yoy_jump", EXPLANATION, Cause.BUSINESS,
        "本企业于上年新设，上年同期仅含开业后数月收入，同比口径不可比。",
    ),
    "subsidiaries": Note(
        "revenue_yoy_jump", EXPLANATION, Cause.CONSOLIDATION,
        "合并范围变化：下属企业新设或注销，合并营业收入与上年同期口径不一致。",
    ),
}  # fmt: skip


def revenue_jumps(cells: dict, factor: int) -> bool:
    """The fast report's y/y revenue warning: above 1,000 万元 a year ago and ±50% since."""
    prior = cells.get("operating_revenue.prior_year", 0)
    current = cells.get("operating_revenue.current", 0)
    return prior >= 1000 * 100 * factor and abs(current / prior - 1) > 0.5


# --- the result -------------------------------------------------------------------------------


@dataclass
class LoadedReports:
    form: Form
    periods: list[Period]
    submissions: int = 0
    states: Counter = field(default_factory=Counter)
    missing: int = 0  # expected in the last month, with no report at all
    late: int = 0  # first submitted after the due date
    value_versions: int = 0
    events: int = 0
    explanations: int = 0
    planted: dict[tuple[int, str, str], str] = field(default_factory=dict)  # → rule broken
    restated: set[tuple[int, str]] = field(default_factory=set)  # (enterprise, period)
    seconds: float = 0.0


def summary(loaded: LoadedReports) -> str:
    first, last = loaded.periods[0], loaded.periods[-1]
    return _(
        "Fast reports: %(months)s months (%(first)s to %(last)s), %(n)s reports (%(approved)s "
        "approved, %(submitted)s submitted, %(returned)s returned, %(drafts)s drafts), "
        "%(missing)s expected reports missing in %(last)s, %(late)s submitted late, "
        "%(versions)s value versions, %(events)s workflow events, %(explanations)s "
        "explanations and waivers, in %(seconds).1f s."
    ) % {
        "months": len(loaded.periods),
        "first": first,
        "last": last,
        "n": loaded.submissions,
        "approved": loaded.states[State.APPROVED],
        "submitted": loaded.states[State.SUBMITTED],
        "returned": loaded.states[State.RETURNED],
        "drafts": loaded.states[State.DRAFT],
        "missing": loaded.missing,
        "late": loaded.late,
        "versions": loaded.value_versions,
        "events": loaded.events,
        "explanations": loaded.explanations,
        "seconds": loaded.seconds,
    }


# --- loading ------------------------------------------------------------------------------------


VALIDATED_MONTHS = 3


def after_load(form: Form, periods: list[Period]) -> None:
    """Validate the recent months, the ones reporters and reviewers are still working on.

    Older months are approved history; `guozi validate_reports` checks them when wanted.
    """
    validate_range(form, periods[-VALIDATED_MONTHS:])


def reset() -> None:
    """Remove every submission with its values, history, results and explanations."""
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for model in (Explanation, RuleResult, SubmissionEvent, ValueVersion, Submission):
            cursor.execute(f"DELETE FROM {quote(model._meta.db_table)}")


def window(months: int, today: date | None = None) -> list[Period]:
    """The `months` months up to the last one closed before today."""
    last = last_closed(today or clock.today(), "month")
    return [last.shift(-i) for i in range(months - 1, -1, -1)]


def check_months(months: int) -> None:
    if months < 0:
        raise DomainError(
            _("The number of months of demo reports cannot be negative (%(n)s).") % {"n": months},
            code="demo_months",
        )


def load_reports(*, seed: int, months: int = DEFAULT_MONTHS) -> LoadedReports:
    """Write the demo's fast reports for the registry in the database; see the module's doc."""
    check_months(months)
    if months == 0:
        raise DomainError(_("The demo reports need at least one month."), code="demo_months")
    started = time.monotonic()
    collecting = gc.isenabled()
    gc.disable()  # millions of small acyclic lists: the collector would only slow this down
    try:
        with transaction.atomic():
            load_built_in()
            form = Form.objects.get(code=FORM_CODE)
            if Submission.objects.filter(form=form).exists():
                raise DomainError(
                    _(
                        "The database already holds fast reports; nothing was changed. Run "
                        "load_demo --reset to replace the demo."
                    ),
                    code="demo_reports_exist",
                )
            periods = window(months)
            loaded = _Loader(seed, form, periods).run()
            after_load(form, periods)
    finally:
        if collecting:
            gc.enable()
    loaded.seconds = time.monotonic() - started
    return loaded


def _identifier(row: dict) -> str:
    return row["uscc"] or f"{row['foreign_country']}:{row['foreign_reg_no']}"


@dataclass
class _Times:
    opened: datetime  # the first morning after the month
    created: datetime
    first_submitted: datetime
    submitted: datetime
    approved: datetime
    returned: datetime | None = None
    fixed: datetime | None = None


@dataclass(eq=False)
class _Plan:
    """One report before it is written."""

    enterprise_id: int
    scope: str
    cells: dict
    due: date | None
    state: str
    times: _Times
    submitter: int | None
    approver: int | None
    rng: random.Random
    parent_sent: bool = False  # its parent's reports have gone up: it must stay approved
    returned_once: bool = False  # returned once in the past, then corrected and approved
    first_cells: dict | None = None  # the values first submitted, when a return corrected them
    returned: Doubt | None = None
    broken: str | None = None  # the rule its current values break on purpose
    notes: list[Note] = field(default_factory=list)  # waivers and explanations asked for
    id: int | None = None
    first_version: int | None = None
    fix_version: int | None = None


class _Loader:
    def __init__(self, seed: int, form: Form, periods: list[Period]) -> None:
        self.seed = seed
        self.form = form
        self.periods = periods
        self.last = periods[-1]
        # Everything in the demo happened before this morning.
        self.cutoff = datetime.combine(clock.today(), clock_time(8, 0), tzinfo=CHINA)
        self.result = LoadedReports(form=form, periods=periods)
        self.rng = random.Random(f"{seed}:reports:{self.last}")

    # -- figures --------------------------------------------------------------------------------

    def run(self) -> LoadedReports:
        first = month_number(self.periods[0])
        numbers = range(first - 12 - first % 12, month_number(self.last) + 1)
        self.enterprises = {
            row["id"]: row
            for row in Enterprise.objects.values(
                "id", "uscc", "foreign_country", "foreign_reg_no", "industry_code",
                "ownership_level", "established_on",
            )
        }  # fmt: skip
        self.months = {}
        for n in numbers:
            end = month_period(n).end
            tree = tree_at(end)
            self.months[n] = Month(n, tree, active_own_at(tree.members(), end))
        self.latest = {e: record for record in self.months.values() for e in record.present}
        self.actors = Actors()
        self.economics = self._economics()
        for record in self.months.values():
            record.own = {
                e: own_month(self.seed, self.economics[e], record.number) for e in record.present
            }
            record.consolidated = consolidate(
                record.present, record.tree.children, record.tree.parent, record.own,
                self.economics,
            )  # fmt: skip
        self.series = Series(self.months, self.economics)
        self.minority = self._minority_shares()
        for period in self.periods:
            self._write_period(period)
        return self.result

    def _economics(self) -> dict[int, Economics]:
        """Each enterprise's economics, from its level and group on the last tree it is in."""
        leverage: dict[int, float] = {}
        economics = {}
        for e, record in self.latest.items():
            row = self.enterprises[e]
            group = record.tree.group_of(e) or e
            if group not in leverage:
                rng = random.Random(f"{self.seed}:{_identifier(self.enterprises[group])}:group")
                leverage[group] = rng.gauss(0, 0.03) + (0.10 if rng.random() < 0.08 else 0.0)
            established = row["established_on"]
            economics[e] = draw_economics(
                self.seed,
                _identifier(row),
                level=record.tree.level(e),
                industry_code=row["industry_code"] or "",
                municipal=row["ownership_level"] == "municipal",
                start=established.year * 12 + established.month - 1 if established else 0,
                leverage=leverage[group],
            )
        self._plan_jumps(economics)
        return economics

    def _plan_jumps(self, economics: dict[int, Economics]) -> None:
        """Two of the larger subsidiaries a demo reporter files for win a large new business
        from January of the year before the last month: revenue up by more than half y/y."""
        last = self.months[month_number(self.last)]
        day = self.last.end
        candidates = [
            e
            for e in last.present
            if not last.tree.has_children(e)
            and economics[e].margin > 0
            and self.actors.submitter(last.tree, e, day)
        ]
        candidates.sort(key=lambda e: (-economics[e].assets * economics[e].turnover, e))
        larger = sorted(candidates[: max(len(candidates) // 4, 2)], key=lambda e: economics[e].key)
        rng = random.Random(f"{self.seed}:jumps")
        for e in rng.sample(larger, min(2, len(larger))):
            economics[e].step_from = (self.last.year - 1) * 12
            economics[e].step = rng.uniform(1.7, 2.0)

    def _minority_shares(self) -> dict[int, float]:
        """The minority interests' share in a parent's consolidated figures: the parent's
        outside shareholders' part of its direct subsidiaries, weighted by their size."""
        stakes = {
            (held, holder): float(pct)
            for held, holder, pct in EquityLink.objects.filter(
                holder_enterprise__isnull=False, valid_to__isnull=True
            ).values_list("held_id", "holder_enterprise_id", "pct")
        }
        shares = {}
        for e, record in self.latest.items():
            kids = record.children(e)
            if not kids:
                continue
            outside = sum(
                self.economics[c].assets * (1 - stakes.get((c, e), 100.0) / 100) for c in kids
            )
            total = self.economics[e].assets + sum(self.economics[c].assets for c in kids)
            shares[e] = min(outside / total, 0.45)
        return shares

    def cells(self, enterprise_id: int, scope: str, period: Period) -> tuple[dict, bool]:
        """The stored cells of one report, and whether its comparatives are restated."""
        n = month_number(period)
        series = self.series
        minority = self.minority.get(enterprise_id, 0.0) if scope == CONSOLIDATED else 0.0
        state_share = self.economics[enterprise_id].state_share
        flows, staff = series.year_to_date(scope, enterprise_id, n, n)
        prior_flows, prior_staff = series.year_to_date(scope, enterprise_id, n - 12, n)
        balances = series.monthly(scope, enterprise_id, n, n)
        opening = series.monthly(scope, enterprise_id, n - n % 12 - 1, n) or ZERO
        values = {
            "current": {
                **flow_values(flows, minority),
                **balance_values(balances, minority, state_share),
                "employees_avg": average(staff),
            },
            "prior_year": {
                **flow_values(prior_flows or ZERO, minority),
                "employees_avg": average(prior_staff),
            },
            "opening": balance_values(opening, minority, state_share),
        }
        cells = {spec.key: values[spec.column][spec.code] * spec.factor for spec in self.specs}
        restated = scope == CONSOLIDATED and bool(
            series.moves_seen(enterprise_id, n - n % 12 - 12, n)
        )
        return cells, restated

    # -- one period -----------------------------------------------------------------------------

    def _write_period(self, period: Period) -> None:
        record = self.months[month_number(period)]
        tree = record.tree
        version = version_in_force(self.form, period)
        definition = definition_of(version)
        self.specs = cell_specs(definition)
        self.factor = next(s.factor for s in self.specs if s.code == "total_assets")
        deadlines = Deadlines(self.form.id, definition, period)
        due_dates: dict[tuple, date | None] = {}
        items: dict[int, list] = defaultdict(list)
        for item in expected_reports(definition, period, tree):
            items[item.enterprise_id].append(item)
        order = bottom_up(set(items), tree.children, tree.parent)
        rngs = {
            e: random.Random(f"{self.seed}:{self.economics[e].key}:{period}:flow") for e in items
        }
        states = self._wanted_states(period, order, items, rngs)
        timelines: dict[int, _Times] = {}
        returned_once: set[int] = set()
        for e in order:
            head, rng = items[e][0], rngs[e]
            if (head.supervisor_id, head.level) not in due_dates:
                due_dates[head.supervisor_id, head.level] = deadlines.due(
                    head.supervisor_id, head.level
                )
            kids = [c for c in tree.children.get(e, ()) if c in items]
            approvals = [timelines[c].approved for c in kids if states[c] == State.APPROVED]
            once = rng.random() < 0.015 and states[e] == State.APPROVED
            times = self._times(rng, period, due_dates[head.supervisor_id, head.level], head.level)
            self._schedule(rng, times, approvals, once)
            timelines[e] = times
            states[e] = self._settle(states[e], times, [states[c] for c in kids], head.level)
            if once and states[e] == State.APPROVED:
                returned_once.add(e)
        if period == self.last:
            self._every_kind(states, order, items, tree, timelines, returned_once)
        plans = []
        for e in sorted(items, key=lambda e: self.economics[e].key):
            if states[e] is None:
                self.result.missing += len(items[e])
                continue
            submitter = self.actors.submitter(tree, e, period.end)
            approver = self.actors.approver(tree, e, period.end)
            for item in items[e]:
                cells, restated = self.cells(e, item.scope, period)
                if restated:
                    self.result.restated.add((e, str(period)))
                plans.append(
                    _Plan(
                        e, str(item.scope), cells, due_dates[item.supervisor_id, item.level],
                        states[e], replace(timelines[e]), submitter, approver, rngs[e],
                        parent_sent=states.get(tree.parent.get(e)) in SENT,
                        returned_once=e in returned_once and item.scope == CONSOLIDATED,
                    )
                )  # fmt: skip
        self._plant(plans, period)
        self._store(period, version, plans)

    def _wanted_states(self, period: Period, order: list[int], items, rngs) -> dict:
        """Every past report approved. In the last month, top-down: whoever reports to a parent
        that has sent its own reports was approved (children first); the others are a mix,
        where a group is at worst a draft and a subsidiary may not have started at all. The demo
        reporters' group still waits for some of its subsidiaries, so they have work to show."""
        if period != self.last:
            return dict.fromkeys(order, State.APPROVED)
        tree = self.months[month_number(period)].tree
        states: dict[int, str | None] = {}
        for e in reversed(order):
            roll = rngs[e].random()
            if states.get(tree.parent.get(e)) in SENT:
                states[e] = State.APPROVED
                continue
            if items[e][0].level == 1 and self.actors.submitter(tree, e, period.end):
                states[e] = State.DRAFT
                continue
            shares = LAST_MONTH_GROUPS if items[e][0].level == 1 else LAST_MONTH_OTHERS
            states[e] = next(state for bound, state in shares if roll < bound)
        return states

    def _every_kind(self, states: dict, order, items, tree, timelines, returned_once) -> None:
        """However small the registry, the last month has a report of each state and a missing
        one: an approved one whose parent has not gone up takes the state that is lacking."""
        key = self.economics.__getitem__
        for wanted in (State.SUBMITTED, State.RETURNED, State.DRAFT, None):
            if wanted in states.values():
                continue
            while True:
                free = [
                    e
                    for e in sorted(order, key=lambda e: (bool(tree.children.get(e)), key(e).key))
                    if states[e] == State.APPROVED
                    and e not in returned_once
                    and states.get(tree.parent.get(e)) not in SENT
                    and (wanted is not None or items[e][0].level > 1)
                ]
                if free or wanted is not None:
                    break
                # Nobody below a group is free: hold back a group's own reports first.
                groups = [e for e in order if items[e][0].level == 1 and tree.children.get(e)]
                if not groups:
                    break
                states[min(groups, key=lambda e: key(e).key)] = State.DRAFT
            if free:
                e = free[0]
                states[e] = wanted
                t = timelines[e]
                t.returned = t.submitted + (t.approved - t.submitted) / 2

    def _times(self, rng: random.Random, period: Period, due, level: int) -> _Times:
        """When an enterprise would write, submit and have approved its reports, left to itself:
        mostly in the days before its due date, some late."""
        start = datetime.combine(period.end + timedelta(days=1), clock_time(9, 0), tzinfo=CHINA)
        base = due or period.end + timedelta(days=14)
        # A group waits for its slowest subsidiary: subsidiaries are rarely late, and not by much.
        chance = (0.05 if level == 1 else 0.015) * (2 if period == self.last else 1)
        late = rng.random() < chance
        if late:
            day = base + timedelta(days=rng.randint(1, 4 if level == 1 else 2))
        else:
            slack = max(min(5, (base - period.end).days - 3), 0)
            day = base - timedelta(days=rng.randint(1, slack) if slack else 0)
        while day.weekday() >= 5:  # on a working day: late ones on Monday, others on Friday
            day += timedelta(days=1 if late else -1)
        at = clock_time(rng.randint(9, 17), rng.randint(0, 59))
        submitted = max(datetime.combine(day, at, tzinfo=CHINA), start + timedelta(hours=3))
        created = max(submitted - timedelta(hours=rng.uniform(2, 96)), start)
        review = rng.uniform(12, 72) if level == 1 else rng.uniform(1, 20)
        return _Times(start, created, submitted, submitted, submitted + timedelta(hours=review))

    def _schedule(self, rng, t: _Times, approvals: list[datetime], once: bool) -> None:
        """Submitted only once every subsidiary is approved, and for a report returned once,
        after a first submission, the return and the correction."""
        ready = max([t.opened, *(a + timedelta(hours=rng.uniform(0.5, 4)) for a in approvals)])
        review = t.approved - t.submitted
        if once:
            t.first_submitted = max(t.submitted, ready + timedelta(hours=1))
            t.returned = t.first_submitted + timedelta(hours=rng.uniform(2, 20))
            t.fixed = t.returned + timedelta(hours=rng.uniform(2, 24))
            t.submitted = t.fixed + timedelta(minutes=rng.uniform(10, 180))
        else:
            t.submitted = t.first_submitted = max(t.submitted, ready)
        t.created = min(t.created, t.first_submitted - timedelta(hours=1))
        t.approved = t.submitted + review

    def _settle(self, state, t: _Times, children: list, level: int):
        """What has happened by now, and only what the workflow allows: a report goes up once
        every subsidiary is approved."""
        if state is None:
            return None
        if state in SENT and any(child != State.APPROVED for child in children):
            state = State.DRAFT
        if state == State.APPROVED and t.approved >= self.cutoff:
            state = State.SUBMITTED
        if state in (State.SUBMITTED, State.RETURNED) and t.submitted >= self.cutoff:
            state = State.DRAFT
        if state == State.RETURNED:  # the reviewer took as long as an approval would have
            t.returned = t.submitted + min(
                t.approved - t.submitted, (self.cutoff - t.submitted) / 2
            )
        if state == State.DRAFT and t.created >= self.cutoff:
            if level > 1:
                return None
            t.created = max(t.opened, self.cutoff - timedelta(hours=3))
        return state

    # -- mistakes, returns, explanations --------------------------------------------------------

    def _break(self, rng: random.Random, plan: _Plan) -> Error:
        error = ERRORS[rng.randrange(len(ERRORS))]
        error.apply(plan.cells, self.factor)
        plan.broken = error.note.rule
        return error

    def _jump_note(self, plan: _Plan, month: int) -> Note:
        econ = self.economics[plan.enterprise_id]
        if econ.step_from is not None and econ.step_from <= month < econ.step_from + 24:
            return JUMPS["business"]
        return JUMPS["new" if econ.start > month - 24 else "subsidiaries"]

    def _plant(self, plans: list[_Plan], period: Period) -> None:
        """Waivers, explanations, returns and unfinished drafts, as the workflow allows them: an
        error needs an accepted waiver before the report can go up, a warning an explanation,
        and a reviewer returns what passes the rules but looks wrong."""
        rng = self.rng
        month, last = month_number(period), period == self.last
        # Errors with a waiver, where a demo reporter can ask for one: accepted before the report
        # went up; in the last month also one awaiting the reviewer, in a draft. (A report whose
        # parent has gone up stays approved.)
        corrected = {p.enterprise_id for p in plans if p.returned_once}
        waivable = [
            p
            for p in plans
            if p.submitter
            and p.state == State.APPROVED
            and p.enterprise_id not in corrected
            and not (last and p.parent_sent)
        ]
        roll = rng.random()
        count = min(2, len(waivable)) if last else int(roll < 0.15 and bool(waivable))
        for index, plan in enumerate(rng.sample(waivable, count)):
            plan.notes.append(self._break(rng, plan).note)
            if last:  # both of the enterprise's reports wait with it
                for sibling in plans:
                    if sibling.enterprise_id == plan.enterprise_id:
                        sibling.state = State.SUBMITTED if index == 0 else State.DRAFT
        for plan in plans:
            if plan.state == State.RETURNED:
                plan.returned = DOUBTS[plan.rng.randrange(len(DOUBTS))]
                plan.returned.apply(plan.cells, self.factor)
            elif plan.returned_once:
                plan.returned = DOUBTS[plan.rng.randrange(len(DOUBTS))]
                plan.first_cells = dict(plan.cells)
                plan.returned.apply(plan.first_cells, self.factor)
            else:  # submitted with its sibling report after the correction, or never returned
                plan.times.first_submitted = plan.times.submitted
            if plan.submitter and revenue_jumps(plan.cells, self.factor):
                plan.notes.append(self._jump_note(plan, month))
            if plan.state == State.DRAFT and not plan.notes and plan.rng.random() < 0.3:
                self._break(plan.rng, plan)

    # -- writing --------------------------------------------------------------------------------

    def _store(self, period: Period, version, plans: list[_Plan]) -> None:
        for offset in range(0, len(plans), BATCH):
            chunk = plans[offset : offset + BATCH]
            # A report's times recur in its row, its value versions and its events.
            self.stamp = lru_cache(maxsize=None)(connection.ops.adapt_datetimefield_value)
            with connection.cursor() as cursor:
                self._store_submissions(cursor, period, version, chunk)
                self._store_history(cursor, chunk)
            for plan in chunk:
                self.result.states[plan.state] += 1
                sent = plan.times.first_submitted.date()
                if plan.state != State.DRAFT and plan.due and sent > plan.due:
                    self.result.late += 1
                if plan.broken:
                    self.result.planted[plan.enterprise_id, str(period), plan.scope] = plan.broken
            self.result.submissions += len(chunk)

    def _store_submissions(self, cursor, period: Period, version, plans: list[_Plan]) -> None:
        at = self.stamp
        day = connection.ops.adapt_datefield_value
        label = str(period)
        rows = []
        for plan in plans:
            t, state = plan.times, plan.state
            sent = state != State.DRAFT
            approved = state == State.APPROVED
            rows.append(
                (
                    at(t.created), at(self._updated(plan)), plan.enterprise_id, self.form.id,
                    version.id, label, day(period.end), plan.scope, state, CELLS.prep(plan.cells),
                    day(plan.due), at(t.first_submitted) if sent else None,
                    at(t.submitted) if sent else None, at(t.approved) if approved else None,
                    plan.approver if approved else None, 1 if plan.returned else 0,
                )
            )  # fmt: skip
        SUBMISSIONS.insert(cursor, rows)
        found = {
            (enterprise_id, scope): pk
            for pk, enterprise_id, scope in Submission.objects.filter(
                form=self.form, period=label, enterprise_id__in={p.enterprise_id for p in plans}
            ).values_list("id", "enterprise_id", "scope")
        }
        for plan in plans:
            plan.id = found[plan.enterprise_id, plan.scope]

    @staticmethod
    def _updated(plan: _Plan) -> datetime:
        t = plan.times
        if plan.state == State.APPROVED:
            return t.approved
        if plan.state == State.RETURNED:
            return t.returned
        return t.submitted if plan.state == State.SUBMITTED else t.created

    def _store_history(self, cursor, plans: list[_Plan]) -> None:
        at = self.stamp
        last_id = ValueVersion.objects.aggregate(last=Max("id"))["last"] or 0
        versions, owners = [], []
        for plan in plans:
            first = plan.first_cells or plan.cells
            changes = {key: [None, value] for key, value in first.items()}
            versions.append(
                (plan.id, at(plan.times.created), plan.submitter, Channel.DEMO,
                 CHANGES.prep(changes), False)
            )  # fmt: skip
            owners.append((plan, "first_version"))
            if plan.first_cells is not None:
                changes = {
                    key: [plan.first_cells[key], value]
                    for key, value in plan.cells.items()
                    if plan.first_cells[key] != value
                }
                versions.append(
                    (plan.id, at(plan.times.fixed), plan.submitter, Channel.DEMO,
                     CHANGES.prep(changes), False)
                )  # fmt: skip
                owners.append((plan, "fix_version"))
        VERSIONS.insert(cursor, versions)
        ids = (
            ValueVersion.objects.filter(id__gt=last_id).order_by("id").values_list("id", flat=True)
        )
        for (plan, attribute), version_id in zip(owners, ids, strict=True):
            setattr(plan, attribute, version_id)
        events = [row for plan in plans for row in self._events(plan)]
        notes = [row for plan in plans for row in self._explanations(plan)]
        EVENTS.insert(cursor, events)
        EXPLANATIONS.insert(cursor, notes)
        self.result.value_versions += len(versions)
        self.result.events += len(events)
        self.result.explanations += len(notes)

    def _events(self, plan: _Plan) -> list[tuple]:
        t, state = plan.times, plan.state
        at = self.stamp

        nothing = NAMED.prep([])

        def event(action, when, user, version, reason="", named=()):
            named = NAMED.prep(list(named)) if named else nothing
            return (plan.id, action, at(when), user, reason, named, version)

        if state == State.DRAFT:
            return []
        events = [event(Action.SUBMIT, t.first_submitted, plan.submitter, plan.first_version)]
        if plan.returned:
            doubt = plan.returned
            events.append(
                event(Action.RETURN, t.returned, plan.approver, plan.first_version,
                      doubt.reason, doubt.named)
            )  # fmt: skip
            if state == State.RETURNED:
                return events
            events.append(event(Action.SUBMIT, t.submitted, plan.submitter, plan.fix_version))
        if state == State.APPROVED:
            version = plan.fix_version or plan.first_version
            events.append(event(Action.APPROVE, t.approved, plan.approver, version))
        return events

    def _explanations(self, plan: _Plan) -> list[tuple]:
        """A waiver is decided before the report goes up (it could not go up otherwise); an
        explanation when the report is approved."""
        t = plan.times
        at = self.stamp
        sent = plan.state != State.DRAFT
        rows = []
        for note in plan.notes:
            if note.kind == WAIVER:
                end = t.first_submitted if sent else self.cutoff
                asked = t.created + (end - t.created) * plan.rng.uniform(0.1, 0.4)
                decided = (
                    t.created + (end - t.created) * plan.rng.uniform(0.6, 0.9) if sent else None
                )
            else:
                asked = t.created + (t.first_submitted - t.created) * plan.rng.uniform(0.5, 0.9)
                decided = (
                    t.approved - timedelta(minutes=2) if plan.state == State.APPROVED else None
                )
            rows.append(
                (
                    plan.id, note.rule, note.kind, note.cause, note.text, plan.submitter, at(asked),
                    Decision.ACCEPTED if decided else Decision.PENDING,
                    plan.approver if decided else None, at(decided) if decided else None,
                )
            )  # fmt: skip
        return rows


class _Insert:
    """Rows straight into a table with `executemany`, the fields not given at their defaults.

    The ORM's bulk_create prepares every value of every row one call at a time; at tens of
    thousands of reports of 74 cells each that costs more than the demo's whole time budget.
    """

    def __init__(self, model, names: list[str]) -> None:
        self.model = model
        self.names = names

    def _sql(self) -> tuple[str, tuple]:
        quote = connection.ops.quote_name
        meta = self.model._meta
        rest = [
            f for f in meta.concrete_fields if not f.primary_key and f.attname not in self.names
        ]
        columns = [meta.get_field(name).column for name in self.names] + [f.column for f in rest]
        defaults = tuple(f.get_db_prep_save(f.get_default(), connection) for f in rest)
        sql = (
            f"INSERT INTO {quote(meta.db_table)} ({', '.join(map(quote, columns))}) "
            f"VALUES ({', '.join(['%s'] * len(columns))})"
        )
        return sql, defaults

    def insert(self, cursor, rows: list[tuple]) -> None:
        if rows:
            sql, defaults = self._sql()
            cursor.executemany(sql, [(*row, *defaults) for row in rows])


class _Json:
    def __init__(self, model, name: str) -> None:
        self.field = model._meta.get_field(name)

    def prep(self, value):
        return self.field.get_db_prep_save(value, connection)


SUBMISSIONS = _Insert(
    Submission,
    ["created_at", "updated_at", "enterprise_id", "form_id", "version_id", "period", "period_end",
     "scope", "state", "cells", "due_date", "first_submitted_at", "submitted_at", "approved_at",
     "approved_by_id", "times_returned"],
)  # fmt: skip
VERSIONS = _Insert(
    ValueVersion, ["submission_id", "at", "user_id", "channel", "changes", "after_approval"]
)
EVENTS = _Insert(
    SubmissionEvent,
    ["submission_id", "action", "at", "user_id", "reason", "named", "version_id_at"],
)
EXPLANATIONS = _Insert(
    Explanation,
    ["submission_id", "rule", "kind", "cause", "text", "requested_by_id", "requested_at",
     "decision", "decided_by_id", "decided_at"],
)  # fmt: skip
CELLS = _Json(Submission, "cells")
CHANGES = _Json(ValueVersion, "changes")
NAMED = _Json(SubmissionEvent, "named")
