"""Floating rows (浮动行): rows the filer adds by name, each field totalling its rows."""

import pytest

from guozi.lib.errors import DomainError
from guozi.lib.periods import Period
from guozi.reporting import services
from guozi.reporting.frameworks import framework_load
from guozi.reporting.models import ReportScope, RuleResult

DEBT_FORM = """
form: debt_detail
version: "1"
valid_from: 2026-01
name_zh: 带息负债明细
name_en: Interest-bearing debt by lender
basis: fast
period_type: month
unit: 万元
sections:
  - {code: summary, name_zh: 汇总, name_en: Summary}
  - {code: lenders, name_zh: 按债权人, name_en: By lender, floating: true,
     key_zh: 债权人, key_en: Lender, max_rows: 3}
fields:
  - {code: interest_bearing_debt, section: summary, kind: balance, min: 0, required: true,
     name_zh: 带息负债, name_en: Interest-bearing debt}
  - {code: debt_by_lender, section: lenders, kind: balance, min: 0,
     name_zh: 借款余额, name_en: Balance owed}
rules:
  - {code: lenders_add_up, severity: error, tolerance: 0.05,
     check: "debt_by_lender = interest_bearing_debt",
     name_zh: 明细合计等于带息负债, name_en: The lenders add up to the debt}
"""


@pytest.fixture
def debt_form(db):
    return framework_load(text=DEBT_FORM, source="debt_detail.yaml").form


@pytest.fixture
def report(cast, debt_form):
    return services.submission_open(
        acting_user=cast.sub_reporter, enterprise=cast.a11, form=debt_form,
        period=Period.parse("2026-07"), scope=ReportScope.CONSOLIDATED,
    )  # fmt: skip


def test_rows_are_stored_by_name_and_totalled(cast, report):
    services.cells_write(
        acting_user=cast.sub_reporter, submission=report, channel="web",
        raw={"interest_bearing_debt.current": "300", "debt_by_lender#工商银行.current": "120",
             "debt_by_lender#国家开发银行.current": "150"},
    )  # fmt: skip
    report.refresh_from_db()
    assert report.cells["debt_by_lender.current"] == 270 * 1_000_000
    result = RuleResult.objects.get(submission=report, rule="lenders_add_up")
    assert "差额 -30.00 万元" in result.message_zh
    services.cells_write(
        acting_user=cast.sub_reporter,
        submission=report,
        channel="web",
        raw={"debt_by_lender#建设银行.current": "30"},
    )
    assert not RuleResult.objects.filter(submission=report).exists()
    # Clearing a row removes it from the total.
    services.cells_write(
        acting_user=cast.sub_reporter,
        submission=report,
        channel="web",
        raw={"debt_by_lender#建设银行.current": ""},
    )
    report.refresh_from_db()
    assert report.cells["debt_by_lender.current"] == 270 * 1_000_000


def test_a_total_is_never_entered_and_rows_need_a_name(cast, report):
    with pytest.raises(DomainError) as caught:
        services.cells_write(
            acting_user=cast.sub_reporter,
            submission=report,
            channel="web",
            raw={
                "debt_by_lender.current": "5",
                "debt_by_lender#.current": "1",
                "debt_by_lender#a.b.current": "1",
            },
        )
    assert set(caught.value.fields) == {
        "debt_by_lender.current",
        "debt_by_lender#.current",
        "debt_by_lender#a.b.current",
    }


def test_at_most_the_sections_rows(cast, report):
    raw = {f"debt_by_lender#银行{i}.current": "1" for i in range(4)}
    with pytest.raises(DomainError) as caught:
        services.cells_write(
            acting_user=cast.sub_reporter, submission=report, channel="web", raw=raw
        )
    assert "最多允许 3 行" in caught.value.message


def test_the_page_adds_a_row(cast, report, client, login):
    login(cast.sub_reporter)
    page = client.get(f"/reporting/submissions/{report.id}/")
    assert 'name="row:lenders:0:key"' in page.content.decode()
    saved = client.post(f"/reporting/submissions/{report.id}/", {
        "cell:interest_bearing_debt.current": "80",
        "row:lenders:0:key": "招商银行", "row:lenders:0:debt_by_lender.current": "80",
        "row:lenders:1:key": "", "row:lenders:1:debt_by_lender.current": "",
    })  # fmt: skip
    assert saved.status_code == 302
    report.refresh_from_db()
    assert report.cells["debt_by_lender#招商银行.current"] == 80 * 1_000_000
    page = client.get(f"/reporting/submissions/{report.id}/").content.decode()
    assert 'name="cell:debt_by_lender#招商银行.current"' in page
