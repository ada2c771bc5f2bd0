"""The register's pages: who sees what on every page, the filters, the forms on the item page
and their own pages, the summary with its chart, the export, in both languages."""

import io
from datetime import date

import pytest
from python_calamine import CalamineWorkbook

from guozi.ledgers import services as ledger_services
from guozi.ledgers.models import EventAction, Register, TrackedItem
from guozi.ledgers.rnd import services, views
from guozi.ledgers.rnd.models import RdOutcome, RdProject, RdYear

from .conftest import file_report, open_project

pytestmark = pytest.mark.django_db


@pytest.fixture
def projects(cast):
    """A1's key-core project (steel group), B1's platform (port group), D's (Dalian)."""
    steel = open_project(cast, title="高强钢攻关项目")
    port = open_project(
        cast,
        owner=cast.b1,
        title="智慧港口平台",
        tech_field="digital",
        kind="platform",
        start_year=2026,
        end_year=2026,
        due_date=date(2026, 12, 31),
    )
    metro = open_project(
        cast,
        by=cast.dl_analyst,
        owner=cast.d,
        title="地铁节能项目",
        tech_field="energy_saving",
        kind="process",
        start_year=2024,
        end_year=2026,
        due_date=date(2026, 10, 31),
    )
    return steel, port, metro


def listed(page) -> set[str]:
    return {item.title for item in page.context["page"].object_list}


# --- the list --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("username", "expected"),
    [
        ("analyst", {"高强钢攻关项目", "智慧港口平台", "地铁节能项目"}),
        ("auditor", {"高强钢攻关项目", "智慧港口平台", "地铁节能项目"}),
        ("dl_analyst", {"地铁节能项目"}),
        ("reporter", {"高强钢攻关项目"}),
        ("sub_reporter", {"高强钢攻关项目"}),
        ("outsider", {"智慧港口平台"}),
    ],
)
def test_the_list_shows_the_projects_in_the_users_view(cast, projects, login, username, expected):
    page = login(getattr(cast, username)).get("/ledgers/rnd/")
    assert page.status_code == 200
    assert listed(page) == expected


def test_rectifications_are_not_projects(cast, projects, login):
    ledger_services.item_create(
        acting_user=cast.analyst,
        register=Register.RECTIFICATION,
        owner=cast.a1,
        title="整改事项",
        due_date=date(2026, 10, 1),
    )
    page = login(cast.analyst).get("/ledgers/rnd/")
    assert "整改事项" not in listed(page)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("tech_field=digital", {"智慧港口平台"}),
        ("kind=key_core", {"高强钢攻关项目"}),
        ("year=2024", {"地铁节能项目"}),
        ("year=2027", {"高强钢攻关项目"}),
        ("q=港口", {"智慧港口平台"}),
        ("q=辽钢板材", {"高强钢攻关项目"}),
        ("status=cancelled", {"地铁节能项目"}),
        ("status=active", {"高强钢攻关项目", "智慧港口平台"}),
    ],
)
def test_the_list_filters(cast, projects, login, query, expected):
    ledger_services.item_cancel(acting_user=cast.dl_analyst, item=projects[2].item, reason="合并")
    page = login(cast.analyst).get(f"/ledgers/rnd/?{query}")
    assert listed(page) == expected


def test_the_list_by_owner_and_pages(cast, projects, login, monkeypatch):
    monkeypatch.setattr(views, "PAGE_SIZE", 2)
    client = login(cast.analyst)
    first = client.get("/ledgers/rnd/")
    assert first.context["page"].paginator.num_pages == 2 and len(listed(first)) == 2
    assert len(listed(client.get("/ledgers/rnd/?page=2"))) == 1
    owned = client.get(f"/ledgers/rnd/?owner={cast.b1.id}")
    assert listed(owned) == {"智慧港口平台"}
    assert owned.context["owner"] == cast.b1


def test_htmx_gets_the_rows_only(cast, projects, login):
    page = login(cast.analyst).get("/ledgers/rnd/?kind=platform", headers={"HX-Request": "true"})
    assert page.templates[0].name == "rnd/_projects.html"
    assert "智慧港口平台" in page.content.decode()


def test_the_list_shows_spend_to_date_and_outcomes(cast, projects, login):
    item = projects[0].item
    services.year_set(acting_user=None, item=item, year=2025, budget="1", spend="1234.5万")
    services.year_set(acting_user=None, item=item, year=2026, budget="1", spend="100万")
    for number in ("ZL1", "ZL2", "ZL3"):
        services.outcome_add(
            acting_user=None,
            item=item,
            kind="patent",
            title="专利",
            identifier=number,
            achieved_on="2026-01-05",
        )
    page = login(cast.analyst).get("/ledgers/rnd/?kind=key_core")
    (listed_item,) = page.context["page"].object_list
    # Two years and three outcomes: neither multiplies the other.
    assert (listed_item.spend_fen, listed_item.outcome_count) == (1_334_500_000, 3)
    assert "1,334.50" in page.content.decode()


