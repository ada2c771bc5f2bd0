"""Whole-file import of rectifications (巡视/审计整改) from .xlsx: each row opened through
`item_create`, every problem placed at its row and column, nothing written on any error."""

import io
from datetime import date

import pytest
import xlsxwriter
from django.utils import translation
from python_calamine import CalamineWorkbook

from guozi.audit.models import AuditEvent
from guozi.ledgers import imports
from guozi.ledgers.models import Milestone, ProgressRule, Register, TrackedItem
from guozi.lib.errors import DomainError

from .conftest import TODAY

HEADER_EN = [
    "Owner enterprise",
    "Title",
    "Finding and what is to be done",
    "Source",
    "Due date",
    "Responsible person",
    "Milestones",
    "Severity of the finding",
    "Rectification measures",
]
HEADER_ZH = [
    "统一社会信用代码",
    "整改事项",
    "问题描述",
    "问题来源",
    "整改期限",
    "责任人",
    "整改节点",
    "severity",
    "measures",
]


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def xlsx(tmp_path, rows, header=HEADER_EN, name="rectifications.xlsx"):
    path = tmp_path / name
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("整改台账")
    day = book.add_format({"num_format": "yyyy-mm-dd"})
    for column, text in enumerate(header):
        sheet.write(0, column, text)
    for number, values in enumerate(rows, start=1):
        for column, value in enumerate(values):
            if isinstance(value, date):
                sheet.write_datetime(number, column, value, day)
            elif value is not None:
                sheet.write(number, column, value)
    book.close()
    return path


def run(cast, tmp_path, rows, *, by=None, header=HEADER_EN, dry_run=False):
    path = xlsx(tmp_path, rows, header)
    return imports.import_items(
        acting_user=by or cast.analyst, path=path, name=path.name, dry_run=dry_run
    )


def row(cast, **changes):
    values = {
        "owner": cast.a1.uscc,
        "title": "巡视发现：“三重一大”决策程序执行不到位",
        "description": "部分重大投资事项未经党委前置研究。",
        "source": "2026年省委第三巡视组巡视",
        "due_date": date(2026, 11, 30),
        "responsible_name": "王磊",
        "milestones": "",
        "severity": "serious",
        "measures": "修订“三重一大”决策制度实施办法。",
    }
    values.update(changes)
    return list(values.values())


def problems(result) -> list[tuple[int, str, str]]:
    return [(p.row, p.column, p.reason) for p in result.errors]


def test_a_valid_file_opens_every_item_with_history_and_audit(cast, tmp_path):
    result = run(
        cast,
        tmp_path,
        [
            row(cast),
            row(
                cast,
                owner=str(cast.a2.id),
                title="审计发现：应收账款清收不力",
                severity="一般",
                milestones="清理台账；催收；核销",
                due_date="2026-12-31",
            ),
        ],
    )
    assert result.ok and result.written and (result.created, result.rows) == (2, 2)
    first, second = TrackedItem.objects.order_by("id")
    assert first.register == Register.RECTIFICATION and first.owner == cast.a1
    assert first.attributes == {
        "severity": "serious",
        "measures": "修订“三重一大”决策制度实施办法。",
    }
    assert first.due_date == date(2026, 11, 30) and first.source == "2026年省委第三巡视组巡视"
    assert first.progress_rule == ProgressRule.MANUAL
    assert second.owner == cast.a2 and second.attributes["severity"] == "general"
    assert second.progress_rule == ProgressRule.MILESTONES
    assert list(Milestone.objects.filter(item=second).values_list("title", flat=True)) == [
        "清理台账",
        "催收",
        "核销",
    ]
    assert second.events.get().action == "created"
    assert (
        AuditEvent.objects.filter(object_type="ledgers.trackeditem", action="create").count() == 2
    )


def test_chinese_headers_and_labels_are_read(cast, tmp_path):
    with translation.override("zh-hans"):
        header = [str(c.label) for c in imports.columns_for(Register.RECTIFICATION)]
    result = run(cast, tmp_path, [row(cast, severity="重大")], header=header)
    assert result.written, problems(result)
    assert TrackedItem.objects.get().attributes["severity"] == "major"
    result = run(cast, tmp_path, [row(cast, title="另一事项")], header=HEADER_ZH)
    assert result.written, problems(result)


def test_a_check_only_run_writes_nothing(cast, tmp_path):
    audited = AuditEvent.objects.count()
    result = run(cast, tmp_path, [row(cast)], dry_run=True)
    assert result.ok and not result.written and result.created == 1
    assert not TrackedItem.objects.exists() and AuditEvent.objects.count() == audited


