"""The register's pages: who sees what on every page, the filters, the forms, the item page's
panel, the export, and both languages."""

import io
from decimal import Decimal

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from python_calamine import CalamineWorkbook

from guozi.ledgers import services as ledger_services
from guozi.ledgers.safety import views
from guozi.ledgers.safety.models import Incident, IncidentReport, ReportKind

from .conftest import again, at, report

pytestmark = pytest.mark.django_db


@pytest.fixture
def incidents(cast):
    """A2's (steel group), B1's (port group) and D's (Dalian) incidents."""
    steel = report(cast)
    port = report(
        cast,
        by=cast.analyst,
        owner=cast.b1,
        incident_type="water_transport",
        place="营口港鲅鱼圈港区5号泊位",
        occurred_at=at("2025-11-03 14:10"),
        reported_at=at("2025-11-03 15:00"),
        deaths=1,
        serious_injuries=0,
        direct_loss=Decimal("120000"),
    )
    metro = report(
        cast,
        by=cast.dl_analyst,
        owner=cast.d,
        incident_type="construction",
        place="地铁5号线XX站基坑",
        occurred_at=at("2026-06-02 10:00"),
        reported_at=at("2026-06-02 11:00"),
        deaths=3,
        serious_injuries=2,
        direct_loss=Decimal("8600000"),
    )
    return steel, port, metro


def numbers(page) -> set[str]:
    return {incident.number for incident in page.context["page"].object_list}


def english(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


# --- the list --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("username", "expected"),
    [
        ("analyst", {"LN-AQ-2026-0001", "LN-AQ-2025-0001", "DL-AQ-2026-0001"}),
        ("leader", {"LN-AQ-2026-0001", "LN-AQ-2025-0001", "DL-AQ-2026-0001"}),
        ("auditor", {"LN-AQ-2026-0001", "LN-AQ-2025-0001", "DL-AQ-2026-0001"}),
        ("dl_analyst", {"DL-AQ-2026-0001"}),
        ("reporter", {"LN-AQ-2026-0001"}),
        ("sub_reporter", set()),  # A1's reporter; the incident is A2's
        ("outsider", {"LN-AQ-2025-0001"}),
    ],
)
def test_the_list_shows_the_incidents_in_the_users_view(cast, incidents, login, username, expected):
    page = login(getattr(cast, username)).get("/ledgers/safety/")
    assert page.status_code == 200
    assert numbers(page) == expected


def test_pages_need_a_portfolio_role(cast, incidents, login, client):
    assert client.get("/ledgers/safety/").status_code == 302  # to the login page
    for path in ("/ledgers/safety/", "/ledgers/safety/statistics/", "/ledgers/safety/export/"):
        assert login(cast.sysadmin).get(path).status_code == 403


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"year": "2025"}, {"LN-AQ-2025-0001"}),
        ({"grade": "serious"}, {"DL-AQ-2026-0001"}),
        ({"incident_type": "water_transport"}, {"LN-AQ-2025-0001"}),
        ({"city": "210800"}, {"LN-AQ-2025-0001"}),
        ({"q": "营口"}, {"LN-AQ-2025-0001"}),
        ({"q": "基坑"}, {"DL-AQ-2026-0001"}),
        ({"status": "active", "grade": "general"}, {"LN-AQ-2026-0001", "LN-AQ-2025-0001"}),
    ],
)
def test_the_filters(cast, incidents, login, query, expected):
    page = login(cast.analyst).get("/ledgers/safety/", query)
    assert numbers(page) == expected


def test_the_owner_filter_and_a_bad_filter(cast, incidents, login):
    client = login(cast.analyst)
    assert numbers(client.get("/ledgers/safety/", {"owner": cast.a2.id})) == {"LN-AQ-2026-0001"}
    refused = client.get("/ledgers/safety/", {"grade": "catastrophic"})
    assert refused.status_code == 200 and refused.context["form"].errors
    assert len(numbers(refused)) == 3  # an invalid filter filters nothing out


def test_htmx_gets_the_rows_only_and_pages_hold_fifty(cast, incidents, login, monkeypatch):
    monkeypatch.setattr(views, "PAGE_SIZE", 2)
    client = login(cast.analyst)
    partial = client.get("/ledgers/safety/", headers={"HX-Request": "true"})
    assert [t.name for t in partial.templates][0] == "safety/_incidents.html"
    assert "<html" not in partial.content.decode()
    second = client.get("/ledgers/safety/", {"page": 2})
    assert len(numbers(second)) == 1
    assert second.context["page"].paginator.num_pages == 2


def test_the_list_in_both_languages(cast, incidents, login):
    client = login(cast.analyst)
    chinese = client.get("/ledgers/safety/").content.decode()
    assert (
        "生产安全事故台账" in chinese and "较大" in chinese and "死亡 3 人（3 至 9 人）" in chinese
    )
    text = english(client).get("/ledgers/safety/").content.decode()
    assert "Safety incident register" in text and "Serious" in text
    assert "3 dead (3 to 9)" in text
    # An incident's name is a proper name, in Chinese in both.
    assert "“6·2”较大建筑施工事故" in text


