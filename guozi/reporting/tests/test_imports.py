"""Checked imports of reports: the whole file first, every problem placed, nothing written
unless everything is valid or the user asked for the valid reports only."""

import json
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from guozi.jobs.models import Job, JobStatus
from guozi.lib.uscc import make_uscc
from guozi.reporting import services, views_files
from guozi.reporting.imports import enterprises_by_identifier, import_reports
from guozi.reporting.models import (
    PeriodLock,
    ReportScope,
    RuleResult,
    State,
    Submission,
    ValueVersion,
)
from guozi.reporting.tasks import import_reports_job
from guozi.reporting.workbooks import META_SHEET, Limits, cell_header

from .conftest import clean_cells
from .test_workbooks import (
    DEFINITION,
    FILES,
    JULY,
    data_sheet,
    filled_template,
    header_columns,
    make_template,
    plain_workbook,
    stored,
)


@pytest.fixture(autouse=True)
def isolated(settings, tmp_path):
    settings.DATA_DIR = tmp_path / "data"


def nothing_written():
    return not Submission.objects.exists() and not ValueVersion.objects.exists()


def machine_csv(path, rows: list[tuple], *, period_column=True, encoding="utf-8"):
    """A CSV as an ERP writes it: machine headers, one row per report."""
    cells = DEFINITION.cells()
    header = ["identifier", "scope", *(["period"] if period_column else []), *cells]
    lines = [",".join(header)]
    for identifier, scope, period, values in rows:
        front = [identifier, scope, *([period] if period_column else [])]
        lines.append(",".join([*front, *(str(values.get(c, "")) for c in cells)]))
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode(encoding))
    return path


# --- the happy path -------------------------------------------------------------------------


def test_a_clean_template_is_checked_then_imported_as_drafts(cast, fast_report, tmp_path):
    path = filled_template(tmp_path, fast_report, cast.a)
    checked = import_reports(acting_user=cast.reporter, path=path, dry_run=True)
    assert checked.ok and not checked.written and nothing_written()
    assert checked.layout == "rows" and checked.format == "xlsx"
    assert checked.counts == {"created": 6, "updated": 0, "unchanged": 0, "skipped": 0}
    assert [p.rule_errors for p in checked.reports] == [0] * 6
    assert {p.action for p in checked.reports} == {"new"}

    imported = import_reports(acting_user=cast.reporter, path=path, dry_run=False)
    assert imported.written and imported.ok
    submissions = Submission.objects.all()
    assert submissions.count() == 6
    assert {s.state for s in submissions} == {State.DRAFT}
    assert {s.errors for s in submissions} == {0}
    a11 = Submission.objects.get(enterprise=cast.a11)
    assert a11.cells == {k: v for k, v in stored().items() if v is not None}
    version = ValueVersion.objects.get(submission=a11)
    assert version.channel == "excel" and version.user == cast.reporter
    assert [p.rule_errors for p in imported.reports] == [0] * 6

    again = import_reports(acting_user=cast.reporter, path=path, dry_run=False)
    assert again.counts["unchanged"] == 6 and ValueVersion.objects.count() == 6


def test_the_dry_run_says_which_rules_each_report_would_fail(cast, fast_report, tmp_path):
    path = make_template(tmp_path / "t.xlsx", fast_report, cast.a11, subsidiaries=False)
    broken = clean_cells(**{"total_assets.current": "2030.3"})
    result = import_reports(acting_user=cast.reporter, path=_fill(path, {2: broken}))
    [plan] = result.reports
    assert result.ok and plan.rule_errors == 1
    assert any("资产负债平衡" in m or "Balance-sheet" in m for m in plan.messages)
    assert nothing_written()


def test_changed_values_are_counted_against_the_stored_draft(cast, fast_report, tmp_path):
    draft = services.submission_open(
        acting_user=None, enterprise=cast.a11, form=fast_report, period=JULY, scope="consolidated"
    )
    services.cells_write(acting_user=None, submission=draft, raw=clean_cells(), channel="web")
    path = make_template(tmp_path / "t.xlsx", fast_report, cast.a11, subsidiaries=False)
    result = import_reports(acting_user=cast.reporter, path=path)
    assert result.reports[0].action == "unchanged"  # the template came pre-filled
    _fill(path, {2: {"cash.current": "210", "inventory.current": "140"}})
    result = import_reports(acting_user=cast.reporter, path=path)
    assert (result.reports[0].action, result.reports[0].changed_cells) == ("changed", 2)


