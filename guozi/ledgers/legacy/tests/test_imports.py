"""Importing legacy problems from .xlsx: new problems, changes to the figures of known ones,
every error kind placed at its row and column, and nothing written on any error."""

import io

import pytest
from django.utils import translation

from guozi.audit.models import AuditEvent
from guozi.ledgers.legacy import exports, imports
from guozi.ledgers.legacy.models import LegacyProblem
from guozi.ledgers.models import TrackedItem

from .conftest import close, open_problem, workbook

KEYS = [column.key for column in exports.COLUMNS]


def header(language="en") -> list[str]:
    with translation.override(language):
        return [str(column.label) for column in exports.COLUMNS]


def cells(**values) -> list:
    return [values.get(key) for key in KEYS]


def new_row(cast, **changes) -> list:
    values = {
        "owner": cast.a1.uscc,
        "title": "职工家属区供热分离移交",
        "due_date": "2026-12-31",
        "responsible_name": "李娜",
        "kind": "three_supplies",
        "sub_kind": "heating",
        "households_total": 2180,
        "amount_total": 5668000,
        "receiving_party": "鞍山市热力公司",
    }
    values.update(changes)
    return cells(**values)


def run(cast, tmp_path, rows, *, by=None, language="en", dry_run=False, head=None):
    path = tmp_path / "legacy.xlsx"
    path.write_bytes(workbook(rows, head or header(language)))
    return imports.import_problems(
        acting_user=by or cast.analyst, path=path, name="legacy.xlsx", dry_run=dry_run
    )


def placed(result) -> list[tuple[int, str, str]]:
    return [(p.row, p.column, p.reason) for p in result.errors]


def test_new_rows_open_problems_with_their_figures(cast, tmp_path):
    result = run(
        cast,
        tmp_path,
        [
            new_row(cast),
            new_row(
                cast,
                owner=str(cast.a2.id),
                title="退休人员社会化管理移交",
                kind="Retirees moved to social management",
                sub_kind=None,
                households_total=None,
                amount_total=None,
                people_total="9,320",
                receiving_party="本溪市平山区",
            ),
        ],
    )
    assert result.written and (result.created, result.updated) == (2, 0), placed(result)
    heating = LegacyProblem.objects.get(item__owner=cast.a1)
    assert (heating.kind, heating.sub_kind, heating.households_total) == (
        "three_supplies",
        "heating",
        2180,
    )
    assert heating.amount_total_fen == 566_800_000
    retirees = LegacyProblem.objects.get(item__owner=cast.a2)
    assert retirees.kind == "retirees" and retirees.people_total == 9320


def test_chinese_headers_and_chinese_kind_names(cast, tmp_path):
    with translation.override("zh-hans"):
        row = new_row(cast, kind="三供一业（供水、供电、供热、物业）", sub_kind="供热")
    result = run(cast, tmp_path, [row], language="zh-hans")
    assert result.written, placed(result)
    assert LegacyProblem.objects.get().sub_kind == "heating"


def test_an_export_edited_by_the_reporter_updates_the_done_figures(cast, tmp_path):
    problem = open_problem(cast)
    stream = io.BytesIO()
    exports.export_problems(LegacyProblem.objects.all(), stream)
    from python_calamine import CalamineWorkbook

    rows = CalamineWorkbook.from_filelike(io.BytesIO(stream.getvalue())).get_sheet_by_index(0)
    head, row = rows.to_python()
    row = list(row)
    row[KEYS.index("households_done")] = 3200
    row[KEYS.index("closure_text")] = "全部移交"
    result = run(cast, tmp_path, [row], by=cast.sub_reporter, head=head)
    assert result.written and (result.created, result.updated) == (0, 1), placed(result)
    problem.refresh_from_db()
    assert problem.households_done == 3200 and problem.closure_text == "全部移交"
    assert problem.amount_total_fen == 1_850_000_000  # unchanged
    assert result.warnings == []
    again = run(cast, tmp_path, [row], by=cast.sub_reporter, head=head)
    assert (again.updated, again.unchanged) == (0, 1)


