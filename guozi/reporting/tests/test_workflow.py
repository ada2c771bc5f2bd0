"""Filling in, checking, submitting, approving, returning and reopening fast reports."""

from datetime import timedelta

import pytest

from guozi.accounts.models import Notification
from guozi.lib.errors import DomainError, Forbidden
from guozi.lib.periods import Period
from guozi.reporting import services
from guozi.reporting.models import (
    Action,
    Decision,
    Explanation,
    ReportScope,
    RuleResult,
    State,
    ValueVersion,
)

from .conftest import clean_cells

JULY = Period.parse("2026-07")


def open_report(cast, form, enterprise, user, scope=ReportScope.CONSOLIDATED, period=JULY):
    return services.submission_open(
        acting_user=user, enterprise=enterprise, form=form, period=period, scope=scope
    )


def filled(cast, form, enterprise, user, scope=ReportScope.CONSOLIDATED, **overrides):
    submission = open_report(cast, form, enterprise, user, scope)
    services.cells_write(
        acting_user=user, submission=submission, raw=clean_cells(**overrides), channel="web"
    )
    submission.refresh_from_db()
    return submission


def approved(cast, form, enterprise, reporter, reviewer):
    submission = filled(cast, form, enterprise, reporter)
    services.submit(acting_user=reporter, submission=submission)
    services.approve(acting_user=reviewer, submission=submission)
    submission.refresh_from_db()
    return submission


def test_a_clean_report_passes_every_rule(cast, fast_report):
    submission = filled(cast, fast_report, cast.a11, cast.sub_reporter)
    assert submission.errors == 0, list(RuleResult.objects.values_list("message_en", flat=True))
    assert submission.warnings == 0
    assert submission.cells["total_assets.current"] == 2000 * 10_000 * 100  # 2,000 万元 in fen
    assert submission.due_date is not None


def test_the_balance_sheet_message_shows_the_numbers_in_both_languages(cast, fast_report):
    submission = filled(
        cast, fast_report, cast.a11, cast.sub_reporter, **{"total_assets.current": "2030.3"}
    )
    result = RuleResult.objects.get(submission=submission, rule="bs_identity")
    assert result.severity == "error"
    assert (
        "资产总额 2,030.30 ≠ 负债总额 1,200.00 + 所有者权益 800.00 = 2,000.00" in result.message_zh
    )
    assert "差额 30.30 万元" in result.message_zh
    assert "Total assets 2,030.30 ≠ Total liabilities 1,200.00 + Owners' equity 800.00" in (
        result.message_en
    )
    assert "total_assets.current" in result.cells


def test_within_the_rounding_tolerance_passes(cast, fast_report):
    submission = filled(
        cast, fast_report, cast.a11, cast.sub_reporter, **{"total_assets.current": "2000.04"}
    )
    assert not RuleResult.objects.filter(submission=submission, rule="bs_identity").exists()


def test_unreadable_values_save_nothing(cast, fast_report):
    submission = open_report(cast, fast_report, cast.a11, cast.sub_reporter)
    with pytest.raises(DomainError) as caught:
        services.cells_write(
            acting_user=cast.sub_reporter,
            submission=submission,
            raw={"total_assets.current": "12,345.6", "cash.current": "abc", "nope.current": "1"},
            channel="web",
        )
    assert set(caught.value.fields) == {"cash.current", "nope.current"}
    submission.refresh_from_db()
    assert submission.cells == {}
    assert not ValueVersion.objects.filter(submission=submission).exists()


def test_negative_assets_are_refused_but_negative_profit_is_not(cast, fast_report):
    submission = open_report(cast, fast_report, cast.a11, cast.sub_reporter)
    with pytest.raises(DomainError) as caught:
        services.cells_write(
            acting_user=cast.sub_reporter,
            submission=submission,
            raw={"total_assets.current": "-5"},
            channel="web",
        )
    assert "小于允许的最小值" in caught.value.fields["total_assets.current"]
    services.cells_write(
        acting_user=cast.sub_reporter,
        submission=submission,
        raw={"net_profit.current": "(12.5)"},
        channel="web",
    )
    submission.refresh_from_db()
    assert submission.cells["net_profit.current"] == -12_5000_00