@pytest.mark.parametrize("username", ["sysadmin", "secadmin", "auditadmin"])
def test_administrators_read_no_register(cast, projects, login, username):
    client = login(getattr(cast, username))
    item = projects[0].item
    for path in (
        "/ledgers/rnd/",
        "/ledgers/rnd/export/",
        "/ledgers/rnd/summary/",
        "/ledgers/rnd/new/",
        "/ledgers/rnd/import/",
        f"/ledgers/rnd/projects/{item.id}/details/",
        f"/ledgers/rnd/projects/{item.id}/years/",
        f"/ledgers/rnd/projects/{item.id}/outcomes/",
    ):
        assert client.get(path).status_code == 403, path


def test_anonymous_visitors_sign_in_first(client, projects):
    for path in ("/ledgers/rnd/", "/ledgers/rnd/summary/", "/ledgers/rnd/export/"):
        response = client.get(path)
        assert response.status_code == 302 and "/login" in response["Location"], path


# --- the item page's panel -------------------------------------------------------------------


def test_the_item_page_shows_the_project(cast, projects, login, fast_report):
    item = projects[0].item
    services.year_set(acting_user=None, item=item, year=2025, budget="800万", spend="900万")
    services.year_set(acting_user=None, item=item, year=2026, budget="1200万")
    services.outcome_add(
        acting_user=None,
        item=item,
        kind="standard",
        title="汽车用高强度钢板",
        identifier="GB/T 20564.2-2026",
        achieved_on="2026-03-01",
        level="national",
    )
    file_report(fast_report, cast.a1, "2025-12", rd_wan="2500", scope="standalone")
    page = login(cast.sub_reporter).get(f"/ledgers/items/{item.id}/")
    assert page.status_code == 200
    html = page.content.decode()
    panel = page.context["panel"]["context"]["data"]
    assert [line.row.year for line in panel.years] == [2025, 2026]
    assert panel.years[0].reported.amount_fen == 2_500_000_000 and panel.years[1].reported is None
    assert panel.unplanned_years == [2027]
    assert "GB/T 20564.2-2026" in html and "3,000.00" in html  # the total budget, 万元
    assert 'class="flagged"' in html  # 2025 spent above its budget
    assert f'action="/ledgers/rnd/projects/{item.id}/years/"' in html
    assert f'action="/ledgers/rnd/projects/{item.id}/outcomes/"' in html
    assert f"/ledgers/rnd/projects/{item.id}/details/" not in html


def test_a_due_date_moved_out_of_the_projects_years_is_flagged(cast, projects, login):
    item = projects[0].item
    ledger_services.item_edit(
        acting_user=cast.analyst,
        item=item,
        changes={"due_date": date(2028, 3, 31)},
        reason="延期验收",
    )
    page = login(cast.analyst).get(f"/ledgers/items/{item.id}/")
    assert page.context["panel"]["context"]["data"].due_outside_years
    assert "tag flag" in page.content.decode()


def test_the_supervisor_sees_no_reporters_forms_but_the_details_link(cast, projects, login):
    item = projects[0].item
    html = login(cast.analyst).get(f"/ledgers/items/{item.id}/").content.decode()
    assert f"/ledgers/rnd/projects/{item.id}/details/" in html
    assert f'action="/ledgers/rnd/projects/{item.id}/years/"' not in html


def test_an_outsider_gets_404_on_every_project_page(cast, projects, login):
    item = projects[0].item
    outcome = services.outcome_add(
        acting_user=None,
        item=item,
        kind="paper",
        title="论文",
        achieved_on="2026-01-05",
    )
    client = login(cast.outsider)
    for path in (
        f"/ledgers/items/{item.id}/",
        f"/ledgers/rnd/projects/{item.id}/details/",
        f"/ledgers/rnd/projects/{item.id}/years/",
        f"/ledgers/rnd/projects/{item.id}/outcomes/",
    ):
        assert client.get(path).status_code == 404, path
    assert client.post(f"/ledgers/rnd/projects/{item.id}/years/", {}).status_code == 404
    removal = client.post(
        f"/ledgers/rnd/projects/{item.id}/outcomes/{outcome.id}/remove/", {"reason": "x"}
    )
    assert removal.status_code == 404 and RdOutcome.objects.exists()


def test_project_pages_of_another_register_are_404(cast, login):
    item = ledger_services.item_create(
        acting_user=cast.analyst,
        register=Register.RECTIFICATION,
        owner=cast.a1,
        title="整改",
        due_date=date(2026, 10, 1),
    )
    assert login(cast.analyst).get(f"/ledgers/rnd/projects/{item.id}/details/").status_code == 404