def test_a_sheets_template_imports_the_same(cast, fast_report, tmp_path):
    path = make_template(tmp_path / "t.xlsx", fast_report, cast.a1, layout="sheets")
    book = load_workbook(path)
    values = clean_cells()
    for sheet in book.worksheets[:-1]:
        for r in range(6, sheet.max_row + 1):
            code = sheet.cell(row=r, column=6).value
            for c, column in ((2, "current"), (3, "prior_year"), (4, "opening")):
                if f"{code}.{column}" in values:
                    sheet.cell(row=r, column=c, value=values[f"{code}.{column}"])  # as text
    book.save(path)
    result = import_reports(acting_user=cast.reporter, path=path, dry_run=False)
    assert result.ok and result.written and result.layout == "sheets"
    assert Submission.objects.count() == 3
    assert Submission.objects.get(enterprise=cast.a11).cells["cash.current"] == 200_000_000


def test_a_csv_push_with_a_period_column(cast, fast_report, tmp_path):
    path = machine_csv(
        tmp_path / "push.csv",
        [
            (cast.a11.uscc, "合并", "2026-07", clean_cells()),
            (str(cast.a2.id), "consolidated", "2026-06", clean_cells()),
        ],
        encoding="gb18030",
    )
    result = import_reports(acting_user=cast.reporter, path=path, dry_run=False)
    assert result.ok and result.written, [str(p) for p in result.errors]
    assert result.format == "csv"
    assert sorted(Submission.objects.values_list("enterprise_id", "period")) == sorted(
        [(cast.a11.id, "2026-07"), (cast.a2.id, "2026-06")]
    )
    assert set(ValueVersion.objects.values_list("channel", flat=True)) == {"csv"}


def test_a_csv_without_periods_needs_the_users_period(cast, fast_report, tmp_path):
    path = machine_csv(
        tmp_path / "push.csv", [(cast.a11.uscc, "", "", clean_cells())], period_column=False
    )
    result = import_reports(acting_user=cast.reporter, path=path)
    assert [p.column for p in result.problems] == ["period"]
    result = import_reports(acting_user=cast.reporter, path=path, period="2026-07")
    assert result.ok and result.reports[0].period == "2026-07"
    result = import_reports(acting_user=cast.reporter, path=path, period="2026Q3")
    assert result.problems and "2026Q3" in result.problems[0].value


def test_a_column_in_yuan_is_converted(cast, fast_report, tmp_path):
    path = make_template(tmp_path / "t.xlsx", fast_report, cast.a11, subsidiaries=False)
    _fill(path, {2: clean_cells()})
    book = load_workbook(path)
    sheet = data_sheet(book)
    column = header_columns(sheet)["cash.current"]
    sheet.cell(row=1, column=column, value="货币资金|期末 (元)")
    sheet.cell(row=2, column=column, value="2,000,000.00")
    book.save(path)
    result = import_reports(acting_user=cast.reporter, path=path, dry_run=False)
    assert result.ok
    assert Submission.objects.get().cells["cash.current"] == 200_000_000  # 200 万元 in fen


def test_a_value_in_another_unit_is_a_problem(cast, fast_report, tmp_path):
    path = make_template(tmp_path / "t.xlsx", fast_report, cast.a11, subsidiaries=False)
    _fill(path, {2: clean_cells()})
    _fill(path, {2: {"cash.current": "2000000元"}}, as_text=True)
    result = import_reports(acting_user=cast.reporter, path=path)
    [problem] = result.errors
    assert problem.value == "2000000元" and problem.field == "cash.current"


def test_a_template_for_another_period_or_form_is_refused(cast, fast_report, tmp_path):
    path = filled_template(tmp_path, fast_report, cast.a11)
    result = import_reports(acting_user=cast.reporter, path=path, period="2026-06")
    assert result.problems and "2026-07" in result.problems[0].reason
    result = import_reports(acting_user=cast.reporter, path=path, form_code="other")
    assert result.problems and result.problems[0].value == "fast_report"


def test_identifiers_are_resolved_in_bulk(cast, django_assert_max_num_queries):
    wanted = {cast.a.uscc.lower(), str(cast.a1.id), cast.a11.uscc, "HK:1234", "91000000XXXXXXXXXX"}
    with django_assert_max_num_queries(3):
        found, ambiguous = enterprises_by_identifier(wanted)
    assert found == {cast.a.uscc.lower(): cast.a.id, str(cast.a1.id): cast.a1.id,
                     cast.a11.uscc: cast.a11.id}  # fmt: skip
    assert not ambiguous


# --- every kind of bad file: a clear problem, and nothing written --------------------------


def _fill(path, values_by_row, as_text=False):
    from .test_workbooks import fill_rows

    return fill_rows(path, values_by_row, as_text=as_text)


