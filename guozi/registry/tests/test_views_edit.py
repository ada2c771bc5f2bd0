from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from guozi.audit.models import AuditEvent
from guozi.lib.uscc import make_uscc
from guozi.registry import selectors
from guozi.registry.models import Enterprise, EquityLink, FunctionClass, OutsideParty

CREATE = reverse("registry:enterprise_create")


def edit_url(name, enterprise):
    return reverse(f"registry:{name}", args=[enterprise.id])


def new_enterprise(cast, **changes):
    data = {
        "name_zh": "辽钢新材料有限公司",
        "short_name": "辽钢新材",
        "uscc": make_uscc("9", "1", "210300", "N0000001"),
        "supervisor": cast.ln.id,
        "region_code": "210302",
        "industry_code": "32",
        "function_class": FunctionClass.objects.get(
            supervisor=cast.ln, code="commercial_strategic"
        ).id,
        "ownership_level": "provincial",
        "portfolio": "own",
        "parent": cast.a.uscc,
        "ownership_pct": "60",
        "valid_from": "2026-01-01",
    }
    data.update(changes)
    return data


def form_values(enterprise) -> dict:
    return {
        "name_zh": enterprise.name_zh,
        "name_en": enterprise.name_en,
        "short_name": enterprise.short_name,
        "uscc": enterprise.uscc or "",
        "foreign_reg_no": enterprise.foreign_reg_no,
        "foreign_country": enterprise.foreign_country,
        "supervisor": enterprise.supervisor_id,
        "region_code": enterprise.region_code,
        "industry_code": enterprise.industry_code,
        "function_class": enterprise.function_class_id or "",
        "ownership_level": enterprise.ownership_level,
        "portfolio": enterprise.portfolio,
        "listed_codes": enterprise.listed_codes,
        "status": enterprise.status,
        "status_on": "",
        "established_on": "",
        "main_business": enterprise.main_business,
    }


def test_analyst_creates_a_subsidiary_with_the_parents_stake(cast, login):
    response = login(cast.analyst).post(CREATE, new_enterprise(cast))
    created = Enterprise.objects.get(name_zh="辽钢新材料有限公司")
    assert response.status_code == 302
    assert response["Location"] == reverse("registry:enterprise", args=[created.id])
    assert created.supervisor_id == cast.ln.id and created.industry_code == "C32"
    assert created.city_code == "210300" and created.industry_section == "C"
    link = selectors.parent_link_at(created.id, date(2026, 1, 1))
    assert link.parent_id == cast.a.id and link.valid_from == date(2026, 1, 1)
    stake = selectors.holders_at(created, date(2026, 1, 1)).get()
    assert stake.holder_enterprise_id == cast.a.id and stake.pct == Decimal("60")
    events = AuditEvent.objects.filter(enterprise_id=created.id)
    assert events.count() == 3  # the enterprise, its management link, its equity link
    assert {event.actor_id for event in events} == {cast.analyst.id}
    assert {event.channel for event in events} == {"ui"}


def test_create_a_group_under_the_supervisor(cast, login):
    data = new_enterprise(cast, parent="", ownership_pct="100", name_zh="辽宁新集团有限公司")
    assert login(cast.reviewer).post(CREATE, data).status_code == 302
    created = Enterprise.objects.get(name_zh="辽宁新集团有限公司")
    link = selectors.parent_link_at(created.id, date(2026, 1, 1))
    assert link.parent_supervisor_id == cast.ln.id and link.parent_id is None
    assert selectors.chain_up(created, date(2026, 8, 28)).level == 1


def test_the_create_form_is_prefilled_with_the_parent(cast, login):
    response = login(cast.analyst).get(CREATE, {"parent": cast.a.id})
    assert response.status_code == 200
    assert response.context["form"]["parent"].value() == str(cast.a.id)


def test_a_bad_uscc_shows_the_rule_and_creates_nothing(cast, login):
    good = make_uscc("9", "1", "210300", "N0000001")
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")
    before = Enterprise.objects.count(), AuditEvent.objects.count()
    response = login(cast.analyst).post(CREATE, new_enterprise(cast, uscc=bad))
    assert response.status_code == 400
    html = response.content.decode()
    assert f"统一社会信用代码 {bad}" in html and "第18位校验码应为" in html
    assert (Enterprise.objects.count(), AuditEvent.objects.count()) == before


@pytest.mark.parametrize(
    ("changes", "field", "text"),
    [
        ({"region_code": "999999"}, "region_code", "999999"),
        ({"industry_code": "Z99"}, "industry_code", "Z99"),
        ({"ownership_pct": "120"}, "ownership_pct", "120"),
        ({"parent": "91210100MA0000000X"}, "parent", "91210100MA0000000X"),
        ({"name_zh": ""}, "name_zh", ""),
        ({"uscc": "DUPLICATE"}, "uscc", "DUPLICATE"),
    ],
)
def test_field_rules_on_the_create_form(cast, login, changes, field, text):
    if changes.get("uscc") == "DUPLICATE":
        changes, text = {"uscc": cast.a.uscc}, cast.a.uscc  # the service refuses a second one
    response = login(cast.analyst).post(CREATE, new_enterprise(cast, **changes))
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert field in errors or "__all__" in errors
    assert text in str(errors)
    assert not Enterprise.objects.filter(name_zh="辽钢新材料有限公司").exists()


