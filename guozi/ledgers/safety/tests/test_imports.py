"""Importing incident reports: first reports and further reports keyed by the incident number,
the whole file checked first, every kind of problem placed and named, nothing written unless
there is none."""

import io
from datetime import datetime
from decimal import Decimal

import pytest
import xlsxwriter
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from guozi.ledgers import services as ledger_services
from guozi.ledgers.models import TrackedItem
from guozi.ledgers.safety.imports import import_incidents, parse_time
from guozi.ledgers.safety.models import Incident, IncidentReport, ReportKind
from guozi.lib.clock import CHINA

from .conftest import at, report

pytestmark = pytest.mark.django_db

HEADER = [
    "事故编号",
    "统一社会信用代码",
    "发生时间",
    "事故类型",
    "事故地点",
    "死亡人数",
    "重伤人数",
    "直接经济损失（万元）",
    "报告时间",
    "备注",
]


def xlsx(rows, header=HEADER) -> bytes:
    stream = io.BytesIO()
    workbook = xlsxwriter.Workbook(stream, {"in_memory": True})
    sheet = workbook.add_worksheet()
    for column, text in enumerate(header):
        sheet.write_string(0, column, text)
    for number, row in enumerate(rows, start=1):
        for column, value in enumerate(row):
            if isinstance(value, int | float):
                sheet.write_number(number, column, value)
            elif value is not None:
                sheet.write_string(number, column, value)
    workbook.close()
    return stream.getvalue()


def run(user, content: bytes, tmp_path, *, name="事故.xlsx", dry_run=False):
    path = tmp_path / "upload"
    path.write_bytes(content)
    return import_incidents(acting_user=user, path=path, file_name=name, dry_run=dry_run)


def first_row(cast, **changes):
    values = {
        "number": "",
        "identifier": cast.a2.uscc,
        "occurred_at": "2026-08-20 09:40",
        "incident_type": "矿山",
        "place": "辽钢矿业弓长岭井下-280米水平3号采场",
        "deaths": 2,
        "injuries": 1,
        "loss": 380,
        "reported_at": "2026-08-20 10:25",
        "note": "",
    }
    values.update(changes)
    return list(values.values())


def further_row(incident_number, **changes):
    values = {
        "number": incident_number,
        "identifier": "",
        "occurred_at": "",
        "incident_type": "",
        "place": "",
        "deaths": 3,
        "injuries": 1,
        "loss": 380,
        "reported_at": "2026-08-24 09:00",
        "note": "",
    }
    values.update(changes)
    return list(values.values())


def problems(result) -> list[tuple]:
    return [(p.row, p.column) for p in result.errors]


def nothing_written():
    return not (TrackedItem.objects.exists() or IncidentReport.objects.exists())


# --- what is written -------------------------------------------------------------------------


def test_first_and_further_reports_are_written_together(cast, tmp_path):
    known = report(cast, occurred_at=at("2026-08-01 07:00"), reported_at=at("2026-08-01 08:00"))
    late = report(
        cast,
        occurred_at=at("2026-07-01 07:00"),
        reported_at=at("2026-07-01 08:00"),
        incident_type="fire",
    )
    unchanged = report(cast, occurred_at=at("2026-06-01 07:00"), reported_at=at("2026-06-01 08:00"))
    rows = [
        first_row(cast),
        first_row(cast, identifier=cast.a11.uscc, incident_type="industry_trade", loss=1200.5),
        further_row(known.number, deaths=10, injuries=0),
        further_row(late.number, deaths=2, loss=420, note="事故调查组核定直接经济损失"),
        further_row(unchanged.number, deaths=2, injuries=1, loss=380, reported_at=""),
    ]
    result, plan = run(cast.reporter, xlsx(rows), tmp_path)
    assert result.errors == []
    assert (result.written, result.created, result.updated, result.unchanged) == (True, 2, 2, 1)
    assert Incident.objects.count() == 5
    new = Incident.objects.get(item__owner=cast.a11)
    assert (new.latest.grade, new.latest.direct_loss_fen) == ("serious", 1_200_500_000)
    known.refresh_from_db()
    assert (known.latest.version, known.latest.kind, known.latest.grade) == (
        2,
        ReportKind.SUPPLEMENTARY,
        "major",
    )
    late.refresh_from_db()
    assert late.latest.kind == ReportKind.CORRECTION
    assert late.latest.note == "事故调查组核定直接经济损失"
    assert unchanged.reports.count() == 1
    assert [(row.action, str(row.previous_grade), str(row.grade)) for row in plan[2:]] == [
        ("further", "一般", "重大"),
        ("further", "一般", "一般"),
    ]


