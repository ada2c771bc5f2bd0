"""The alert pages: who sees which alerts and settings and who may act (Liaoning's analyst,
Dalian's analyst, an enterprise reporter, anonymous users); acknowledging and opening a
rectification from the page; targets entered and imported; debt-ratio lines; back-testing and
switching rules; stress tests that show the numbers `stress_test` computes."""

import io
from datetime import date

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from guozi.audit.models import AuditEvent
from guozi.indicators import services
from guozi.indicators.alert_selectors import rule_by_code
from guozi.indicators.definitions import Scenario
from guozi.indicators.models import (
    Alert,
    AlertRuleSwitch,
    AlertStatus,
    DebtLinePolicy,
    IndustryBaseline,
    Target,
)
from guozi.indicators.stress import stress_test
from guozi.ledgers.models import TrackedItem
from guozi.lib.periods import Period

from .conftest import put_report

JUNE, JULY = "2026-06", "2026-07"
LOSS = {"net_profit.current": "-20"}


@pytest.fixture
def english(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.fixture
def raised(cast, fast_report):
    """Year-to-date losses in June and July for group A (Liaoning), B (Liaoning) in July and
    D (Dalian) in July: one `net_loss_ytd` alert each."""
    for period in (JUNE, JULY):
        put_report(fast_report, cast.a, period, **LOSS)
    put_report(fast_report, cast.b, JULY, **LOSS)
    put_report(fast_report, cast.d, JULY, **LOSS)
    services.compute(periods=[Period.parse(JUNE), Period.parse(JULY)])
    return {
        e: Alert.objects.get(enterprise=e, rule="net_loss_ytd") for e in (cast.a, cast.b, cast.d)
    }


def listed(response) -> set[int]:
    return {alert.enterprise_id for alert in response.context["page"].object_list}


PAGES = [
    "/alerts/",
    "/alerts/export/",
    "/alerts/targets/",
    "/alerts/targets/template/",
    "/alerts/lines/",
    "/alerts/rules/",
    "/alerts/stress/",
]
POSTS = [
    "/alerts/1/acknowledge/",
    "/alerts/1/rectify/",
    "/alerts/targets/",
    "/alerts/targets/import/",
    "/alerts/lines/method/",
    "/alerts/lines/baselines/",
    "/alerts/lines/baselines/1/delete/",
    "/alerts/rules/backtest/",
    "/alerts/rules/switch/",
]


@pytest.mark.parametrize("url", [*PAGES, "/alerts/1/"])
def test_anonymous_users_are_sent_to_sign_in(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


@pytest.mark.parametrize("url", POSTS)
def test_anonymous_changes_are_sent_to_sign_in(client, url):
    response = client.post(url, {})
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


@pytest.mark.parametrize("url", PAGES)
def test_administrators_read_no_alerts(cast, fast_report, login, url):
    assert login(cast.sysadmin).get(url).status_code == 403


# -- the board ----------------------------------------------------------------------------------


def test_each_user_sees_the_alerts_of_what_they_may_read(raised, cast, login):
    assert listed(login(cast.analyst).get("/alerts/?rule=net_loss_ytd")) == {
        cast.a.id,
        cast.b.id,
        cast.d.id,  # Dalian's, below Liaoning
    }
    assert listed(login(cast.dl_analyst).get("/alerts/?rule=net_loss_ytd")) == {cast.d.id}
    assert listed(login(cast.reporter).get("/alerts/?rule=net_loss_ytd")) == {cast.a.id}
    everything = listed(login(cast.reporter).get("/alerts/"))
    assert everything <= {cast.a.id, cast.a1.id, cast.a11.id, cast.a2.id}


def test_an_alert_outside_ones_view_is_404_like_an_unknown_one(raised, cast, login):
    assert login(cast.dl_analyst).get(f"/alerts/{raised[cast.a].id}/").status_code == 404
    assert login(cast.reporter).get(f"/alerts/{raised[cast.b].id}/").status_code == 404
    assert login(cast.reporter).get("/alerts/999999/").status_code == 404
    assert login(cast.reporter).get(f"/alerts/{raised[cast.a].id}/").status_code == 200


def test_the_board_shows_actions_only_to_the_alerts_own_supervisor(raised, cast, login):
    acknowledge = reverse("alerts:acknowledge", args=[raised[cast.a].id])
    dalian = reverse("alerts:acknowledge", args=[raised[cast.d].id])
    text = login(cast.analyst).get("/alerts/?rule=net_loss_ytd").content.decode()
    assert acknowledge in text and dalian not in text  # Liaoning reads Dalian's, acts on its own
    assert dalian in login(cast.dl_analyst).get("/alerts/").content.decode()
    reader = login(cast.reporter).get(f"/alerts/{raised[cast.a].id}/").content.decode()
    assert acknowledge not in reader and "rectify" not in reader


def test_filters_and_counts(raised, cast, login, english):
    client = login(cast.analyst)
    page = client.get(f"/alerts/?rule=net_loss_ytd&supervisor={cast.ln.id}")
    assert listed(page) == {cast.a.id, cast.b.id}
    counts = page.context["counts"]
    assert counts.total == 2 and counts.by_severity["warning"] == 2
    assert counts.by_rule == [("net_loss_ytd", "Net loss for the year to date", 2)]
    assert listed(client.get("/alerts/?rule=net_loss_ytd&period_to=2026-06")) == {cast.a.id}
    assert listed(client.get("/alerts/?rule=net_loss_ytd&q=辽宁港口")) == {cast.b.id}
    assert listed(client.get("/alerts/?rule=net_loss_ytd&city=210200")) == {cast.b.id, cast.d.id}
    assert listed(client.get("/alerts/?status=acknowledged")) == set()
    bad = client.get("/alerts/?period_from=yesterday")
    assert bad.status_code == 200 and "not a period" in bad.content.decode()
    partial = client.get("/alerts/?rule=net_loss_ytd", headers={"HX-Request": "true"})
    assert "<html" not in partial.content.decode() and listed(partial) == {
        cast.a.id,
        cast.b.id,
        cast.d.id,
    }


def test_the_message_is_in_the_users_language(raised, cast, login, client):
    chinese = login(cast.dl_analyst).get(f"/alerts/{raised[cast.d].id}/").content.decode()
    assert "本年累计净利润 -20.00 万元" in chinese
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    english = client.get(f"/alerts/{raised[cast.d].id}/").content.decode()
    assert "Net profit for the year to date -20.00 万元" in english


def test_the_export_holds_what_the_user_may_read_and_is_audited(raised, cast, login, english):
    response = login(cast.reporter).get("/alerts/export/?rule=net_loss_ytd")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = [r for r in sheet.iter_rows(values_only=True) if isinstance(r[0], int | float)]
    assert [r[1] for r in rows] == [cast.a.name_en]
    assert rows[0][4] == "Net loss for the year to date" and rows[0][7] == JUNE
    event = AuditEvent.objects.get(action="export")
    assert event.actor == cast.reporter and event.after["rows"] == 1
    assert event.after["query"] == {"rule": "net_loss_ytd"}


# -- acting on an alert -------------------------------------------------------------------------


def test_acknowledge_through_the_page(raised, cast, login, english):
    alert = raised[cast.d]
    url = reverse("alerts:acknowledge", args=[alert.id])
    assert login(cast.analyst).post(url, {"note": "seen"}).status_code == 403  # reads only
    assert login(cast.reporter).post(url).status_code == 404  # outside the reporter's view
    alert.refresh_from_db()
    assert alert.status == AlertStatus.OPEN
    response = login(cast.dl_analyst).post(url, {"note": "seen", "next": "/alerts/?rule=x"})
    assert response.status_code == 302 and response.url == "/alerts/?rule=x"
    alert.refresh_from_db()
    assert alert.status == AlertStatus.ACKNOWLEDGED
    assert [(e.action, e.note) for e in alert.events.all()] == [
        ("raised", ""),
        ("acknowledged", "seen"),
    ]
    again = login(cast.dl_analyst).post(url, follow=True)
    assert "Only an open alert can be acknowledged." in again.content.decode()


def test_a_redirect_elsewhere_is_refused(raised, cast, login):
    url = reverse("alerts:acknowledge", args=[raised[cast.d].id])
    response = login(cast.dl_analyst).post(url, {"next": "https://example.com/"})
    assert response.url == reverse("alerts:alert", args=[raised[cast.d].id])


def test_open_a_rectification_through_the_page(raised, cast, login, english):
    alert = raised[cast.a]
    url = reverse("alerts:rectify", args=[alert.id])
    assert login(cast.reporter).post(url, {"due_date": "2026-10-31"}).status_code == 403
    past = login(cast.analyst).post(url, {"due_date": "2026-01-31"}, follow=True)
    assert "The due date cannot be in the past." in past.content.decode()
    assert not TrackedItem.objects.exists()
    response = login(cast.analyst).post(url, {"due_date": "2026-10-31"})
    assert response.status_code == 302
    alert.refresh_from_db()
    item = alert.rectification
    assert item.owner_id == cast.a.id and item.due_date == date(2026, 10, 31)
    board = login(cast.analyst).get("/alerts/?rule=net_loss_ytd").content.decode()
    assert reverse("ledgers:item", args=[item.id]) in board
    detail = login(cast.reporter).get(f"/alerts/{alert.id}/").content.decode()
    assert reverse("ledgers:item", args=[item.id]) in detail  # the reporter follows it too


# -- targets -----------------------------------------------------------------------------------


def test_targets_are_set_from_the_grid_and_the_year_is_recomputed(raised, cast, login, english):
    client = login(cast.analyst)
    page = client.get("/alerts/targets/?year=2026")
    form = page.context["form"]
    assert {row.enterprise.id for row in page.context["grid"].rows} == {cast.a.id, cast.b.id}
    data = {"supervisor": cast.ln.id, "year": 2026}
    data.update({name: "" for name in form.fields})
    data[f"t_{cast.a.id}_total_profit"] = "400"
    data[f"t_{cast.a.id}_debt_ratio"] = "65%"
    response = client.post("/alerts/targets/", data, follow=True)
    assert response.status_code == 200
    saved = dict(Target.objects.filter(enterprise=cast.a).values_list("indicator", "value"))
    assert saved == {"total_profit": 400, "debt_ratio": pytest.approx(0.65)}
    text = response.content.decode()
    assert "2 new, 0 changed, 0 removed" in text and "2026-06 … 2026-07 were recomputed" in text
    # A's 100 of 400 with 7/12 of the year gone: behind, and the rule reading targets fired.
    assert "25.00% of the target with 58.33% of the year gone" in text
    assert Alert.objects.filter(enterprise=cast.a, rule="profit_behind_time").exists()


def test_a_bad_target_saves_nothing(raised, cast, login):
    client = login(cast.analyst)
    form = client.get("/alerts/targets/?year=2026").context["form"]
    data = {"supervisor": cast.ln.id, "year": 2026, **{name: "" for name in form.fields}}
    data[f"t_{cast.a.id}_total_profit"] = "400"
    data[f"t_{cast.b.id}_roe"] = "a lot"
    response = client.post("/alerts/targets/", data)
    assert response.status_code == 400
    assert response.context["form"].errors[f"t_{cast.b.id}_roe"]
    assert not Target.objects.exists()


def test_targets_are_read_only_for_readers_and_hidden_from_others(raised, cast, login):
    Target.objects.create(
        supervisor=cast.ln, enterprise=cast.b, year=2026, indicator="total_profit", value=9
    )
    reporter = login(cast.reporter).get("/alerts/targets/?year=2026")
    assert reporter.status_code == 200 and reporter.context["form"] is None
    assert [row.enterprise.id for row in reporter.context["grid"].rows] == [cast.a.id]
    post = {"supervisor": cast.ln.id, "year": 2026, f"t_{cast.a.id}_total_profit": "1"}
    assert login(cast.reporter).post("/alerts/targets/", post).status_code == 403
    assert login(cast.leader).post("/alerts/targets/", post).status_code == 403
    assert login(cast.dl_analyst).get(f"/alerts/targets/?supervisor={cast.ln.id}").status_code == (
        404
    )
    assert login(cast.dl_analyst).post("/alerts/targets/", post).status_code == 404
    assert not Target.objects.filter(enterprise=cast.a).exists()
    dalian = login(cast.analyst).get(f"/alerts/targets/?supervisor={cast.dl.id}&year=2026")
    assert dalian.status_code == 200 and dalian.context["form"] is None  # reads Dalian's


def upload(rows, name="targets.xlsx", header=None):
    book = Workbook()
    sheet = book.active
    sheet.title = "目标 Targets 2026"
    sheet.append(
        header
        or [
            "统一社会信用代码 Identifier",
            "企业名称 Enterprise",
            "年度 Year",
            "利润总额 [total_profit] (万元)",
            "资产负债率 [debt_ratio] (%)",
        ]
    )
    for row in rows:
        sheet.append(row)
    stream = io.BytesIO()
    book.save(stream)
    return SimpleUploadedFile(name, stream.getvalue())


def test_a_bad_file_says_every_problem_and_writes_nothing(raised, cast, login, english):
    rows = [
        [cast.a.uscc, "A", 2026, 400, "62%"],
        [cast.d.uscc, "D", 2026, 100, 50],  # Dalian's group
        [cast.b.uscc, "B", 2025, "lots", 70],
        ["91000000000000000X", "?", 2026, 1, 1],
    ]
    response = login(cast.analyst).post(
        "/alerts/targets/import/",
        {"supervisor": cast.ln.id, "year": 2026, "file": upload(rows)},
    )
    assert response.status_code == 400
    problems = {(p.row, p.column[:1]): p for p in response.context["problems"]}
    assert set(problems) == {(3, "A"), (4, "C"), (4, "D"), (5, "A")}
    assert "Not a group of Liaoning SASAC in 2026" in problems[(3, "A")].reason
    assert "write 2026 here" in problems[(4, "C")].reason
    assert "accepted: a number in 10k yuan" in problems[(4, "D")].reason
    assert all(p.sheet == "目标 Targets 2026" for p in problems.values())
    text = response.content.decode()
    assert "4 problems in the file; nothing was saved." in text
    assert not Target.objects.exists()


def test_a_file_with_unknown_columns_is_refused_whole(raised, cast, login, english):
    header = ["Identifier", "Year", "Profit please"]
    response = login(cast.analyst).post(
        "/alerts/targets/import/",
        {
            "supervisor": cast.ln.id,
            "year": 2026,
            "file": upload([[cast.a.uscc, 2026, 1]], header=header),
        },
    )
    reasons = " ".join(p.reason for p in response.context["problems"])
    assert "Unknown column" in reasons and "[total_profit]" in reasons
    assert "No indicator column" in reasons
    not_a_workbook = SimpleUploadedFile("targets.xlsx", b"just text")
    response = login(cast.analyst).post(
        "/alerts/targets/import/", {"supervisor": cast.ln.id, "year": 2026, "file": not_a_workbook}
    )
    assert response.status_code == 400
    assert "not an .xlsx workbook" in response.context["problems"][0].reason
    assert not Target.objects.exists()


def test_the_template_filled_in_imports(raised, cast, login, english):
    client = login(cast.analyst)
    Target.objects.create(
        supervisor=cast.ln, enterprise=cast.b, year=2026, indicator="roe", value=0.05
    )
    template = client.get(f"/alerts/targets/template/?supervisor={cast.ln.id}&year=2026")
    assert template.status_code == 200
    book = load_workbook(io.BytesIO(template.content))
    sheet = book.worksheets[0]
    header = [c.value for c in sheet[1]]
    assert header[:3] == ["统一社会信用代码 Identifier", "企业名称 Enterprise", "年度 Year"]
    assert "净资产收益率 [roe] (%)" in header
    rows = {row[0].value: row for row in sheet.iter_rows(min_row=2)}
    assert rows[cast.b.uscc][header.index("净资产收益率 [roe] (%)")].value == pytest.approx(5)
    rows[cast.a.uscc][header.index("利润总额 [total_profit] (万元)")].value = 400
    rows[cast.a.uscc][header.index("资产负债率 [debt_ratio] (%)")].value = 63.5
    stream = io.BytesIO()
    book.save(stream)
    response = client.post(
        "/alerts/targets/import/",
        {
            "supervisor": cast.ln.id,
            "year": 2026,
            "file": SimpleUploadedFile("filled.xlsx", stream.getvalue()),
        },
        follow=True,
    )
    assert response.status_code == 200
    assert "2 new, 0 changed, 0 removed" in response.content.decode()
    saved = dict(Target.objects.filter(supervisor=cast.ln).values_list("indicator", "value"))
    assert saved == {"total_profit": 400, "debt_ratio": pytest.approx(0.635), "roe": 0.05}
    assert AuditEvent.objects.filter(action="export", object_type="registry.supervisor").exists()


def test_only_the_supervisors_staff_import(raised, cast, login):
    file = upload([[cast.a.uscc, "A", 2026, 400, 62]])
    response = login(cast.leader).post(
        "/alerts/targets/import/", {"supervisor": cast.ln.id, "year": 2026, "file": file}
    )
    assert response.status_code == 403
    assert not Target.objects.exists()


# -- debt-ratio lines ---------------------------------------------------------------------------


def test_baselines_set_the_lines_of_the_groups(raised, cast, login, english):
    client = login(cast.analyst)
    data = {"supervisor": cast.ln.id, "year": 2026, "industry": "c", "baseline": "56"}
    response = client.post("/alerts/lines/baselines/", data, follow=True)
    assert response.status_code == 200
    baseline = IndustryBaseline.objects.get(supervisor=cast.ln, year=2026)
    assert (baseline.industry, baseline.baseline) == ("C", pytest.approx(0.56))
    groups = {row.enterprise.id: row for row in response.context["view"].groups}
    assert groups[cast.a.id].lines == pytest.approx((0.61, 0.66))  # C31: manufacturing
    assert groups[cast.b.id].lines is None  # G55: no baseline for transport
    assert groups[cast.a.id].state == "below"  # 60% debt ratio
    assert "61.00%" in response.content.decode()
    delete = reverse("alerts:baseline_delete", args=[baseline.id])
    assert login(cast.dl_analyst).post(delete).status_code == 404
    assert login(cast.leader).post(delete).status_code == 403
    assert login(cast.analyst).post(delete).status_code == 302
    assert not IndustryBaseline.objects.exists()


def test_a_bad_baseline_is_refused_field_by_field(raised, cast, login, english):
    data = {"supervisor": cast.ln.id, "year": 2026, "industry": "Z9", "baseline": "150"}
    response = login(cast.analyst).post("/alerts/lines/baselines/", data)
    assert response.status_code == 400
    errors = response.context["baseline_form"].errors
    assert "above 0% and below 100%" in errors["baseline"][0]
    data["baseline"] = "56"
    response = login(cast.analyst).post("/alerts/lines/baselines/", data)
    assert "GB/T 4754 section" in response.context["baseline_form"].errors["industry"][0]
    assert not IndustryBaseline.objects.exists()


def test_the_method_is_changed_by_the_supervisors_staff_only(raised, cast, login):
    data = {"supervisor": cast.ln.id, "year": 2026, "method": "sasac_fixed"}
    assert login(cast.reporter).post("/alerts/lines/method/", data).status_code == 403
    assert login(cast.dl_analyst).post("/alerts/lines/method/", data).status_code == 404
    assert not DebtLinePolicy.objects.exists()
    response = login(cast.analyst).post("/alerts/lines/method/", data, follow=True)
    assert DebtLinePolicy.objects.get(supervisor=cast.ln).method == "sasac_fixed"
    groups = {row.enterprise.id: row for row in response.context["view"].groups}
    assert groups[cast.b.id].lines == (0.70, 0.75)  # non-industrial under the fixed lines
    page = login(cast.reporter).get("/alerts/lines/").content.decode()
    assert reverse("alerts:lines_method") not in page  # readers see no form


# -- rules, back-tests and switches -------------------------------------------------------------


def test_back_test_then_switch_on(raised, cast, login, english):
    client = login(cast.analyst)
    switch = {"supervisor": cast.ln.id, "rule": "net_loss_ytd"}
    client.post("/alerts/rules/switch/", {**switch, "enabled": "off"})
    assert not AlertRuleSwitch.objects.get(supervisor=cast.ln, rule="net_loss_ytd").enabled
    refused = client.post("/alerts/rules/switch/", {**switch, "enabled": "on"}, follow=True)
    assert "before switching it on" in refused.content.decode()
    assert not AlertRuleSwitch.objects.get(supervisor=cast.ln, rule="net_loss_ytd").enabled
    tested = client.post(
        "/alerts/rules/backtest/",
        {**switch, "period_from": JUNE, "period_to": JULY},
        follow=True,
    )
    shown = tested.context["backtest"]
    expected = services.backtest(
        rule=rule_by_code("net_loss_ytd"),
        periods=[Period.parse(JUNE), Period.parse(JULY)],
        supervisor_id=cast.ln.id,
    )
    assert shown["raised"] == expected["raised"] == 2
    assert shown["chart"] == {
        "periods": [JUNE, JULY],
        "counts": [1, 1],
        "title": "Alerts raised per period",
    }
    assert sorted(shown["enterprise_rows"]) == [(cast.b.name_en, 1), (cast.a.name_en, 1)]
    assert 'id="backtest-data"' in tested.content.decode()
    client.post("/alerts/rules/switch/", {**switch, "enabled": "on"})
    stored = AlertRuleSwitch.objects.get(supervisor=cast.ln, rule="net_loss_ytd")
    assert stored.enabled and stored.backtest["raised"] == 2
    assert stored.backtest["by_period"] == {JUNE: 1, JULY: 1}


def test_a_back_test_range_is_checked(raised, cast, login):
    data = {"supervisor": cast.ln.id, "rule": "net_loss_ytd"}
    response = login(cast.analyst).post(
        "/alerts/rules/backtest/", {**data, "period_from": JULY, "period_to": JUNE}
    )
    assert response.status_code == 400
    assert response.context["backtest_form"].errors["period_to"]


def test_who_may_back_test_and_switch(raised, cast, login):
    data = {"supervisor": cast.ln.id, "rule": "net_loss_ytd"}
    backtest = {**data, "period_from": JUNE, "period_to": JULY}
    assert login(cast.reporter).post("/alerts/rules/backtest/", backtest).status_code == 403
    assert login(cast.dl_analyst).post("/alerts/rules/backtest/", backtest).status_code == 404
    off = {**data, "enabled": "off"}
    assert login(cast.reporter).post("/alerts/rules/switch/", off).status_code == 403
    assert login(cast.dl_analyst).post("/alerts/rules/switch/", off).status_code == 404
    dalian = {"supervisor": cast.dl.id, "rule": "net_loss_ytd", "enabled": "off"}
    assert login(cast.analyst).post("/alerts/rules/switch/", dalian).status_code == 403
    assert not AlertRuleSwitch.objects.exists()
    page = login(cast.reporter).get("/alerts/rules/")
    assert page.status_code == 200 and not page.context["can_backtest"]
    assert reverse("alerts:rule_switch") not in page.content.decode()
    # Liaoning back-tests Dalian's portfolio (it reads it) but does not switch its rules.
    tested = login(cast.analyst).post(
        "/alerts/rules/backtest/", {**backtest, "supervisor": cast.dl.id}, follow=True
    )
    assert tested.context["backtest"]["raised"] == 1
    assert not tested.context["manage"]


# -- stress tests ------------------------------------------------------------------------------


def test_the_stress_page_shows_the_numbers_of_the_stress_test(raised, cast, fast_report, login):
    IndustryBaseline.objects.create(supervisor=cast.ln, year=2026, industry="C", baseline=0.56)
    client = login(cast.analyst)
    response = client.get(f"/alerts/stress/?scenario=severe&period={JULY}")
    assert response.status_code == 200
    scenario = Scenario(
        "severe", "严重冲击", "Severe shock", revenue=-0.15, operating_cost=0.05, interest_bp=200
    )
    expected = stress_test(cast.analyst, fast_report, scenario, Period.parse(JULY))
    shown = response.context["result"]
    assert shown.enterprises == expected.enterprises == 3
    counts = dict(response.context["counts"])
    assert list(counts.values()) == [
        expected.count(flag)
        for flag in ("turns_loss", "crosses_warning", "crosses_key", "rating_worse")
    ]
    assert expected.count("crosses_warning") == 1  # A: 60% across its 61% line
    table = response.context["table"]
    assert [row[0].text for row in table.rows] == [o.name for o in expected.outcomes]
    assert [row[2].value for row in table.rows] == pytest.approx(
        [o.net_profit[1] for o in expected.outcomes]
    )
    reporter = login(cast.reporter).get(f"/alerts/stress/?scenario=severe&period={JULY}")
    assert reporter.context["result"].enterprises == 1  # group A only


def test_custom_shocks_and_the_export(raised, cast, login):
    client = login(cast.analyst)
    query = "scenario=custom&period=2026-07&revenue=-50&operating_cost=0&tax_rate=25"
    response = client.get(f"/alerts/stress/?{query}&supervisor={cast.dl.id}")
    assert response.context["result"].enterprises == 1  # Dalian's group only
    assert response.context["result"].scenario.revenue == -0.5
    bad = client.get("/alerts/stress/?scenario=custom&period=2026-07&revenue=-300")
    assert bad.status_code == 400 and bad.context["result"] is None
    assert bad.context["form"].errors["revenue"]
    workbook = client.get(f"/alerts/stress/?{query}&format=xlsx")
    assert workbook.status_code == 200
    sheet = load_workbook(io.BytesIO(workbook.content)).active
    names = [row[0] for row in sheet.iter_rows(values_only=True)]
    assert cast.a.name_zh in names and cast.d.name_zh in names
    event = AuditEvent.objects.get(action="export")
    assert event.after["event"] == "alerts_export" and event.after["table"].startswith("stress")


def test_the_board_reads_in_a_fixed_number_of_queries(raised, cast, fast_report, login):
    client = login(cast.analyst)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/alerts/").status_code == 200
        return len(captured)

    few = queries()
    for enterprise in (cast.a1, cast.a11, cast.a2, cast.b1):
        put_report(fast_report, enterprise, JULY, **LOSS)
    services.compute(periods=[Period.parse(JULY)])
    assert Alert.objects.filter(rule="net_loss_ytd").count() == 7
    assert queries() == few
