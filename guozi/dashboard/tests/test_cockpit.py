"""The cockpit: each card's numbers against hand-computed ones on the cast, filters narrowing
the cards, drill-down and breadcrumb, scoping, the table view, the exports, the big screen."""

import io
from datetime import UTC, datetime

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from guozi.audit.models import AuditEvent
from guozi.dashboard import cards
from guozi.indicators.models import Alert, AlertStatus, Severity
from guozi.indicators.tests.conftest import fast_report  # noqa: F401 (a fixture)
from guozi.indicators.tests.test_views import JULY, compute_figures, in_english
from guozi.lib.pdf import _lookup, configured_font

PAGE = "/dashboard/"
SHENYANG, YINGKOU, DALIAN = "210100", "210800", "210200"


@pytest.fixture
def computed(cast, fast_report):  # noqa: F811 (the fixture imported above)
    return compute_figures(cast, fast_report)


def card(client, key: str, query: str = "", status: int = 200) -> dict:
    response = client.get(f"/dashboard/cards/{key}/?{query}")
    assert response.status_code == status, response.content[:300]
    return response.json() if status == 200 else {}


def texts(data: dict, column: int = 0) -> list[str]:
    return [row[column]["text"] for row in data["table"]["rows"]]


def column(data: dict, header_start: str) -> dict[str, str]:
    index = next(i for i, h in enumerate(data["table"]["headers"]) if h.startswith(header_start))
    return {row[0]["text"]: row[index]["text"] for row in data["table"]["rows"]}


def shown(enterprise) -> str:
    """An enterprise's name on an English page."""
    return enterprise.name_en or enterprise.name_zh


def alert(cast, enterprise, severity, status=AlertStatus.OPEN, supervisor=None):
    now = datetime(2026, 8, 1, tzinfo=UTC)
    return Alert.objects.create(
        framework_code="sasac",
        rule="net_loss_ytd",
        supervisor=supervisor or cast.ln,
        enterprise=enterprise,
        severity=severity,
        status=status,
        first_period=JULY,
        last_period=JULY,
        message_zh="亏损",
        message_en="loss",
        raised_at=now,
        updated_at=now,
    )


