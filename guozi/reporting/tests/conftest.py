import pytest

from guozi.reporting.frameworks import load_built_in
from guozi.reporting.models import Form


@pytest.fixture
def fast_report(db):
    load_built_in()
    return Form.objects.get(code="fast_report")


def clean_cells(scale: float = 1.0, **overrides) -> dict[str, str]:
    """A consistent fast report in 万元: every identity holds."""
    s = scale
    values = {
        "total_operating_revenue": (1200 * s, 1100 * s),
        "operating_revenue": (1150 * s, 1050 * s),
        "main_business_revenue": (1000 * s, 950 * s),
        "sei_revenue": (100 * s, 80 * s),
        "operating_cost": (900 * s, 850 * s),
        "rd_expenditure": (30 * s, 25 * s),
        "interest_expense": (12 * s, 11 * s),
        "investment_income": (5 * s, 4 * s),
        "fair_value_gains": (-1 * s, 0),
        "operating_profit": (110 * s, 100 * s),
        "total_profit": (100 * s, 90 * s),
        "income_tax": (25 * s, 22.5 * s),
        "net_profit": (75 * s, 67.5 * s),
        "net_profit_parent": (70 * s, 60 * s),
        "depreciation_amortisation": (40 * s, 38 * s),
        "cfo_net": (80 * s, 70 * s),
        "cash_from_sales": (1250 * s, 1150 * s),
        "taxes_paid": (60 * s, 55 * s),
        "taxes_payable": (65 * s, 60 * s),
        "income_tax_payable": (24 * s, 22 * s),
        "government_subsidies": (3 * s, 2 * s),
        "wages_payable": (150 * s, 140 * s),
        "employees_avg": (500, 490),
    }
    balances = {
        "total_assets": (2000 * s, 1900 * s),
        "current_assets": (800 * s, 760 * s),
        "cash": (200 * s, 190 * s),
        "receivables": (250 * s, 240 * s),
        "inventory": (150 * s, 140 * s),
        "total_liabilities": (1200 * s, 1150 * s),
        "current_liabilities": (700 * s, 680 * s),
        "payables": (300 * s, 290 * s),
        "interest_bearing_debt": (600 * s, 580 * s),
        "owners_equity": (800 * s, 750 * s),
        "equity_parent": (760 * s, 700 * s),
        "retained_earnings": (300 * s, 260 * s),
        "state_capital": (600 * s, 560 * s),
        "employees_end": (505, 495),
    }
    cells = {}
    for code, (current, prior) in values.items():
        cells[f"{code}.current"] = f"{current:.2f}"
        cells[f"{code}.prior_year"] = f"{prior:.2f}"
    for code, (current, opening) in balances.items():
        cells[f"{code}.current"] = f"{current:.2f}"
        cells[f"{code}.opening"] = f"{opening:.2f}"
    for code in ("employees_avg", "employees_end"):
        for column in ("current", "prior_year", "opening"):
            key = f"{code}.{column}"
            if key in cells:
                cells[key] = str(int(float(cells[key])))
    cells.update(overrides)
    return cells
