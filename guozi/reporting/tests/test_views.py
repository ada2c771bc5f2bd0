"""The reporting pages: scoping, the form with live checks, actions."""

from guozi.lib.periods import Period
from guozi.reporting import services
from guozi.reporting.models import ReportScope, State, Submission

from .conftest import clean_cells


def _draft(cast, form, enterprise=None, user=None):
    return services.submission_open(
        acting_user=user or cast.sub_reporter,
        enterprise=enterprise or cast.a11,
        form=form,
        period=Period.parse("2026-07"),
        scope=ReportScope.CONSOLIDATED,
    )


def test_the_period_page_lists_expected_reports_in_scope(cast, fast_report, client, login):
    login(cast.sub_reporter)
    page = client.get("/reporting/?period=2026-07")
    assert page.status_code == 200
    text = page.content.decode()
    assert "辽钢板材鞍山加工厂" in text
    assert "营口港务有限公司" not in text  # another group's subsidiary


def test_the_supervisor_sees_completeness(cast, fast_report, client, login):
    _draft(cast, fast_report)
    login(cast.analyst)
    page = client.get("/reporting/?period=2026-07")
    assert page.status_code == 200
    counts = page.context["counts"]
    assert counts["expected"] >= 7  # a, a1 (both scopes), a11, a2, b (both), b1
    assert counts["draft"] == 1
    assert counts["received"] == 0


def test_an_outsider_cannot_open_another_groups_report(cast, fast_report, client, login):
    submission = _draft(cast, fast_report)
    login(cast.outsider)
    assert client.get(f"/reporting/submissions/{submission.id}/").status_code == 404
    assert client.post(f"/reporting/submissions/{submission.id}/check/").status_code == 404


def test_administrators_do_not_read_reports(cast, fast_report, client, login):
    login(cast.sysadmin)
    assert client.get("/reporting/").status_code == 403


def test_fill_in_save_and_submit_through_the_pages(cast, fast_report, client, login):
    login(cast.sub_reporter)
    opened = client.post(
        "/reporting/open/",
        {"period": "2026-07", "enterprise": cast.a11.id, "scope": "consolidated"},
    )
    submission = Submission.objects.get(enterprise=cast.a11)
    assert opened.url == f"/reporting/submissions/{submission.id}/"
    page = client.get(opened.url)
    assert 'name="cell:total_assets.current"' in page.content.decode()
    data = {f"cell:{k}": v for k, v in clean_cells().items()}
    saved = client.post(opened.url, data)
    assert saved.status_code == 302
    client.post(f"{opened.url}act/", {"action": "submit"})
    submission.refresh_from_db()
    assert submission.state == State.SUBMITTED


def test_a_bad_value_keeps_what_was_typed_and_saves_nothing(cast, fast_report, client, login):
    submission = _draft(cast, fast_report)
    login(cast.sub_reporter)
    page = client.post(
        f"/reporting/submissions/{submission.id}/",
        {"cell:cash.current": "12x", "cell:inventory.current": "5"},
    )
    assert page.status_code == 400
    assert 'value="12x"' in page.content.decode()
    submission.refresh_from_db()
    assert submission.cells == {}


def test_live_check_explains_the_imbalance(cast, fast_report, client, login):
    submission = _draft(cast, fast_report)
    login(cast.sub_reporter)
    data = {f"cell:{k}": v for k, v in clean_cells(**{"total_assets.current": "2030.3"}).items()}
    page = client.post(
        f"/reporting/submissions/{submission.id}/check/", data, HTTP_HX_REQUEST="true"
    )
    text = page.content.decode()
    assert "差额 30.30 万元" in text
    submission.refresh_from_db()
    assert submission.cells == {}  # checking stores nothing


def test_cell_history_page(cast, fast_report, client, login):
    submission = _draft(cast, fast_report)
    services.cells_write(
        acting_user=cast.sub_reporter,
        submission=submission,
        raw={"cash.current": "7"},
        channel="web",
    )
    login(cast.group_reviewer)
    page = client.get(f"/reporting/submissions/{submission.id}/history/cash.current/")
    assert page.status_code == 200
    assert "7.00" in page.content.decode()


def test_the_review_queue_shows_what_the_reviewer_decides(cast, fast_report, client, login):
    submission = _draft(cast, fast_report)
    services.cells_write(
        acting_user=cast.sub_reporter, submission=submission, raw=clean_cells(), channel="web"
    )
    services.submit(acting_user=cast.sub_reporter, submission=submission)
    login(cast.group_reviewer)
    assert submission in client.get("/reporting/reviews/").context["queue"]
    login(cast.reviewer)  # the supervisor approves groups, not their subsidiaries
    assert submission not in client.get("/reporting/reviews/").context["queue"]


def test_the_final_accounts_page_uses_yearly_periods(cast, fast_report, client, login):
    login(cast.analyst)
    page = client.get("/reporting/?form=final_accounts&period=2026-07")
    assert page.status_code == 200
    assert str(page.context["period"]) == "2025"  # the last closed year, not a month


def test_every_report_page_answers_not_found_outside_the_users_view(
    cast, fast_report, client, login
):
    submission = _draft(cast, fast_report)
    login(cast.outsider)
    base = f"/reporting/submissions/{submission.id}/"
    assert client.post(f"{base}act/", {"action": "submit"}).status_code == 404
    assert client.get(f"{base}history/cash.current/").status_code == 404
    opened = client.post("/reporting/open/", {"period": "2026-07", "enterprise": cast.a1.id})
    assert opened.status_code == 404  # the same answer as for no such enterprise
    assert not Submission.objects.filter(enterprise=cast.a1).exists()


def test_a_reader_cannot_act_on_a_report(cast, fast_report, client, login):
    submission = _draft(cast, fast_report)
    login(cast.leader)
    client.post(f"/reporting/submissions/{submission.id}/act/", {"action": "submit"})
    submission.refresh_from_db()
    assert submission.state == State.DRAFT
    page = client.get(f"/reporting/submissions/{submission.id}/").content.decode()
    assert 'value="submit"' not in page and "readonly" in page