def _edit(path, change):
    book = load_workbook(path)
    change(book, data_sheet(book))
    book.save(path)
    return path


def _column(sheet, cell: str) -> str:
    number = header_columns(sheet)[cell]
    return f"{get_column_letter(number)} {sheet.cell(row=1, column=number).value}"


BAD_FILES = [
    "wrong_sheet",
    "missing_sheet",
    "unknown_column",
    "missing_column",
    "not_a_number",
    "unknown_identifier",
    "outside_scope",
    "duplicate_rows",
    "locked_period",
    "locked_report",
    "not_xlsx",
    "oversized",
    "zip_bomb",
    "corrupt_zip",
    "formula_without_value",
    "merged_inputs",
]


@pytest.mark.parametrize("case", BAD_FILES)
def test_a_bad_file_gets_a_clear_problem_and_writes_nothing(cast, fast_report, tmp_path, case):
    path = filled_template(tmp_path, fast_report, cast.a)
    user, limits, expect = cast.reporter, None, {}
    book = load_workbook(path)
    sheet = data_sheet(book)
    if case == "wrong_sheet":
        _edit(path, lambda b, s: setattr(s, "title", "Sheet1"))
        expect = {"row": None, "value": "Sheet1"}
    elif case == "missing_sheet":
        path = plain_workbook(tmp_path / "own.xlsx", "Sheet1", [["统一社会信用代码"], ["X"]])
        expect = {"row": None, "value": "Sheet1"}
    elif case == "unknown_column":
        last = sheet.max_column + 1
        _edit(path, lambda b, s: s.cell(row=1, column=last, value="营业外收入|本期"))
        expect = {"row": 1, "column": f"{get_column_letter(last)} 营业外收入|本期"}
    elif case == "missing_column":
        number = header_columns(sheet)["cash.opening"]
        _edit(path, lambda b, s: s.delete_cols(number))
        expect = {"row": 1, "field": "cash.opening"}
    elif case == "not_a_number":
        column = _column(sheet, "cash.current")
        _fill(path, {4: {"cash.current": "两百万"}}, as_text=True)
        expect = {"row": 4, "column": column, "value": "两百万"}
    elif case == "unknown_identifier":
        stranger = make_uscc("9", "1", "210100", "W0000009")
        _edit(path, lambda b, s: s.cell(row=3, column=1, value=stranger))
        expect = {"row": 3, "value": stranger}
    elif case == "outside_scope":
        user = cast.outsider
        expect = {"row": 2, "value": cast.a.uscc}
    elif case == "duplicate_rows":
        _edit(path, lambda b, s: s.cell(row=7, column=1, value=cast.a11.uscc))  # A2's row
        expect = {"row": 7, "value": cast.a11.uscc}
    elif case == "locked_period":
        PeriodLock.objects.create(form=fast_report, period="2026-07")
        expect = {"row": 2, "value": "2026-07"}
    elif case == "locked_report":
        expect = {"row": 6}
    elif case == "not_xlsx":
        path.write_text("统一社会信用代码,货币资金\n", encoding="utf-8")
        expect = {"row": None}
    elif case == "oversized":
        limits = Limits(max_bytes=1000)
        expect = {"row": None}
    elif case == "zip_bomb":
        with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as package:
            package.writestr("xl/media/padding.bin", b"\0" * (4 * 2**20))
        expect = {"row": None}
    elif case == "corrupt_zip":
        path.write_bytes(path.read_bytes()[:-200])
        expect = {"row": None}
    elif case == "formula_without_value":
        column = _column(sheet, "inventory.current")
        _fill(path, {5: {"inventory.current": "=1+1"}}, as_text=True)
        expect = {"row": 5, "column": column}
    elif case == "merged_inputs":
        letter = get_column_letter(header_columns(sheet)["cash.current"])
        _edit(path, lambda b, s: s.merge_cells(f"{letter}3:{letter}4"))
        expect = {"row": 3, "column": f"{letter}3:{letter}4"}
    if case == "locked_report":
        submission = services.submission_open(
            acting_user=None,
            enterprise=cast.a11,
            form=fast_report,
            period=JULY,
            scope="consolidated",
        )
        services.cells_write(
            acting_user=None, submission=submission, raw=clean_cells(), channel="web"
        )
        services.submit(acting_user=None, submission=submission)
    before = (Submission.objects.count(), ValueVersion.objects.count())

    result = import_reports(acting_user=user, path=path, dry_run=False, limits=limits)
    assert not result.written and not result.ok
    assert (Submission.objects.count(), ValueVersion.objects.count()) == before
    problems = result.errors
    assert problems and all(p.file == path.name and p.reason for p in problems)
    matching = [p for p in problems if all(getattr(p, k) == v for k, v in expect.items())]
    assert matching, [str(p) for p in problems]
    if expect.get("row"):
        assert matching[0].sheet == sheet.title