# -- access -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url", [PAGE, "/dashboard/cards/figures/", "/dashboard/export/?format=xlsx"]
)
def test_anonymous_users_are_sent_to_sign_in(client, db, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_roles_without_portfolio_reads_are_refused(cast, computed, login):
    client = login(cast.sysadmin)
    assert client.get(PAGE).status_code == 403
    assert client.get("/dashboard/cards/figures/").status_code == 403


def test_unknown_card_and_format_are_not_found(cast, computed, login):
    client = login(cast.analyst)
    assert client.get("/dashboard/cards/nothing/").status_code == 404
    assert client.get("/dashboard/cards/figures/?format=csv").status_code == 404
    assert client.get("/dashboard/export/?format=docx").status_code == 404


def test_an_outsider_gets_nothing_of_other_enterprises(cast, computed, login):
    client = login(cast.outsider)
    for key in ("figures", "units", "trend"):
        card(client, key, f"group={cast.a.id}", status=404)
        card(client, key, f"node={cast.a1.id}", status=404)
    assert client.get(f"{PAGE}?node={cast.a.id}").status_code == 404
    assert client.get(f"/dashboard/export/?node={cast.a.id}&format=xlsx").status_code == 404
    # its own group: B's figures are submitted, not approved; with submitted data, B's.
    data = card(in_english(client), "figures", "data_status=submitted")
    assert column(data, "Value")["Total profit"] == "200.00"


def test_bad_node_ids_are_not_found(cast, computed, login):
    client = login(cast.analyst)
    card(client, "figures", "node=abc", status=404)
    card(client, "figures", "node=99999999", status=404)


def test_a_reporter_sees_only_its_subtree(cast, computed, login):
    client = in_english(login(cast.reporter))
    figures = card(client, "figures")
    assert column(figures, "Value")["Total profit"] == "300.00"  # A, consolidated
    cities = card(client, "cities")
    assert YINGKOU not in str(cities)  # B1's city: not A's
    assert "营口" not in texts(cities)
    units = card(client, "units")
    assert sorted(texts(units)) == sorted([shown(cast.a1), shown(cast.a2)])
    before = column(card(client, "alerts"), "Open")
    alert(cast, cast.b, Severity.CRITICAL)
    assert column(card(client, "alerts"), "Open") == before


# -- the numbers ---------------------------------------------------------------------------------


def test_figures_of_the_portfolio_and_of_a_group(cast, computed, login):
    client = in_english(login(cast.analyst))
    portfolio = card(client, "figures")
    values = column(portfolio, "Value")
    # ln's portfolio: the groups' consolidated reports, approved only: A (×3); B awaits approval.
    assert values["Total profit"] == "300.00"
    assert column(portfolio, "Year on year")["Total profit"] == "+11.11%"  # 300 / 270
    # The set in force is listed alone: revenue is not assessed.
    assert "Operating revenue" not in values
    submitted = card(client, "figures", "data_status=submitted")
    assert column(submitted, "Value")["Total profit"] == "500.00"  # A ×3 + B ×2
    group = card(client, "figures", f"group={cast.a1.id}")
    assert column(group, "Value")["Total profit"] == "150.00"  # A1 ×1.5


def test_figures_show_targets_and_progress(cast, computed, login):
    from guozi.indicators.models import Target

    Target.objects.create(
        supervisor=cast.ln, enterprise=cast.a, year=2026, indicator="total_profit", value=600
    )
    client = in_english(login(cast.analyst))
    data = card(client, "figures", f"group={cast.a.id}")
    assert column(data, "Target")["Total profit"] == "600.00"
    assert column(data, "Progress")["Total profit"] == "50.00%"  # 300 of 600 by July


def test_trend_reads_36_months(cast, computed, login):
    client = in_english(login(cast.analyst))
    data = card(client, "trend", f"group={cast.a.id}")
    revenue = column(data, "Operating revenue")
    assert list(revenue.values()) == ["2,875.00", "3,450.00"]  # June ×2.5, July ×3
    assert data["option"]["xAxis"]["data"] == ["2026-06", "2026-07"]
    portfolio = card(client, "trend")
    assert list(column(portfolio, "Operating revenue").values()) == ["2,875.00", "3,450.00"]


def test_by_city_from_rollups_and_from_standalone_reports(cast, computed, login):
    client = in_english(login(cast.analyst))
    data = card(client, "cities")
    revenue = column(data, "Operating revenue")
    # Standalone reports: A 1150 + A1 575 in Shenyang; A11 0 in Anshan; A2 575; B1 1150.
    assert revenue["沈阳市"] == "1,725.00"
    assert revenue["营口市"] == "1,150.00"
    assert revenue["鞍山市"] == "0.00"
    # Narrowed by industry C (all of group A): the sums come from the enterprises' reports.
    narrowed = column(card(client, "cities", "industry=C"), "Operating revenue")
    assert narrowed["沈阳市"] == "1,725.00"
    assert "营口市" not in narrowed
    assert (
        column(card(client, "industries"), "Operating revenue")["C 制造业"] == "2,300.00"
    )  # 1150 + 575 + 0 + 575
    classes = card(client, "classes")
    assert sum(int(v) for v in column(classes, "Reports").values()) == 5


def test_filters_narrow_every_card(cast, computed, login):
    alert(cast, cast.a1, Severity.CRITICAL)
    alert(cast, cast.b1, Severity.WARNING)
    client = in_english(login(cast.analyst))
    query = f"city={YINGKOU}"
    assert column(card(client, "figures", query), "Value")["Total profit"] == "100.00"
    assert texts(card(client, "cities", query)) == ["营口市"]
    assert texts(card(client, "units", query)) == []  # no group is in Yingkou
    assert texts(card(client, "ranking", query), 1) == [shown(cast.b1)]
    alerts = card(client, "alerts", query)
    assert column(alerts, "Open")["Critical"] == "0"
    reporting = card(client, "reporting", query)
    assert column(reporting, "Count")["Expected"] == "1"  # B1 only
    for key in cards.CARDS:
        for narrowing in (query, "industry=G", f"group={cast.b.id}", f"node={cast.b1.id}"):
            assert card(client, key, narrowing)["key"] == key


def test_bad_filters_are_dropped_with_a_warning(cast, computed, login):
    client = in_english(login(cast.analyst))
    data = card(client, "figures", "city=x1&industry=ZZ&class=abc&period=1999-01")
    assert column(data, "Value")["Total profit"] == "300.00"
    page = client.get(f"{PAGE}?city=x1")
    assert "is not a city code" in page.content.decode()


def test_rankings_top_and_bottom(cast, computed, login):
    client = in_english(login(cast.analyst))
    groups = card(client, "ranking", "data_status=submitted")
    assert texts(groups, 1) == [shown(cast.a), shown(cast.b)]  # profit 300 > 200
    narrowed = card(client, "ranking", "industry=C&code=operating_revenue")
    assert texts(narrowed, 1)[0] == shown(cast.a)
    assert texts(narrowed, 1)[-1] == shown(cast.a11)  # revenue 0
    assert narrowed["option"]["series"][0]["name"] == "Operating revenue"


def test_alerts_by_severity(cast, computed, login):
    client = in_english(login(cast.analyst))
    before = {k: int(v) for k, v in column(card(client, "alerts"), "Open").items()}
    alert(cast, cast.a1, Severity.CRITICAL)
    alert(cast, cast.a1, Severity.CRITICAL, AlertStatus.ACKNOWLEDGED)
    alert(cast, cast.b, Severity.WARNING)
    alert(cast, cast.a, Severity.WARNING, AlertStatus.CLEARED)
    alert(cast, cast.d, Severity.INFO, supervisor=cast.dl)
    data = card(client, "alerts")
    after = {k: int(v) for k, v in column(data, "Open").items()}
    # the computation raised its own alerts; these add one open critical and one open warning
    assert {k: after[k] - before[k] for k in after} == {"Critical": 1, "Warning": 1, "Notice": 0}
    assert column(data, "Acknowledged")["Critical"] == "1"
    assert data["option"]["series"][0]["data"] == list(after.values())


def test_health_counts_the_groups(cast, computed, login):
    client = in_english(login(cast.analyst))
    data = card(client, "health")
    assert sum(int(v) for v in column(data, "Enterprises").values()) == 1  # A; B unapproved
    narrowed = card(client, "health", "industry=C")
    assert sum(int(v) for v in column(narrowed, "Enterprises").values()) == 4


def test_reporting_completeness(cast, computed, login):
    client = in_english(login(cast.analyst))
    counts = column(card(client, "reporting"), "Count")
    # ln: A, A1, B with both scopes, A11, A2, B1 with one: 9 expected; B's two submitted.
    assert counts["Expected"] == "9"
    assert counts["Approved"] == "7"
    assert counts["Submitted, awaiting approval"] == "2"
    assert counts["Missing"] == "0"


def test_reform_and_safety_cards_answer_empty(cast, computed, login):
    client = in_english(login(cast.analyst))
    for key in ("reform", "reform_curve"):
        assert card(client, key)["table"]["rows"] == []
    safety = card(client, "safety")
    assert all(v == "0" for v in column(safety, "Incidents").values())


def test_the_chart_draws_the_numbers_of_the_table(cast, computed, login):
    client = in_english(login(cast.analyst))
    data = card(client, "cities")
    series = data["option"]["series"][0]["data"]
    table = [float(v.replace(",", "")) for v in column(data, "Operating revenue").values()]
    assert series == table
    assert data["option"]["color"][0] == "#0072B2"  # Okabe–Ito


# -- drill-down ----------------------------------------------------------------------------------


def test_drill_down_from_portfolio_to_reported_cells(cast, computed, login):
    client = in_english(login(cast.analyst))
    portfolio = card(client, "units")
    links = {row[0]["text"]: row[-1]["link"] for row in portfolio["table"]["rows"]}
    assert f"group={cast.a.id}" in links[shown(cast.a)]
    assert portfolio["table"]["rows"][0][0]["link"] == reverse(
        "profile:enterprise", args=[cast.a.id]
    )
    group = card(client, "units", f"group={cast.a.id}&city={SHENYANG}")
    assert texts(group) == [shown(cast.a1)]  # A2 is in another city
    drill = group["table"]["rows"][0][-1]["link"]
    assert f"node={cast.a1.id}" in drill and f"city={SHENYANG}" in drill
    leaf = card(client, "units", f"group={cast.a.id}&node={cast.a11.id}")
    assert leaf["title"] == "Reported cells"
    assert leaf["table"]["rows"][0][0]["link"].startswith("/reporting/submissions/")
    figures = card(client, "figures", f"node={cast.a11.id}")
    assert figures["table"]["rows"][0][1]["link"].startswith(reverse("indicators:explain"))


def test_breadcrumb_keeps_the_filters(cast, computed, login):
    client = login(cast.analyst)
    response = client.get(f"{PAGE}?group={cast.a.id}&node={cast.a11.id}&industry=C")
    crumbs = response.context["crumbs"]
    assert [label for label, _q in crumbs] == [
        cast.ln.name,
        cast.a.name,
        cast.a1.name,
        cast.a11.name,
    ]
    assert all("industry=C" in query for _label, query in crumbs)
    assert f"node={cast.a1.id}" in crumbs[2][1]
    assert "node" not in crumbs[1][1]


def test_a_reporters_breadcrumb_starts_at_its_own_enterprise(cast, computed, login):
    client = login(cast.sub_reporter)
    response = client.get(f"{PAGE}?node={cast.a11.id}")
    assert [label for label, _q in response.context["crumbs"]] == [cast.a1.name, cast.a11.name]


# -- table view, big screen, exports -----------------------------------------------------------


def test_table_view_shows_the_card_numbers(cast, computed, login):
    client = in_english(login(cast.analyst))
    response = client.get("/dashboard/cards/cities/?format=table")
    assert response.status_code == 200
    body = response.content.decode()
    assert "1,725.00" in body and "沈阳市" in body


def test_page_renders_a_placeholder_per_card_and_keeps_the_state(cast, computed, login):
    client = login(cast.analyst)
    response = client.get(f"{PAGE}?city={SHENYANG}")
    body = response.content.decode()
    for key in cards.CARDS:
        assert f'data-card="{key}"' in body
    assert f"city={SHENYANG}" in response.context["query"]
    assert "echarts.min.js" in body


def test_big_screen_mode_renders(cast, computed, login):
    client = login(cast.analyst)
    body = client.get(f"{PAGE}?screen=wall").content.decode()
    assert 'class="cockpit wall"' in body
    assert 'data-refresh="300"' in body
    assert "screen=wall" in client.get(PAGE).content.decode()  # the link to it
    assert 'class="cockpit"' in client.get(PAGE).content.decode()


def test_xlsx_export_has_a_sheet_per_card_and_a_watermark(cast, computed, login):
    client = in_english(login(cast.analyst))
    response = client.get(f"/dashboard/export/?city={SHENYANG}&format=xlsx")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.content))
    assert len(book.worksheets) == len(cards.CARDS)
    for sheet in book.worksheets:
        assert "analyst" in sheet.oddFooter.left.text
        assert sheet.cell(1, 1).value.startswith("Exported by analyst at ")
    event = AuditEvent.objects.get(action="export")
    assert event.after["event"] == "cockpit_export"
    assert event.after["query"]["city"] == SHENYANG


def test_xlsx_export_is_scoped(cast, computed, login):
    client = in_english(login(cast.reporter))
    book = load_workbook(io.BytesIO(client.get("/dashboard/export/?format=xlsx").content))
    everything = " ".join(
        str(cell.value) for sheet in book.worksheets for row in sheet.iter_rows() for cell in row
    )
    assert cast.a1.name_zh in everything
    assert cast.b.name_zh not in everything and cast.b1.name_zh not in everything


def test_pdf_export(cast, computed, login):
    client = in_english(login(cast.analyst))
    response = client.get("/dashboard/export/?format=pdf")
    if _lookup(configured_font()) is None:
        assert response.status_code == 503
        assert "fonts-noto-cjk" in response.content.decode()
        return
    assert response.status_code == 200
    assert response.content.startswith(b"%PDF")
    assert AuditEvent.objects.filter(action="export", after__format="pdf").exists()