def test_item_fields_are_not_changed_by_an_import_and_say_so(cast, tmp_path):
    problem = open_problem(cast)
    row = new_row(
        cast,
        id=problem.item_id,
        title="新标题",
        kind="three_supplies",
        sub_kind="water",
        households_total=3200,
        households_done=1200,
        amount_total="18500000",
        amount_done="6000000.5",
        receiving_party="鞍山市自来水总公司",
        planned_on="2026-12-31",
        due_date="2026-12-26",
        responsible_name="王磊",
    )
    result = run(cast, tmp_path, [row])
    assert result.ok, placed(result)
    assert [(w.row, w.column) for w in result.warnings] == [(2, "Title")]
    problem.item.refresh_from_db()
    assert problem.item.title == "职工家属区供水分离移交"


def test_every_error_kind_is_placed_and_nothing_is_written(cast, tmp_path):
    known = open_problem(cast)
    closed = open_problem(cast, title="已销号问题")
    close(cast, closed.item)
    audited = AuditEvent.objects.count()
    rows = [
        new_row(cast),  # valid, but not written
        new_row(cast, owner="91210000MA0XXXXX00", title="企业不存在"),
        new_row(cast, owner=None, title="缺企业"),
        new_row(cast, title=None),
        new_row(cast, due_date="2026/13/01", title="日期错误"),
        new_row(cast, kind="pension", title="类型错误"),
        new_row(cast, sub_kind="bankruptcy", title="子类型不符"),
        new_row(cast, households_total=-5, title="负数"),
        new_row(cast, households_total="many", title="非数字"),
        new_row(cast, households_done=3000, title="完成数超过总数"),
        new_row(cast, people_total=10, title="不适用的数据"),
        new_row(cast, receiving_party=None, title="缺接收单位"),
        new_row(cast, amount_total="1.005", title="金额小数过多"),
        new_row(cast, done_on="2027-01-01", title="实际日期在将来"),
        new_row(cast),  # the first row again
        cells(id=99999, owner=cast.a1.uscc, title="x", kind="zombie"),
        cells(id=known.item_id, owner=cast.a1.uscc, title=known.item.title, households_done=9999),
        cells(id=known.item_id, owner=cast.a1.uscc, title=known.item.title),
        cells(id=closed.item_id, owner=cast.a1.uscc, title="已销号问题", households_done=1),
    ]
    result = run(cast, tmp_path, rows)
    assert not result.written
    assert placed(result) == [
        (3, "Owner enterprise", "No enterprise you can see has the identifier 91210000MA0XXXXX00."),
        (4, "Owner enterprise", "Required."),
        (5, "Title", "Required."),
        (6, "Due date", "Enter a date as YYYY-MM-DD."),
        (
            7,
            "Kind",
            "Choose one of: three_supplies (Water, power, heating and property (三供一业)), "
            "collective (Factory-run collective enterprise reform (厂办大集体)), retirees "
            "(Retirees moved to social management), zombie (Zombie or extremely difficult "
            "enterprise (处僵治困)).",
        ),
        (
            8,
            "Sub-kind",
            "For this kind, choose one of: water (Water supply), power (Power supply), heating "
            "(Heating), gas (Gas supply), property (Property management).",
        ),
        (9, "Households concerned", "Cannot be negative."),
        (10, "Households concerned", "Enter a number."),
        (11, "Households handed over", "Cannot be more than the total (2180)."),
        (12, "People concerned", "Does not apply to this kind of problem; leave it empty."),
        (13, "Receiving party", "Required for this kind of problem."),
        (14, "Total cost (yuan)", "At most two decimals (fen)."),
        (15, "Actual handover or closure", "Cannot be after today (2026-08-28)."),
        (16, "Title", "Row 2 has the same owner and title."),
        (17, "No.", "No legacy problem you can see has this number."),
        (18, "Households handed over", "Cannot be more than the total (3200)."),
        (19, "No.", "Row 18 has the same number."),
        (
            20,
            "No.",
            "This problem is verified and closed: its figures are not changed any more.",
        ),
    ]
    assert LegacyProblem.objects.count() == 2 and TrackedItem.objects.count() == 2
    assert AuditEvent.objects.count() == audited
    known.refresh_from_db()
    assert known.households_done == 1200


