"""The whole journey in a real browser: every role of the cast signs in to its home page; an
enterprise reporter fills a fast report with an error, sees the failed rule, fixes it and
submits; the group's reviewer returns it with a reason, which the reporter then reads. No page
writes to the console as an error and no request leaves the host. Screenshots of the main pages
go to $GUOZI_TEST_ARTIFACTS (default var/test-artifacts). Needs Chromium; outside CI a missing
browser is skipped with the reason."""

import io
import os
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from pypdf import PdfReader

from guozi.briefings.tests.conftest import make_tour
from guozi.conftest import PASSWORD
from guozi.dashboard.tests.test_profile_records import compute_figures as dashboard_figures
from guozi.indicators.frameworks import load_built_in as load_indicators
from guozi.indicators.tests.test_views import JULY, compute_figures
from guozi.lib.periods import Period
from guozi.reporting import services
from guozi.reporting.frameworks import load_built_in
from guozi.reporting.models import Form, ReportScope, State, Submission
from guozi.reporting.tests.conftest import clean_cells

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ROLES = [
    "analyst",
    "reviewer",
    "leader",
    "auditor",
    "sysadmin",
    "secadmin",
    "auditadmin",
    "reporter",
    "group_reviewer",
]
REASON = "货币资金与银行对账单不符"


def artifacts() -> Path:
    folder = Path(os.environ.get("GUOZI_TEST_ARTIFACTS") or "var/test-artifacts")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


class Watched:
    """A page whose console errors, uncaught exceptions and requests to other hosts are kept."""

    def __init__(self, page, live_server):
        self.page = page
        self.server = live_server.url
        self.host = urlsplit(live_server.url).netloc
        self.errors: list[str] = []
        self.foreign: list[str] = []
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.errors.append(f"{error} ({page.url})"))
        page.on("request", self._request)
        page.on(
            "response",
            lambda response: (
                response.status >= 400 and self.errors.append(f"{response.status} {response.url}")
            ),
        )

    def _console(self, message):
        # A page without base.html (an error page) lets the browser ask for /favicon.ico by
        # itself: that 404 is not a page's error.
        url = message.location.get("url", "")
        if message.type == "error" and not url.endswith("/favicon.ico"):
            self.errors.append(f"{message.text} ({url})")

    def _request(self, request):
        parts = urlsplit(request.url)
        if parts.scheme in ("http", "https", "ws", "wss") and parts.netloc != self.host:
            self.foreign.append(request.url)

    def sign_in(self, username: str):
        self.page.goto(f"{self.server}/login/")
        self.page.fill("input[name=username]", username)
        self.page.fill("input[name=password]", PASSWORD)
        with self.page.expect_navigation():
            self.page.click("button.primary")
        self.page.wait_for_load_state("networkidle")
        assert "/login/" not in self.page.url, f"{username} was not signed in"

    def open(self, path: str):
        response = self.page.goto(f"{self.server}{path}")
        self.page.wait_for_load_state("networkidle")
        assert response.status == 200, (path, response.status)

    def shot(self, name: str):
        self.page.screenshot(path=str(artifacts() / f"{name}.png"), full_page=True)

    def assert_clean(self):
        assert not self.errors, self.errors
        assert not self.foreign, self.foreign


@pytest.fixture
def browser(browser_page):
    return browser_page.context.browser


@pytest.fixture
def watched(browser, live_server):
    """`watched()`: a fresh signed-out page (its own cookies) in the browser, watched."""
    pages = []

    def new_page() -> Watched:
        page = browser.new_context(locale="zh-CN").new_page()
        pages.append(Watched(page, live_server))
        return pages[-1]

    yield new_page
    for each in pages:
        each.page.context.close()


def test_every_role_signs_in_to_its_home_page(watched, cast):
    for username in ROLES:
        user = watched()
        user.sign_in(username)
        assert user.page.locator("main").count() == 1, username
        user.shot(f"home-{username}")
        user.assert_clean()


