"""The REST API of the supply-chain register: the same services, scoping and audit as the
pages, and the API's one error shape."""

import json

import pytest
import xlsxwriter

from guozi.accounts.access import Scope
from guozi.accounts.services import token_create
from guozi.api.api import api_operations
from guozi.api.tests.helpers import assert_error
from guozi.audit.models import AuditEvent
from guozi.ledgers.models import ItemEvent, TrackedItem
from guozi.ledgers.supply.models import SupplyInput

from .conftest import ORE_MINER, open_input, ore_sources


@pytest.fixture
def call(client, cast):
    """`call(user, method, path, body=None, **query)`: one request with the user's token."""
    keys: dict[int, str] = {}

    def request(user, method: str, path: str, body=None, /, **query):
        if user.id not in keys:
            keys[user.id] = token_create(acting_user=None, user=user)[1]
        headers = {"Authorization": f"Bearer {keys[user.id]}"}
        url = "/api/v1/ledgers/supply" + path
        if method == "get":
            return client.get(url, query, headers=headers)
        if method == "upload":
            return client.post(url, {"file": body, **query}, headers=headers)
        return getattr(client, method)(
            url, data=json.dumps(body or {}), content_type="application/json", headers=headers
        )

    return request


def test_every_supply_operation_is_marked_portfolio():
    found = {
        (path, method): view.guozi_scope
        for path, method, view in api_operations()
        if path.startswith("/ledgers/supply")
    }
    assert len(found) == 8
    assert set(found.values()) == {Scope.PORTFOLIO}


def new_input(cast, **changes):
    body = {
        "owner": cast.a1.uscc,
        "name": "铁矿石",
        "category": "raw_material",
        "criticality": "critical",
        "domestic_alternative": False,
        "annual_spend": "185000.5",
        "annual_volume": 320,
        "volume_unit": "万吨",
        "due_date": "2026-12-31",
        "responsible_name": "张伟",
        "plan": "提高国内精矿比例",
        "sources": ore_sources(),
    }
    body.update(changes)
    return body


def test_open_an_input_and_read_it_back(cast, call):
    response = call(cast.analyst, "post", "/inputs", new_input(cast))
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["name"] == "铁矿石"
    assert body["owner"]["identifier"] == cast.a1.uscc
    assert body["annual_spend"] == "185000.5"
    assert body["hhi"] == "4050.0000"
    assert body["band"] == "high"
    assert body["flags"] == ["import_dependent", "no_domestic_alternative", "highly_concentrated"]
    assert body["sources"][0]["country_name"] == "澳大利亚"
    item = TrackedItem.objects.get(id=body["id"])
    assert item.attributes == {"plan": "提高国内精矿比例"}
    again = call(cast.sub_reporter, "get", f"/inputs/{body['id']}")
    assert again.status_code == 200
    assert again.json() == body


def test_every_problem_comes_back_at_once_in_the_error_shape(cast, call):
    body = new_input(
        cast,
        category="metal",
        sources=[
            {"supplier": "Pilbara", "country": "AUS", "share": 70},
            {"supplier": "恒达", "country": "CN", "uscc": "91210300G0000001X0", "share": 40},
        ],
    )
    fields = assert_error(call(cast.analyst, "post", "/inputs", body), 400, "invalid")
    assert set(fields) == {"category", "sources.0.country", "sources.1.uscc", "sources"}
    assert "110" in fields["sources"][0]
    assert not TrackedItem.objects.exists()


def test_a_reporter_may_not_open_an_input(cast, call):
    assert_error(call(cast.reporter, "post", "/inputs", new_input(cast)), 403, "forbidden")
    assert not TrackedItem.objects.exists()


def test_an_owner_out_of_view_is_a_field_error(cast, call):
    fields = assert_error(call(cast.outsider, "post", "/inputs", new_input(cast)), 422, "invalid")
    assert "owner" in fields


def test_the_list_is_scoped_and_filtered(cast, call):
    open_input(cast)
    open_input(cast, owner=cast.b1, name="岸桥轴承", category="key_component", sources=[])
    everything = call(cast.analyst, "get", "/inputs").json()
    assert everything["total"] == 2
    mine = call(cast.outsider, "get", "/inputs").json()
    assert [i["name"] for i in mine["items"]] == ["岸桥轴承"]
    flagged = call(cast.analyst, "get", "/inputs", flag="import_dependent").json()
    assert [i["name"] for i in flagged["items"]] == ["铁矿石"]
    none = call(cast.analyst, "get", "/inputs", band="none").json()
    assert [i["name"] for i in none["items"]] == ["岸桥轴承"]
    by_owner = call(cast.analyst, "get", "/inputs", owner=cast.a.uscc, subtree="true").json()
    assert [i["name"] for i in by_owner["items"]] == ["铁矿石"]


def test_bad_list_filters_are_field_errors(cast, call):
    response = call(cast.analyst, "get", "/inputs", flag="risky", band="x", owner="nobody")
    assert set(assert_error(response, 422, "invalid")) == {"flag", "band", "owner"}


def test_an_input_out_of_view_is_404_by_every_path(cast, call):
    ore = open_input(cast)
    for method, path, body in [
        ("get", f"/inputs/{ore.item_id}", None),
        ("patch", f"/inputs/{ore.item_id}", {"criticality": "general"}),
        ("put", f"/inputs/{ore.item_id}/sources", {"sources": []}),
    ]:
        assert_error(call(cast.outsider, method, path, body), 404, "not_found")
    assert SupplyInput.objects.get(id=ore.id).sources.count() == 3


