from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from guozi.registry import services
from guozi.registry.models import OutsideParty


def page(enterprise, **query):
    url = reverse("registry:enterprise", args=[enterprise.id])
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


@pytest.fixture
def transferred(cast):
    services.enterprise_transfer(
        acting_user=None, enterprise=cast.a2, new_parent=cast.b, on=date(2025, 3, 1)
    )
    return cast


def test_details_identifiers_chain_and_level(cast, login):
    response = login(cast.analyst).get(page(cast.a11))
    assert response.status_code == 200
    html = response.content.decode()
    assert cast.a11.name_zh in html and cast.a11.uscc in html
    assert "辽宁省 鞍山市" in html  # region names from GB/T 2260
    assert "黑色金属冶炼和压延加工业" in html  # industry name from GB/T 4754
    # The chain: supervisor, group (一级), A1 (二级), then A11 itself (三级).
    chain = html[html.index('class="chain"') :]
    for text in ["辽宁省国资委", "一级", cast.a.name_zh, "二级", cast.a1.name_zh, "三级"]:
        assert text in chain
    assert chain.index(cast.a.name_zh) < chain.index(cast.a1.name_zh)
    assert response.context["chain"].level == 3


def test_subsidiaries_holders_and_history(cast, login):
    party = OutsideParty.objects.create(name_zh="全国社保基金", kind="state")
    services.equity_link_add(
        acting_user=None, held=cast.a2, holder=party, pct=Decimal("30"), valid_from=date(2020, 1, 1)
    )
    response = login(cast.analyst).get(page(cast.a))
    context = response.context
    assert [node.enterprise.id for node in context["children"]] == [cast.a1.id, cast.a2.id]
    assert {node.enterprise.id: node.child_count for node in context["children"]} == {
        cast.a1.id: 1,
        cast.a2.id: 0,
    }
    a2 = login(cast.analyst).get(page(cast.a2))
    holders = {link.holder.name: link.pct for link in a2.context["holders"]}
    assert holders == {cast.a.name_zh: Decimal("70"), "全国社保基金": Decimal("30")}
    assert a2.context["holders_total"] == Decimal("100")
    html = a2.content.decode()
    assert "全国社保基金" in html and "国有" in html  # the party's kind, in Chinese
    # The change history lists the audit events of this enterprise.
    events = a2.context["history"]
    assert len(events) >= 3 and all(entry.event.enterprise_id == cast.a2.id for entry in events)
    assert any(entry.event.object_type == "registry.equitylink" for entry in events)


def test_holders_as_of_a_date(cast, login):
    client = login(cast.analyst)
    services.equity_link_add(
        acting_user=None,
        held=cast.a2,
        holder=cast.b,
        pct=Decimal("10"),
        valid_from=date(2024, 1, 1),
        valid_to=date(2025, 1, 1),
    )
    during = client.get(page(cast.a2, as_of="2024-06-30")).context["holders"]
    after = client.get(page(cast.a2, as_of="2025-06-30")).context["holders"]
    assert {link.holder_enterprise_id for link in during} == {cast.a.id, cast.b.id}
    assert {link.holder_enterprise_id for link in after} == {cast.a.id}


def test_out_of_scope_enterprises_are_404(cast, login):
    reporter = login(cast.reporter)
    assert reporter.get(page(cast.a11)).status_code == 200
    assert reporter.get(page(cast.b)).status_code == 404
    assert reporter.get(page(cast.b1)).status_code == 404
    assert reporter.get(page(cast.d)).status_code == 404
    assert reporter.get(reverse("registry:enterprise", args=[999999])).status_code == 404
    dalian = login(cast.dl_analyst)
    assert dalian.get(page(cast.a)).status_code == 404
    assert dalian.get(page(cast.d)).status_code == 200
    # A subsidiary's user sees their subtree only, not the group above them.
    sub = login(cast.sub_reporter)
    assert sub.get(page(cast.a11)).status_code == 200
    assert sub.get(page(cast.a)).status_code == 404


def test_the_group_above_is_named_but_not_linked_for_a_subsidiary_user(cast, login):
    html = login(cast.sub_reporter).get(page(cast.a1)).content.decode()
    assert cast.a.name_zh in html
    assert page(cast.a) + '"' not in html


def test_period_bound_rule(transferred, login):
    cast = transferred
    reporter = login(cast.reporter)  # group A, which held A2 until 2025-03-01
    assert reporter.get(page(cast.a2, as_of="2024-12-31")).status_code == 200
    assert reporter.get(page(cast.a2)).status_code == 404
    assert reporter.get(page(cast.a2, as_of="2025-03-01")).status_code == 404
    outsider = login(cast.outsider)  # B, the current parent, sees A2 today and in the past
    assert outsider.get(page(cast.a2)).status_code == 200
    assert outsider.get(page(cast.a2, as_of="2024-12-31")).status_code == 200


def test_chain_follows_the_date(transferred, login):
    client = login(transferred.analyst)
    before = client.get(page(transferred.a2, as_of="2024-12-31")).context["ancestors"]
    after = client.get(page(transferred.a2)).context["ancestors"]
    assert [e.id for e in before] == [transferred.a.id]
    assert [e.id for e in after] == [transferred.b.id]
    history = client.get(page(transferred.a2)).context["links"]
    assert [(link.parent_id, link.valid_to) for link in history] == [
        (transferred.a.id, date(2025, 3, 1)),
        (transferred.b.id, None),
    ]


def test_a_bad_as_of_date_shows_today(cast, login):
    response = login(cast.analyst).get(page(cast.a, as_of="2024-13-45"))
    assert response.status_code == 200
    assert response.context["day"] == date(2026, 8, 28)


def test_edit_links_only_for_editors_of_that_supervisor(cast, login):
    edit = reverse("registry:enterprise_edit", args=[cast.a.id])
    assert edit in login(cast.analyst).get(page(cast.a)).content.decode()
    assert edit in login(cast.reviewer).get(page(cast.a)).content.decode()
    for user in (cast.leader, cast.auditor, cast.reporter):
        assert edit not in login(user).get(page(cast.a)).content.decode()
    # Liaoning reads Dalian's registry but changes nothing there.
    d_edit = reverse("registry:enterprise_edit", args=[cast.d.id])
    assert d_edit not in login(cast.analyst).get(page(cast.d)).content.decode()
    assert d_edit in login(cast.dl_analyst).get(page(cast.d)).content.decode()


def test_page_queries_are_bounded(cast, login, django_assert_max_num_queries):
    client = login(cast.analyst)
    client.get(page(cast.a))
    with django_assert_max_num_queries(30):
        assert client.get(page(cast.a)).status_code == 200


def test_english_page(cast, login):
    client = login(cast.analyst)
    client.cookies["django_language"] = "en"
    html = client.get(page(cast.a1)).content.decode()
    assert "Chain up to the supervisor" in html and "Level 2" in html


def test_change_history_names_what_changed(transferred, login):
    client = login(transferred.analyst)
    history = client.get(page(transferred.a2)).context["history"]
    changes = [(c.label, c.before, c.after) for entry in history for c in entry.changes]
    assert ("管理上级", "—", transferred.b.name_zh) in changes  # the new link, by name
    assert ("持股比例 %", "—", "70%") in changes
    assert ("失效日期", "—", "2025-03-01") in changes  # the old link ended
    created = history[-1]
    assert created.event.action == "create" and created.event.object_type == "registry.enterprise"
    labels = {c.label: c.after for c in created.changes}
    assert labels["隶属层级"] == "省级" and labels["注册地区"] == "210500 本溪市"