def test_kind_is_missing_on_a_new_row(cast, tmp_path):
    result = run(cast, tmp_path, [new_row(cast, kind=None)])
    assert placed(result) == [
        (2, "Kind", "Choose one of: three_supplies, collective, retirees, zombie.")
    ]


@pytest.mark.parametrize("username", ["reporter", "leader", "auditor"])
def test_only_the_supervisor_opens_problems_by_import(cast, tmp_path, username):
    result = run(cast, tmp_path, [new_row(cast)], by=getattr(cast, username))
    assert [(p.row, p.column) for p in result.errors] == [(2, "Owner enterprise")]
    assert not LegacyProblem.objects.exists()


def test_the_reporter_changes_no_total_by_import(cast, tmp_path):
    problem = open_problem(cast)
    row = cells(
        id=problem.item_id, owner=cast.a1.uscc, title=problem.item.title, households_total=5000
    )
    result = run(cast, tmp_path, [row], by=cast.sub_reporter)
    assert [(p.row, p.column) for p in result.errors] == [(2, "No.")]
    assert "households_total" in result.errors[0].reason


def test_the_outsider_cannot_reach_a_problem_by_its_number(cast, tmp_path):
    problem = open_problem(cast)
    row = cells(id=problem.item_id, owner=cast.a1.uscc, title="x", households_done=1)
    result = run(cast, tmp_path, [row], by=cast.outsider)
    assert placed(result) == [(2, "No.", "No legacy problem you can see has this number.")]


def test_header_problems_and_unreadable_files(cast, tmp_path):
    result = run(cast, tmp_path, [["x"]], head=["Colour"])
    assert placed(result) == [
        (1, "Colour", "This column is not known."),
        (1, "Owner enterprise", "This column is missing."),
        (1, "Title", "This column is missing."),
    ]
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"PK not really")
    result = imports.import_problems(acting_user=cast.analyst, path=broken, name="broken.xlsx")
    assert len(result.errors) == 1 and not result.written
    empty = run(cast, tmp_path, [])
    assert [p.reason for p in empty.errors] == ["The file has no data rows."]


def test_a_check_only_run_writes_nothing(cast, tmp_path):
    result = run(cast, tmp_path, [new_row(cast)], dry_run=True)
    assert result.ok and result.created == 1 and not result.written
    assert not LegacyProblem.objects.exists()


# --- the page --------------------------------------------------------------------------------


def upload(client, content: bytes, name="legacy.xlsx", **data):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.post(
        "/ledgers/legacy/import/", {"file": SimpleUploadedFile(name, content), **data}
    )


def test_the_import_page_shows_every_problem_and_writes_nothing(cast, login):
    client = login(cast.analyst)
    assert client.get("/ledgers/legacy/import/").status_code == 200
    content = workbook([new_row(cast, households_total=-1), new_row(cast, title=None)], header())
    response = upload(client, content, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert b'id="errors"' in response.content
    assert len(response.context["result"].errors) == 2
    assert not LegacyProblem.objects.exists()


def test_the_import_page_checks_then_writes(cast, login):
    client = login(cast.analyst)
    content = workbook([new_row(cast)], header("zh-hans"))
    checked = upload(client, content, dry_run="on")
    assert checked.status_code == 200 and not LegacyProblem.objects.exists()
    assert "文件有效".encode() in checked.content
    written = upload(client, content)
    assert written.status_code == 200 and LegacyProblem.objects.count() == 1
    assert written.context["result"].written


def test_the_import_page_refuses_other_files(cast, login):
    response = upload(login(cast.analyst), b"a,b", name="legacy.csv")
    assert response.status_code == 400 and response.context["form"].errors["file"]
