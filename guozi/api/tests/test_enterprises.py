from datetime import date

from guozi.audit.models import AuditEvent
from guozi.lib.uscc import make_uscc
from guozi.registry import selectors
from guozi.registry.models import Enterprise, EquityLink, OutsideParty

from .helpers import assert_error

NEW_USCC = make_uscc("9", "1", "210100", "N0000001")


def new_enterprise(**extra) -> dict:
    return {
        "uscc": NEW_USCC,
        "name_zh": "辽钢新材料有限公司",
        "name_en": "Liaoning Steel New Materials",
        "supervisor": "ln",
        "parent": extra.pop("parent", None),
        "ownership_pct": "60",
        "region_code": "210100",
        "industry_code": "32",
        "function_class": "商业一类",
        "ownership_level": "provincial",
        "established_on": "2020-05-01",
        "valid_from": "2026-01-01",
        **extra,
    }


def test_list_paginates_with_a_total(call, cast):
    first = call(cast.analyst, "get", "/enterprises", limit=3).json()
    assert (first["total"], first["limit"], first["offset"]) == (7, 3, 0)
    second = call(cast.analyst, "get", "/enterprises", limit=3, offset=3).json()
    ids = [item["id"] for item in first["items"] + second["items"]]
    assert len(set(ids)) == 6
    assert ids == sorted(ids)
    assert first["items"][0]["supervisor"]["code"] == "ln"
    assert first["items"][0]["function_class"] == "commercial_competitive"
    assert_error(call(cast.analyst, "get", "/enterprises", limit=0), 422, "invalid")
    assert_error(call(cast.analyst, "get", "/enterprises", offset=-1), 422, "invalid")


def test_list_filters(call, cast):
    def ids(**query):
        found = call(cast.analyst, "get", "/enterprises", **query).json()
        return {item["id"] for item in found["items"]}

    assert ids(q="辽港") == {cast.b.id}
    assert ids(q=cast.a1.uscc) == {cast.a1.id}
    assert ids(city="210200") == {cast.b.id, cast.d.id}
    assert ids(section="G") == {cast.b.id, cast.b1.id, cast.d.id}
    assert ids(supervisor="dl") == {cast.d.id}
    assert ids(supervisor=str(cast.dl.id)) == {cast.d.id}
    assert ids(supervisor="nowhere") == set()
    assert ids(ownership_level="municipal") == {cast.d.id}
    assert ids(status="merged") == set()


def test_detail_has_chain_and_level_as_of_a_date(call, cast):
    body = call(cast.analyst, "get", f"/enterprises/{cast.a11.id}").json()
    assert body["level"] == 3
    assert body["parent_id"] == cast.a1.id
    assert [e["id"] for e in body["chain"]["enterprises"]] == [cast.a11.id, cast.a1.id, cast.a.id]
    assert [s["code"] for s in body["chain"]["supervisors"]] == ["ln"]
    assert body["identifier"] == cast.a11.uscc
    assert body["as_of"] == "2026-08-28"

    before = call(cast.analyst, "get", f"/enterprises/{cast.a11.id}", as_of="2014-12-31").json()
    assert (before["level"], before["parent_id"], before["chain"]["enterprises"]) == (0, None, [])


def test_create_a_subsidiary_records_parent_stake_and_audit(call, cast):
    response = call(cast.analyst, "post", "/enterprises", new_enterprise(parent=cast.a.uscc))
    assert response.status_code == 201, response.content
    body = response.json()
    created = Enterprise.objects.get(id=body["id"])
    assert created.uscc == NEW_USCC
    assert created.industry_code == "C32"
    assert created.function_class.code == "commercial_competitive"
    assert body["parent_id"] == cast.a.id
    assert body["level"] == 2
    assert body["warnings"] == []
    stake = EquityLink.objects.get(held=created)
    assert (stake.holder_enterprise_id, str(stake.pct), stake.valid_from) == (
        cast.a.id,
        "60.0000",
        date(2026, 1, 1),
    )
    event = AuditEvent.objects.get(object_type="registry.enterprise", object_id=str(created.id))
    assert (event.action, event.channel, event.actor_id) == ("create", "api", cast.analyst.id)


def test_create_a_group_without_parent(call, cast):
    body = new_enterprise(ownership_pct="100")
    response = call(cast.analyst, "post", "/enterprises", body)
    assert response.status_code == 201, response.content
    assert response.json()["level"] == 1
    assert response.json()["chain"]["supervisors"][0]["code"] == "ln"