# --- opening and changing --------------------------------------------------------------------


def new_project_form(cast, **values):
    return {
        "owner": cast.a2.uscc,
        "title": "尾矿综合利用技术研发",
        "due_date": "2027-12-31",
        "responsible_name": "刘洋",
        "progress_rule": "milestones",
        "milestones": "方案论证\n工业试验\n验收",
        "tech_field": "energy_saving",
        "kind": "process",
        "start_year": "2026",
        "end_year": "2027",
        "total_budget": "2,400万",
        **values,
    }


def test_the_analyst_opens_a_project(cast, login):
    response = login(cast.analyst).post("/ledgers/rnd/new/", new_project_form(cast))
    project = RdProject.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/ledgers/items/{project.item_id}/"
    assert project.total_budget_fen == 2_400_000_000 and project.item.owner == cast.a2
    assert project.item.milestones.count() == 3


def test_a_bad_project_form_shows_every_problem(cast, login):
    response = login(cast.analyst).post(
        "/ledgers/rnd/new/", new_project_form(cast, start_year="2028", total_budget="很多")
    )
    assert response.status_code == 400
    form = response.context["form"]
    assert set(form.errors) >= {"end_year", "total_budget"}
    assert not TrackedItem.objects.exists()


def test_only_the_supervisor_opens_projects_on_the_page(cast, login):
    response = login(cast.reporter).get("/ledgers/rnd/new/")
    assert response.status_code == 403
    posted = login(cast.reporter).post("/ledgers/rnd/new/", new_project_form(cast))
    assert posted.status_code == 403 and not TrackedItem.objects.exists()


def test_the_supervisor_changes_the_details_on_their_page(cast, projects, login):
    item = projects[0].item
    client = login(cast.analyst)
    form = client.get(f"/ledgers/rnd/projects/{item.id}/details/").context["form"]
    assert form.initial["total_budget"] == projects[0].total_budget
    response = client.post(
        f"/ledgers/rnd/projects/{item.id}/details/",
        {
            "tech_field": "new_materials",
            "kind": "product",
            "start_year": "2025",
            "end_year": "2027",
            "total_budget": "30000000.00",
            "reason": "调整为产品开发",
        },
    )
    assert response.status_code == 302
    event = item.events.filter(action=EventAction.EDITED).get()
    assert event.after == {"rd_project": {"kind": "product"}}  # only what changed
    refused = client.post(
        f"/ledgers/rnd/projects/{item.id}/details/",
        {
            "tech_field": "new_materials",
            "kind": "product",
            "start_year": "2025",
            "end_year": "2024",
            "total_budget": "1",
        },
    )
    assert refused.status_code == 400 and "end_year" in refused.context["form"].errors
    assert login(cast.reporter).get(f"/ledgers/rnd/projects/{item.id}/details/").status_code == 403


def test_a_closed_projects_details_are_not_changed(cast, projects, login):
    item = projects[0].item
    ledger_services.item_cancel(acting_user=cast.analyst, item=item, reason="撤销")
    assert login(cast.analyst).get(f"/ledgers/rnd/projects/{item.id}/details/").status_code == 403


# --- years and outcomes ----------------------------------------------------------------------


def test_a_reporter_records_a_year_from_the_panel(cast, projects, login):
    item = projects[0].item
    response = login(cast.sub_reporter).post(
        f"/ledgers/rnd/projects/{item.id}/years/",
        {"year-year": "2025", "year-budget": "800万", "year-spend": "760万"},
    )
    assert response.status_code == 302 and response["Location"] == f"/ledgers/items/{item.id}/"
    row = RdYear.objects.get()
    assert (row.year, row.budget_fen, row.spend_fen) == (2025, 800_000_000, 760_000_000)
    assert item.events.filter(action=EventAction.EDITED).count() == 1


def test_a_refused_year_is_shown_again_with_its_problems(cast, projects, login):
    item = projects[0].item
    response = login(cast.reporter).post(
        f"/ledgers/rnd/projects/{item.id}/years/",
        {"year-year": "2030", "year-budget": "-1", "year-spend": ""},
    )
    assert response.status_code == 400
    assert set(response.context["form"].errors) == {"__all__", "year", "budget"}
    assert not RdYear.objects.exists()
    forbidden = login(cast.analyst).post(
        f"/ledgers/rnd/projects/{item.id}/years/",
        {"year-year": "2025", "year-budget": "1"},
    )
    assert forbidden.status_code == 403 and not RdYear.objects.exists()


def test_the_year_page_offers_the_form(cast, projects, login):
    item = projects[0].item
    page = login(cast.reporter).get(f"/ledgers/rnd/projects/{item.id}/years/?year=2026")
    assert page.status_code == 200 and page.context["form"]["year"].value() == "2026"