def test_every_error_of_every_row_is_placed_and_nothing_is_written(cast, tmp_path):
    audited = AuditEvent.objects.count()
    result = run(
        cast,
        tmp_path,
        [
            row(cast),  # valid, but not written: the file has errors
            row(cast, owner="91210000MA0XXXXX00"),
            row(cast, owner=None),
            row(cast, title=None),
            row(cast, due_date="2026-02-30", title="日期错误"),
            row(cast, due_date=date(2025, 1, 1), title="过期事项"),
            row(cast, severity="critical", title="严重程度错误"),
            row(cast, title="过长" * 200),
            row(cast, milestones=";".join(f"节点{n}" for n in range(21)), title="节点过多"),
            row(cast),  # the first row again
        ],
    )
    assert not result.written and not result.ok
    found = problems(result)
    assert found == [
        (3, "Owner enterprise", "No enterprise you can see has the identifier 91210000MA0XXXXX00."),
        (4, "Owner enterprise", "Required."),
        (5, "Title", "Required."),
        (6, "Due date", "Enter a date as YYYY-MM-DD."),
        (7, "Due date", "The due date cannot be in the past."),
        (
            8,
            "Severity of the finding",
            "Choose one of: general (General), serious (Serious), major (Major).",
        ),
        (9, "Title", "At most 300 characters."),
        (10, "Milestones", "At most 20 milestones."),
        (11, "Title", "Row 2 has the same owner and title."),
    ]
    assert result.errors[0].value == "91210000MA0XXXXX00"
    assert not TrackedItem.objects.exists() and AuditEvent.objects.count() == audited


def test_enterprises_outside_the_users_view_or_supervisor_are_refused(cast, tmp_path):
    # Dalian's analyst cannot see A1 at all.
    unseen = run(cast, tmp_path, [row(cast)], by=cast.dl_analyst)
    assert problems(unseen) == [
        (2, "Owner enterprise", f"No enterprise you can see has the identifier {cast.a1.uscc}.")
    ]
    # Liaoning's analyst sees Dalian Metro but does not open items for Dalian's supervisor.
    other = run(cast, tmp_path, [row(cast, owner=cast.d.uscc)])
    assert [(p.row, p.column) for p in other.errors] == [(2, "Owner enterprise")]
    assert "Dalian" in other.errors[0].reason or "大连" in other.errors[0].reason
    # A reporter opens no items.
    reporter = run(cast, tmp_path, [row(cast)], by=cast.reporter)
    assert [(p.row, p.column) for p in reporter.errors] == [(2, "Owner enterprise")]
    assert not TrackedItem.objects.exists()


def test_header_problems_are_reported_on_row_one(cast, tmp_path):
    result = run(cast, tmp_path, [["x", "y", "z"]], header=["Title", "Colour", "Title"])
    assert problems(result) == [
        (1, "Colour", "This column is not known."),
        (1, "Title", "This column appears twice."),
        (1, "Owner enterprise", "This column is missing."),
    ]
    assert not TrackedItem.objects.exists()


def test_an_empty_or_unreadable_file_is_one_clear_problem(cast, tmp_path):
    empty = run(cast, tmp_path, [])
    assert [p.reason for p in empty.errors] == ["The file has no data rows."]
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"not a workbook")
    result = imports.import_items(acting_user=cast.analyst, path=broken, name="broken.xlsx")
    assert len(result.errors) == 1 and "not an .xlsx workbook" in result.errors[0].reason
    assert not result.written


def test_a_register_with_tables_of_its_own_is_imported_elsewhere(cast, tmp_path):
    path = xlsx(tmp_path, [row(cast)])
    with pytest.raises(DomainError) as refused:
        imports.import_items(
            acting_user=cast.analyst, path=path, name=path.name, register=Register.LEGACY_PROBLEM
        )
    assert refused.value.code == "register"


def test_the_template_has_the_registers_columns_in_the_users_language(cast):
    stream = io.BytesIO()
    with translation.override("zh-hans"):
        imports.write_template(stream, Register.RECTIFICATION)
    sheet = CalamineWorkbook.from_filelike(io.BytesIO(stream.getvalue())).get_sheet_by_index(0)
    header = sheet.to_python()[0]
    assert len(header) == len(imports.columns_for(Register.RECTIFICATION))
    assert (header[0], header[-2]) == ("责任企业", "问题严重程度")
    assert sheet.to_python()[1:] == []


def test_choice_codes_and_labels_in_either_language():
    choices = (("general", "General"), ("major", "Major"))
    assert imports.choice_code("MAJOR", choices) == "major"
    assert imports.choice_code(" general ", choices) == "general"
    assert imports.choice_code("huge", choices) is None


def test_dates_and_milestones_are_read():
    assert imports.parse_day("2026-09-30") == date(2026, 9, 30)
    assert imports.parse_day("2026-09-30 00:00:00") == date(2026, 9, 30)
    assert imports.parse_day("") is None
    with pytest.raises(ValueError):
        imports.parse_day("30/09/2026")
    assert imports.split_milestones("一；二;三\n四") == ["一", "二", "三", "四"]


def test_today_decides_what_is_past(cast, tmp_path, settings):
    settings.GUOZI_TODAY = "2026-12-01"
    result = run(cast, tmp_path, [row(cast)])
    assert problems(result) == [(2, "Due date", "The due date cannot be in the past.")]
    assert TODAY < date(2026, 12, 1)