def test_an_unknown_or_foreign_item_is_404(cast, call):
    from guozi.ledgers import services as ledger_services

    item = ledger_services.item_create(
        acting_user=cast.analyst, register="rectification", owner=cast.a1, title="整改"
    )
    assert_error(call(cast.analyst, "get", f"/inputs/{item.id}"), 404, "not_found")
    assert_error(call(cast.analyst, "get", "/inputs/999999"), 404, "not_found")


def test_a_reporter_replaces_the_suppliers_with_history_and_audit(cast, call):
    ore = open_input(cast)
    body = {
        "sources": [
            {"supplier": "鞍山恒达矿业有限公司", "uscc": ORE_MINER, "country": "CN", "share": 100}
        ],
        "reason": "改为国内长协",
    }
    response = call(cast.sub_reporter, "put", f"/inputs/{ore.item_id}/sources", body)
    assert response.status_code == 200, response.content
    assert response.json()["flags"] == ["single_source", "no_domestic_alternative",
                                        "highly_concentrated"]  # fmt: skip
    event = ItemEvent.objects.filter(item=ore.item).latest("id")
    assert event.reason == "改为国内长协"
    assert event.actor == cast.sub_reporter
    audit = AuditEvent.objects.filter(object_type="supply.supplyinput").latest("id")
    assert audit.actor == cast.sub_reporter
    assert audit.channel == "api"


def test_shares_over_100_are_refused_by_the_api(cast, call):
    ore = open_input(cast)
    body = {"sources": [{"supplier": "甲", "country": "CN", "share": 60},
                        {"supplier": "乙", "country": "CN", "share": 50}]}  # fmt: skip
    fields = assert_error(
        call(cast.analyst, "put", f"/inputs/{ore.item_id}/sources", body), 400, "invalid"
    )
    assert "sources" in fields
    assert SupplyInput.objects.get(id=ore.id).sources.count() == 3


def test_patch_changes_only_the_fields_sent(cast, call):
    ore = open_input(cast)
    response = call(cast.analyst, "patch", f"/inputs/{ore.item_id}", {"domestic_alternative": True})
    assert response.status_code == 200
    assert "no_domestic_alternative" not in response.json()["flags"]
    assert response.json()["volume_unit"] == "万吨"


@pytest.mark.parametrize("who", ["group_reviewer", "leader", "auditor"])
def test_readers_may_not_change(cast, call, who):
    ore = open_input(cast)
    response = call(getattr(cast, who), "patch", f"/inputs/{ore.item_id}", {"name": "矿石"})
    assert_error(response, 403, "forbidden")


def test_the_portfolio_is_scoped(cast, call):
    open_input(cast)
    open_input(cast, owner=cast.b1, name="岸桥轴承", sources=ore_sources())
    everything = call(cast.analyst, "get", "/portfolio").json()
    assert everything["inputs"] == 2
    assert {s["name"] for s in everything["shared_suppliers"]} == {
        "Pilbara Iron Ore Pty Ltd",
        "Vale Minerais S.A.",
        "鞍山恒达矿业有限公司",
    }
    assert [c["inputs"] for c in everything["categories"] if c["category"] == "raw_material"] == [2]
    port = call(cast.outsider, "get", "/portfolio").json()
    assert port["inputs"] == 1
    assert port["shared_suppliers"] == []


def test_the_export_is_scoped(cast, call, tmp_path):
    from python_calamine import CalamineWorkbook

    open_input(cast)
    open_input(cast, owner=cast.b1, name="岸桥轴承", sources=[])
    response = call(cast.outsider, "get", "/export")
    assert response.status_code == 200
    path = tmp_path / "export.xlsx"
    path.write_bytes(response.content)
    grid = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()
    assert [row[2] for row in grid[1:]] == ["岸桥轴承"]


def upload(tmp_path, rows):
    path = tmp_path / "inputs.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet()
    header = [
        "企业标识",
        "关键投入品",
        "类别",
        "有国内替代来源",
        "供应商",
        "国家或地区",
        "供应份额（%）",
    ]
    for number, row in enumerate([header, *rows]):
        for column, value in enumerate(row):
            sheet.write(number, column, value)
    book.close()
    return path.open("rb")


def test_the_import_checks_the_whole_file_first(cast, call, tmp_path):
    rows = [
        [cast.a1.uscc, "主焦煤", "原材料", "是", "吕梁汾岚焦煤有限公司", "CN", 70],
        [cast.a1.uscc, "主焦煤", "原材料", "是", "Gobi Tavan Coking Coal LLC", "MN", 40],
    ]
    with upload(tmp_path, rows) as file:
        fields = assert_error(call(cast.analyst, "upload", "/import", file), 422, "invalid")
    assert list(fields) == ["rows.3.供应份额（%）"]
    assert not TrackedItem.objects.exists()
    rows[1][6] = 30
    with upload(tmp_path, rows) as file:
        checked = call(cast.analyst, "upload", "/import", file, dry_run="true")
    assert checked.status_code == 200
    assert checked.json()["counts"] == {"created": 1, "updated": 0, "unchanged": 0}
    assert not checked.json()["written"]
    with upload(tmp_path, rows) as file:
        done = call(cast.analyst, "upload", "/import", file)
    assert done.json()["written"]
    assert SupplyInput.objects.get(name="主焦煤").sources.count() == 2


def test_an_outsiders_import_reaches_no_enterprise_out_of_view(cast, call, tmp_path):
    rows = [[cast.a1.uscc, "主焦煤", "原材料", "是", "吕梁汾岚焦煤有限公司", "CN", 70]]
    with upload(tmp_path, rows) as file:
        fields = assert_error(call(cast.outsider, "upload", "/import", file), 422, "invalid")
    assert list(fields) == ["rows.2.企业标识"]
    assert not TrackedItem.objects.exists()