def test_a_report_is_filled_with_an_error_fixed_submitted_and_returned(watched, cast):
    load_built_in()
    submission = services.submission_open(
        acting_user=cast.sub_reporter,
        enterprise=cast.a11,
        form=Form.objects.get(code="fast_report"),
        period=Period.parse("2026-07"),
        scope=ReportScope.CONSOLIDATED,
    )
    path = f"/reporting/submissions/{submission.id}/"
    reporter = watched()
    reporter.sign_in("sub_reporter")
    reporter.open(path)
    page = reporter.page
    # Every cell of a consistent report, then total assets that do not balance.
    filled = page.evaluate(
        """cells => Object.entries(cells).filter(([cell, value]) => {
               const input = document.querySelector(`input[name="cell:${cell}"]`);
               if (input) input.value = value;
               return input;
           }).length""",
        clean_cells(),
    )
    assert filled > 50
    page.fill("input[name='cell:total_assets.current']", "2030.30")
    with page.expect_navigation():
        page.click("#report-form button.primary")
    page.wait_for_load_state("networkidle")
    error = page.locator("#checks li.error")
    assert "资产总额 2,030.30" in error.first.inner_text()
    assert "flagged" in page.get_attribute("input[name='cell:total_assets.current']", "class")
    reporter.shot("report-with-an-error")

    page.fill("input[name='cell:total_assets.current']", "2000.00")
    with page.expect_navigation():
        page.click("#report-form button.primary")
    page.wait_for_load_state("networkidle")
    assert page.locator("#checks li.error").count() == 0
    assert page.locator("#checks p.ok").count() == 1
    with page.expect_navigation():
        page.click("button[name=action][value=submit]")
    page.wait_for_load_state("networkidle")
    submission.refresh_from_db()
    assert submission.state == State.SUBMITTED
    reporter.shot("report-submitted")

    reviewer = watched()
    reviewer.sign_in("group_reviewer")
    reviewer.open("/reporting/reviews/")
    assert cast.a11.name_zh in reviewer.page.content()
    reviewer.shot("review-queue")
    reviewer.open(path)
    returning = reviewer.page.locator("form:has(input[name=action][value=return])")
    returning.locator("input[name=reason]").fill(REASON)
    with reviewer.page.expect_navigation():
        returning.locator("button").click()
    reviewer.page.wait_for_load_state("networkidle")
    assert Submission.objects.get(id=submission.id).state == State.RETURNED

    reporter.open(path)
    assert REASON in page.locator("ol.events").inner_text()
    assert page.locator("#report-form button.primary").count() == 1  # editable again
    reporter.shot("report-returned")
    reporter.assert_clean()
    reviewer.assert_clean()


def test_the_cockpit_draws_its_charts_and_drills_to_a_cell_and_back(watched, cast):
    load_built_in()
    load_indicators()
    compute_figures(cast, Form.objects.get(code="fast_report"))
    analyst = watched()
    analyst.sign_in("analyst")
    analyst.open(f"/dashboard/?period={JULY}")
    page = analyst.page
    page.wait_for_function(
        "() => document.querySelectorAll('.cockpit-card[aria-busy=true]').length === 0"
    )
    assert page.locator(".cockpit-card .chart svg").count() >= 1
    assert page.locator("nav.breadcrumb [aria-current=page]").inner_text() == cast.ln.name_zh
    analyst.shot("cockpit")

    # Down to a cell of group A (the province › group › … › plant), then back by the breadcrumb.
    analyst.open(f"/dashboard/?period={JULY}&group={cast.a.id}&node={cast.a11.id}")
    crumbs = page.locator("nav.breadcrumb").inner_text()
    assert crumbs.startswith(cast.ln.name_zh) and crumbs.endswith(cast.a11.name_zh)
    assert cast.a.name_zh in crumbs
    analyst.shot("cockpit-cell")
    with page.expect_navigation():
        page.locator("nav.breadcrumb a", has_text=cast.ln.name_zh).click()
    page.wait_for_load_state("networkidle")
    assert page.locator("nav.breadcrumb [aria-current=page]").inner_text() == cast.ln.name_zh
    analyst.assert_clean()


def test_an_analyst_generates_a_brief_and_downloads_the_pdf(watched, cast, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    dashboard_figures(cast)
    tour = make_tour(cast)
    analyst = watched()
    analyst.sign_in("analyst")
    analyst.open(f"/briefings/tours/{tour.id}/")
    page = analyst.page
    with page.expect_navigation():
        page.click("form[action$='/generate/'] button")
    page.wait_for_load_state("networkidle")
    analyst.shot("brief")
    with page.expect_download() as download:
        page.click("a[href$='/draft/pdf/']")
    pdf = Path(download.value.path()).read_bytes()
    assert pdf.startswith(b"%PDF")
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    for stop in tour.stops.all():
        assert stop.enterprise.name_zh in text
    analyst.assert_clean()
