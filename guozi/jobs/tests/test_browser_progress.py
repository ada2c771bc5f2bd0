"""The job page in a real browser: the bar follows the job by polling and stops when it ends."""

import time

import pytest

from guozi.accounts.models import User
from guozi.conftest import PASSWORD
from guozi.jobs.models import Job, JobStatus

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def page(browser_page):
    return browser_page


def test_the_progress_bar_follows_the_job_and_stops_polling(page, live_server):
    user = User.objects.create_user(username="importer", password=PASSWORD)
    job = Job.objects.create(
        kind="enterprise_import",
        title_zh="企业导入",
        title_en="Enterprise import",
        created_by=user,
        status=JobStatus.RUNNING,
        done=10,
        total=100,
    )
    page.goto(f"{live_server.url}/login/?next=/jobs/{job.id}/")
    page.fill("input[name=username]", "importer")
    page.fill("input[name=password]", PASSWORD)
    page.click("button.primary")
    page.wait_for_selector("#job-progress [aria-valuenow='10']", state="attached")
    polls = []
    page.on("request", lambda request: "/progress/" in request.url and polls.append(request))

    Job.objects.filter(id=job.id).update(done=60, message="校验第 60 行")
    page.wait_for_selector("#job-progress [aria-valuenow='60']", state="attached", timeout=5000)
    assert "校验第 60 行" in page.inner_text("#job-progress")

    Job.objects.filter(id=job.id).update(
        status=JobStatus.SUCCEEDED, done=100, result={"created": 100}
    )
    page.wait_for_selector("#job-progress :text('已完成')", timeout=5000)
    assert "新建" in page.inner_text("#job-progress")
    polls_when_finished = len(polls)
    time.sleep(2.5)
    assert len(polls) == polls_when_finished, "the page kept polling a finished job"