def test_the_valid_reports_only_when_asked(cast, fast_report, tmp_path):
    path = filled_template(tmp_path, fast_report, cast.a)
    _fill(path, {4: {"cash.current": "n/a"}}, as_text=True)  # A1's consolidated report
    result = import_reports(acting_user=cast.reporter, path=path, dry_run=False)
    assert not result.written and nothing_written()
    assert result.can_import_valid and len(result.valid) == 5

    result = import_reports(acting_user=cast.reporter, path=path, dry_run=False, valid_only=True)
    assert result.written
    assert Submission.objects.count() == 5
    assert not Submission.objects.filter(enterprise=cast.a1, scope="consolidated").exists()
    assert result.counts == {"created": 5, "updated": 0, "unchanged": 0, "skipped": 1}
    assert [p.row for p in result.reports if not p.written] == [4]


def test_a_problem_of_the_whole_file_blocks_even_the_valid_reports(cast, fast_report, tmp_path):
    path = filled_template(tmp_path, fast_report, cast.a)
    _edit(path, lambda b, s: s.cell(row=1, column=s.max_column + 1, value="备注"))
    result = import_reports(acting_user=cast.reporter, path=path, dry_run=False, valid_only=True)
    assert result.problems and not result.can_import_valid
    assert not result.written and nothing_written()


def test_a_report_the_user_may_not_fill_among_others(cast, fast_report, tmp_path):
    path = filled_template(tmp_path, fast_report, cast.a)
    result = import_reports(acting_user=cast.sub_reporter, path=path)  # fills A1 and A11 only
    refused = [p.row for p in result.reports if p.problems]
    assert refused == [2, 3, 7]  # A's two reports and A2's
    assert all(p.rule_errors == 0 for p in result.reports if p.ok)


# --- files as spreadsheet programs write them ----------------------------------------------


def test_a_template_saved_again_by_libreoffice(cast, fast_report):
    """A template filled and saved by LibreOffice Calc (its own zip, styles, shared strings
    and cached formula values); see files/README.md for how it was made."""
    result = import_reports(acting_user=cast.reporter, path=FILES / "libreoffice_template.xlsx")
    assert result.ok, [str(p) for p in result.errors]
    assert result.layout == "rows" and len(result.reports) == 6
    a11 = next(p for p in result.reports if p.identifier == cast.a11.uscc)
    assert a11.stored == stored()


def test_a_workbook_made_by_hand_in_libreoffice(cast, fast_report):
    """Chinese headers with full-width brackets and units, numbers as text with separators, and
    net profit as a formula that LibreOffice calculated."""
    result = import_reports(
        acting_user=cast.reporter, path=FILES / "libreoffice_by_hand.xlsx", period="2026-07"
    )
    assert result.ok, [str(p) for p in result.errors]
    [plan] = result.reports
    assert plan.stored["net_profit.current"] == 75_000_000
    assert plan.stored["total_operating_revenue.current"] == 1_200_000_000


# --- the pages ------------------------------------------------------------------------------


def english(client):
    client.cookies["django_language"] = "en"
    return client


def upload(client, path, **data):
    with open(path, "rb") as stream:
        file = SimpleUploadedFile(path.name, stream.read())
    return client.post(reverse("reporting:upload"), {"file": file, "form": "fast_report", **data})


def test_the_files_page_offers_a_template_and_an_upload(cast, fast_report, client, login):
    response = english(login(cast.reporter)).get(reverse("reporting:upload"))
    assert response.status_code == 200
    body = response.content.decode()
    assert cast.a.uscc in body and 'name="dry_run" checked' in body