def test_create_names_every_bad_field(call, cast):
    body = new_enterprise(
        uscc="91210100A00000001X",
        region_code="999999",
        industry_code="Z99",
        ownership_level="galactic",
        ownership_pct="120",
        established_on="2020-13-01",
        parent="no-such-parent",
        function_class="nonsense",
        name_zh=" ",
    )
    fields = assert_error(call(cast.analyst, "post", "/enterprises", body), 422, "invalid")
    assert set(fields) == {
        "uscc",
        "region_code",
        "industry_code",
        "ownership_level",
        "ownership_pct",
        "established_on",
        "parent",
        "function_class",
        "name_zh",
    }
    assert not Enterprise.objects.filter(name_zh="辽钢新材料有限公司").exists()


def test_create_refuses_a_taken_uscc_and_a_parent_out_of_sight(call, cast):
    fields = assert_error(
        call(cast.analyst, "post", "/enterprises", new_enterprise(uscc=cast.a.uscc)), 400, "invalid"
    )
    assert "uscc" in fields
    # Dalian's analyst may create in Dalian, but not under a Liaoning group it cannot see.
    body = new_enterprise(supervisor="dl", parent=cast.a.uscc, ownership_level="municipal")
    fields = assert_error(call(cast.dl_analyst, "post", "/enterprises", body), 422, "invalid")
    assert list(fields) == ["parent"]
    # ... nor in Liaoning's registry at all.
    body = new_enterprise(function_class=None)
    assert_error(call(cast.dl_analyst, "post", "/enterprises", body), 403, "forbidden")


def test_patch_changes_only_the_given_fields_and_audits(call, cast):
    response = call(
        cast.analyst,
        "patch",
        f"/enterprises/{cast.a2.id}",
        {"short_name": "辽钢矿业", "region_code": "210100", "listed_codes": "600001；000002"},
    )
    assert response.status_code == 200, response.content
    cast.a2.refresh_from_db()
    assert (cast.a2.short_name, cast.a2.city_code, cast.a2.listed_codes) == (
        "辽钢矿业",
        "210100",
        "600001,000002",
    )
    assert cast.a2.name_zh == "辽钢矿业有限公司"
    event = AuditEvent.objects.filter(object_id=str(cast.a2.id), action="update").get()
    assert event.channel == "api"
    assert event.actor_id == cast.analyst.id
    assert event.after["short_name"] == "辽钢矿业"
    assert "name_zh" not in event.after


def test_patch_rejects_bad_values(call, cast):
    path = f"/enterprises/{cast.a2.id}"
    fields = assert_error(
        call(cast.analyst, "patch", path, {"industry_code": "Q", "name_zh": None}), 422, "invalid"
    )
    assert set(fields) == {"industry_code", "name_zh"}
    fields = assert_error(
        call(cast.analyst, "patch", path, {"uscc": None, "foreign_reg_no": ""}), 400, "invalid"
    )
    assert "uscc" in fields
    cast.a2.refresh_from_db()
    assert cast.a2.uscc


def test_identifiers(call, cast):
    cast.a.listed_codes = "600001.SH"
    cast.a.save()
    body = call(cast.reporter, "get", f"/enterprises/{cast.a.id}/identifiers").json()
    assert body == [
        {"kind": "internal", "value": str(cast.a.id), "country": ""},
        {"kind": "uscc", "value": cast.a.uscc, "country": ""},
        {"kind": "listed", "value": "600001.SH", "country": ""},
    ]


def test_equity_links_read_add_and_end(call, cast):
    path = f"/enterprises/{cast.a2.id}/equity-links"
    body = call(cast.analyst, "get", path).json()
    assert [(h["holder"]["kind"], h["holder"]["id"], h["pct"]) for h in body["holders"]] == [
        ("enterprise", cast.a.id, "70.0000")
    ]
    fund = OutsideParty.objects.create(name_zh="全国社保基金", kind="state")
    response = call(
        cast.analyst,
        "post",
        path,
        {"holder": {"party": fund.id}, "pct": 20, "valid_from": "2026-01-01"},
    )
    assert response.status_code == 201, response.content
    link = response.json()
    assert link["holder"] == {
        "kind": "party",
        "id": fund.id,
        "name": "全国社保基金",
        "identifier": None,
        "code": None,
        "party_kind": "state",
    }
    response = call(
        cast.analyst,
        "post",
        path,
        {"holder": {"enterprise": cast.b.uscc}, "pct": "10", "valid_from": "2026-02-01"},
    )
    assert response.status_code == 201, response.content

    then = call(cast.analyst, "get", path, as_of="2026-01-15").json()
    assert len(then["holders"]) == 2
    now = call(cast.analyst, "get", path).json()
    assert {h["holder"]["kind"] for h in now["holders"]} == {"enterprise", "party"}
    holdings = call(cast.analyst, "get", f"/enterprises/{cast.b.id}/equity-links").json()
    assert [(h["held"]["id"], h["pct"]) for h in holdings["holdings"]] == [
        (cast.b1.id, "100.0000"),
        (cast.a2.id, "10.0000"),
    ]

    response = call(cast.analyst, "post", f"/equity-links/{link['id']}/end", {"on": "2026-06-01"})
    assert response.status_code == 200, response.content
    assert response.json()["valid_to"] == "2026-06-01"
    later = call(cast.analyst, "get", path).json()
    assert {h["holder"]["kind"] for h in later["holders"]} == {"enterprise"}
    event = AuditEvent.objects.filter(object_type="registry.equitylink", action="update").get()
    assert (event.channel, event.actor_id) == ("api", cast.analyst.id)


