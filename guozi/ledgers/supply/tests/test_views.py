"""The supply-chain pages: list, filters, portfolio, enterprise, forms, panel; scoped."""

import pytest
from django.urls import reverse

from guozi.ledgers.models import EventAction, ItemEvent, Register, TrackedItem
from guozi.ledgers.supply.models import SupplyInput

from .conftest import ORE_MINER, open_input

COKE_SOURCES = [
    {"supplier": "山西焦煤集团有限责任公司", "country": "CN", "share": "70"},
    {"supplier": "Mongolia Coking Coal LLC", "country": "MN", "share": "30"},
]


@pytest.fixture
def inputs(cast):
    """Iron ore of A1, coking coal of A2 (both steel), and bearings of B1 (port)."""
    ore = open_input(cast)
    coke = open_input(cast, owner=cast.a2, name="焦煤", domestic_alternative=True,
                      sources=COKE_SOURCES)  # fmt: skip
    bearings = open_input(
        cast,
        owner=cast.b1,
        name="岸桥轴承",
        category="key_component",
        sources=[
            {"supplier": "鞍山恒达矿业有限公司", "uscc": ORE_MINER, "country": "CN", "share": "100"}
        ],  # fmt: skip
    )
    return ore, coke, bearings


def test_the_list_shows_the_users_inputs_only(cast, login, inputs):
    page = login(cast.sub_reporter).get(reverse("supply:list"))
    assert page.status_code == 200
    text = page.content.decode()
    assert "铁矿石" in text
    assert "岸桥轴承" not in text  # port group B
    assert "焦煤" not in text  # A2 is not under A1


def test_the_supervisor_sees_every_input(cast, login, inputs):
    text = login(cast.analyst).get(reverse("supply:list")).content.decode()
    for name in ("铁矿石", "焦煤", "岸桥轴承"):
        assert name in text


@pytest.mark.parametrize(
    ("query", "shown", "hidden"),
    [
        ("category=key_component", ["岸桥轴承"], ["铁矿石", "焦煤"]),
        ("flag=import_dependent", ["铁矿石"], ["焦煤", "岸桥轴承"]),
        ("flag=single_source", ["岸桥轴承"], ["铁矿石", "焦煤"]),
        ("flag=no_domestic_alternative", ["铁矿石", "岸桥轴承"], ["焦煤"]),
        ("band=high", ["铁矿石", "岸桥轴承", "焦煤"], []),
        ("band=moderate", [], ["铁矿石"]),
        ("q=辽钢矿业", ["焦煤"], ["铁矿石", "岸桥轴承"]),
        ("q=Mongolia", ["焦煤"], ["铁矿石"]),
        ("status=cancelled", [], ["铁矿石"]),
    ],
)
def test_the_list_filters(cast, login, inputs, query, shown, hidden):
    text = login(cast.analyst).get(reverse("supply:list") + "?" + query).content.decode()
    for name in shown:
        assert name in text, name
    for name in hidden:
        assert name not in text, name


def test_the_list_filters_by_enterprise_with_its_subsidiaries(cast, login, inputs):
    client = login(cast.analyst)
    alone = client.get(reverse("supply:list"), {"owner": cast.a.id}).content.decode()
    assert "铁矿石" not in alone
    subtree = client.get(reverse("supply:list"), {"owner": cast.a.id, "subtree": "on"})
    assert "铁矿石" in subtree.content.decode() and "焦煤" in subtree.content.decode()


def test_the_list_answers_htmx_with_the_table_only(cast, login, inputs):
    page = login(cast.analyst).get(reverse("supply:list"), HTTP_HX_REQUEST="true")
    assert b"<html" not in page.content
    assert "铁矿石" in page.content.decode()


def test_the_list_pages_by_fifty(cast, login):
    for number in range(52):
        open_input(cast, name=f"备件{number:02d}", sources=[])
    client = login(cast.analyst)
    first = client.get(reverse("supply:list")).content.decode()
    assert "备件00" in first and "备件51" not in first
    second = client.get(reverse("supply:list"), {"page": 2}).content.decode()
    assert "备件51" in second


def test_a_bad_filter_is_shown_not_obeyed(cast, login, inputs):
    page = login(cast.analyst).get(reverse("supply:list"), {"band": "extreme"})
    assert page.status_code == 200
    assert "焦煤" in page.content.decode()
    assert 'class="error"' in page.content.decode()


def test_the_item_page_shows_the_panel_with_suppliers_and_hhi(cast, login, inputs):
    ore = inputs[0]
    page = login(cast.sub_reporter).get(reverse("ledgers:item", args=[ore.item_id]))
    text = page.content.decode()
    assert page.status_code == 200
    assert 'id="supply"' in text
    assert "Pilbara Iron Ore Pty Ltd" in text
    assert "4050" in text
    assert "185,000 万元" in text
    assert reverse("supply:edit", args=[ore.item_id]) in text