def test_value_history_keeps_first_reported_and_revisions(cast, fast_report):
    submission = filled(cast, fast_report, cast.a11, cast.sub_reporter)
    services.cells_write(
        acting_user=cast.sub_reporter,
        submission=submission,
        raw={"cash.current": "210"},
        channel="excel",
    )
    history = services.cell_history(submission, "cash.current")
    assert [(h["old"], h["new"], h["channel"]) for h in history] == [
        (None, 200 * 1_000_000, "web"),
        (200 * 1_000_000, 210 * 1_000_000, "excel"),
    ]
    assert history[0]["user"] == cast.sub_reporter


def test_an_outsider_cannot_fill_in(cast, fast_report):
    with pytest.raises(Forbidden):
        open_report(cast, fast_report, cast.a11, cast.outsider)


def test_a_leaf_has_no_standalone_report(cast, fast_report):
    with pytest.raises(DomainError):
        open_report(cast, fast_report, cast.a11, cast.sub_reporter, ReportScope.STANDALONE)


def test_errors_block_submission_until_waived(cast, fast_report):
    submission = filled(
        cast, fast_report, cast.a11, cast.sub_reporter, **{"total_assets.current": "2030.3"}
    )
    with pytest.raises(DomainError) as caught:
        services.submit(acting_user=cast.sub_reporter, submission=submission)
    assert caught.value.code == "blocked"
    waiver = services.explanation_request(
        acting_user=cast.sub_reporter,
        submission=submission,
        rule="bs_identity",
        cause="consolidation",
        text="少数股东权益列示差异",
    )
    assert waiver.kind == Explanation.Kind.WAIVER
    with pytest.raises(DomainError):
        services.submit(acting_user=cast.sub_reporter, submission=submission)
    with pytest.raises(Forbidden):
        services.explanation_decide(acting_user=cast.sub_reporter, explanation=waiver, accept=True)
    services.explanation_decide(acting_user=cast.group_reviewer, explanation=waiver, accept=True)
    services.submit(acting_user=cast.sub_reporter, submission=submission)
    submission.refresh_from_db()
    assert submission.state == State.SUBMITTED
    assert Notification.objects.filter(user=cast.sub_reporter).exists()


def test_warnings_need_an_explanation_that_the_reviewer_decides(cast, fast_report):
    submission = filled(
        cast,
        fast_report,
        cast.a11,
        cast.sub_reporter,
        **{"operating_revenue.current": "1149", "operating_revenue.prior_year": "500"},
    )
    assert RuleResult.objects.filter(submission=submission, rule="revenue_yoy_jump").exists()
    with pytest.raises(DomainError):
        services.submit(acting_user=cast.sub_reporter, submission=submission)
    explanation = services.explanation_request(
        acting_user=cast.sub_reporter,
        submission=submission,
        rule="revenue_yoy_jump",
        cause="business",
        text="新生产线投产",
    )
    assert explanation.kind == Explanation.Kind.EXPLANATION
    services.submit(acting_user=cast.sub_reporter, submission=submission)
    with pytest.raises(DomainError):  # the explanation is still undecided
        services.approve(acting_user=cast.group_reviewer, submission=submission)
    services.explanation_decide(
        acting_user=cast.group_reviewer, explanation=explanation, accept=True
    )
    services.approve(acting_user=cast.group_reviewer, submission=submission)
    submission.refresh_from_db()
    assert submission.state == State.APPROVED


def test_a_parent_submits_only_when_its_subsidiaries_are_approved(cast, fast_report):
    parent = filled(cast, fast_report, cast.a1, cast.sub_reporter, scale=1.0)
    with pytest.raises(DomainError) as caught:
        services.submit(acting_user=cast.sub_reporter, submission=parent)
    assert caught.value.code == "children_first"
    assert "辽钢板材鞍山加工厂" in caught.value.message
    approved(cast, fast_report, cast.a11, cast.sub_reporter, cast.group_reviewer)
    services.submit(acting_user=cast.sub_reporter, submission=parent)
    parent.refresh_from_db()
    assert parent.state == State.SUBMITTED


def test_a_group_is_approved_by_the_supervisor_reviewer_only(cast, fast_report):
    for child in (cast.a11, cast.a1, cast.a2):
        approved(cast, fast_report, child, cast.reporter, cast.group_reviewer)
    group = filled(cast, fast_report, cast.a, cast.reporter, scale=3.0)
    services.submit(acting_user=cast.reporter, submission=group)
    with pytest.raises(Forbidden):
        services.approve(acting_user=cast.group_reviewer, submission=group)
    services.approve(acting_user=cast.reviewer, submission=group)
    group.refresh_from_db()
    assert group.state == State.APPROVED
    assert group.approved_by == cast.reviewer