def test_equity_link_bad_input(call, cast):
    path = f"/enterprises/{cast.a2.id}/equity-links"
    both = {"holder": {"supervisor": "ln", "party": 1}, "pct": "1", "valid_from": "2026-01-01"}
    assert list(assert_error(call(cast.analyst, "post", path, both), 422, "invalid")) == ["holder"]
    none = {"holder": {}, "pct": "1", "valid_from": "2026-01-01"}
    assert list(assert_error(call(cast.analyst, "post", path, none), 422, "invalid")) == ["holder"]
    unknown = {"holder": {"party": 999999}, "pct": "1", "valid_from": "2026-01-01"}
    fields = assert_error(call(cast.analyst, "post", path, unknown), 422, "invalid")
    assert list(fields) == ["holder.party"]
    over = {"holder": {"supervisor": "ln"}, "pct": "101", "valid_from": "2026-01-01"}
    assert list(assert_error(call(cast.analyst, "post", path, over), 422, "invalid")) == ["pct"]
    dates = {"holder": {"supervisor": "ln"}, "pct": "1", "valid_from": "someday"}
    fields = assert_error(call(cast.analyst, "post", path, dates), 422, "invalid")
    assert list(fields) == ["valid_from"]
    backwards = {
        "holder": {"supervisor": "ln"},
        "pct": "1",
        "valid_from": "2026-01-01",
        "valid_to": "2025-01-01",
    }
    assert_error(call(cast.analyst, "post", path, backwards), 400, "dates")
    assert EquityLink.objects.filter(held=cast.a2).count() == 1


def test_subsidiaries_as_of_a_date(call, cast):
    body = call(cast.analyst, "get", f"/enterprises/{cast.a.id}/subsidiaries").json()
    assert body["parent"]["id"] == cast.a.id
    assert [(i["id"], i["children"]) for i in body["items"]] == [(cast.a1.id, 1), (cast.a2.id, 0)]
    early = call(cast.analyst, "get", f"/enterprises/{cast.a.id}/subsidiaries", as_of="2014-01-01")
    assert early.json()["items"] == []


def test_transfer_moves_the_enterprise_and_keeps_history(call, cast):
    response = call(
        cast.analyst,
        "post",
        f"/enterprises/{cast.a2.id}/transfer",
        {"new_parent": cast.b.uscc, "on": "2026-03-01"},
    )
    assert response.status_code == 200, response.content
    assert response.json()["parent_id"] == cast.b.id
    assert selectors.parent_link_at(cast.a2.id, date(2026, 2, 28)).parent_id == cast.a.id
    before = call(cast.analyst, "get", f"/enterprises/{cast.a.id}/subsidiaries", as_of="2026-02-28")
    assert cast.a2.id in {i["id"] for i in before.json()["items"]}
    after = call(cast.analyst, "get", f"/enterprises/{cast.b.id}/subsidiaries")
    assert cast.a2.id in {i["id"] for i in after.json()["items"]}
    holders = call(cast.analyst, "get", f"/enterprises/{cast.a2.id}/equity-links").json()
    assert [(h["holder"]["id"], h["pct"]) for h in holders["holders"]] == [(cast.b.id, "70.0000")]
    assert AuditEvent.objects.filter(channel="api", actor=cast.analyst).count() >= 3


def test_transfer_refuses_a_cycle_and_unknown_parent(call, cast):
    path = f"/enterprises/{cast.a1.id}/transfer"
    cycle = {"new_parent": str(cast.a11.id), "on": "2026-03-01"}
    response = call(cast.analyst, "post", path, cycle)
    assert_error(response, 400, "cycle")
    response = call(cast.analyst, "post", path, {"new_parent": "nobody", "on": "03/01"})
    assert set(assert_error(response, 422, "invalid")) == {"new_parent", "on"}
    assert selectors.parent_link_at(cast.a1.id, date(2026, 8, 28)).parent_id == cast.a.id
