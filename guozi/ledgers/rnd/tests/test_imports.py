"""Importing the register's workbook: new projects with their years, the years of registered
projects, headers in either language, every kind of problem placed in the file, and nothing
written when there is any."""

import io
from datetime import date

import pytest
import xlsxwriter
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from guozi.ledgers.models import TrackedItem
from guozi.ledgers.rnd.exports import COLUMNS, export_projects
from guozi.ledgers.rnd.imports import import_projects
from guozi.ledgers.rnd.models import RdProject, RdYear
from guozi.ledgers.rnd.selectors import ProjectFilters, project_list

from .conftest import open_project

pytestmark = pytest.mark.django_db
EN = [
    "No.",
    "Project title",
    "Owner identifier",
    "Technology field",
    "Project kind",
    "Start year",
    "End year",
    "Total budget (yuan)",
    "Planned completion",
    "Responsible person",
    "Year",
    "Budget of the year (yuan)",
    "Spend of the year (yuan)",
]


def workbook(path, header, rows) -> str:
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("项目")
    for column, text in enumerate(header):
        sheet.write(0, column, text)
    for number, row in enumerate(rows, start=1):
        for column, value in enumerate(row):
            if value is not None:
                sheet.write(number, column, value)
    book.close()
    return str(path)


def new_rows(cast, title="氢冶金低碳炼铁中试", owner=None, **cells):
    """The rows of one new project over 2025–2026, as a person fills them."""
    base = {
        "No.": "",
        "Project title": title,
        "Owner identifier": (owner or cast.a2).uscc,
        "Technology field": "新能源",
        "Project kind": "Key core technology tackling (卡脖子)",
        "Start year": 2025,
        "End year": 2026,
        "Total budget (yuan)": "2,000万",
        "Planned completion": "2026-12-31",
        "Responsible person": "陈刚",
    }
    base.update(cells)
    first = {
        **base,
        "Year": 2025,
        "Budget of the year (yuan)": 8000000,
        "Spend of the year (yuan)": 7500000,
    }
    second = {
        **base,
        "Year": "2026",
        "Budget of the year (yuan)": "1200万",
        "Spend of the year (yuan)": "",
    }
    return [first, second]


def run(cast, tmp_path, rows, *, by=None, header=EN, dry_run=False, name="项目.xlsx"):
    """Import the rows under an English interface, where the messages are checked."""
    path = workbook(tmp_path / name, header, [[row.get(h) for h in header] for row in rows])
    with translation.override("en"):
        report = import_projects(
            acting_user=by or cast.analyst, path=path, file_name=name, dry_run=dry_run
        )
        report.summary = report.describe()
    return report


def problems(report) -> set[tuple[int | None, str]]:
    return {(p.row, p.column) for p in report.problems}


def nothing_written(before: int = 0):
    assert TrackedItem.objects.count() == before
    assert RdProject.objects.count() == before


# --- new projects ----------------------------------------------------------------------------


def test_new_projects_are_opened_with_their_years(cast, tmp_path):
    rows = new_rows(cast) + new_rows(
        cast,
        title="智能炼钢平台",
        **{"Project kind": "platform", "Planned completion": "2026年12月31日"},
    )
    report = run(cast, tmp_path, rows)
    assert report.ok and report.written, report.problems
    assert (report.projects_created, report.rows) == (2, 4)
    project = RdProject.objects.get(item__title="氢冶金低碳炼铁中试")
    assert (project.tech_field, project.kind, project.total_budget_fen) == (
        "new_energy",
        "key_core",
        2_000_000_000,
    )
    years = {r.year: (r.budget_fen, r.spend_fen) for r in project.years.all()}
    assert years == {2025: (800_000_000, 750_000_000), 2026: (1_200_000_000, None)}
    assert project.item.created_by == cast.analyst and project.item.due_date == date(2026, 12, 31)
    platform = RdProject.objects.get(item__title="智能炼钢平台")
    assert platform.kind == "platform" and platform.item.due_date == date(2026, 12, 31)


def test_a_check_writes_nothing(cast, tmp_path):
    report = run(cast, tmp_path, new_rows(cast), dry_run=True)
    assert report.ok and not report.written and report.projects_created == 1
    assert "Nothing was written" in report.summary
    nothing_written()


def test_a_project_without_years(cast, tmp_path):
    row = {
        **new_rows(cast)[0],
        "Year": None,
        "Budget of the year (yuan)": None,
        "Spend of the year (yuan)": None,
    }
    report = run(cast, tmp_path, [row])
    assert report.ok and report.projects_created == 1 and not RdYear.objects.exists()


def test_an_export_imports_again_in_the_other_language(cast, tmp_path):
    open_project(cast, years=[{"year": 2025, "budget": "800万", "spend": "700万"}])
    stream = io.BytesIO()
    with translation.override("zh-hans"):
        export_projects(project_list(cast.analyst, ProjectFilters()), stream)
    path = tmp_path / "导出.xlsx"
    path.write_bytes(stream.getvalue())
    with translation.override("en"):
        unchanged = import_projects(
            acting_user=cast.reporter, path=path, file_name="导出.xlsx", dry_run=False
        )
    assert unchanged.ok and (unchanged.unchanged, unchanged.years_recorded) == (1, 0)


