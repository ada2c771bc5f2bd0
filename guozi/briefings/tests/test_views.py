"""The pages and downloads, and who may open them."""

import pytest
from django.urls import reverse

from guozi.audit.models import AuditEvent
from guozi.briefings import services
from guozi.briefings.compose import points_key
from guozi.briefings.models import BriefVersion, MonthlyReport
from guozi.dashboard.tests.test_profile_records import JULY
from guozi.jobs.models import Job, JobStatus


@pytest.fixture
def issued(tour, figures, run_jobs):
    run_jobs(lambda: services.brief_generate(acting_user=figures.analyst, brief=tour.brief))
    return services.brief_issue(acting_user=figures.analyst, brief=tour.brief)


def urls(tour) -> list[str]:
    return [
        reverse("briefings:tour", args=[tour.id]),
        reverse("briefings:draft", args=[tour.id, "pdf"]),
        reverse("briefings:version", args=[tour.id, 1, "pdf"]),
        reverse("briefings:version", args=[tour.id, 1, "docx"]),
    ]


@pytest.mark.parametrize("who", ["analyst", "reviewer", "leader", "auditor"])
def test_the_supervisors_roles_read_tours_and_download(issued, figures, login, who):
    client = login(getattr(figures, who))
    tour = issued.brief.tour
    assert tour.title in client.get(reverse("briefings:list")).content.decode()
    for url in urls(tour):
        response = client.get(url)
        assert response.status_code == 200, url
    assert response["Content-Type"].startswith("application/vnd.openxml")
    downloads = AuditEvent.objects.filter(action="download", actor=getattr(figures, who))
    assert downloads.count() == 3


@pytest.mark.parametrize("who", ["reporter", "group_reviewer", "outsider", "dl_analyst"])
def test_others_get_nothing(issued, figures, login, who):
    client = login(getattr(figures, who))
    tour = issued.brief.tour
    expected = 404
    if who != "dl_analyst":  # enterprise users: the tours' list is not for them at all
        assert client.get(reverse("briefings:list")).status_code == 403
        assert client.get(reverse("briefings:create")).status_code == 403
    else:  # Dalian's analyst reads Dalian's tours, not Liaoning's (above it)
        assert tour.title not in client.get(reverse("briefings:list")).content.decode()
    for url in urls(tour):
        assert client.get(url).status_code == expected, url
    for name in ("edit", "generate", "issue"):
        assert client.post(reverse(f"briefings:{name}", args=[tour.id])).status_code == expected


def test_the_administrators_and_anonymous_get_nothing(issued, figures, client, login):
    tour = issued.brief.tour
    for url in [reverse("briefings:list"), *urls(tour)]:
        assert client.get(url).status_code == 302  # to the login page
    client = login(figures.sysadmin)
    for url in [reverse("briefings:list"), *urls(tour)]:
        assert client.get(url).status_code == 403


def test_readers_do_not_write(issued, figures, login):
    client = login(figures.leader)
    tour = issued.brief.tour
    client.post(reverse("briefings:edit", args=[tour.id]), {"overview": "改写"})
    client.post(reverse("briefings:issue", args=[tour.id]))
    client.post(reverse("briefings:generate", args=[tour.id]))
    tour.brief.refresh_from_db()
    assert tour.brief.texts["overview"] != "改写"
    assert BriefVersion.objects.count() == 1
    assert not Job.objects.filter(kind="brief_generate", created_by=figures.leader).exists()


def test_unknown_formats_and_versions_are_404(issued, figures, login):
    client = login(figures.analyst)
    tour = issued.brief.tour
    assert client.get(reverse("briefings:version", args=[tour.id, 2, "pdf"])).status_code == 404
    assert client.get(reverse("briefings:version", args=[tour.id, 1, "exe"])).status_code == 404
    assert client.get(f"/briefings/tours/{tour.id}/draft/..%2Fx/").status_code == 404


def test_the_analyst_edits_generates_and_issues_from_the_page(
    tour, figures, login, django_capture_on_commit_callbacks
):
    client = login(figures.analyst)
    page = client.get(reverse("briefings:tour", args=[tour.id])).content.decode()
    stop = tour.stops.first()
    assert f'name="{points_key(stop)}"' in page
    response = client.post(
        reverse("briefings:edit", args=[tour.id]), {points_key(stop): "请关注应收账款"}
    )
    assert response.status_code == 302
    tour.brief.refresh_from_db()
    assert tour.brief.texts[points_key(stop)] == "请关注应收账款"
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("briefings:generate", args=[tour.id]))
    job = Job.objects.get(kind="brief_generate")
    assert job.status == JobStatus.SUCCEEDED
    page = client.get(reverse("briefings:tour", args=[tour.id])).content.decode()
    assert reverse("jobs:progress", args=[job.id]) in page or "100%" in page
    client.post(reverse("briefings:issue", args=[tour.id]))
    assert BriefVersion.objects.get(brief=tour.brief).texts[points_key(stop)] == "请关注应收账款"


def test_creating_a_tour_from_the_form(figures, login):
    client = login(figures.analyst)
    page = client.get(reverse("briefings:create"))
    assert page.status_code == 200
    url = reverse("briefings:stop_options")
    options = client.get(url, {"stop-2-city": "210300"}).content.decode()
    assert "辽钢板材鞍山加工厂" in options and "辽钢板材有限公司" not in options
    data = {
        "supervisor": figures.ln.id,
        "title": "鞍山调研",
        "date_from": "2026-09-02",
        "date_to": "2026-09-04",
        "period": JULY,
        "stop-1-city": "210300",
        "stop-1-enterprise": figures.a11.id,
        "stop-1-day": "2026-09-03",
    }
    response = client.post(reverse("briefings:create"), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    bad = client.post(reverse("briefings:create"), data | {"stop-1-day": "2026-09-09"})
    assert bad.status_code == 400
    assert "不在调研日期范围内" in bad.content.decode()  # the analyst reads Chinese


def test_an_enterprise_user_gets_no_stop_options(figures, login):
    client = login(figures.reporter)
    assert client.get(reverse("briefings:stop_options"), {"city": "210300"}).status_code == 403


def test_monthly_reports_are_listed_and_scoped(figures, login, settings):
    from guozi.briefings import files

    stored = files.store_set("monthly/ln/2026-07", {"pdf": b"%PDF-1.4 test"})
    report = MonthlyReport.objects.create(
        supervisor=figures.ln, period=JULY, files=stored, generated_at="2026-08-20T08:00Z"
    )
    client = login(figures.leader)
    assert JULY in client.get(reverse("briefings:list")).content.decode()
    url = reverse("briefings:report", args=[report.id, "pdf"])
    assert client.get(url).status_code == 200
    assert login(figures.dl_analyst).get(url).status_code == 404
    assert login(figures.reporter).get(url).status_code == 404