def test_a_reporter_records_and_removes_an_outcome(cast, projects, login):
    item = projects[0].item
    client = login(cast.reporter)
    response = client.post(
        f"/ledgers/rnd/projects/{item.id}/outcomes/",
        {
            "outcome-kind": "patent",
            "outcome-title": "一种高强钢板连续退火方法",
            "outcome-identifier": "ZL202510123456.7",
            "outcome-achieved_on": "2026-05-12",
            "outcome-level": "",
        },
    )
    assert response.status_code == 302
    outcome = RdOutcome.objects.get()
    refused = client.post(
        f"/ledgers/rnd/projects/{item.id}/outcomes/",
        {
            "outcome-kind": "standard",
            "outcome-title": "标准",
            "outcome-identifier": "",
            "outcome-achieved_on": "2026-05-12",
        },
    )
    assert refused.status_code == 400
    assert set(refused.context["form"].errors) == {"__all__", "identifier", "level"}
    kept = client.post(f"/ledgers/rnd/projects/{item.id}/outcomes/{outcome.id}/remove/", {})
    assert kept.status_code == 302 and RdOutcome.objects.exists()
    client.post(
        f"/ledgers/rnd/projects/{item.id}/outcomes/{outcome.id}/remove/", {"reason": "误录"}
    )
    assert not RdOutcome.objects.exists()


# --- the summary -----------------------------------------------------------------------------


def test_the_summary_page_with_its_chart(cast, projects, login, fast_report):
    services.year_set(
        acting_user=None, item=projects[0].item, year=2025, budget="1", spend="3000万"
    )
    file_report(fast_report, cast.a1, "2025-12", rd_wan="2500", scope="standalone")
    services.year_set(
        acting_user=None, item=projects[1].item, year=2026, budget="500万", spend="100万"
    )
    page = login(cast.analyst).get("/ledgers/rnd/summary/")
    assert page.status_code == 200
    rows = {(row.enterprise.id, row.year): row for row in page.context["page"]}
    assert rows[(cast.a1.id, 2025)].coverage.exceeds
    assert rows[(cast.b1.id, 2026)].reported is None
    chart = page.context["chart"]
    assert chart["years"] == ["2025", "2026"] and chart["spend"] == [3000.0, 100.0]
    assert chart["reported"] == [2500.0, None] and chart["share"] == [120.0, None]
    html = page.content.decode()
    assert "vendor/echarts/echarts.min.js" in html and 'id="rd-chart-data"' in html
    assert 'class="flagged"' in html and "tag missing" in html
    flagged = login(cast.analyst).get("/ledgers/rnd/summary/?flagged=on")
    assert [row.enterprise for row in flagged.context["page"]] == [cast.a1]
    port_only = login(cast.outsider).get("/ledgers/rnd/summary/")
    assert {row.enterprise for row in port_only.context["page"]} == {cast.b1}


def test_an_empty_summary_has_no_chart(cast, login):
    page = login(cast.analyst).get("/ledgers/rnd/summary/")
    assert page.status_code == 200 and "echarts" not in page.content.decode()


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("en", ["Key-project spend and reported R&D", "Share covered", "missing"]),
        ("zh-hans", ["重点项目投入与快报研发经费", "覆盖比例", "缺报"]),
    ],
)
def test_the_pages_speak_both_languages(cast, projects, login, language, words):
    services.year_set(acting_user=None, item=projects[0].item, year=2025, budget="1", spend="1")
    client = login(cast.analyst)
    client.cookies["django_language"] = language
    html = client.get("/ledgers/rnd/summary/").content.decode()
    for word in words:
        assert word in html, word
    listing = client.get("/ledgers/rnd/").content.decode()
    assert ("Key R&D projects" if language == "en" else "重点研发项目") in listing


# --- export ----------------------------------------------------------------------------------


def test_the_export_has_a_row_per_project_and_year(cast, projects, login):
    item = projects[0].item
    services.year_set(acting_user=None, item=item, year=2025, budget="800万", spend="760万")
    services.year_set(acting_user=None, item=item, year=2026, budget="1200万")
    client = login(cast.reporter)
    client.cookies["django_language"] = "en"
    response = client.get("/ledgers/rnd/export/")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="rd-projects-')
    sheet = CalamineWorkbook.from_filelike(io.BytesIO(response.content)).get_sheet_by_index(0)
    rows = sheet.to_python()
    assert rows[0][:3] == ["No.", "Project title", "Owner identifier"]
    assert [(r[0], r[12], r[13], r[14]) for r in rows[1:]] == [
        (item.id, 2025, 8000000.0, 7600000.0),
        (item.id, 2026, 12000000.0, ""),
    ]
    assert rows[1][4] == "New materials" and rows[1][2] == cast.a1.uscc
