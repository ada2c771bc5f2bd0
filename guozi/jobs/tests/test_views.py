from django.urls import reverse

from guozi.accounts.models import Notification
from guozi.jobs.models import Job, JobStatus
from guozi.jobs.services import job_run


def make_job(user, **fields) -> Job:
    defaults = {
        "kind": "enterprise_import",
        "title_zh": "企业导入",
        "title_en": "Enterprise import",
    }
    return Job.objects.create(created_by=user, **(defaults | fields))


def test_list_shows_own_jobs_only(cast, login):
    make_job(cast.reporter, title_zh="我的导入", title_en="My import")
    make_job(cast.outsider, title_zh="别人的导入", title_en="Their import")
    page = login(cast.reporter).get(reverse("jobs:list")).content.decode()
    assert "我的导入" in page and "企业导入" in page
    assert "别人的导入" not in page


def test_list_in_english(cast, login):
    make_job(cast.reporter, title_zh="我的导入", title_en="My import", status=JobStatus.RUNNING)
    client = login(cast.reporter)
    client.cookies["django_language"] = "en"
    page = client.get(reverse("jobs:list")).content.decode()
    assert "My import" in page and "我的导入" not in page
    assert "Enterprise import" in page
    assert "Running" in page


def test_system_admin_sees_every_job(cast, login):
    make_job(cast.reporter, title_zh="甲的任务")
    make_job(None, kind="housekeeping", title_zh="例行清理", title_en="Housekeeping")
    page = login(cast.sysadmin).get(reverse("jobs:list")).content.decode()
    assert "甲的任务" in page and "例行清理" in page and "系统" in page
    job = make_job(cast.outsider)
    assert login(cast.sysadmin).get(reverse("jobs:detail", args=[job.id])).status_code == 200


def test_someone_elses_job_is_404(cast, login):
    job = make_job(cast.outsider)
    client = login(cast.reporter)
    assert client.get(reverse("jobs:detail", args=[job.id])).status_code == 404
    assert client.get(reverse("jobs:progress", args=[job.id])).status_code == 404
    # Nor does another supervisor-side role see it: jobs are their creator's.
    assert login(cast.analyst).get(reverse("jobs:detail", args=[job.id])).status_code == 404


def test_anonymous_is_sent_to_login(client, cast):
    job = make_job(cast.reporter)
    for url in (reverse("jobs:list"), reverse("jobs:detail", args=[job.id])):
        response = client.get(url)
        assert response.status_code == 302 and reverse("login") in response["Location"]


def test_running_job_fragment_keeps_polling(cast, login):
    job = make_job(cast.reporter, status=JobStatus.RUNNING, done=250, total=1000, message="校验中")
    url = reverse("jobs:progress", args=[job.id])
    response = login(cast.reporter).get(url, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert response.status_code == 200
    assert f'hx-get="{url}"' in html and 'hx-trigger="every 1s"' in html
    assert 'aria-valuenow="25"' in html and "width: 25%" in html
    assert "250 / 1000" in html and "校验中" in html
    assert "<html" not in html


def test_detail_page_embeds_the_polling_fragment(cast, login):
    job = make_job(cast.reporter, status=JobStatus.QUEUED)
    html = login(cast.reporter).get(reverse("jobs:detail", args=[job.id])).content.decode()
    assert "<html" in html and "企业导入" in html
    assert f'hx-get="{reverse("jobs:progress", args=[job.id])}"' in html


def test_finished_job_fragment_stops_polling_and_shows_the_result(cast, login):
    errors = [
        {"row": 7, "column": "uscc", "value": "91210100XXXXXXXXX", "reason": "校验码错误"},
        {"row": 9, "column": "parent", "value": "<b>X</b>", "reason": "上级企业不存在"},
    ]
    job = make_job(
        cast.reporter,
        status=JobStatus.FAILED,
        done=1000,
        total=1000,
        message="文件有 2 处错误，未写入任何数据",
        result={"rows": 1000, "created": 0, "errors": errors, "traceback": "Traceback: secret"},
    )
    client = login(cast.reporter)
    client.cookies["django_language"] = "en"
    html = client.get(reverse("jobs:progress", args=[job.id])).content.decode()
    assert "hx-trigger" not in html and "hx-get" not in html
    assert "Failed" in html and "文件有 2 处错误" in html
    assert "Rows" in html and "1000" in html
    for text in ("91210100XXXXXXXXX", "校验码错误", "上级企业不存在", "uscc", ">7<"):
        assert text in html
    assert "&lt;b&gt;X&lt;/b&gt;" in html
    assert "Traceback: secret" not in html
    admin_html = login(cast.sysadmin).get(reverse("jobs:progress", args=[job.id])).content.decode()
    assert "Traceback: secret" in admin_html


def test_a_finished_job_notifies_its_creator_with_a_link(cast, login):
    job = make_job(cast.reporter)
    job_run(job.id, lambda job, progress: {"created": 3})
    note = Notification.objects.get(user=cast.reporter)
    assert note.link == reverse("jobs:detail", args=[job.id])
    assert "企业导入" in note.subject_zh and "Enterprise import" in note.subject_en
    html = login(cast.reporter).get(note.link).content.decode()
    assert "hx-trigger" not in html and "100%" in html


def test_a_clean_dry_run_import_offers_to_import_the_checked_file(cast, login):
    params = {"dry_run": True, "review_url": "/registry/import/review/abc/"}
    clean = make_job(
        cast.analyst,
        status=JobStatus.SUCCEEDED,
        params=params,
        result={"error_count": 0, "counts": {"created": 3}},
    )
    failed = make_job(
        cast.analyst,
        status=JobStatus.SUCCEEDED,
        params=params,
        result={"error_count": 2, "counts": {"created": 3}},
    )
    client = login(cast.analyst)
    page = client.get(reverse("jobs:progress", args=[clean.id])).content.decode()
    assert 'href="/registry/import/review/abc/"' in page
    page = client.get(reverse("jobs:progress", args=[failed.id])).content.decode()
    assert "/registry/import/review/abc/" not in page