def test_a_check_only_run_writes_nothing(cast, tmp_path):
    result, plan = run(cast.reporter, xlsx([first_row(cast)]), tmp_path, dry_run=True)
    assert (result.ok, result.written, result.created) == (True, False, 1)
    assert len(plan) == 1
    assert nothing_written()


def test_one_bad_row_keeps_every_good_row_out(cast, tmp_path):
    rows = [first_row(cast), first_row(cast, identifier=cast.a11.uscc, place="")]
    result, _ = run(cast.reporter, xlsx(rows), tmp_path)
    assert problems(result) == [(3, "事故地点")]
    assert not result.written
    assert nothing_written()


def test_english_headers_and_names_import_too(cast, tmp_path):
    header = [
        "Incident number",
        "Enterprise",
        "Occurred at",
        "Incident type",
        "Place",
        "Deaths",
        "Serious injuries",
        "Direct economic loss (万元)",
        "Reported at",
        "Note or reason",
    ]
    row = ["", "辽钢矿业有限公司", "2026/8/20 9:40", "Mining", "井下", 0, 0, 12, "", ""]
    result, _ = run(cast.analyst, xlsx([row], header=header), tmp_path)
    assert result.errors == []
    incident = Incident.objects.get()
    assert (incident.item.owner, incident.incident_type) == (cast.a2, "mining")
    assert incident.latest.direct_loss_fen == 12_000_000


def test_an_exported_register_imports_back(cast, login, tmp_path):
    incident = report(cast)
    exported = login(cast.reporter).get("/ledgers/safety/export/").content
    result, _ = run(cast.reporter, exported, tmp_path)
    assert result.errors == []
    assert (result.unchanged, result.created, result.updated) == (1, 0, 0)
    assert incident.reports.count() == 1


def test_times_are_read_in_several_forms():
    expected = datetime(2026, 8, 1, 14, 30, tzinfo=CHINA)
    for text in (
        "2026-08-01 14:30",
        "2026/8/1 14:30:00",
        "2026年8月1日 14时30分",
        "2026-08-01T14:30",
    ):
        assert parse_time(text) == expected, text
    assert parse_time("2026-08-01") == datetime(2026, 8, 1, tzinfo=CHINA)
    assert parse_time("2026-02-30 10:00") is None
    assert parse_time("昨天下午") is None


# --- the file --------------------------------------------------------------------------------


def test_only_workbooks_are_read(cast, tmp_path):
    result, _ = run(cast.reporter, b"not a workbook", tmp_path, name="事故.txt")
    assert len(result.errors) == 1 and not result.written
    result, _ = run(cast.reporter, b"PK\x03\x04 broken", tmp_path)
    assert len(result.errors) == 1 and not result.written


def test_unknown_repeated_and_missing_columns(cast, tmp_path):
    header = [
        "事故编号",
        "统一社会信用代码",
        "死亡人数",
        "死亡人数",
        "伤亡情况",
        "直接经济损失（万元）",
    ]
    result, _ = run(cast.reporter, xlsx([["", cast.a2.uscc, 1, 1, "", 1]], header=header), tmp_path)
    reasons = {(p.row, p.column) for p in result.errors}
    assert reasons == {(1, "死亡人数"), (1, "伤亡情况"), (1, "重伤人数")}
    assert nothing_written()


def test_a_file_without_rows(cast, tmp_path):
    result, _ = run(cast.reporter, xlsx([]), tmp_path)
    assert [p.row for p in result.errors] == [None]


