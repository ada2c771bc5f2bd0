"""The task ledger's export, and the import of assignments: every kind of error, placed, and
nothing written while there is one."""

import io
from datetime import timedelta

import pytest
import xlsxwriter
from django.utils import translation
from python_calamine import CalamineWorkbook

from guozi.ledgers.models import TrackedItem
from guozi.ledgers.reform import selectors, workbooks
from guozi.ledgers.reform.models import ReformTask
from guozi.ledgers.reform.selectors import Filters
from guozi.registry.models import EnterpriseStatus
from guozi.registry.tree import tree_at

from .conftest import TODAY, assign

pytestmark = pytest.mark.django_db
DUE = (TODAY + timedelta(days=60)).isoformat()
HEADER = ["统一社会信用代码", "改革行动", "任务编码", "权重", "完成时限", "责任人"]


def workbook(tmp_path, rows, header=HEADER, name="assign.xlsx"):
    path = tmp_path / name
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet()
    for number, row in enumerate([header, *rows]):
        for column, value in enumerate(row):
            sheet.write(number, column, value)
    book.close()
    return path


def run(cast, path, *, dry_run=False, user=None):
    with translation.override("en"):
        return workbooks.import_assignments(
            acting_user=user or cast.analyst, path=path, file_name=path.name, dry_run=dry_run
        )


def reasons(outcome) -> dict:
    return {(p.row, p.column): p.reason for p in outcome.problems}


def test_a_valid_file_assigns_each_row_with_its_own_weight_and_deadline(cast, tmp_path):
    path = workbook(
        tmp_path,
        [
            [cast.a.uscc, "three_year_action", "front_list", 7, DUE, "王磊"],
            [cast.a1.uscc, "three_year_action", "front_list", "", DUE, ""],
            [str(cast.a2.id), "deepening_action", "compliance_system", "", DUE, ""],
        ],
    )
    outcome = run(cast, path)
    assert outcome.ok and outcome.written and outcome.created == 3
    front = ReformTask.objects.get(owner=cast.a, catalogue_task__code="front_list")
    assert (front.weight, front.item.due_date.isoformat(), front.item.responsible_name) == (
        7, DUE, "王磊"
    )  # fmt: skip
    assert ReformTask.objects.get(owner=cast.a1).weight == 4  # the catalogue's
    compliance = ReformTask.objects.get(owner=cast.a2)
    assert (compliance.programme, compliance.area) == ("deepening_action", "governance")


def test_check_only_writes_nothing(cast, tmp_path):
    path = workbook(tmp_path, [[cast.a.uscc, "three_year_action", "front_list", "", DUE, ""]])
    outcome = run(cast, path, dry_run=True)
    assert outcome.ok and not outcome.written
    assert not TrackedItem.objects.exists()