# --- export ----------------------------------------------------------------------------------


def sheet_of(response) -> list[list]:
    workbook = CalamineWorkbook.from_filelike(io.BytesIO(response.content))
    return workbook.get_sheet_by_index(0).to_python()


def test_the_export_holds_the_users_incidents_with_their_latest_report(cast, incidents, login):
    steel = incidents[0]
    again(cast, steel, deaths=3, reported_at=at("2026-08-22 08:00"))
    response = login(cast.reporter).get("/ledgers/safety/export/")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="safety-incidents-')
    header, *rows = sheet_of(response)
    assert header[:4] == ["事故编号", "企业", "企业标识", "发生时间"]
    assert len(rows) == 1
    row = dict(zip(header, rows[0], strict=True))
    assert row["事故编号"] == "LN-AQ-2026-0001"
    assert row["企业标识"] == cast.a2.uscc
    assert row["发生时间"] == "2026-08-20 09:40"
    assert (row["死亡人数"], row["重伤人数"], row["直接经济损失（万元）"]) == (3, 1, 380)
    assert (row["最新报告"], row["版本"], row["事故等级"]) == ("补报", 2, "较大")


def test_the_export_in_english(cast, incidents, login):
    header, *rows = sheet_of(english(login(cast.analyst)).get("/ledgers/safety/export/"))
    assert header[:3] == ["Incident number", "Enterprise", "Enterprise identifier"]
    assert len(rows) == 3


# --- statistics ------------------------------------------------------------------------------


def test_the_statistics_page_counts_what_the_user_may_see(cast, incidents, login):
    page = login(cast.outsider).get("/ledgers/safety/statistics/", {"by": "enterprise"})
    assert page.status_code == 200
    rows = page.context["statistics"].rows
    assert [(row.label, row.incidents, row.deaths) for row in rows] == [("营口港务有限公司", 1, 1)]
    content = page.content.decode()
    assert 'id="incident-chart-data"' in content and "vendor/echarts/echarts.min.js" in content


@pytest.mark.parametrize("by", ["year", "enterprise", "industry", "city"])
def test_the_statistics_page_by_each_dimension(cast, incidents, login, by):
    page = login(cast.analyst).get("/ledgers/safety/statistics/", {"by": by})
    assert page.status_code == 200
    assert page.context["by"] == by
    assert page.context["statistics"].total.incidents == 3


def test_the_statistics_page_without_incidents_has_no_chart(cast, login):
    page = login(cast.analyst).get("/ledgers/safety/statistics/")
    assert page.status_code == 200
    assert "echarts" not in page.content.decode()


# --- the first report ------------------------------------------------------------------------


def form_data(cast, **changes):
    data = {
        "owner": cast.a2.uscc,
        "occurred_at": "2026-08-25T16:20",
        "incident_type": "construction",
        "place": "辽钢矿业选矿厂新建尾矿库坝体",
        "description": "作业人员从脚手架坠落。",
        "deaths": "1",
        "serious_injuries": "0",
        "direct_loss": "86.5",
        "reported_at": "2026-08-25T17:00",
        "responsible_name": "刘志强",
        "note": "",
    }
    data.update(changes)
    return data


def test_a_reporter_reports_an_incident_through_the_form(cast, login):
    client = login(cast.reporter)
    assert client.get("/ledgers/safety/report/").status_code == 200
    response = client.post("/ledgers/safety/report/", form_data(cast))
    incident = Incident.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/ledgers/items/{incident.item_id}/"
    assert incident.latest.direct_loss_fen == 86_500_000  # 86.5万元
    assert incident.latest.reported_by == cast.reporter
    assert incident.item.responsible_name == "刘志强"


def test_the_form_shows_every_problem_and_records_nothing(cast, login):
    response = login(cast.reporter).post(
        "/ledgers/safety/report/",
        form_data(cast, deaths="0", direct_loss="0", place="", occurred_at="明天"),
    )
    assert response.status_code == 400
    assert set(response.context["form"].errors) == {"place", "occurred_at"}
    response = login(cast.reporter).post(
        "/ledgers/safety/report/", form_data(cast, deaths="0", direct_loss="0")
    )
    assert response.status_code == 400
    assert "不属于生产安全事故" in response.content.decode()
    assert not Incident.objects.exists()


def test_an_enterprise_outside_the_users_view_is_not_found_in_the_form(cast, login):
    response = login(cast.outsider).post("/ledgers/safety/report/", form_data(cast))
    assert response.status_code == 400
    assert "owner" in response.context["form"].errors
    assert not Incident.objects.exists()


def test_a_visible_enterprise_the_user_may_not_report_for_is_refused(cast, login):
    # The Dalian analyst sees nothing of Liaoning's; Liaoning's analyst sees Dalian's metro
    # but reports only for Liaoning's own enterprises.
    response = login(cast.analyst).post(
        "/ledgers/safety/report/", form_data(cast, owner=cast.d.uscc)
    )
    assert response.status_code == 403
    assert not Incident.objects.exists()