def test_the_panel_offers_no_change_to_who_may_not_change(cast, login, inputs):
    ore = inputs[0]
    text = login(cast.leader).get(reverse("ledgers:item", args=[ore.item_id])).content.decode()
    assert "Pilbara Iron Ore Pty Ltd" in text
    assert reverse("supply:edit", args=[ore.item_id]) not in text


def edit_data(supply_input, rows, **fields):
    data = {
        "name": supply_input.name,
        "category": supply_input.category,
        "criticality": supply_input.criticality,
        "domestic_alternative": "yes" if supply_input.domestic_alternative else "no",
        "annual_spend": "185000",
        "annual_volume": "320",
        "volume_unit": "万吨",
        "sources-TOTAL_FORMS": str(len(rows) + 1),
        "sources-INITIAL_FORMS": "0",
        "sources-MIN_NUM_FORMS": "0",
        "sources-MAX_NUM_FORMS": "50",
    }
    for number, row in enumerate(rows):
        for key, value in row.items():
            data[f"sources-{number}-{key}"] = value
    data.update(fields)
    return data


def test_a_reporter_changes_the_suppliers_and_the_history_says_so(cast, login, inputs):
    ore = inputs[0]
    rows = [
        {"supplier": "鞍山恒达矿业有限公司", "uscc": ORE_MINER, "country": "cn", "share": "60"},
        {"supplier": "Pilbara Iron Ore Pty Ltd", "country": "AU", "share": "40"},
    ]
    client = login(cast.sub_reporter)
    answer = client.post(
        reverse("supply:edit", args=[ore.item_id]), edit_data(ore, rows, reason="国内长协")
    )
    assert answer.status_code == 302
    stored = SupplyInput.objects.get(id=ore.id)
    assert stored.import_share == 40
    assert stored.hhi == 5200
    event = ItemEvent.objects.filter(item=ore.item).latest("id")
    assert (event.action, event.actor, event.reason) == (
        EventAction.EDITED,
        cast.sub_reporter,
        "国内长协",
    )
    again = client.post(reverse("supply:edit", args=[ore.item_id]), edit_data(stored, rows))
    assert again.status_code == 302
    last = ItemEvent.objects.filter(item=ore.item).latest("id")
    assert last.id == event.id, (last.before, last.after)  # no change


def test_the_form_shows_each_problem_at_its_row_and_keeps_the_suppliers(cast, login, inputs):
    ore = inputs[0]
    rows = [
        {"supplier": "鞍山恒达矿业有限公司", "uscc": "91210300G0000001X", "country": "CN",
         "share": "60"},
        {"supplier": "Pilbara Iron Ore Pty Ltd", "country": "AUS", "share": "50"},
    ]  # fmt: skip
    answer = login(cast.sub_reporter).post(
        reverse("supply:edit", args=[ore.item_id]), edit_data(ore, rows)
    )
    assert answer.status_code == 400
    text = answer.content.decode()
    assert text.count("AUS 不是 ISO 3166") == 1  # on its row, not repeated above the form
    assert "110" in text  # the shares' total
    assert SupplyInput.objects.get(id=ore.id).sources.count() == 3


def test_an_outsider_gets_404_and_a_reviewer_403_on_the_edit_page(cast, login, inputs):
    ore = inputs[0]
    url = reverse("supply:edit", args=[ore.item_id])
    assert login(cast.outsider).get(url).status_code == 404
    assert login(cast.group_reviewer).get(url).status_code == 403
    assert login(cast.group_reviewer).post(url, edit_data(ore, [])).status_code == 403
    assert SupplyInput.objects.get(id=ore.id).sources.count() == 3


def test_the_edit_page_of_another_registers_item_is_404(cast, login):
    from guozi.ledgers import services as ledger_services

    item = ledger_services.item_create(
        acting_user=cast.analyst, register=Register.RECTIFICATION, owner=cast.a1, title="整改"
    )
    assert login(cast.analyst).get(reverse("supply:edit", args=[item.id])).status_code == 404


def create_data(**fields):
    data = {
        "owner": cast_uscc(),
        "name": "石墨电极",
        "category": "raw_material",
        "criticality": "critical",
        "domestic_alternative": "no",
        "due_date": "2026-12-31",
        "responsible_name": "李娜",
        "plan": "引入第二供应商",
        "sources-TOTAL_FORMS": "3",
        "sources-INITIAL_FORMS": "0",
        "sources-MIN_NUM_FORMS": "0",
        "sources-MAX_NUM_FORMS": "50",
        "sources-0-supplier": "Graftech Electrodes Inc.",
        "sources-0-country": "US",
        "sources-0-share": "65",
        "sources-1-supplier": "开封碳素有限公司",
        "sources-1-country": "CN",
        "sources-1-share": "35",
    }
    data.update(fields)
    return data


def cast_uscc():
    from guozi.registry.models import Enterprise

    return Enterprise.objects.get(name_zh="辽钢板材有限公司").uscc