# --- years of registered projects ------------------------------------------------------------


def registered_rows(project, *years):
    return [
        {
            "No.": project.item_id,
            "Year": year,
            "Budget of the year (yuan)": budget,
            "Spend of the year (yuan)": spend,
        }
        for year, budget, spend in years
    ]


def test_reporters_record_years_of_registered_projects(cast, tmp_path):
    project = open_project(cast, years=[{"year": 2025, "budget": "800万"}])
    rows = registered_rows(project, (2025, "800万", "790万"), (2026, "1500万", "600万"))
    rows[0]["Project title"] = project.item.title  # agreeing with the register is fine
    report = run(cast, tmp_path, rows, by=cast.sub_reporter)
    assert report.ok and report.written and report.years_recorded == 2
    years = {r.year: (r.budget_fen, r.spend_fen, r.recorded_by) for r in project.years.all()}
    assert years == {
        2025: (800_000_000, 790_000_000, cast.sub_reporter),
        2026: (1_500_000_000, 600_000_000, cast.sub_reporter),
    }
    assert project.item.events.filter(action="edited").count() == 2


def test_an_unchanged_year_needs_no_right_to_record(cast, tmp_path):
    project = open_project(cast, years=[{"year": 2025, "budget": "800万"}])
    report = run(cast, tmp_path, registered_rows(project, (2025, 8000000, None)), by=cast.analyst)
    assert report.ok and report.unchanged == 1 and report.years_recorded == 0


# --- every kind of problem -------------------------------------------------------------------


def test_an_unreadable_file(cast, tmp_path):
    path = tmp_path / "坏文件.xlsx"
    path.write_bytes(b"not a workbook")
    report = import_projects(
        acting_user=cast.analyst, path=path, file_name="坏文件.xlsx", dry_run=False
    )
    assert not report.ok and len(report.problems) == 1 and report.problems[0].row is None
    nothing_written()


def test_unknown_repeated_and_missing_columns(cast, tmp_path):
    header = [h for h in EN if h != "Total budget (yuan)"] + ["Colour", "Year"]
    report = run(cast, tmp_path, new_rows(cast), header=header)
    found = {(p.column, p.reason) for p in report.problems}
    assert ("Colour", "This column is not known.") in found
    assert ("Year", "This column appears twice.") in found
    assert ("Total budget (yuan)", "This column is missing.") in found
    nothing_written()


def test_a_file_without_rows(cast, tmp_path):
    report = run(cast, tmp_path, [])
    assert [p.reason for p in report.problems] == ["The file has no data rows."]


@pytest.mark.parametrize(
    ("cells", "column"),
    [
        ({"Owner identifier": "91210000XXXXXXXXXX"}, "Owner identifier"),
        ({"Owner identifier": ""}, "Owner identifier"),
        ({"Technology field": "量子"}, "Technology field"),
        ({"Project kind": "basic research"}, "Project kind"),
        ({"Project title": ""}, "Project title"),
        ({"Start year": ""}, "Start year"),
        ({"Total budget (yuan)": "很多"}, "Total budget (yuan)"),
        ({"Total budget (yuan)": "-1"}, "Total budget (yuan)"),
        ({"Start year": "2027"}, "End year"),  # end before start
        ({"End year": "二零二六"}, "End year"),
        ({"Planned completion": "明年"}, "Planned completion"),
        ({"Planned completion": ""}, "Planned completion"),
        ({"Planned completion": "2028-06-30"}, "Planned completion"),  # outside the years
        ({"Planned completion": "2026-01-31"}, "Planned completion"),  # in the past
    ],
)
def test_bad_project_cells(cast, tmp_path, cells, column):
    report = run(cast, tmp_path, new_rows(cast, **cells))
    assert (2, column) in problems(report), report.problems
    assert not report.written
    nothing_written()


@pytest.mark.parametrize(
    ("row", "cells", "column"),
    [
        (0, {"Year": "明年"}, "Year"),
        (0, {"Year": "1999"}, "Year"),
        (0, {"Year": "2024"}, "Year"),  # outside the project's years
        (1, {"Year": 2025}, "Year"),  # twice the same year
        (0, {"Budget of the year (yuan)": ""}, "Budget of the year (yuan)"),
        (0, {"Budget of the year (yuan)": "-3"}, "Budget of the year (yuan)"),
        (0, {"Budget of the year (yuan)": "1.234"}, "Budget of the year (yuan)"),
        (0, {"Spend of the year (yuan)": "不详"}, "Spend of the year (yuan)"),
        (0, {"Year": "", "Budget of the year (yuan)": "5"}, "Year"),  # budget of no year
    ],
)
def test_bad_year_cells(cast, tmp_path, row, cells, column):
    rows = new_rows(cast)
    rows[row].update(cells)
    report = run(cast, tmp_path, rows)
    assert not report.ok and not report.written
    assert (row + 2, column) in problems(report), report.problems
    nothing_written()


