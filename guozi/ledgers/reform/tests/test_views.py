"""The reform pages: what each user sees and may do, by every page."""

import io
from datetime import timedelta

import pytest
import xlsxwriter
from django.core.files.uploadedfile import SimpleUploadedFile
from python_calamine import CalamineWorkbook

from guozi.ledgers.models import TrackedItem
from guozi.ledgers.reform import snapshots
from guozi.ledgers.reform.models import MeasureProposal, ProposalState, ReformTask

from . import scenario
from .conftest import TODAY, assign

pytestmark = pytest.mark.django_db
BASE = "/ledgers/reform/"


@pytest.fixture
def history(cast):
    scenario.build(cast)
    snapshots.rebuild(today=TODAY)
    return cast


def test_the_completion_page_shows_the_breakdowns_curve_and_milestones(history, login):
    page = login(history.analyst).get(BASE, HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="reform-chart-data"' in html and "echarts.min.js" in html
    assert "cdn" not in html.lower()
    chart = page.context["chart"]
    assert chart["days"][-1] == TODAY.isoformat()  # today's live point after July
    three = next(s for s in chart["series"] if s["programme"] == "three_year_action")
    assert three["rate"][-1] == pytest.approx(28.6)
    assert {t["target"] for t in chart["targets"]} == {70, 90, 98}
    completion = page.context["completion"]
    assert completion.totals.tasks == 7
    assert [row.key for row in page.context["page"].object_list][:1]
    rows = page.context["overview"].milestones[0][1]
    assert [row.check.state for row in rows] == ["missed", "missed", "missed"]


def test_filters_and_as_of(history, login):
    client = login(history.analyst)
    page = client.get(BASE, {"as_of": "2026-05-01", "programme": "three_year_action"})
    assert page.context["completion"].totals.tasks == 8
    assert not page.context["completion"].live
    assert client.get(BASE, {"city": "210300"}).context["completion"].totals.tasks == 1
    bad = client.get(BASE, {"as_of": "someday"})
    assert bad.status_code == 200 and bad.context["form"].errors


def test_an_enterprise_user_sees_only_their_subtree(history, login):
    page = login(history.outsider).get(BASE)
    assert page.context["completion"].totals.tasks == 2
    assert f'href="{BASE}assign/"' not in page.content.decode()
    assert not page.context["can_assign"]
    assert f'href="{BASE}assign/"' in login(history.analyst).get(BASE).content.decode()


@pytest.mark.parametrize("path", ["", "overdue/", "at-risk/", "catalogues/", "export/"])
def test_pages_need_a_portfolio_role(history, client, login, path):
    assert client.get(BASE + path).status_code == 302  # to the login page
    assert login(history.sysadmin).get(BASE + path).status_code == 403


def test_an_enterprise_ledger_is_scoped(history, login):
    client = login(history.reporter)
    page = client.get(f"{BASE}enterprises/{history.a1.id}/")
    assert page.status_code == 200
    assert page.context["count"] == 2
    assert login(history.outsider).get(f"{BASE}enterprises/{history.a1.id}/").status_code == 404
    assert login(history.analyst).get(f"{BASE}enterprises/999999/").status_code == 404


def test_overdue_and_at_risk_pages(history, login):
    client = login(history.analyst)
    overdue = client.get(BASE + "overdue/")
    assert overdue.context["page"].paginator.count == 5
    assert login(history.outsider).get(BASE + "overdue/").context["page"].paginator.count == 1
    assert client.get(BASE + "at-risk/").context["page"].paginator.count == 0


def test_the_export_is_scoped(history, login):
    response = login(history.outsider).get(BASE + "export/")
    rows = (
        CalamineWorkbook.from_filelike(io.BytesIO(response.content))
        .get_sheet_by_index(0)
        .to_python()
    )
    assert len(rows) == 3  # the header and B's two tasks
    one = login(history.analyst).get(BASE + "export/", {"enterprise": history.a1.id})
    assert (
        len(
            CalamineWorkbook.from_filelike(io.BytesIO(one.content))
            .get_sheet_by_index(0)
            .to_python()
        )
        == 3
    )
    assert login(history.outsider).get(
        BASE + "export/", {"enterprise": history.a1.id}
    ).status_code == 404  # fmt: skip


def test_assigning_through_the_page(cast, login):
    client = login(cast.analyst)
    form = client.get(BASE + "assign/", {"catalogue": "three_year_action"})
    assert form.status_code == 200
    response = client.post(
        BASE + "assign/",
        {
            "catalogue": "three_year_action",
            "tasks": ["front_list", "tenure_contract"],
            "groups": [cast.a.id],
            "others": f"{cast.a1.uscc}\n{cast.b1.id}",
            "deadline": (TODAY + timedelta(days=30)).isoformat(),
        },
    )
    assert response.status_code == 302
    assert ReformTask.objects.count() == 6
    again = client.post(
        BASE + "assign/",
        {"catalogue": "three_year_action", "tasks": ["front_list"], "groups": [cast.a.id],
         "deadline": (TODAY + timedelta(days=30)).isoformat()},
    )  # fmt: skip
    assert again.status_code == 302 and ReformTask.objects.count() == 6


def test_a_bad_assignment_shows_its_errors_and_writes_nothing(cast, login):
    client = login(cast.analyst)
    response = client.post(
        BASE + "assign/",
        {"catalogue": "three_year_action", "tasks": ["front_list"], "others": "nobody"},
    )
    assert response.status_code == 400 and response.context["form"].errors
    passed = client.post(
        BASE + "assign/",
        {"catalogue": "three_year_action", "tasks": ["front_list"], "groups": [cast.a.id]},
    )
    assert passed.status_code == 400
    assert not TrackedItem.objects.exists()


def test_only_the_supervisor_assigns_opens_and_imports(cast, login):
    client = login(cast.reporter)
    for path in ("assign/", "tasks/new/", "import/"):
        assert client.get(BASE + path).status_code == 403
    response = client.post(BASE + "assign/", {"catalogue": "three_year_action"})
    assert response.status_code == 403 and not TrackedItem.objects.exists()


def test_the_supervisors_own_task_through_the_page(cast, login):
    response = login(cast.analyst).post(
        BASE + "tasks/new/?catalogue=deepening_action",
        {
            "catalogue": "deepening_action",
            "owner": cast.a1.uscc,
            "area": "governance",
            "title": "修订授权事项清单",
            "measures": "起草\n审议\n",
            "weight": 3,
            "deadline": (TODAY + timedelta(days=40)).isoformat(),
        },
    )
    task = ReformTask.objects.get()
    assert response.status_code == 302 and response.url == f"/ledgers/items/{task.item_id}/"
    assert (task.area, task.catalogue_task, task.item.milestones.count()) == ("governance", None, 2)


def test_importing_through_the_page(cast, login):
    stream = io.BytesIO()
    book = xlsxwriter.Workbook(stream, {"in_memory": True})
    sheet = book.add_worksheet()
    for number, row in enumerate(
        [["统一社会信用代码", "改革行动", "任务编码", "完成时限"],
         [cast.a.uscc, "three_year_action", "front_list", (TODAY + timedelta(days=9)).isoformat()],
         [cast.a.uscc, "three_year_action", "nothing", ""]]
    ):  # fmt: skip
        for column, value in enumerate(row):
            sheet.write(number, column, value)
    book.close()
    client = login(cast.analyst)
    upload = SimpleUploadedFile("tasks.xlsx", stream.getvalue())
    response = client.post(BASE + "import/", {"file": upload})
    assert response.status_code == 400
    assert len(response.context["outcome"].problems) == 1
    assert 'id="errors"' in response.content.decode()
    assert not TrackedItem.objects.exists()


def test_the_item_page_shows_the_reform_panel_and_its_actions(cast, login):
    (task,) = assign(cast, [cast.a1], ["front_list"])
    item_page = f"/ledgers/items/{task.item_id}/"
    reporter = login(cast.sub_reporter)
    html = reporter.get(item_page).content.decode()
    assert "reform-panel" in html and f"{BASE}tasks/{task.item_id}/measures/" in html
    reporter.post(f"{BASE}tasks/{task.item_id}/measures/", {"title": "动态评估机制"})
    proposal = MeasureProposal.objects.get()
    analyst = login(cast.analyst)
    assert f"{BASE}proposals/{proposal.id}/" in analyst.get(item_page).content.decode()
    analyst.post(f"{BASE}proposals/{proposal.id}/", {"action": "accept"})
    proposal.refresh_from_db()
    assert proposal.state == ProposalState.ACCEPTED
    analyst.post(f"{BASE}tasks/{task.item_id}/weight/", {"weight": "8", "reason": "重点"})
    task.refresh_from_db()
    assert task.weight == 8


def test_panel_actions_outside_the_view_are_404(cast, login):
    (task,) = assign(cast, [cast.a1], ["front_list"])
    proposal = MeasureProposal.objects.create(
        task=task, title="x", proposed_by=cast.reporter, proposed_at=task.item.created_at
    )
    outsider = login(cast.outsider)
    assert outsider.post(f"{BASE}tasks/{task.item_id}/measures/", {"title": "x"}).status_code == 404
    assert outsider.post(f"{BASE}proposals/{proposal.id}/", {"action": "accept"}).status_code == 404
    assert outsider.post(f"{BASE}tasks/{task.item_id}/weight/", {"weight": 9}).status_code == 404
    reporter = login(cast.reporter)
    reporter.post(f"{BASE}proposals/{proposal.id}/", {"action": "accept"})  # refused: message
    reporter.post(f"{BASE}tasks/{task.item_id}/weight/", {"weight": 9})
    proposal.refresh_from_db()
    task.refresh_from_db()
    assert (proposal.state, task.weight) == (ProposalState.PROPOSED, 4)


def test_catalogue_pages(cast, login):
    client = login(cast.reporter)
    listing = client.get(BASE + "catalogues/")
    first = listing.context["catalogues"][0]
    detail = client.get(f"{BASE}catalogues/{first.id}/")
    assert detail.status_code == 200 and len(detail.context["tasks"]) == 28


def test_the_pages_work_in_both_languages(history, login):
    client = login(history.analyst)
    client.post("/i18n/setlang/", {"language": "en"})
    english = client.get(BASE).content.decode()
    assert "Completion by task area" in english
    client.post("/i18n/setlang/", {"language": "zh-hans"})
    chinese = client.get(BASE).content.decode()
    assert "分领域完成情况" in chinese and "Completion by task area" not in chinese
