"""The register's pages: who sees what on each, the forms, the export, the panel on the item
page, and both languages."""

import io

import pytest
from python_calamine import CalamineWorkbook

from guozi.ledgers.legacy.models import LegacyProblem
from guozi.ledgers.models import TrackedItem

from .conftest import close, open_problem

RETIREES = {"kind": "retirees", "people_total": 5000, "receiving_party": "街道"}


@pytest.fixture
def problems(cast):
    """A1's problem (steel group), B1's (port group) and D's (Dalian)."""
    steel = open_problem(cast, title="钢铁供水移交")
    port = open_problem(cast, owner=cast.b1, title="港口退休人员移交", fields=RETIREES)
    metro = open_problem(cast, owner=cast.d, by=cast.dl_analyst, title="地铁物业移交")
    return steel, port, metro


def listed(page) -> set[str]:
    return {problem.item.title for problem in page.context["page"].object_list}


@pytest.mark.parametrize(
    ("username", "expected"),
    [
        ("analyst", {"钢铁供水移交", "港口退休人员移交", "地铁物业移交"}),
        ("leader", {"钢铁供水移交", "港口退休人员移交", "地铁物业移交"}),
        ("auditor", {"钢铁供水移交", "港口退休人员移交", "地铁物业移交"}),
        ("dl_analyst", {"地铁物业移交"}),
        ("reporter", {"钢铁供水移交"}),
        ("sub_reporter", {"钢铁供水移交"}),
        ("outsider", {"港口退休人员移交"}),
    ],
)
def test_the_list_and_statistics_show_the_users_problems(cast, problems, login, username, expected):
    client = login(getattr(cast, username))
    page = client.get("/ledgers/legacy/")
    assert page.status_code == 200
    assert listed(page) == expected
    assert page.context["totals"].problems == len(expected)
    stats = client.get("/ledgers/legacy/statistics/", {"by": "group"})
    assert stats.status_code == 200
    assert stats.context["stats"].total.problems == len(expected)


@pytest.mark.parametrize("username", ["sysadmin", "secadmin", "auditadmin"])
def test_administrators_read_no_register(cast, problems, login, username):
    client = login(getattr(cast, username))
    for path in (
        "/ledgers/legacy/",
        "/ledgers/legacy/export/",
        "/ledgers/legacy/statistics/",
        "/ledgers/legacy/new/",
        "/ledgers/legacy/import/",
        f"/ledgers/legacy/items/{problems[0].item_id}/figures/",
    ):
        assert client.get(path).status_code == 403, path


def test_anonymous_users_are_sent_to_sign_in(client, problems):
    response = client.get("/ledgers/legacy/statistics/")
    assert response.status_code == 302 and "/login" in response["Location"]


def test_filters_by_kind_status_city_and_search(cast, problems, login):
    client = login(cast.analyst)
    assert listed(client.get("/ledgers/legacy/", {"kind": "retirees"})) == {"港口退休人员移交"}
    assert listed(client.get("/ledgers/legacy/", {"city": "210200"})) == {"地铁物业移交"}
    assert listed(client.get("/ledgers/legacy/", {"q": "辽钢"})) == {"钢铁供水移交"}
    assert listed(client.get("/ledgers/legacy/", {"q": cast.b1.uscc})) == {"港口退休人员移交"}
    close(cast, problems[0].item)
    assert listed(client.get("/ledgers/legacy/", {"status": "verified"})) == {"钢铁供水移交"}
    assert listed(client.get("/ledgers/legacy/", {"status": "active"})) == {
        "港口退休人员移交",
        "地铁物业移交",
    }


def test_overdue_problems_are_marked(cast, problems, login, settings):
    settings.GUOZI_TODAY = "2027-01-05"
    page = login(cast.analyst).get("/ledgers/legacy/", {"status": "overdue"})
    assert len(listed(page)) == 3
    assert b"days overdue" in page.content or "天".encode() in page.content


def test_a_bad_filter_shows_its_error_and_filters_nothing(cast, problems, login):
    page = login(cast.analyst).get("/ledgers/legacy/", {"kind": "pension"})
    assert page.status_code == 200 and page.context["form"].errors
    assert len(listed(page)) == 3


def test_the_list_pages_by_fifty(cast, login):
    for number in range(52):
        open_problem(cast, title=f"供水移交 {number:02d}")
    client = login(cast.analyst)
    assert len(listed(client.get("/ledgers/legacy/"))) == 50
    assert len(listed(client.get("/ledgers/legacy/", {"page": 2}))) == 2


def test_htmx_gets_only_the_table(cast, problems, login):
    page = login(cast.analyst).get("/ledgers/legacy/", headers={"HX-Request": "true"})
    assert page.status_code == 200
    assert b"<html" not in page.content and "钢铁供水移交".encode() in page.content