@pytest.mark.parametrize("username", ["leader", "auditor"])
def test_readers_get_no_report_form(cast, login, username):
    client = login(getattr(cast, username))
    assert client.get("/ledgers/safety/report/").status_code == 403
    assert client.post("/ledgers/safety/report/", form_data(cast)).status_code == 403
    assert client.get("/ledgers/safety/import/").status_code == 403
    assert not Incident.objects.exists()


# --- further reports and the item page ---------------------------------------------------------


def test_a_supplementary_report_through_the_form(cast, incidents, login):
    steel = incidents[0]
    client = login(cast.reporter)
    page = client.get(f"/ledgers/safety/items/{steel.item_id}/report/")
    assert page.status_code == 200
    assert page.context["form"].initial["deaths"] == 2
    assert "2026-09-19" in page.content.decode()  # the window's last day
    response = client.post(
        f"/ledgers/safety/items/{steel.item_id}/report/",
        {"deaths": "3", "serious_injuries": "0", "direct_loss": "380", "reported_at": ""},
    )
    assert response.status_code == 302
    latest = IncidentReport.objects.filter(incident=steel).order_by("-version").first()
    assert (latest.version, latest.kind, latest.grade) == (2, ReportKind.SUPPLEMENTARY, "serious")


def test_the_further_report_form_refuses_unchanged_figures(cast, incidents, login):
    steel = incidents[0]
    response = login(cast.reporter).post(
        f"/ledgers/safety/items/{steel.item_id}/report/",
        {"deaths": "2", "serious_injuries": "1", "direct_loss": "380"},
    )
    assert response.status_code == 400
    assert IncidentReport.objects.filter(incident=steel).count() == 1


def test_the_further_report_form_is_scoped(cast, incidents, login):
    steel, port, _metro = incidents
    path = f"/ledgers/safety/items/{steel.item_id}/report/"
    assert login(cast.outsider).get(path).status_code == 404
    assert login(cast.leader).get(path).status_code == 403
    assert (
        login(cast.reporter).get(f"/ledgers/safety/items/{port.item_id}/report/").status_code == 404
    )
    assert login(cast.analyst).get("/ledgers/safety/items/999999/report/").status_code == 404
    ledger_services.item_cancel(acting_user=cast.analyst, item=steel.item, reason="重复登记")
    assert login(cast.reporter).get(path).status_code == 403


def test_the_item_page_shows_the_incident_and_its_versions(cast, incidents, login):
    steel = incidents[0]
    again(cast, steel, deaths=10, serious_injuries=0, reported_at=at("2026-08-24 09:00"))
    client = login(cast.reporter)
    page = client.get(f"/ledgers/items/{steel.item_id}/")
    assert page.status_code == 200
    content = page.content.decode()
    assert 'id="incident-reports"' in content and steel.number in content
    assert "原为一般" in content  # the grade change
    assert "死亡 10 人（10 至 29 人）" in content
    assert f"/ledgers/safety/items/{steel.item_id}/report/" in content
    panel = page.context["panel"]["context"]
    assert [r.version for r in panel["reports"]] == [2, 1]
    text = english(client).get(f"/ledgers/items/{steel.item_id}/").content.decode()
    assert "from General" in text and "Supplementary report" in text
    assert login(cast.outsider).get(f"/ledgers/items/{steel.item_id}/").status_code == 404


def test_readers_see_the_panel_without_the_report_button(cast, incidents, login):
    steel = incidents[0]
    content = login(cast.leader).get(f"/ledgers/items/{steel.item_id}/").content.decode()
    assert 'id="incident-reports"' in content
    assert f"/ledgers/safety/items/{steel.item_id}/report/" not in content


def test_an_item_opened_without_a_report_says_so(cast, login):
    item = ledger_services.item_create(
        acting_user=cast.analyst,
        register="safety_incident",
        owner=cast.a2,
        title="未经报告的事故事项",
        milestones=["调查"],
        attributes={"grade": "general", "incident_type": "other", "occurred_on": "2026-08-01"},
    )
    content = login(cast.analyst).get(f"/ledgers/items/{item.id}/").content.decode()
    assert "没有事故等级" in content


def test_the_list_reads_a_page_in_a_fixed_number_of_queries(
    cast, incidents, login, django_assert_max_num_queries
):
    client = login(cast.analyst)
    client.get("/ledgers/safety/")  # warm the user's caches
    with CaptureQueriesContext(connection) as few:
        client.get("/ledgers/safety/")
    for day in range(3):
        report(
            cast,
            by=cast.analyst,
            owner=cast.b1,
            occurred_at=at(f"2026-03-0{day + 1} 10:00"),
            reported_at=at(f"2026-03-0{day + 1} 11:00"),
        )
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(numbers(client.get("/ledgers/safety/"))) == 6