# --- first reports ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "column"),
    [
        ({"identifier": ""}, "统一社会信用代码"),
        ({"identifier": "91210000XXXXXXXXXX"}, "统一社会信用代码"),
        ({"occurred_at": ""}, "发生时间"),
        ({"occurred_at": "昨天"}, "发生时间"),
        ({"occurred_at": "2026-08-29 08:00", "reported_at": ""}, "发生时间"),
        ({"occurred_at": "2007-05-31 08:00", "reported_at": "2007-05-31 09:00"}, "发生时间"),
        ({"incident_type": "地震"}, "事故类型"),
        ({"place": ""}, "事故地点"),
        ({"deaths": -1}, "死亡人数"),
        ({"deaths": 1.5}, "死亡人数"),
        ({"deaths": 1_000_000}, "死亡人数"),
        ({"injuries": "两人"}, "重伤人数"),
        ({"loss": "很多"}, "直接经济损失（万元）"),
        ({"loss": -3}, "直接经济损失（万元）"),
        ({"loss": "0.0000001"}, "直接经济损失（万元）"),
        ({"deaths": 0, "injuries": 0, "loss": 0}, "死亡人数"),
        ({"reported_at": "下午"}, "报告时间"),
        ({"reported_at": "2026-08-20 09:00"}, "报告时间"),
        ({"reported_at": "2026-08-29 09:00"}, "报告时间"),
        ({"note": "长" * 2001}, "备注"),
    ],
)
def test_every_problem_of_a_first_report_is_placed(cast, tmp_path, changes, column):
    result, _ = run(cast.reporter, xlsx([first_row(cast, **changes)]), tmp_path)
    assert problems(result) == [(2, column)]
    assert result.errors[0].reason
    assert nothing_written()


def test_an_enterprise_named_instead_of_identified(cast, tmp_path):
    header = [h if h != "统一社会信用代码" else "企业" for h in HEADER]
    result, _ = run(
        cast.reporter, xlsx([first_row(cast, identifier="不存在的公司")], header), tmp_path
    )
    assert problems(result) == [(2, "企业")]


def test_an_enterprise_outside_the_users_view_or_reports(cast, tmp_path):
    result, _ = run(cast.outsider, xlsx([first_row(cast)]), tmp_path)
    assert problems(result) == [(2, "统一社会信用代码")]
    # Liaoning's analyst sees Dalian's metro but does not report its incidents.
    result, _ = run(cast.analyst, xlsx([first_row(cast, identifier=cast.d.uscc)]), tmp_path)
    assert problems(result) == [(2, "统一社会信用代码")]
    assert nothing_written()


def test_an_incident_already_recorded_or_twice_in_the_file(cast, tmp_path):
    recorded = report(cast)
    result, _ = run(cast.reporter, xlsx([first_row(cast)]), tmp_path)
    assert problems(result) == [(2, "发生时间")]
    assert recorded.number in result.errors[0].reason
    twice = [first_row(cast, occurred_at="2026-08-21 09:40", reported_at="")] * 2
    result, _ = run(cast.reporter, xlsx(twice), tmp_path)
    assert problems(result) == [(3, "发生时间")]
    assert Incident.objects.count() == 1


# --- further reports -------------------------------------------------------------------------


@pytest.fixture
def recorded(cast):
    return report(cast)


@pytest.mark.parametrize(
    ("changes", "column"),
    [
        ({"number": "LN-AQ-2026-9999"}, "事故编号"),
        ({"identifier": "91210000MA0000000X"}, "统一社会信用代码"),
        ({"occurred_at": "2026-08-20 09:41"}, "发生时间"),
        ({"incident_type": "火灾"}, "事故类型"),
        ({"deaths": "三"}, "死亡人数"),
        ({"deaths": 0, "injuries": 0, "loss": 0}, "死亡人数"),
        ({"reported_at": "2026-08-20 10:00"}, "报告时间"),
        ({"reported_at": "2026-08-29 10:00"}, "报告时间"),
    ],
)
def test_every_problem_of_a_further_report_is_placed(cast, tmp_path, recorded, changes, column):
    row = further_row(recorded.number, **changes)
    result, _ = run(cast.reporter, xlsx([row]), tmp_path)
    assert problems(result) == [(2, column)]
    assert recorded.reports.count() == 1


