"""The profile page and its .xlsx export: who may open them, the period picker and the view,
the sheets of the workbook and the audit of every export."""

import io
import json
import re

import pytest
from django.conf import settings
from django.urls import reverse
from openpyxl import load_workbook

from guozi.audit.models import AuditEvent
from guozi.indicators.exports import CONTENT_TYPE

from .test_profile_records import JULY, JUNE, compute_figures, fill_registers, set_target


@pytest.fixture(autouse=True)
def data_dir(settings, tmp_path):
    settings.DATA_DIR = tmp_path


@pytest.fixture
def world(cast):
    compute_figures(cast)
    fill_registers(cast, cast.a1)
    set_target(cast, cast.a1, "total_profit", 300)


def url(enterprise, **query) -> str:
    path = reverse("profile:enterprise", args=[enterprise.id])
    return path + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def english(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def open_as(login, user):
    return english(login(user))


def sheet_named(book, prefix: str):
    """The sheet whose name starts with `prefix` (names are cut to Excel's limit)."""
    return next((book[name] for name in book.sheetnames if name.startswith(prefix)), None)


def test_the_page_is_routed_where_the_brief_says(cast):
    assert url(cast.a1) == f"/dashboard/enterprises/{cast.a1.id}/"


def test_anonymous_users_are_sent_to_sign_in(client, cast):
    response = client.get(url(cast.a1))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_the_page_shows_every_section_with_its_tables_charts_and_links(cast, world, login):
    response = open_as(login, cast.analyst).get(url(cast.a1))
    assert response.status_code == 200
    page = response.content.decode()
    for title in (
        "Identity",
        "Chain and holders",
        "Subsidiaries",
        "Key figures and trends",
        "Indicators against target and industry",
        "Health rating",
        "Open alerts",
        "Rectifications",
        "Reform tasks and completion",
        "Legacy problems",
        "Safety record",
        "R&amp;D projects",
        "Supply-chain concentration",
        "Reporting record",
    ):
        assert f">{title}</h2>" in page, title
    assert "vendor/echarts/echarts.min.js" in page and "dashboard/profile.js" in page
    assert "http://" not in page and "https://" not in page  # nothing from the internet
    option = re.search(
        r'<script id="chart-figures-0-data" type="application/json">(.*?)</script>', page
    )
    data = json.loads(option.group(1))
    assert data["xAxis"]["data"][-1] == JULY
    assert data["series"][0]["data"][-1] == pytest.approx(345)
    assert f'href="/ledgers/legacy/?owner={cast.a1.id}"' in page
    assert f'href="/ledgers/reform/enterprises/{cast.a1.id}/"' in page
    assert "高强度汽车用钢板关键技术攻关" in page and "铁矿石" in page


def test_a_missing_figure_is_shown_as_a_dash_with_its_reason(cast, world, login):
    page = open_as(login, cast.analyst).get(url(cast.a2)).content.decode()
    assert 'class="num missing" title="missing"' not in page  # missing cells are text
    assert 'class="missing" title="missing"' in page


@pytest.mark.parametrize(
    ("user", "enterprise", "status"),
    [
        ("reporter", "a1", 200),
        ("reporter", "a11", 200),
        ("reporter", "b", 404),
        ("outsider", "a1", 404),
        ("sub_reporter", "a", 404),
        ("auditor", "a1", 200),
        ("leader", "d", 200),
        ("dl_analyst", "a", 404),
        ("sysadmin", "a1", 403),
        ("auditadmin", "a1", 403),
    ],
)
def test_scope_of_the_page_and_of_the_export(cast, world, login, user, enterprise, status):
    client = open_as(login, getattr(cast, user))
    target = getattr(cast, enterprise)
    assert client.get(url(target)).status_code == status
    assert client.get(url(target, format="xlsx")).status_code == status


def test_the_period_picker_lists_the_computed_periods_and_shows_the_one_chosen(cast, world, login):
    client = open_as(login, cast.analyst)
    page = client.get(url(cast.a1)).content.decode()
    assert f'<option value="{JULY}" selected>' in page
    assert f'<option value="{JUNE}">' in page
    june = client.get(url(cast.a1, period=JUNE))
    assert june.context["profile"].period == JUNE
    assert f'<option value="{JUNE}" selected>' in june.content.decode()
    assert "1,380.00" in june.content.decode()


def test_a_period_without_figures_warns_and_shows_the_latest(cast, world, login):
    response = open_as(login, cast.analyst).get(url(cast.a1, period="2019-01"))
    assert response.status_code == 200
    assert response.context["profile"].period == JULY
    messages = [str(m) for m in response.context["messages"]]
    assert any("2019-01 has no computed figures" in m for m in messages)


def test_the_condensed_view_and_bad_choices(cast, world, login):
    client = open_as(login, cast.analyst)
    condensed = client.get(url(cast.a1, view="condensed"))
    assert condensed.context["profile"].condensed
    assert 'value="condensed" checked' in condensed.content.decode()
    assert client.get(url(cast.a1, view="summary")).status_code == 404
    assert client.get(url(cast.a1, format="pdf")).status_code == 404
    assert client.get(url(cast.a1, format="xlsx", period="2019-01")).status_code == 404


def test_the_export_has_a_sheet_per_table_and_chart_and_is_audited(cast, world, login):
    response = open_as(login, cast.analyst).get(url(cast.a1, format="xlsx", period=JULY))
    assert response.status_code == 200
    assert response["Content-Type"] == CONTENT_TYPE
    assert f"profile-{cast.a1.id}-{JULY}.xlsx" in response["Content-Disposition"]
    book = load_workbook(io.BytesIO(response.content))
    for name in (
        "Identity",
        "Management chain",
        "Holders",
        "Subsidiaries",
        "Key figures",
        "Revenue and total profit by",
        "Indicators against target a",
        "Health rating",
        "Health-check ratios",
        "Open alerts",
        "Rectifications",
        "Reform completion",
        "Reform tasks",
        "Legacy problems",
        "Safety incidents",
        "R&D projects",
        "Key supply inputs",
        "Reporting record",
        "Recent reports",
    ):
        assert sheet_named(book, name), name
    sheet = book["Key figures"]
    assert sheet["A1"].value.startswith(cast.a1.name_zh)
    values = {row[0]: row[1] for row in sheet.iter_rows(values_only=True) if row[0]}
    assert values["Operating revenue"] == pytest.approx(1725)
    trend = {
        row[0]: row[1]
        for row in sheet_named(book, "Revenue and total profit").iter_rows(values_only=True)
    }
    assert trend[JULY] == pytest.approx(345)
    assert trend[JUNE] == "missing"  # a gap, written as its reason, never 0
    event = AuditEvent.objects.get(action="export", object_id=str(cast.a1.id))
    assert event.after["event"] == "profile_export"
    assert event.after["period"] == JULY
    assert event.enterprise_id == cast.a1.id
    assert event.actor == cast.analyst


def test_an_empty_section_still_has_its_sheet_saying_so(cast, world, login):
    response = open_as(login, cast.analyst).get(url(cast.b1, format="xlsx"))
    book = load_workbook(io.BytesIO(response.content))
    notes = [row[0] for row in book["Legacy problems"].iter_rows(values_only=True) if row[0]]
    assert "No legacy problems recorded." in notes


def test_the_page_in_chinese(cast, world, login):
    client = login(cast.analyst)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    page = client.get(url(cast.a1)).content.decode()
    for title in ("基本信息", "管理链条与股东", "指标与目标、行业对比", "健康评级", "供应链集中度"):
        assert f">{title}</h2>" in page, title
    assert "导出 Excel" in page