def test_an_analyst_opens_an_input_with_its_suppliers(cast, login):
    answer = login(cast.analyst).post(reverse("supply:create"), create_data())
    assert answer.status_code == 302
    created = SupplyInput.objects.get(name="石墨电极")
    assert answer["Location"] == reverse("ledgers:item", args=[created.item_id])
    assert created.owner == cast.a1
    assert created.item.attributes == {"plan": "引入第二供应商"}
    assert created.import_dependent
    assert created.sources.count() == 2


def test_the_create_form_shows_every_problem_and_opens_nothing(cast, login):
    answer = login(cast.analyst).post(
        reverse("supply:create"),
        create_data(owner="不存在的企业", category="", due_date="2020-01-01",
                    **{"sources-1-share": "40"}),
    )  # fmt: skip
    assert answer.status_code == 400
    text = answer.content.decode()
    assert "不存在的企业" in text
    assert not TrackedItem.objects.exists()


def test_the_create_form_refuses_shares_over_100(cast, login):
    answer = login(cast.analyst).post(
        reverse("supply:create"), create_data(**{"sources-1-share": "40"})
    )
    assert answer.status_code == 400
    assert "105" in answer.content.decode()
    assert not TrackedItem.objects.exists()


@pytest.mark.parametrize("who", ["reporter", "sub_reporter", "leader", "outsider"])
def test_only_the_supervisor_opens_inputs(cast, login, who):
    client = login(getattr(cast, who))
    assert client.get(reverse("supply:create")).status_code == 403
    assert client.post(reverse("supply:create"), create_data()).status_code == 403
    assert not TrackedItem.objects.exists()


def test_the_portfolio_page_lists_shared_suppliers_and_the_worst_inputs(cast, login, inputs):
    open_input(
        cast,
        owner=cast.a11,
        name="球团矿",
        sources=[{"supplier": "PILBARA IRON ORE", "country": "AU", "share": "100"}],
    )
    page = login(cast.analyst).get(reverse("supply:portfolio"))
    assert page.status_code == 200
    context = page.context
    shared = {s.key: s for s in context["result"].shared_suppliers}
    assert shared["name:pilbaraironore"].enterprises == 2  # written two ways
    assert shared[f"uscc:{ORE_MINER}"].enterprises == 2  # matched by USCC, A1 and B1
    assert shared[f"uscc:{ORE_MINER}"].name == "鞍山恒达矿业有限公司"
    text = page.content.decode()
    assert 'id="supply-series"' in text
    assert "vendor/echarts/echarts.min.js" in text
    assert [i.name for i in context["result"].most_concentrated][:2] == ["岸桥轴承", "球团矿"]


def test_the_portfolio_of_a_reporter_holds_only_their_enterprises(cast, login, inputs):
    page = login(cast.sub_reporter).get(reverse("supply:portfolio"))
    result = page.context["result"]
    assert result.inputs == 1
    assert result.shared_suppliers == []  # B1's bearings are not in view


def test_the_enterprise_page_lists_its_inputs_with_suppliers(cast, login, inputs):
    client = login(cast.reporter)
    page = client.get(reverse("supply:enterprise", args=[cast.a.id]))
    assert page.status_code == 200
    assert page.context["result"].inputs == []
    subtree = client.get(reverse("supply:enterprise", args=[cast.a.id]), {"subtree": "on"})
    names = [i.name for i in subtree.context["result"].inputs]
    assert sorted(names) == ["焦煤", "铁矿石"]
    assert "Mongolia Coking Coal LLC" in subtree.content.decode()


def test_the_enterprise_page_of_an_enterprise_out_of_view_is_404(cast, login, inputs):
    assert (
        login(cast.outsider).get(reverse("supply:enterprise", args=[cast.a1.id])).status_code == 404
    )


@pytest.mark.parametrize(
    "name", ["supply:list", "supply:portfolio", "supply:create", "supply:export", "supply:import"]
)
def test_pages_need_a_sign_in_and_a_portfolio_role(cast, client, login, name):
    url = reverse(name)
    assert client.get(url).status_code == 302  # to the login page
    assert login(cast.sysadmin).get(url).status_code == 403


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("en", ["Supply chain: the portfolio", "Raw material"]),
        ("zh-hans", ["供应链：全局视图", "原材料"]),
    ],
)
def test_the_pages_speak_both_languages(cast, login, inputs, settings, language, words):
    client = login(cast.analyst)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    text = client.get(reverse("supply:portfolio")).content.decode()
    for word in words:
        assert word in text
    for name in ("supply:list", "supply:create", "supply:import"):
        assert client.get(reverse(name)).status_code == 200
    ore = inputs[0]
    assert client.get(reverse("supply:edit", args=[ore.item_id])).status_code == 200
    assert client.get(reverse("supply:enterprise", args=[cast.a1.id])).status_code == 200
