"""Framework files: loading, their checks, versions and the expected reporters."""

import pytest

from guozi.conftest import make_enterprise
from guozi.lib.errors import DomainError
from guozi.lib.periods import Period
from guozi.reporting.definitions import DefinitionError, parse_definition
from guozi.reporting.expected import Deadlines, expected_reports
from guozi.reporting.frameworks import (
    BUILT_IN,
    definition_of,
    framework_load,
    version_in_force,
)
from guozi.reporting.models import CalendarYear, FormVersion

FAST = (BUILT_IN / "fast_report.yaml").read_text(encoding="utf-8")


def test_the_fast_report_has_what_the_indicators_need():
    definition = parse_definition(FAST)
    needed = {
        "total_operating_revenue",
        "operating_revenue",
        "operating_cost",
        "operating_profit",
        "investment_income",
        "fair_value_gains",
        "total_profit",
        "income_tax",
        "net_profit",
        "net_profit_parent",
        "total_assets",
        "current_assets",
        "inventory",
        "receivables",
        "cash",
        "total_liabilities",
        "current_liabilities",
        "payables",
        "interest_bearing_debt",
        "owners_equity",
        "equity_parent",
        "retained_earnings",
        "interest_expense",
        "depreciation_amortisation",
        "rd_expenditure",
        "cfo_net",
        "cash_from_sales",
        "taxes_paid",
        "taxes_payable",
        "income_tax_payable",
        "government_subsidies",
        "wages_payable",
        "employees_end",
        "employees_avg",
        "main_business_revenue",
        "sei_revenue",
    }
    assert needed <= set(definition.fields_by_code)
    assert definition.field("total_profit").columns == ("current", "prior_year")
    assert definition.field("total_assets").columns == ("current", "opening")
    assert definition.field("owners_equity").min is None  # equity can be negative
    assert definition.field("total_assets").min == 0


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (("kind: flow", "kind: stream"), "“stream” 不在可选值"),
        (
            (
                'check: "total_assets = total_liabilities + owners_equity"',
                'check: "total_asets = total_liabilities + owners_equity"',
            ),
            "total_assets",
        ),
        (
            (
                'check: "net_profit = total_profit - income_tax"',
                'check: "net_profit = total_profit -"',
            ),
            "第 1 行",
        ),
        (("section: income,", "section: nowhere,"), "没有分组"),
        (("form: fast_report", "form: fast_report\ncolour: red"), "未知的键"),
    ],
)
def test_bad_framework_files_are_refused_with_the_place(change, expected, settings):
    settings.LANGUAGE_CODE = "zh-hans"
    text = FAST.replace(*change, 1)
    with pytest.raises(DefinitionError) as caught:
        parse_definition(text, "bad.yaml")
    assert expected in str(caught.value)
    assert "bad.yaml" in str(caught.value)


def test_yaml_syntax_errors_name_the_line():
    with pytest.raises(DefinitionError) as caught:
        parse_definition("form: [unclosed\n", "broken.yaml")
    assert "line" in str(caught.value) or "行" in str(caught.value)


def test_loading_is_idempotent_and_versions_keep_codes(fast_report):
    assert framework_load(text=FAST, source="fast_report.yaml").version == "2020.1"
    assert FormVersion.objects.filter(form=fast_report).count() == 1
    with pytest.raises(DomainError):  # same version, other content
        framework_load(text=FAST.replace("月度财务快报", "月报", 1), source="x.yaml")
    dropped = (
        FAST.replace('version: "2020.1"', 'version: "2025.1"')
        .replace("valid_from: 2020-01", "valid_from: 2025-01")
        .replace("  - {code: taxes_paid,", "  - {code: taxes_paid_cash,")
    )
    with pytest.raises(DefinitionError) as caught:
        framework_load(text=dropped, source="v2.yaml")
    assert "taxes_paid" in str(caught.value)
    renamed = dropped.replace("split:", "split:") + "renamed: {taxes_paid: taxes_paid_cash}\n"
    version = framework_load(text=renamed, source="v2.yaml")
    assert version_in_force(fast_report, Period.parse("2024-12")).version == "2020.1"
    assert version_in_force(fast_report, Period.parse("2025-01")) == version
    assert "taxes_paid_cash" in definition_of(version).fields_by_code