def test_downloading_a_template(cast, fast_report, client, login):
    client = login(cast.reporter)
    query = {"form": "fast_report", "period": "2026-07", "enterprise": cast.a1.uscc}
    response = client.get(reverse("reporting:template"), {**query, "subsidiaries": "on"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert f"fast_report-2026-07-{cast.a1.uscc}.xlsx" in response["Content-Disposition"]
    outsider = login(cast.outsider).get(reverse("reporting:template"), query)
    assert outsider.status_code == 400 and "spreadsheetml" not in outsider["Content-Type"]
    bad = login(cast.reporter).get(reverse("reporting:template"), {**query, "period": "July"})
    assert bad.status_code == 400


def test_upload_check_then_import(cast, fast_report, client, login, tmp_path):
    client = english(login(cast.reporter))
    path = filled_template(tmp_path, fast_report, cast.a)
    checked = upload(client, path, dry_run="on")
    assert checked.status_code == 200 and nothing_written()
    assert checked.context["result"].ok
    note = checked.context["upload"]
    imported = client.post(
        reverse("reporting:upload_review", args=[note["id"]]), {"valid_only": "0"}
    )
    assert imported.context["result"].written
    assert Submission.objects.count() == 6
    other = login(cast.sub_reporter).get(reverse("reporting:upload_review", args=[note["id"]]))
    assert other.status_code == 404  # another user's upload


def test_an_upload_with_problems_offers_the_valid_reports(
    cast, fast_report, client, login, tmp_path
):
    client = english(login(cast.reporter))
    path = filled_template(tmp_path, fast_report, cast.a)
    _fill(path, {4: {"cash.current": "n/a"}}, as_text=True)
    checked = upload(client, path, dry_run="on")
    body = checked.content.decode()
    assert "n/a" in body and "Import only the 5 valid reports" in body
    note = checked.context["upload"]
    client.post(reverse("reporting:upload_review", args=[note["id"]]), {"valid_only": "1"})
    assert Submission.objects.count() == 5


def test_a_file_of_another_type_is_refused_by_the_form(cast, fast_report, client, login):
    client = english(login(cast.reporter))
    response = client.post(
        reverse("reporting:upload"),
        {"file": SimpleUploadedFile("reports.txt", b"x"), "form": "fast_report"},
    )
    assert response.status_code == 400 and Submission.objects.count() == 0


def test_a_big_upload_runs_as_a_job(cast, fast_report, client, login, tmp_path, monkeypatch):
    monkeypatch.setattr(views_files, "IN_REQUEST_REPORTS", 1)
    client = login(cast.reporter)
    response = upload(client, filled_template(tmp_path, fast_report, cast.a))
    job = Job.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("jobs:detail", args=[job.id])
    assert job.kind == "report_import" and job.params["dry_run"] is False
    assert nothing_written()
    summary = import_reports_job.call(str(job.id))
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED and job.result == summary
    assert json.loads(json.dumps(summary)) == summary
    assert summary["written"] and summary["counts"]["created"] == 6
    assert Submission.objects.count() == 6
    assert RuleResult.objects.filter(severity="error").count() == 0


def test_a_big_uploads_problems_are_in_the_job_result(
    cast, fast_report, client, login, tmp_path, monkeypatch
):
    monkeypatch.setattr(views_files, "IN_REQUEST_REPORTS", 0)
    client = login(cast.reporter)
    path = filled_template(tmp_path, fast_report, cast.a)
    _fill(path, {4: {"cash.current": "n/a"}}, as_text=True)
    upload(client, path, dry_run="on")
    job = Job.objects.get()
    import_reports_job.call(str(job.id))
    job.refresh_from_db()
    assert job.result["error_count"] == 1 and not job.result["written"]
    [error] = job.result["errors"]
    assert (error["sheet"], error["row"], error["value"]) == (data_sheet_title(path), 4, "n/a")
    assert job.params["review_url"] == reverse(
        "reporting:upload_review", args=[job.params["upload"]]
    )
    review = client.get(job.params["review_url"])
    assert review.status_code == 200 and review.context["result"] is None


def data_sheet_title(path) -> str:
    return next(s for s in load_workbook(path).sheetnames if s != META_SHEET)


def test_headers_written_by_the_template_are_read_in_either_language(fast_report):
    from django.utils import translation

    from guozi.reporting.workbooks import FieldNames, parse_heading

    names = FieldNames(DEFINITION)
    for language in ("zh-hans", "en"):
        with translation.override(language):
            for field in DEFINITION.fields:
                for column in field.columns:
                    heading = parse_heading(cell_header(field, column), names)
                    assert heading.cell == f"{field.code}.{column}", cell_header(field, column)


def test_scope_column_text_is_checked(cast, fast_report, tmp_path):
    path = filled_template(tmp_path, fast_report, cast.a11)
    _edit(path, lambda b, s: s.cell(row=2, column=3, value="汇总"))
    result = import_reports(acting_user=cast.reporter, path=path)
    [problem] = result.errors
    assert (problem.row, problem.value) == (2, "汇总") and problem.column.startswith("C ")


def test_a_standalone_report_of_a_leaf_is_refused(cast, fast_report, tmp_path):
    path = machine_csv(tmp_path / "push.csv", [(cast.a11.uscc, "本部", "2026-07", clean_cells())])
    result = import_reports(acting_user=cast.reporter, path=path)
    assert result.errors and result.reports[0].scope == ReportScope.STANDALONE