def test_a_late_correction_without_its_reason(cast, tmp_path):
    incident = report(cast, occurred_at=at("2026-07-01 07:00"), reported_at=at("2026-07-01 08:00"))
    result, _ = run(cast.reporter, xlsx([further_row(incident.number)]), tmp_path)
    assert problems(result) == [(2, "备注")]
    assert "2026-07-31" in result.errors[0].reason
    assert incident.reports.count() == 1


def test_an_incident_twice_in_one_file(cast, tmp_path, recorded):
    rows = [further_row(recorded.number), further_row(recorded.number, deaths=4)]
    result, _ = run(cast.reporter, xlsx(rows), tmp_path)
    assert problems(result) == [(3, "事故编号")]
    assert recorded.reports.count() == 1


def test_an_incident_the_user_cannot_see_is_unknown(cast, tmp_path, recorded):
    result, _ = run(cast.outsider, xlsx([further_row(recorded.number)]), tmp_path)
    assert problems(result) == [(2, "事故编号")]
    assert recorded.number in result.errors[0].reason


def test_an_incident_a_reader_may_not_report_on(cast, tmp_path, recorded):
    result, _ = run(cast.leader, xlsx([further_row(recorded.number)]), tmp_path)
    assert problems(result) == [(2, "事故编号")]
    assert recorded.reports.count() == 1


def test_a_closed_incident_takes_no_report(cast, tmp_path, recorded):
    ledger_services.item_cancel(acting_user=cast.analyst, item=recorded.item, reason="重复登记")
    result, _ = run(cast.reporter, xlsx([further_row(recorded.number)]), tmp_path)
    assert problems(result) == [(2, "事故编号")]


def test_problems_read_in_the_users_language(cast, tmp_path, recorded):
    with translation.override("en"):
        result, _ = run(cast.reporter, xlsx([further_row("LN-AQ-2026-9999")]), tmp_path)
    assert result.errors[0].reason == "No incident you can see has the number LN-AQ-2026-9999."


# --- the page --------------------------------------------------------------------------------


def test_the_import_page_shows_the_problems_and_writes_nothing(cast, login):
    client = login(cast.reporter)
    assert client.get("/ledgers/safety/import/").status_code == 200
    upload = SimpleUploadedFile("事故.xlsx", xlsx([first_row(cast, place="", deaths=-1)]))
    response = client.post("/ledgers/safety/import/", {"file": upload})
    assert response.status_code == 400
    content = response.content.decode()
    assert 'id="errors"' in content and "事故地点" in content
    errors = response.context["result"].errors
    assert [(p.row, p.column) for p in errors] == [(2, "事故地点"), (2, "死亡人数")]
    assert all(p.reason in content for p in errors)
    assert nothing_written()


def test_the_import_page_writes_a_valid_file(cast, login):
    upload = SimpleUploadedFile("事故.xlsx", xlsx([first_row(cast)]))
    response = login(cast.reporter).post("/ledgers/safety/import/", {"file": upload})
    assert response.status_code == 200
    assert 'id="plan"' in response.content.decode()
    assert Incident.objects.get().latest.grade == "general"


def test_the_import_page_checks_only_when_asked(cast, login):
    upload = SimpleUploadedFile("事故.xlsx", xlsx([first_row(cast)]))
    response = login(cast.reporter).post(
        "/ledgers/safety/import/", {"file": upload, "dry_run": "on"}
    )
    assert response.status_code == 200
    assert "仅检查" in response.content.decode()
    assert nothing_written()


def test_the_import_page_wants_a_file(cast, login):
    response = login(cast.reporter).post("/ledgers/safety/import/", {})
    assert response.status_code == 400
    assert response.context["form"].errors["file"]


def test_figures_as_numbers_or_text(cast, tmp_path):
    row = first_row(cast, deaths="2", injuries="1", loss="1,234.5")
    result, _ = run(cast.reporter, xlsx([row]), tmp_path)
    assert result.errors == []
    assert Incident.objects.get().latest.direct_loss_fen == int(Decimal("1234.5") * 1_000_000)
