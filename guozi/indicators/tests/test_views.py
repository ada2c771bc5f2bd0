"""The indicator pages: who sees which figures, the data-status switch, missing and undefined
figures shown as such, rankings, the health check, one enterprise over time, explanations."""

import pytest
from django.conf import settings
from django.urls import reverse

from guozi.indicators import services
from guozi.indicators.models import ComputeRun
from guozi.indicators.presenters import Table
from guozi.lib.periods import Period
from guozi.reporting.models import ReportScope, State, Submission

from .conftest import put_report

JULY, JUNE = "2026-07", "2026-06"
STANDALONE = ReportScope.STANDALONE


def compute_figures(cast, form):
    """July for the whole cast (B awaiting approval; A11 with no revenue, A2 without R&D and
    with negative equity), June for group A only (both scopes); computed."""
    put_report(form, cast.a, JULY, scale=3)
    put_report(form, cast.a, JULY, scope=STANDALONE, scale=1)
    put_report(form, cast.a1, JULY, scale=1.5)
    put_report(form, cast.a1, JULY, scope=STANDALONE, scale=0.5)
    put_report(form, cast.a11, JULY, **{"operating_revenue.current": "0"})
    put_report(
        form,
        cast.a2,
        JULY,
        scale=0.5,
        **{"rd_expenditure.current": None, "owners_equity.current": "-10"},
    )
    put_report(form, cast.b, JULY, scale=2, state=State.SUBMITTED)
    put_report(form, cast.b, JULY, scope=STANDALONE, state=State.SUBMITTED)
    put_report(form, cast.b1, JULY)
    put_report(form, cast.d, JULY)
    put_report(form, cast.a, JUNE, scale=2.5)
    put_report(form, cast.a, JUNE, scope=STANDALONE, scale=0.9)
    services.compute(periods=[Period.parse(JUNE), Period.parse(JULY)])
    return form


def in_english(client):
    """Pages in English, so that texts can be compared."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.fixture
def computed(cast, fast_report):
    return compute_figures(cast, fast_report)


@pytest.fixture
def english(client):
    return in_english(client)


def table_rows(table: Table, header: str) -> dict[str, object]:
    """The first column's text → the workbook value of the named column."""
    return {
        row[0].text: cell.value for row, cell in zip(table.rows, table.column(header), strict=True)
    }


PAGES = [
    "/indicators/",
    "/indicators/rankings/?code=roe",
    "/indicators/health/",
    "/indicators/explain/?code=roe&enterprise=1",
]


