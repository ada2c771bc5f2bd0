"""The monthly analysis report: scheduled after the deadline, written once, kept and listed."""

from datetime import date

import pypdf
from django.utils import translation

from guozi.briefings import files, monthly
from guozi.briefings.models import MonthlyReport
from guozi.dashboard.tests.test_profile_records import JULY
from guozi.jobs.schedule import SCHEDULE
from guozi.reporting.models import Form


def test_the_scheduler_lists_the_monthly_reports():
    entry = next(entry for entry in SCHEDULE if entry.name == "monthly_reports")
    assert entry.cron == "30 6 * * *"
    assert entry.task.name == "monthly_reports_job"
    title_zh, title_en = entry.titles()
    assert title_en.startswith("Monthly analysis reports")


def test_the_due_period_waits_for_the_deadline(figures):
    form = Form.objects.get(code="fast_report")
    assert monthly.due_period(figures.ln, form, date(2026, 8, 28)) == JULY
    # On 2 August July's reports are not all due yet: June is the latest past its deadline.
    assert monthly.due_period(figures.ln, form, date(2026, 8, 2)) == "2026-06"


def test_reports_are_written_once_in_four_formats(figures, settings):
    with translation.override("zh-hans"):  # a scheduled job's language: the site's
        result = monthly.write_due_reports()
    assert result["written"] >= 1
    report = MonthlyReport.objects.get(supervisor=figures.ln, period=JULY)
    assert sorted(report.files) == ["docx", "html", "pdf", "xlsx"]
    text = "".join(
        page.extract_text() for page in pypdf.PdfReader(files.path_of(report.files["pdf"])).pages
    )
    assert "辽宁省国资委" in text
    assert "年初至今净亏损" in text  # the open alert
    assert "监管企业月度经济运行分析报告" in text
    again = monthly.write_due_reports()
    assert "ln" not in again["reports"]
    assert MonthlyReport.objects.filter(supervisor=figures.ln).count() == 1