def test_function_class_must_be_the_supervisors_own(cast, login):
    dalian_class = FunctionClass.objects.get(supervisor=cast.dl, code="public_welfare")
    response = login(cast.analyst).post(
        CREATE, new_enterprise(cast, function_class=dalian_class.id)
    )
    assert response.status_code == 400
    assert "function_class" in response.context["form"].errors


def test_dalian_analyst_cannot_create_under_liaoning(cast, login):
    client = login(cast.dl_analyst)
    response = client.post(CREATE, new_enterprise(cast))
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert "supervisor" in errors and "parent" in errors  # neither Liaoning nor A is theirs
    assert not Enterprise.objects.filter(name_zh="辽钢新材料有限公司").exists()


@pytest.mark.parametrize("role", ["leader", "auditor", "reporter", "group_reviewer", "sysadmin"])
def test_read_only_roles_get_403_on_every_edit_page(cast, login, role):
    client = login(getattr(cast, role))
    urls = [CREATE] + [
        edit_url(name, cast.a2)
        for name in ["enterprise_edit", "holder_add", "enterprise_transfer", "enterprise_merge"]
    ]
    for url in urls:
        assert client.get(url).status_code == 403, url
        assert client.post(url, {"name_zh": "x"}).status_code == 403, url
    assert Enterprise.objects.get(id=cast.a2.id).name_zh == cast.a2.name_zh


def test_liaoning_analyst_reads_but_cannot_edit_dalian(cast, login):
    client = login(cast.analyst)
    for name in ["enterprise_edit", "holder_add", "enterprise_transfer", "enterprise_merge"]:
        response = client.get(edit_url(name, cast.d))
        assert response.status_code == 403
        assert "你无权修改该国资委的企业名录" in response.content.decode()
    data = form_values(cast.d) | {"short_name": "大连地铁"}
    assert client.post(edit_url("enterprise_edit", cast.d), data).status_code == 403
    assert Enterprise.objects.get(id=cast.d.id).short_name == cast.d.short_name


def test_dalian_analyst_cannot_even_open_liaoning_enterprises(cast, login):
    # An enterprise outside what a user reads is a 404 on every path, edit pages included.
    client = login(cast.dl_analyst)
    assert client.get(edit_url("enterprise_edit", cast.a)).status_code == 404
    data = form_values(cast.a) | {"short_name": "改"}
    assert client.post(edit_url("enterprise_edit", cast.a), data).status_code == 404
    assert Enterprise.objects.get(id=cast.a.id).short_name == "辽钢"
    assert client.get(edit_url("enterprise_edit", cast.d)).status_code == 200


def test_an_edit_through_the_form_is_audited(cast, login):
    client = login(cast.analyst)
    form = client.get(edit_url("enterprise_edit", cast.a)).context["form"]
    assert form["short_name"].value() == "辽钢"
    data = form_values(cast.a) | {"short_name": "辽钢集团", "listed_codes": "600019.sh"}
    response = client.post(edit_url("enterprise_edit", cast.a), data)
    assert response.status_code == 302
    cast.a.refresh_from_db()
    assert cast.a.short_name == "辽钢集团" and cast.a.listed_codes == "600019.SH"
    event = AuditEvent.objects.filter(enterprise_id=cast.a.id, action="update").latest("id")
    assert event.actor_id == cast.analyst.id and event.channel == "ui"
    assert (event.before["short_name"], event.after["short_name"]) == ("辽钢", "辽钢集团")
    assert (event.before["listed_codes"], event.after["listed_codes"]) == ("", "600019.SH")
    assert "name_zh" not in event.after  # only what changed
    assert "lgjt" in Enterprise.objects.get(id=cast.a.id).search_text
    # The enterprise page shows it in the change history.
    page = client.get(reverse("registry:enterprise", args=[cast.a.id])).content.decode()
    assert "辽钢 → 辽钢集团" in page
    assert "<td>网页</td>" in page and "<td>analyst</td>" in page  # channel and who


def test_an_edit_without_changes_writes_nothing(cast, login):
    client = login(cast.analyst)
    before = AuditEvent.objects.count()
    response = client.post(edit_url("enterprise_edit", cast.a), form_values(cast.a))
    assert response.status_code == 302
    assert AuditEvent.objects.count() == before


def test_edit_refuses_a_bad_region_and_keeps_the_record(cast, login):
    data = form_values(cast.a) | {"region_code": "219999", "short_name": "新简称"}
    response = login(cast.analyst).post(edit_url("enterprise_edit", cast.a), data)
    assert response.status_code == 400
    assert "219999" in str(response.context["form"].errors["region_code"])
    assert Enterprise.objects.get(id=cast.a.id).short_name == "辽钢"