@pytest.mark.parametrize("url", PAGES)
def test_anonymous_users_are_sent_to_sign_in(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_anonymous_users_are_sent_to_sign_in_from_an_enterprise_page(client, cast):
    response = client.get(f"/indicators/enterprise/{cast.a.id}/")
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


@pytest.mark.parametrize("url", PAGES)
def test_administrators_read_no_figures(computed, cast, login, url):
    assert login(cast.sysadmin).get(url).status_code == 403


def test_the_overview_shows_the_portfolio_with_the_assessed_set_first(computed, cast, login):
    page = login(cast.analyst).get("/indicators/?period=2026-07")
    assert page.status_code == 200
    table = page.context["page"].tables[0]
    names = [row[0].text for row in table.rows]
    # 2026 is assessed on 一利五率 (2025): total profit, debt ratio, ROE, R&D intensity,
    # labour productivity, cash collection ratio; then the others.
    assert names[:6] == ["利润总额", "资产负债率", "净资产收益率", "研发经费投入强度"] + [
        "全员劳动生产率",
        "营业收现率",
    ]
    assessed = [row[1].text for row in table.rows]
    assert all(assessed[:6]) and not any(assessed[6:])
    values = table_rows(table, "值")
    # Approved data only: group B's report awaits approval, so the portfolio is group A.
    assert values["利润总额"] == pytest.approx(300)
    assert values["资产负债率"] == pytest.approx(3600 / 6000)
    text = page.content.decode()
    assert "快报 · " in text and "2,528" not in text
    assert "300.00" in text and "+11.11%" in text  # 300 against the restated 270


def test_the_data_status_switch_adds_reports_awaiting_approval(computed, cast, login):
    client = login(cast.analyst)
    approved = client.get("/indicators/?period=2026-07&data_status=approved")
    submitted = client.get("/indicators/?period=2026-07&data_status=submitted")
    assert table_rows(approved.context["page"].tables[0], "值")["利润总额"] == 300
    assert table_rows(submitted.context["page"].tables[0], "值")["利润总额"] == 500
    assert "500.00" in submitted.content.decode()
    assert "500.00" not in approved.content.decode()


def test_the_basis_scope_and_data_are_said_with_every_figure(computed, cast, login, english):
    page = login(cast.analyst).get("/indicators/?period=2026-07&data_status=submitted")
    basis = {cell.text for cell in page.context["page"].tables[0].column("Basis and scope")}
    assert basis == {
        "Fast report · consolidated: the groups added up, lower supervisors not included · "
        "incl. submitted data"
    }


def test_an_enterprise_user_sees_their_own_enterprise_not_the_portfolio(computed, cast, login):
    page = login(cast.reporter).get("/indicators/?period=2026-07&data_status=submitted")
    assert page.status_code == 200
    tables = page.context["page"].tables
    assert [t.title for t in tables] == [cast.a.name]
    assert table_rows(tables[0], "值")["利润总额"] == 300  # A's own consolidated report
    assert "500.00" not in page.content.decode()
    assert page.context["choices"].supervisors == []


def test_missing_and_undefined_are_shown_as_such_never_as_zero(computed, cast, login, english):
    client = login(cast.analyst)
    page = client.get(f"/indicators/enterprise/{cast.a11.id}/")
    row = next(r for r in page.context["table"].rows if r[0].text == "R&D intensity")
    july = row[-1]
    assert july.text == "—" and july.title == "undefined: division by zero"
    assert july.value == "undefined: division by zero"
    page = client.get(f"/indicators/enterprise/{cast.a2.id}/")
    row = next(r for r in page.context["table"].rows if r[0].text == "R&D intensity")
    assert row[-1].text == "—" and row[-1].title == "missing"
    text = page.content.decode()
    assert 'title="missing"><span aria-label="missing">—</span>' in text
    chart = next(c for c in page.context["chart"]["charts"] if c["code"] == "rd_intensity")
    assert chart["points"] == [None] and chart["reasons"] == ["missing"]


def test_rankings_sort_in_the_indicators_direction_with_missing_last(computed, cast, login):
    client = login(cast.analyst)
    page = client.get("/indicators/rankings/?period=2026-07&code=total_profit&enterprises=all")
    rows = page.context["table"].rows
    ranked = [(row[0].value, row[1].text) for row in rows]
    assert ranked[:2] == [(1, cast.a.name), (2, cast.a1.name)]
    assert {name for _rank, name in ranked[2:4]} == {cast.a11.name, cast.b1.name}
    assert [rank for rank, _name in ranked[2:]] == [3, 3, 5]  # equal profits share a place
    assert cast.d.name not in [name for _rank, name in ranked]  # Dalian's, not Liaoning's
    assert cast.b.name not in [name for _rank, name in ranked]  # awaiting approval
    rd = client.get("/indicators/rankings/?period=2026-07&code=rd_intensity&enterprises=all")
    last = [(row[0].text, row[1].text, row[2].title) for row in rd.context["table"].rows[-2:]]
    assert {(rank, why) for rank, _name, why in last} == {
        ("", "未定义：除数为零"),
        ("", "缺失"),
    }


def test_rankings_of_groups_by_default_and_lower_is_better_for_the_debt_ratio(
    computed, cast, login
):
    page = login(cast.analyst).get("/indicators/rankings/?period=2026-07&code=debt_ratio")
    names = [row[1].text for row in page.context["table"].rows]
    assert names == [cast.a.name]  # the only approved group of Liaoning
    submitted = login(cast.analyst).get(
        "/indicators/rankings/?period=2026-07&code=hc_debtor_days&data_status=submitted"
    )
    values = [row[2].value for row in submitted.context["table"].rows]
    assert values == sorted(values)  # days: lower is better, so ascending


def test_rankings_of_roll_ups_only_for_supervisor_roles(computed, cast, login):
    page = login(cast.analyst).get("/indicators/rankings/?period=2026-07&code=roe&unit=industry")
    labels = [row[1].text for row in page.context["table"].rows]
    assert labels and all(label[0] in "CG" for label in labels)
    page = login(cast.reporter).get("/indicators/rankings/?period=2026-07&code=roe&unit=city")
    assert page.context["table"].rows == []
    assert [kind for kind, _label in page.context["units"]] == ["enterprise"]


def test_an_enterprise_user_ranks_only_their_subtree(computed, cast, login):
    page = login(cast.reporter).get(
        "/indicators/rankings/?period=2026-07&code=total_profit&data_status=submitted"
    )
    names = {row[1].text for row in page.context["table"].rows}
    assert names == {cast.a.name, cast.a1.name, cast.a11.name, cast.a2.name}


def test_rankings_page_through_htmx(computed, cast, login):
    response = login(cast.analyst).get(
        "/indicators/rankings/?period=2026-07&code=roe&enterprises=all&page=1",
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert [t.name for t in response.templates][0] == "indicators/_ranking_table.html"


def test_a_bad_choice_is_named_and_the_default_used(computed, cast, login):
    response = login(cast.analyst).get("/indicators/?period=2031-01&supervisor=nowhere")
    assert response.status_code == 200
    shown = [str(m) for m in response.context["messages"]]
    assert any("2031-01" in m for m in shown) and any("nowhere" in m for m in shown)
    assert response.context["choices"].period == JULY


def test_a_lower_supervisor_cannot_read_the_higher_ones_roll_ups(computed, cast, login):
    client = login(cast.dl_analyst)
    page = client.get(f"/indicators/?period=2026-07&supervisor={cast.ln.id}")
    assert page.context["choices"].supervisor == cast.dl
    assert page.context["page"].tables[0].title == cast.dl.name
    explain = client.get(
        f"/indicators/explain/?period=2026-07&code=roe&unit=portfolio&supervisor={cast.ln.id}"
    )
    assert explain.status_code == 404


def test_the_enterprise_page_over_time_with_both_scopes(computed, cast, login):
    client = login(cast.reporter)
    page = client.get(f"/indicators/enterprise/{cast.a.id}/")
    assert page.status_code == 200
    assert page.context["chart"]["periods"] == [JUNE, JULY]
    profit = next(c for c in page.context["chart"]["charts"] if c["code"] == "total_profit")
    assert profit["points"] == [250, 300]
    debt = next(c for c in page.context["chart"]["charts"] if c["code"] == "debt_ratio")
    assert debt["points"] == [60, 60]  # in percent on the chart
    text = page.content.decode()
    assert "vendor/echarts/echarts.min.js" in text and 'id="indicator-series"' in text
    standalone = client.get(f"/indicators/enterprise/{cast.a.id}/?scope=standalone")
    profit = next(c for c in standalone.context["chart"]["charts"] if c["code"] == "total_profit")
    assert profit["points"] == [90, 100]
    assert client.get(f"/indicators/enterprise/{cast.a.id}/?scope=group").status_code == 404


@pytest.mark.parametrize("username", ["reporter", "sub_reporter"])
def test_another_groups_enterprise_page_is_404_like_an_unknown_one(computed, cast, login, username):
    client = login(getattr(cast, username))
    assert client.get(f"/indicators/enterprise/{cast.b.id}/").status_code == 404
    assert client.get("/indicators/enterprise/999999/").status_code == 404


def test_the_sub_reporter_does_not_see_the_group_above(computed, cast, login):
    client = login(cast.sub_reporter)
    assert client.get(f"/indicators/enterprise/{cast.a1.id}/").status_code == 200
    assert client.get(f"/indicators/enterprise/{cast.a.id}/").status_code == 404


def test_the_health_matrix_bands_each_ratio_and_forces_band_5_with_its_reason(
    computed, cast, login, english
):
    page = login(cast.analyst).get("/indicators/health/?period=2026-07&enterprises=all")
    assert page.status_code == 200
    table = page.context["table"]
    rows = {row[0].text: row for row in table.rows}
    assert cast.ln.name in rows  # the portfolio roll-up first
    a2 = rows[cast.a2.name]
    roe = a2[table.headers.index("Return on equity (closing)")]
    assert "band-5" in roe.css and "forced" in roe.css
    assert roe.title == "band 5: Owners' equity is negative or zero"
    debt_to_assets = rows[cast.a.name][table.headers.index("Debt to assets")]
    assert debt_to_assets.value == pytest.approx(1800 / 6000)
    assert "band-1" in debt_to_assets.css  # 0.3 is on the first threshold: the better band
    rating = rows[cast.a.name][table.headers.index("Rating")]
    assert rating.text[0] in "12345" and "band-" in rating.css
    assert "Owners&#x27; equity is negative or zero" in page.content.decode()


def test_the_health_matrix_of_an_enterprise_user_has_no_portfolio_row(computed, cast, login):
    page = login(cast.reporter).get("/indicators/health/?period=2026-07&data_status=submitted")
    labels = [row[0].text for row in page.context["table"].rows]
    assert cast.ln.name not in labels
    assert set(labels) == {cast.a.name, cast.a1.name, cast.a11.name, cast.a2.name}


def test_explaining_an_enterprise_figure_links_each_input_to_its_report(
    computed, cast, login, english
):
    page = login(cast.reporter).get(
        f"/indicators/explain/?period=2026-07&code=roe&enterprise={cast.a.id}"
    )
    assert page.status_code == 200
    explanation = page.context["explanation"]
    assert explanation.numerator == pytest.approx(75 * 3 * 12 / 7)
    assert explanation.denominator == pytest.approx((750 + 800) * 3 / 2)
    report = Submission.objects.get(enterprise=cast.a, period=JULY, scope="consolidated")
    text = page.content.decode()
    assert reverse("reporting:submission", args=[report.id]) in text
    assert "annualized(net_profit)" in text and "Variant chosen" in text
    inputs = page.context["tables"][1]
    assert {cell.text for cell in inputs.column("Name in the formula")} == {
        "field:net_profit",
        "field:owners_equity",
        "field:owners_equity@opening",
    }


def test_explaining_needs_a_known_indicator_and_a_visible_enterprise(computed, cast, login):
    client = login(cast.reporter)
    base = "/indicators/explain/?period=2026-07"
    assert client.get(f"{base}&code=roe&enterprise={cast.b.id}").status_code == 404
    assert client.get(f"{base}&code=nonsense&enterprise={cast.a.id}").status_code == 404
    assert client.get(f"{base}&code=roe&enterprise=x").status_code == 404
    assert client.get(f"{base}&code=roe&unit=portfolio").status_code == 404
    assert client.get(f"{base}&code=roe&unit=city&unit_code=210100").status_code == 404


def test_explaining_a_roll_up_lists_the_contributing_enterprises(computed, cast, login):
    client = login(cast.analyst)
    url = "/indicators/explain/?period=2026-07&code=total_profit&unit=portfolio"
    page = client.get(url + "&data_status=submitted")
    assert page.status_code == 200
    shares = {c.name: c.share for c in page.context["contributions"]}
    assert shares == {cast.a.name: pytest.approx(0.6), cast.b.name: pytest.approx(0.4)}
    by_name = client.get(url + "&data_status=submitted&sort=name&order=asc")
    names = [c.name for c in by_name.context["contributions"]]
    assert names == sorted(names)
    partial = client.get(url + "&sort=value", headers={"HX-Request": "true"})
    assert [t.name for t in partial.templates][0] == "indicators/_contributions.html"


def test_a_city_roll_up_adds_up_standalone_reports(computed, cast, login):
    page = login(cast.analyst).get(
        "/indicators/explain/?period=2026-07&code=total_profit&unit=city&unit_code=210100"
    )
    assert page.status_code == 200
    members = {(c.name, c.scope) for c in page.context["contributions"]}
    assert members == {(cast.a.name, "standalone"), (cast.a1.name, "standalone")}


def test_the_page_says_when_nothing_is_computed(cast, fast_report, login):
    page = login(cast.analyst).get("/indicators/")
    assert page.status_code == 200
    assert page.context["choices"].period is None
    assert "guozi compute" in page.content.decode()


def test_stale_figures_are_flagged_with_when_they_were_computed(computed, cast, login, english):
    ComputeRun.objects.filter(period=JULY).update(stale=True)
    text = login(cast.analyst).get("/indicators/?period=2026-07").content.decode()
    assert "Computed at " in text
    assert "Stale:" in text
    fresh = login(cast.analyst).get("/indicators/?period=2026-06").content.decode()
    assert "Computed at " in fresh and "Stale:" not in fresh


def test_the_menu_links_the_indicators_for_portfolio_readers(computed, cast, login):
    assert 'href="/indicators/"' in login(cast.reporter).get("/jobs/").content.decode()
    assert 'href="/indicators/"' not in login(cast.sysadmin).get("/jobs/").content.decode()
