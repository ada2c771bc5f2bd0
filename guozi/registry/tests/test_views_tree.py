from datetime import date

import pytest
from django.urls import reverse

from guozi.conftest import make_enterprise
from guozi.registry import services

TREE = reverse("registry:tree")


def node(enterprise, as_of=None):
    url = reverse("registry:tree_node", args=[enterprise.id])
    return f"{url}?as_of={as_of}" if as_of else url


def node_ids(response) -> list[int]:
    assert response.status_code == 200
    return [item.enterprise.id for item in response.context["nodes"]]


def branch_map(branches) -> dict[str, list[int]]:
    """Supervisor code -> its group ids, for every branch at any depth."""
    found = {}
    for branch in branches:
        found[branch.supervisor.code] = [item.enterprise.id for item in branch.groups]
        found.update(branch_map(branch.lower))
    return found


@pytest.fixture
def transferred(cast):
    services.enterprise_transfer(
        acting_user=None, enterprise=cast.a2, new_parent=cast.b, on=date(2025, 3, 1)
    )
    return cast


def test_supervisor_tree_has_groups_and_lower_supervisors_as_branches(cast, login):
    response = login(cast.analyst).get(TREE)
    assert response.status_code == 200
    branches = response.context["branches"]
    assert [branch.supervisor.code for branch in branches] == ["ln"]
    assert [lower.supervisor.code for lower in branches[0].lower] == ["dl"]
    assert branch_map(branches) == {"ln": [cast.a.id, cast.b.id], "dl": [cast.d.id]}
    groups = {item.enterprise.id: item for item in branches[0].groups}
    assert groups[cast.a.id].level == 1 and groups[cast.a.id].child_count == 2
    html = response.content.decode()
    assert "大连市国资委" in html and cast.d.name_zh in html
    assert f'hx-get="{node(cast.a, "2026-08-28")}"' in html


def test_one_supervisor_branch(cast, login):
    response = login(cast.analyst).get(TREE, {"supervisor": cast.dl.id})
    assert branch_map(response.context["branches"]) == {"dl": [cast.d.id]}
    # An id outside what the user reads, or junk, shows everything they read.
    dalian = login(cast.dl_analyst)
    assert branch_map(dalian.get(TREE, {"supervisor": cast.ln.id}).context["branches"]) == {
        "dl": [cast.d.id]
    }
    assert dalian.get(TREE, {"supervisor": "x"}).status_code == 200


def test_node_fragment_lists_children_with_level_and_count(cast, login):
    client = login(cast.analyst)
    response = client.get(node(cast.a))
    assert node_ids(response) == [cast.a1.id, cast.a2.id]
    nodes = response.context["nodes"]
    assert [(item.level, item.child_count) for item in nodes] == [(2, 1), (2, 0)]
    html = response.content.decode()
    assert "<html" not in html  # a fragment
    assert "二级" in html and cast.a1.name_zh in html
    assert node_ids(client.get(node(cast.a1))) == [cast.a11.id]
    assert node_ids(client.get(node(cast.a11))) == []


def test_observed_enterprises_are_marked(cast, login):
    make_enterprise(
        None,
        name="中央企业辽宁分公司",
        supervisor=cast.ln,
        body="C0000001",
        level="central",
        portfolio="observed",
    )
    html = login(cast.analyst).get(TREE).content.decode()
    assert 'class="tag observed"' in html


def test_enterprise_user_tree_starts_at_their_enterprise(cast, login):
    reporter = login(cast.reporter)
    response = reporter.get(TREE)
    assert response.context["branches"] == []
    assert [item.enterprise.id for item in response.context["roots"]] == [cast.a.id]
    assert response.context["roots"][0].level == 1
    assert cast.b.name_zh not in response.content.decode()
    assert node_ids(reporter.get(node(cast.a))) == [cast.a1.id, cast.a2.id]
    assert reporter.get(node(cast.b)).status_code == 404
    assert reporter.get(node(cast.b1)).status_code == 404
    sub = login(cast.sub_reporter)
    roots = sub.get(TREE).context["roots"]
    assert [(item.enterprise.id, item.level) for item in roots] == [(cast.a1.id, 2)]
    assert sub.get(node(cast.a)).status_code == 404


def test_dalian_analyst_cannot_open_liaoning_nodes(cast, login):
    dalian = login(cast.dl_analyst)
    assert dalian.get(node(cast.a)).status_code == 404
    assert dalian.get(node(cast.d)).status_code == 200


def test_tree_before_and_after_a_transfer(transferred, login):
    cast = transferred
    client = login(cast.analyst)
    assert node_ids(client.get(node(cast.a, "2024-12-31"))) == [cast.a1.id, cast.a2.id]
    assert node_ids(client.get(node(cast.a, "2025-03-01"))) == [cast.a1.id]
    assert set(node_ids(client.get(node(cast.b)))) == {cast.b1.id, cast.a2.id}
    assert node_ids(client.get(node(cast.b, "2024-12-31"))) == [cast.b1.id]
    past = client.get(TREE, {"as_of": "2024-12-31"})
    counts = {item.enterprise.id: item.child_count for item in past.context["branches"][0].groups}
    assert counts == {cast.a.id: 2, cast.b.id: 1}


def test_period_bound_rule_in_the_tree(transferred, login):
    cast = transferred
    reporter = login(cast.reporter)  # group A
    past = reporter.get(node(cast.a, "2024-12-31"))
    assert node_ids(past) == [cast.a1.id, cast.a2.id]
    # The link to A2 keeps the date, so the page opens as it was then.
    assert f'/registry/enterprises/{cast.a2.id}/?as_of=2024-12-31"' in past.content.decode()
    assert node_ids(reporter.get(node(cast.a))) == [cast.a1.id]
    assert reporter.get(node(cast.a2)).status_code == 404
    assert reporter.get(node(cast.a2, "2024-12-31")).status_code == 200
    outsider = login(cast.outsider)  # B, A2's parent today
    assert set(node_ids(outsider.get(node(cast.b)))) == {cast.b1.id, cast.a2.id}
    assert outsider.get(node(cast.a2)).status_code == 200
    tree_today = outsider.get(TREE)
    assert [item.enterprise.id for item in tree_today.context["roots"]] == [cast.b.id]


def test_tree_as_of_a_bad_date_shows_today(cast, login):
    response = login(cast.analyst).get(TREE, {"as_of": "yesterday"})
    assert response.status_code == 200
    assert response.context["day"] == date(2026, 8, 28)


def test_tree_needs_a_portfolio_role(cast, client, login):
    assert client.get(TREE).status_code == 302
    assert client.get(node(cast.a)).status_code == 302
    assert login(cast.sysadmin).get(TREE).status_code == 403
    assert login(cast.secadmin).get(node(cast.a)).status_code == 403


@pytest.mark.parametrize("as_of", ["2024-02-30", "2024-01-01\x00", "0000-01-01", "9" * 40])
def test_odd_dates_never_fail(cast, login, as_of):
    client = login(cast.analyst)
    assert client.get(TREE, {"as_of": as_of}).status_code == 200
    assert client.get(node(cast.a), {"as_of": as_of}).status_code == 200