def test_every_kind_of_row_error_is_placed_and_nothing_is_written(cast, tmp_path):
    cast.a2.status = EnterpriseStatus.DEREGISTERED
    cast.a2.save(update_fields=["status"])
    assign(cast, [cast.b1], ["front_list"])
    rows = [
        [cast.a.uscc, "three_year_action", "front_list", "", DUE, ""],  # 2: fine
        ["", "three_year_action", "front_list", "", DUE, ""],  # 3: no enterprise
        ["91210000XXXXXXXXXX", "three_year_action", "front_list", "", DUE, ""],  # 4: unknown
        [cast.d.uscc, "three_year_action", "front_list", "", DUE, ""],  # 5: Dalian's
        [cast.a2.uscc, "three_year_action", "front_list", "", DUE, ""],  # 6: not active
        [cast.a1.uscc, "four_year_plan", "front_list", "", DUE, ""],  # 7: no programme
        [cast.a1.uscc, "three_year_action", "moonshot", "", DUE, ""],  # 8: no task
        [cast.a1.uscc, "three_year_action", "boards_established", "heavy", DUE, ""],  # 9
        [cast.a1.uscc, "three_year_action", "tenure_contract", "", "next year", ""],  # 10
        [cast.a1.uscc, "three_year_action", "three_systems", "", "2020-01-01", ""],  # 11
        [cast.a1.uscc, "three_year_action", "two_non_two_capital", "", "", ""],  # 12: passed
        [cast.a.uscc, "three_year_action", "front_list", "", DUE, ""],  # 13: repeats row 2
        [cast.b1.uscc, "three_year_action", "front_list", "", DUE, ""],  # 14: assigned
        [cast.a1.uscc, "three_year_action", "", "", DUE, "x" * 101],  # 15
        [cast.a11.uscc, "", "front_list", "", DUE, ""],  # 16: no programme
    ]
    outcome = run(cast, workbook(tmp_path, rows))
    found = reasons(outcome)
    assert not outcome.written
    assert found[3, "统一社会信用代码"] == "Required."
    assert "No enterprise you can see" in found[4, "统一社会信用代码"]
    assert "not an enterprise of your own supervisor" in found[5, "统一社会信用代码"]
    assert "not an active enterprise" in found[6, "统一社会信用代码"]
    assert "No programme four_year_plan" in found[7, "改革行动"]
    assert "has no task moonshot" in found[8, "任务编码"]
    assert "whole number from 1 to 1000" in found[9, "权重"]
    assert found[10, "完成时限"] == "Enter a date as YYYY-MM-DD."
    assert found[11, "完成时限"] == "The deadline cannot be in the past."
    assert "catalogue deadline 2022-06-30 has passed" in found[12, "完成时限"]
    assert found[13, "任务编码"] == "Repeats row 2."
    assert found[14, "任务编码"] == "Already assigned to this enterprise."
    assert found[15, "任务编码"] == "Required." and "100" in found[15, "责任人"]
    assert found[16, "改革行动"] == "Required."
    assert (2, "统一社会信用代码") not in found
    assert ReformTask.objects.count() == 1  # only B1's, from before


@pytest.mark.parametrize(
    "header, reason",
    [
        (["统一社会信用代码", "改革行动", "任务编码", "颜色"], "This column is not known."),
        (["统一社会信用代码", "改革行动", "任务编码", "task"], "This column appears twice."),
        (["统一社会信用代码", "任务编码"], "This column is missing."),
    ],
)
def test_header_errors(cast, tmp_path, header, reason):
    path = workbook(tmp_path, [[cast.a.uscc, "three_year_action", "front_list", ""]], header)
    outcome = run(cast, path)
    assert any(p.row == 1 and p.reason == reason for p in outcome.problems), outcome.problems
    assert not TrackedItem.objects.exists()


def test_an_empty_or_unreadable_file(cast, tmp_path):
    empty = run(cast, workbook(tmp_path, []))
    assert [p.reason for p in empty.problems] == ["The file has no data rows."]
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"not a workbook")
    assert not run(cast, broken).ok
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    assert "Only .xlsx and .csv" in run(cast, text).problems[0].reason


def test_english_headers_are_accepted(cast, tmp_path):
    header = ["Enterprise identifier", "Programme", "Task code", "Weight", "Deadline"]
    path = workbook(tmp_path, [[cast.a.uscc, "three_year_action", "front_list", 3, DUE]], header)
    assert run(cast, path).created == 1


def test_only_the_supervisors_staff_import(cast, tmp_path):
    path = workbook(tmp_path, [[cast.a.uscc, "three_year_action", "front_list", "", DUE, ""]])
    outcome = run(cast, path, user=cast.reporter)
    assert not outcome.ok and not TrackedItem.objects.exists()


def test_the_export_lists_the_ledger_and_imports_again(cast, tmp_path):
    assign(cast, [cast.a, cast.a1], ["front_list", "tenure_contract"])
    tasks = selectors.ledger_export_rows(cast.analyst, Filters(), tree_at(TODAY))
    stream = io.BytesIO()
    with translation.override("zh-hans"):
        assert workbooks.export_ledger(tasks, stream) == 4
        headers = [str(column.label) for column in workbooks.EXPORT_COLUMNS]
    path = tmp_path / "export.xlsx"
    path.write_bytes(stream.getvalue())
    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()
    assert rows[0] == headers and headers[3] == "改革行动"
    assert {row[5] for row in rows[1:]} == {"front_list", "tenure_contract"}
    again = run(cast, path)
    assert {p.reason for p in again.problems} == {"Already assigned to this enterprise."}
    scoped = selectors.ledger_export_rows(cast.outsider, Filters(), tree_at(TODAY))
    assert scoped.count() == 0