def test_expected_reporters_exclude_observed_and_minority_held(cast, fast_report):
    definition = definition_of(version_in_force(fast_report, Period.parse("2026-07")))
    # A minority-held enterprise (参股) is in the registry but consolidated by nobody in the
    # portfolio, so it is outside the management tree.
    minority = make_enterprise(
        None, name="参股合资有限公司", supervisor=cast.ln, body="M0000001", managed=False
    )
    expected = expected_reports(definition, Period.parse("2026-07"))
    pairs = {(e.enterprise_id, e.scope) for e in expected}
    assert (cast.a.id, "consolidated") in pairs and (cast.a.id, "standalone") in pairs
    assert (cast.a11.id, "consolidated") in pairs
    assert (cast.a11.id, "standalone") not in pairs  # a leaf files one report
    cast.a2.portfolio = "observed"
    cast.a2.save()
    pairs = {
        (e.enterprise_id, e.scope) for e in expected_reports(definition, Period.parse("2026-07"))
    }
    assert (cast.a2.id, "consolidated") not in pairs
    assert minority.id not in {e.enterprise_id for e in expected}


def test_deadlines_follow_the_official_calendar_and_levels(cast, fast_report):
    definition = definition_of(version_in_force(fast_report, Period.parse("2026-01")))
    january = Deadlines(fast_report.id, definition, Period.parse("2026-01"))
    # Groups: 10 working days after 31 Jan 2026; the Spring Festival (15–23 Feb) comes later.
    assert str(january.due(cast.ln.id, 1)) == "2026-02-13"
    # Subsidiaries are due earlier.
    assert january.due(cast.ln.id, 2) < january.due(cast.ln.id, 1)
    # February's deadline runs across the Spring Festival and counts the adjusted Saturday 28 Feb.
    february = Deadlines(fast_report.id, definition, Period.parse("2026-02"))
    assert str(february.due(cast.ln.id, 1)) == "2026-03-13"


def test_a_year_without_a_calendar_has_no_deadline_until_one_is_loaded(cast, fast_report):
    period = Period.parse("2026-12")
    definition = definition_of(version_in_force(fast_report, period))
    assert Deadlines(fast_report.id, definition, period).due(cast.ln.id, 1) is None
    schedule = (
        "year: 2027\nsource: test\nholidays:\n"
        "  - {name_zh: 元旦, name_en: New Year's Day, from: 2027-01-01, to: 2027-01-03}\n"
        "working_days: []\n"
    )
    CalendarYear.objects.create(year=2027, schedule=schedule)
    # 31 Dec 2026 + 10 working days, skipping 1–3 Jan 2027 and the weekends.
    assert str(Deadlines(fast_report.id, definition, period).due(cast.ln.id, 1)) == "2027-01-15"


def test_the_final_accounts_share_the_fast_reports_fields(fast_report):
    from guozi.reporting.models import Form

    final = Form.objects.get(code="final_accounts")
    definition = definition_of(version_in_force(final, Period.parse("2025")))
    fast = definition_of(version_in_force(fast_report, Period.parse("2025-12")))
    assert (final.basis, final.period_type) == ("final", "year")
    assert definition.fields == fast.fields
    assert "bs_identity" in definition.rules_by_code
    assert "ytd_revenue_rises" not in definition.rules_by_code


def test_fields_from_an_unknown_form_or_rule_is_refused():
    text = 'form: x\nversion: "1"\nvalid_from: "2020"\nperiod_type: year\nfields_from: nope\n'
    with pytest.raises(DefinitionError) as caught:
        parse_definition(text, "x.yaml", base_of=lambda code: None)
    assert "nope" in str(caught.value)
    with pytest.raises(DefinitionError) as caught:
        parse_definition(
            text + "exclude_rules: [no_rule]\n",
            "x.yaml",
            base_of=lambda code: {"sections": [], "fields": [], "rules": []},
        )
    assert "no_rule" in str(caught.value)