def test_spend_in_a_year_to_come(cast, tmp_path):
    rows = new_rows(cast, **{"End year": 2027, "Planned completion": "2027-06-30"})
    rows[1].update({"Year": 2027, "Spend of the year (yuan)": "5"})
    report = run(cast, tmp_path, rows)
    assert (3, "Spend of the year (yuan)") in problems(report)
    nothing_written()


def test_the_rows_of_one_new_project_agree(cast, tmp_path):
    rows = new_rows(cast)
    rows[1]["Total budget (yuan)"] = "2,500万"
    report = run(cast, tmp_path, rows)
    (problem,) = report.problems
    assert (problem.row, problem.column, problem.value) == (3, "Total budget (yuan)", "2,500万")
    assert "2,000万" in problem.reason and "row 2" in problem.reason.lower()
    nothing_written()


def test_a_registered_projects_details_are_not_changed_by_an_import(cast, tmp_path):
    project = open_project(cast)
    rows = registered_rows(project, (2025, "1", "1"))
    rows[0].update({"Project title": "另一个名称", "Total budget (yuan)": "1"})
    report = run(cast, tmp_path, rows, by=cast.reporter)
    assert problems(report) == {(2, "Project title"), (2, "Total budget (yuan)")}
    assert "30000000.00" in next(p.reason for p in report.problems if p.column.startswith("Total"))
    assert not RdYear.objects.exists()


@pytest.mark.parametrize("number", ["12x", "999999"])
def test_unknown_project_numbers(cast, tmp_path, number):
    rows = [
        {"No.": number, "Year": 2025, "Budget of the year (yuan)": 1, "Spend of the year (yuan)": 1}
    ]
    report = run(cast, tmp_path, rows)
    assert problems(report) == {(2, "No.")}


def test_a_project_outside_ones_view_is_unknown(cast, tmp_path):
    project = open_project(cast)
    report = run(cast, tmp_path, registered_rows(project, (2025, "1", "1")), by=cast.outsider)
    assert problems(report) == {(2, "No.")} and "No R&D project" in report.problems[0].reason
    assert not RdYear.objects.exists()


def test_the_services_refusals_are_placed_too(cast, tmp_path):
    project = open_project(cast)
    rows = registered_rows(project, (2025, "1", "1")) + new_rows(cast)
    # The analyst may open projects but not record years; the reporter the other way round.
    report = run(cast, tmp_path, rows, by=cast.analyst)
    assert problems(report) == {(2, "No.")} and "reporters" in report.problems[0].reason
    report = run(cast, tmp_path, rows, by=cast.reporter)
    assert (3, "Owner identifier") in problems(report)
    assert not RdYear.objects.exists() and TrackedItem.objects.count() == 1


def test_every_problem_of_a_file_is_listed_at_once(cast, tmp_path):
    project = open_project(cast)
    rows = [
        *registered_rows(project, (1999, "1", "1")),
        *new_rows(cast, **{"Technology field": "量子"}),
        # Found by the service when it is run: the check of the cells has nothing against it.
        *new_rows(cast, title="第三个项目", **{"Total budget (yuan)": "-1"}),
    ]
    report = run(cast, tmp_path, rows, by=cast.analyst)
    columns = {p.column for p in report.problems}
    assert {"Year", "Technology field", "Total budget (yuan)"} <= columns
    assert "problems; nothing was written" in report.summary
    assert TrackedItem.objects.count() == 1 and not RdYear.objects.exists()


def test_the_columns_are_known_in_both_languages():
    with translation.override("zh-hans"):
        chinese = [str(column.label) for column in COLUMNS]
    assert "项目名称" in chinese and len(set(chinese)) == len(COLUMNS)


# --- the page --------------------------------------------------------------------------------


def upload(cast, tmp_path, rows, name="项目.xlsx"):
    path = workbook(tmp_path / name, EN, [[row.get(h) for h in EN] for row in rows])
    with open(path, "rb") as handle:
        return SimpleUploadedFile(name, handle.read())


def test_the_import_page_shows_the_problems(cast, tmp_path, login):
    client = login(cast.analyst)
    assert client.get("/ledgers/rnd/import/").status_code == 200
    bad = upload(cast, tmp_path, new_rows(cast, **{"Project kind": "basic research"}))
    response = client.post("/ledgers/rnd/import/", {"file": bad})
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="problems"' in html and "basic research" in html
    nothing_written()
    good = upload(cast, tmp_path, new_rows(cast), name="好.xlsx")
    checked = client.post("/ledgers/rnd/import/", {"file": good, "dry_run": "on"})
    assert checked.status_code == 200 and not checked.context["report"].written
    nothing_written()
    good = upload(cast, tmp_path, new_rows(cast), name="好.xlsx")
    done = client.post("/ledgers/rnd/import/", {"file": good})
    assert done.status_code == 200 and done.context["report"].written
    assert RdProject.objects.count() == 1


def test_the_import_page_needs_a_file(cast, login):
    response = login(cast.analyst).post("/ledgers/rnd/import/", {})
    assert response.status_code == 400 and "file" in response.context["form"].errors