def test_add_equity_holders(cast, login):
    client = login(cast.analyst)
    party = OutsideParty.objects.create(name_zh="社会投资者", kind="non_state")
    url = edit_url("holder_add", cast.a2)
    assert client.get(url).status_code == 200
    response = client.post(
        url, {"kind": "party", "holder_party": party.id, "pct": "20", "valid_from": "2024-01-01"}
    )
    assert response.status_code == 302
    response = client.post(
        url,
        {
            "kind": "enterprise",
            "holder_enterprise": cast.b.uscc,
            "pct": "10%",
            "valid_from": "2024-01-01",
        },
    )
    assert response.status_code == 302
    holders = {link.holder: link.pct for link in selectors.holders_at(cast.a2, date(2024, 6, 1))}
    assert holders == {cast.a: Decimal("70"), party: Decimal("20"), cast.b: Decimal("10")}
    # One more per cent would make 101%: the service refuses, the form says why.
    response = client.post(
        url,
        {
            "kind": "supervisor",
            "holder_supervisor": cast.ln.id,
            "pct": "1",
            "valid_from": "2024-01-01",
        },
    )
    assert response.status_code == 400
    assert "100%" in response.content.decode()
    assert EquityLink.objects.filter(held=cast.a2).count() == 3


def test_holder_form_needs_the_holder_of_its_kind(cast, login):
    client = login(cast.analyst)
    url = edit_url("holder_add", cast.a2)
    response = client.post(url, {"kind": "enterprise", "pct": "5", "valid_from": "2024-01-01"})
    assert response.status_code == 400
    assert "holder_enterprise" in response.context["form"].errors
    response = client.post(
        url,
        {
            "kind": "enterprise",
            "holder_enterprise": "nobody",
            "pct": "5",
            "valid_from": "2024-01-01",
        },
    )
    assert "nobody" in str(response.context["form"].errors["holder_enterprise"])
    response = client.post(url, {"kind": "party", "pct": "-5", "valid_from": "2024-01-01"})
    errors = response.context["form"].errors
    assert "holder_party" in errors and "pct" in errors


def test_transfer_through_the_form(cast, login):
    client = login(cast.analyst)
    url = edit_url("enterprise_transfer", cast.a2)
    response = client.post(url, {"new_parent": cast.b.uscc, "on": "2025-03-01"})
    assert response.status_code == 302
    assert selectors.parent_link_at(cast.a2.id, date(2025, 3, 1)).parent_id == cast.b.id
    assert selectors.parent_link_at(cast.a2.id, date(2025, 2, 28)).parent_id == cast.a.id
    assert AuditEvent.objects.filter(
        enterprise_id=cast.a2.id, actor=cast.analyst, object_type="registry.managementlink"
    ).exists()


def test_transfer_into_its_own_subtree_is_refused(cast, login):
    client = login(cast.analyst)
    response = client.post(
        edit_url("enterprise_transfer", cast.a1), {"new_parent": cast.a11.uscc, "on": "2026-01-01"}
    )
    assert response.status_code == 400
    assert cast.a11.name_zh in response.content.decode()  # the cycle message names it
    assert selectors.parent_link_at(cast.a1.id, date(2026, 1, 1)).parent_id == cast.a.id


def test_transfer_to_an_enterprise_out_of_sight_is_refused(cast, login):
    client = login(cast.dl_analyst)
    response = client.post(
        edit_url("enterprise_transfer", cast.d), {"new_parent": cast.a.uscc, "on": "2026-01-01"}
    )
    assert response.status_code == 400
    assert "new_parent" in response.context["form"].errors


def test_merge_through_the_form(cast, login):
    client = login(cast.analyst)
    response = client.post(
        edit_url("enterprise_merge", cast.a1), {"into": cast.a2.uscc, "on": "2024-01-01"}
    )
    assert response.status_code == 302
    cast.a1.refresh_from_db()
    assert cast.a1.status == "merged" and cast.a1.merged_into_id == cast.a2.id
    assert selectors.parent_link_at(cast.a11.id, date(2024, 1, 1)).parent_id == cast.a2.id
    page = client.get(reverse("registry:enterprise", args=[cast.a1.id])).content.decode()
    assert 'class="tag merged"' in page
    response = client.post(
        edit_url("enterprise_merge", cast.a2), {"into": cast.a2.uscc, "on": "2024-06-01"}
    )
    assert response.status_code == 400


def test_moving_an_enterprise_into_a_lower_supervisors_registry_is_forbidden(cast, login):
    # Liaoning may edit A2 but not Dalian's registry: the service refuses the whole transfer.
    before = AuditEvent.objects.count()
    response = login(cast.analyst).post(
        edit_url("enterprise_transfer", cast.a2), {"new_parent": cast.d.uscc, "on": "2026-01-01"}
    )
    assert response.status_code == 403
    assert "你无权修改该国资委的企业名录" in response.content.decode()
    assert selectors.parent_link_at(cast.a2.id, date(2026, 1, 1)).parent_id == cast.a.id
    assert Enterprise.objects.get(id=cast.a2.id).supervisor_id == cast.ln.id
    assert AuditEvent.objects.count() == before