def test_return_needs_a_reason_and_the_reviewer_sees_the_diff(cast, fast_report):
    submission = filled(cast, fast_report, cast.a11, cast.sub_reporter)
    services.submit(acting_user=cast.sub_reporter, submission=submission)
    with pytest.raises(DomainError):
        services.return_(acting_user=cast.group_reviewer, submission=submission, reason=" ")
    with pytest.raises(DomainError):
        services.return_(
            acting_user=cast.group_reviewer,
            submission=submission,
            reason="核对",
            named=["no_such_cell"],
        )
    services.return_(
        acting_user=cast.group_reviewer,
        submission=submission,
        reason="货币资金与银行对账单不符",
        named=["cash.current"],
    )
    submission.refresh_from_db()
    assert submission.state == State.RETURNED
    assert submission.times_returned == 1
    event = submission.events.get(action=Action.RETURN)
    assert event.named == ["cash.current"]
    services.cells_write(
        acting_user=cast.sub_reporter,
        submission=submission,
        raw={"cash.current": "195", "receivables.current": "255"},
        channel="web",
    )
    submission.refresh_from_db()
    diff = services.resubmission_diff(submission)
    assert diff == {
        "cash.current": (200 * 1_000_000, 195 * 1_000_000),
        "receivables.current": (250 * 1_000_000, 255 * 1_000_000),
    }
    services.submit(acting_user=cast.sub_reporter, submission=submission)


def test_approval_locks_and_reopening_needs_the_supervisor(cast, fast_report):
    submission = approved(cast, fast_report, cast.a11, cast.sub_reporter, cast.group_reviewer)
    with pytest.raises(DomainError) as caught:
        services.cells_write(
            acting_user=cast.sub_reporter,
            submission=submission,
            raw={"cash.current": "1"},
            channel="web",
        )
    assert caught.value.code == "locked"
    with pytest.raises(DomainError):
        services.reopen_request(acting_user=cast.sub_reporter, submission=submission, reason="")
    services.reopen_request(acting_user=cast.sub_reporter, submission=submission, reason="审计调整")
    with pytest.raises(Forbidden):
        services.reopen_decide(acting_user=cast.group_reviewer, submission=submission, consent=True)
    services.reopen_decide(acting_user=cast.reviewer, submission=submission, consent=True)
    submission.refresh_from_db()
    assert submission.state == State.RETURNED
    assert submission.revisions_after_approval == 1
    services.cells_write(
        acting_user=cast.sub_reporter,
        submission=submission,
        raw={"cash.current": "201"},
        channel="web",
    )
    assert ValueVersion.objects.filter(submission=submission).last().after_approval
    submission.refresh_from_db()
    assert services.revisions_since_first_submission(submission) == {
        "cash.current": (200 * 1_000_000, 201 * 1_000_000)
    }


def test_consolidated_above_its_parts_is_a_warning(cast, fast_report):
    approved(cast, fast_report, cast.a11, cast.sub_reporter, cast.group_reviewer)
    standalone = filled(cast, fast_report, cast.a1, cast.sub_reporter, ReportScope.STANDALONE)
    assert standalone.errors == 0
    consolidated = filled(cast, fast_report, cast.a1, cast.sub_reporter, scale=2.5)
    rules = set(RuleResult.objects.filter(submission=consolidated).values_list("rule", flat=True))
    assert "consolidated_within_parts_assets" in rules
    result = RuleResult.objects.get(
        submission=consolidated, rule="consolidated_within_parts_assets"
    )
    assert "下级企业合计" in result.message_zh


def test_ytd_revenue_cannot_fall_within_the_year(cast, fast_report):
    june = services.submission_open(
        acting_user=cast.sub_reporter,
        enterprise=cast.a11,
        form=fast_report,
        period=Period.parse("2026-06"),
        scope=ReportScope.CONSOLIDATED,
    )
    services.cells_write(
        acting_user=cast.sub_reporter, submission=june, raw=clean_cells(scale=1.2), channel="web"
    )
    july = filled(cast, fast_report, cast.a11, cast.sub_reporter)
    rules = set(RuleResult.objects.filter(submission=july).values_list("rule", flat=True))
    assert {"ytd_revenue_rises", "ytd_cost_rises"} <= rules
    # Profit may fall: there is no such rule for it.
    assert not any("profit" in rule and "rises" in rule for rule in rules)