def test_the_export_has_the_users_problems_with_their_figures(cast, problems, login):
    response = login(cast.reporter).get("/ledgers/legacy/export/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 200
    assert response["Content-Disposition"].endswith('.xlsx"')
    rows = CalamineWorkbook.from_filelike(io.BytesIO(response.content)).get_sheet_by_index(0)
    rows = rows.to_python()
    assert len(rows) == 2
    header, row = rows
    assert header[0] == "编号"  # in the language asked for
    assert row[0] == problems[0].item_id and row[3] == "钢铁供水移交"
    assert 3200 in row and 18_500_000 in row


def test_the_statistics_page_embeds_its_chart(cast, problems, login):
    page = login(cast.analyst).get("/ledgers/legacy/statistics/", {"by": "kind"})
    assert page.status_code == 200
    assert b"vendor/echarts/echarts.min.js" in page.content
    assert b'id="legacy-chart-data"' in page.content
    assert page.context["chart"]["closed"] == [0, 0]
    assert b"cdn" not in page.content.lower()


def test_an_unknown_grouping_falls_back_to_kind(cast, problems, login):
    page = login(cast.analyst).get("/ledgers/legacy/statistics/", {"by": "province"})
    assert page.status_code == 200 and page.context["by"] == "kind"


# --- opening a problem -----------------------------------------------------------------------


def form_data(cast, **changes):
    data = {
        "owner": cast.a1.uscc,
        "title": "厂办大集体改革",
        "due_date": "2026-12-31",
        "responsible_name": "李娜",
        "progress_rule": "manual",
        "kind": "collective",
        "people_total": "1,260",
        "amount_total": "35000000",
    }
    data.update(changes)
    return data


def test_the_analyst_opens_a_problem_with_its_figures(cast, login):
    response = login(cast.analyst).post("/ledgers/legacy/new/", form_data(cast))
    problem = LegacyProblem.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/ledgers/items/{problem.item_id}/"
    assert problem.people_total == 1260 and problem.amount_total_fen == 3_500_000_000


def test_the_form_shows_every_error_and_keeps_nothing(cast, login):
    response = login(cast.analyst).post(
        "/ledgers/legacy/new/",
        form_data(cast, people_total="-5", households_total="10", due_date="2020-01-01"),
    )
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert set(errors) >= {"people_total", "households_total", "due_date"}
    assert not TrackedItem.objects.exists()


@pytest.mark.parametrize("username", ["reporter", "leader", "outsider"])
def test_only_the_supervisor_opens_problems(cast, login, username):
    client = login(getattr(cast, username))
    assert client.get("/ledgers/legacy/new/").status_code == 403
    assert client.post("/ledgers/legacy/new/", form_data(cast)).status_code == 403
    assert not TrackedItem.objects.exists()


def test_an_enterprise_outside_the_users_view_is_not_found(cast, login):
    response = login(cast.dl_analyst).post("/ledgers/legacy/new/", form_data(cast))
    assert response.status_code == 400
    assert "owner" in response.context["form"].errors


# --- the item page and the figures form ------------------------------------------------------


def test_the_item_page_shows_the_figures_panel(cast, problems, login):
    page = login(cast.sub_reporter).get(f"/ledgers/items/{problems[0].item_id}/")
    assert page.status_code == 200
    assert b"legacy-panel" in page.content
    assert "鞍山市自来水总公司".encode() in page.content
    assert b"18,500,000.00" in page.content and b"37.5%" in page.content


def test_the_outsider_sees_neither_the_item_nor_its_figures(cast, problems, login):
    client = login(cast.outsider)
    item_id = problems[0].item_id
    assert client.get(f"/ledgers/items/{item_id}/").status_code == 404
    assert client.get(f"/ledgers/legacy/items/{item_id}/figures/").status_code == 404
    response = client.post(f"/ledgers/legacy/items/{item_id}/figures/", {"households_done": "1"})
    assert response.status_code == 404
    assert LegacyProblem.objects.get(item_id=item_id).households_done == 1200


def test_the_reporter_gets_only_the_done_figures(cast, problems, login):
    client = login(cast.sub_reporter)
    url = f"/ledgers/legacy/items/{problems[0].item_id}/figures/"
    form = client.get(url).context["form"]
    assert set(form.fields) == {
        "households_done",
        "people_done",
        "amount_done",
        "done_on",
        "closure_text",
        "reason",
    }
    response = client.post(url, {"households_done": "2,000", "amount_done": "6000000.50"})
    assert response.status_code == 302
    assert LegacyProblem.objects.get(item_id=problems[0].item_id).households_done == 2000
    panel = client.get(f"/ledgers/items/{problems[0].item_id}/")
    assert b"1,200" in panel.content and b"2,000" in panel.content  # the change in the history


def test_the_figures_form_shows_the_rules_errors(cast, problems, login):
    url = f"/ledgers/legacy/items/{problems[0].item_id}/figures/"
    response = login(cast.reporter).post(url, {"households_done": "3201"})
    assert response.status_code == 400
    assert response.context["form"].errors["households_done"] == ["不能大于总数（3200）。"]


def test_readers_cannot_change_the_figures(cast, problems, login):
    client = login(cast.leader)
    url = f"/ledgers/legacy/items/{problems[0].item_id}/figures/"
    assert client.get(url).status_code == 403
    assert client.post(url, {"households_done": "1"}).status_code == 403


def test_a_closed_problems_figures_are_not_changed(cast, problems, login):
    close(cast, problems[0].item)
    assert (
        login(cast.analyst).get(f"/ledgers/legacy/items/{problems[0].item_id}/figures/").status_code
        == 403
    )


def test_the_pages_speak_chinese(cast, problems, login):
    client = login(cast.analyst)
    page = client.get("/ledgers/legacy/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert "历史遗留问题".encode() in page.content
    stats = client.get("/ledgers/legacy/statistics/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert "三供一业".encode() in stats.content
    english = client.get("/ledgers/legacy/statistics/", HTTP_ACCEPT_LANGUAGE="en")
    assert b"Legacy problems" in english.content


@pytest.mark.parametrize(
    ("username", "titles"),
    [
        ("outsider", ["港口退休人员移交"]),
        ("dl_analyst", ["地铁物业移交"]),
        ("sub_reporter", ["钢铁供水移交"]),
    ],
)
def test_the_export_holds_only_the_users_problems(cast, problems, login, username, titles):
    response = login(getattr(cast, username)).get("/ledgers/legacy/export/")
    rows = CalamineWorkbook.from_filelike(io.BytesIO(response.content)).get_sheet_by_index(0)
    assert [row[3] for row in rows.to_python()[1:]] == titles
