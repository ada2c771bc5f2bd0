from datetime import date

from guozi.accounts.models import Membership, User
from guozi.audit.models import AuditEvent
from guozi.registry import services

from .helpers import assert_error


def shape(nodes) -> list[tuple]:
    return [(n["id"], n["parent_id"], n["depth"], n["level"]) for n in nodes]


def test_tree_of_the_whole_scope_depth_first(call, cast):
    body = call(cast.analyst, "get", "/tree").json()
    assert body["as_of"] == "2026-08-28"
    assert body["count"] == 7
    assert shape(body["nodes"]) == [
        (cast.a.id, None, 0, 1),
        (cast.a1.id, cast.a.id, 1, 2),
        (cast.a11.id, cast.a1.id, 2, 3),
        (cast.a2.id, cast.a.id, 1, 2),
        (cast.b.id, None, 0, 1),
        (cast.b1.id, cast.b.id, 1, 2),
        (cast.d.id, None, 0, 1),
    ]
    d_node = body["nodes"][-1]
    assert d_node["supervisor_id"] == cast.dl.id
    assert d_node["name"] == "大连地铁集团有限公司"


def test_tree_of_one_supervisor_and_of_a_root(call, cast):
    dalian = call(cast.analyst, "get", "/tree", supervisor="dl").json()
    assert [n["id"] for n in dalian["nodes"]] == [cast.d.id]
    by_id = call(cast.analyst, "get", "/tree", supervisor=str(cast.dl.id)).json()
    assert by_id["nodes"] == dalian["nodes"]
    under_a1 = call(cast.analyst, "get", "/tree", root=cast.a1.id).json()
    assert shape(under_a1["nodes"]) == [(cast.a1.id, None, 0, 2), (cast.a11.id, cast.a1.id, 1, 3)]
    assert_error(call(cast.analyst, "get", "/tree", supervisor="nowhere"), 404, "not_found")
    assert_error(call(cast.analyst, "get", "/tree", root=999999), 404, "not_found")


def test_tree_as_of_a_date_follows_a_transfer(call, cast):
    services.enterprise_transfer(
        acting_user=None, enterprise=cast.a2, new_parent=cast.b, on=date(2026, 3, 1)
    )
    before = call(cast.analyst, "get", "/tree", as_of="2026-02-28", root=cast.a.id).json()
    assert cast.a2.id in {n["id"] for n in before["nodes"]}
    after = call(cast.analyst, "get", "/tree", root=cast.b.id).json()
    assert (cast.a2.id, cast.b.id, 1, 2) in shape(after["nodes"])
    # A's reporter had A2 in scope before the transfer, not after.
    then = call(cast.reporter, "get", "/tree", as_of="2026-02-28").json()
    assert cast.a2.id in {n["id"] for n in then["nodes"]}
    now = call(cast.reporter, "get", "/tree").json()
    assert cast.a2.id not in {n["id"] for n in now["nodes"]}


def test_tree_of_a_subsidiary_user_starts_at_their_enterprise(call, cast):
    body = call(cast.sub_reporter, "get", "/tree").json()
    assert shape(body["nodes"]) == [(cast.a1.id, None, 0, 2), (cast.a11.id, cast.a1.id, 1, 3)]


def test_supervisors(call, cast):
    codes = [s["code"] for s in call(cast.analyst, "get", "/supervisors").json()]
    assert codes == ["ln", "dl"]
    assert [s["code"] for s in call(cast.dl_analyst, "get", "/supervisors").json()] == ["dl"]
    reporter = call(cast.reporter, "get", "/supervisors").json()
    assert [(s["code"], s["parent_id"]) for s in reporter] == [("ln", None)]


def test_me(call, cast):
    body = call(cast.reporter, "get", "/me").json()
    assert body["user"]["username"] == "reporter"
    assert body["roles"] == ["enterprise_reporter"]
    assert body["scopes"] == ["public", "self", "portfolio"]
    assert [(m["role"], m["enterprise"]["id"], m["active"]) for m in body["memberships"]] == [
        ("enterprise_reporter", cast.a.id, True)
    ]
    admin = call(cast.secadmin, "get", "/me").json()
    assert "security_admin" in admin["scopes"]
    assert "portfolio" not in admin["scopes"]


def test_memberships_list_create_and_end(call, cast):
    listed = call(cast.secadmin, "get", "/memberships").json()
    assert listed["total"] == 12
    mine = call(cast.secadmin, "get", "/memberships", user="reporter").json()
    assert [m["enterprise"]["id"] for m in mine["items"]] == [cast.a.id]

    newcomer = User.objects.create_user(username="newcomer")
    response = call(
        cast.secadmin,
        "post",
        "/memberships",
        {
            "user": "newcomer",
            "role": "enterprise_reviewer",
            "enterprise": cast.b.uscc,
            "valid_from": "2026-01-01",
        },
    )
    assert response.status_code == 201, response.content
    created = response.json()
    assert (created["user"], created["enterprise"]["id"], created["active"]) == (
        "newcomer",
        cast.b.id,
        True,
    )
    event = AuditEvent.objects.get(object_type="accounts.membership", action="create")
    assert (event.channel, event.actor_id) == ("api", cast.secadmin.id)

    end = {"on": "2026-08-01"}
    response = call(cast.secadmin, "post", f"/memberships/{created['id']}/end", end)
    assert response.status_code == 200, response.content
    assert response.json()["active"] is False
    assert Membership.objects.get(id=created["id"]).valid_to == date(2026, 8, 1)
    ended = call(cast.secadmin, "get", "/memberships", user="newcomer", active="false").json()
    assert ended["total"] == 1
    assert newcomer.memberships.count() == 1


def test_membership_bad_input(call, cast):
    body = {"user": "ghost", "role": "emperor", "supervisor": "atlantis", "valid_from": "x"}
    fields = assert_error(call(cast.secadmin, "post", "/memberships", body), 422, "invalid")
    assert set(fields) == {"user", "role", "supervisor", "valid_from"}
    wrong_node = {"user": "leader", "role": "enterprise_reporter", "supervisor": "ln"}
    assert_error(call(cast.secadmin, "post", "/memberships", wrong_node), 400, "invalid")
    own = {"user": "secadmin", "role": "auditor", "supervisor": "ln"}
    assert_error(call(cast.secadmin, "post", "/memberships", own), 403, "forbidden")
    response = call(cast.secadmin, "post", "/memberships/999999/end", {"on": "2026-01-01"})
    assert_error(response, 404, "not_found")
    assert Membership.objects.count() == 12


def test_memberships_only_for_the_security_administrator(call, cast):
    for user in (cast.analyst, cast.sysadmin, cast.auditadmin, cast.reporter):
        assert_error(call(user, "get", "/memberships"), 403, "forbidden")
        body = {"user": "leader", "role": "auditor", "supervisor": "ln"}
        assert_error(call(user, "post", "/memberships", body), 403, "forbidden")
    membership = Membership.objects.get(user=cast.reporter)
    response = call(cast.analyst, "post", f"/memberships/{membership.id}/end", {"on": "2026-09-01"})
    assert_error(response, 403, "forbidden")
    membership.refresh_from_db()
    assert membership.valid_to is None