def test_required_fields(cast, fast_report):
    cells = clean_cells()
    del cells["total_profit.current"]
    submission = open_report(cast, fast_report, cast.a11, cast.sub_reporter)
    services.cells_write(
        acting_user=cast.sub_reporter, submission=submission, raw=cells, channel="web"
    )
    result = RuleResult.objects.get(submission=submission, rule="required")
    assert "利润总额" in result.message_zh


def test_pending_waiver_is_decided_once(cast, fast_report):
    submission = filled(
        cast, fast_report, cast.a11, cast.sub_reporter, **{"total_assets.current": "2030.3"}
    )
    waiver = services.explanation_request(
        acting_user=cast.sub_reporter,
        submission=submission,
        rule="bs_identity",
        cause="rounding",
        text="万元折算",
    )
    with pytest.raises(DomainError):
        services.explanation_decide(
            acting_user=cast.group_reviewer, explanation=waiver, accept=False, note=""
        )
    services.explanation_decide(
        acting_user=cast.group_reviewer, explanation=waiver, accept=False, note="差额过大"
    )
    waiver.refresh_from_db()
    assert waiver.decision == Decision.REFUSED


def test_a_deadline_is_extended_by_the_supervisor_with_a_reason(cast, fast_report):
    submission = open_report(cast, fast_report, cast.a11, cast.sub_reporter)
    later = submission.due_date + timedelta(days=10)
    with pytest.raises(Forbidden):
        services.deadline_extend(
            acting_user=cast.sub_reporter, submission=submission, to=later, reason="系统故障"
        )
    with pytest.raises(DomainError):
        services.deadline_extend(
            acting_user=cast.analyst, submission=submission, to=later, reason=""
        )
    services.deadline_extend(
        acting_user=cast.analyst, submission=submission, to=later, reason="系统故障"
    )
    submission.refresh_from_db()
    assert submission.effective_due == later
    assert submission.events.filter(action=Action.EXTEND).exists()


def test_completeness_counts_late_and_missing(cast, fast_report, settings):
    from guozi.reporting.selectors import completeness

    settings.GUOZI_TODAY = "2026-08-05"  # before any July deadline
    on_time = filled(cast, fast_report, cast.a11, cast.sub_reporter)
    services.submit(acting_user=cast.sub_reporter, submission=on_time)
    counts = completeness(cast.analyst, fast_report, JULY).counts()
    assert (counts["received"], counts["on_time"], counts["late"]) == (1, 1, 0)
    assert counts["missing"] == counts["expected"] - 1
    settings.GUOZI_TODAY = "2026-08-28"  # every July deadline has passed
    report = completeness(cast.analyst, fast_report, JULY)
    counts = report.counts()
    assert counts["on_time"] == 1
    assert counts["late"] == counts["missing"] == counts["expected"] - 1
    late_names = {row.enterprise.name_zh for row in report.late_rows()}
    assert "辽钢板材鞍山加工厂" not in late_names and "辽钢板材有限公司" in late_names
    dalian = completeness(cast.dl_analyst, fast_report, JULY)
    assert {row.enterprise.id for row in dalian.rows} == {cast.d.id}


def test_a_missing_prior_year_column_falls_back_to_last_years_filing(cast, fast_report):
    last_year = services.submission_open(
        acting_user=cast.sub_reporter,
        enterprise=cast.a11,
        form=fast_report,
        period=Period.parse("2025-07"),
        scope=ReportScope.CONSOLIDATED,
    )
    services.cells_write(
        acting_user=cast.sub_reporter,
        submission=last_year,
        channel="web",
        raw=clean_cells(**{"operating_revenue.current": "500"}),
    )
    cells = clean_cells(**{"operating_revenue.current": "1149"})
    del cells["operating_revenue.prior_year"]
    submission = open_report(cast, fast_report, cast.a11, cast.sub_reporter)
    services.cells_write(
        acting_user=cast.sub_reporter, submission=submission, raw=cells, channel="web"
    )
    result = RuleResult.objects.get(submission=submission, rule="revenue_yoy_jump")
    assert "500.00" in result.message_zh
