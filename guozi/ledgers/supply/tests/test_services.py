"""Opening and changing a key input: checks, permissions, derived flags, history and audit."""

from decimal import Decimal as D

import pytest

from guozi.audit.models import AuditEvent
from guozi.ledgers import services as ledger_services
from guozi.ledgers.models import EventAction, ItemEvent, Register, Status, TrackedItem
from guozi.ledgers.supply import services
from guozi.ledgers.supply.models import SupplyInput, SupplySource
from guozi.lib.errors import DomainError, Forbidden

from .conftest import ORE_MINER, input_fields, open_input


def test_opening_an_input_opens_its_item_with_the_input_and_its_suppliers(cast, ore):
    item = ore.item
    assert item.register == Register.SUPPLY_INPUT
    assert item.title == "铁矿石"
    assert item.owner == cast.a1
    assert item.status == Status.OPEN
    assert ore.annual_spend_fen == 185_000 * 1_000_000
    assert ore.annual_volume == D(320)
    assert [s.supplier_name for s in ore.sources.all()] == [
        "Pilbara Iron Ore Pty Ltd",
        "Vale Minerais S.A.",
        "鞍山恒达矿业有限公司",
    ]
    assert ore.sources.get(country="CN").uscc == ORE_MINER
    assert ore.sources.get(country="AU").name_key == "pilbaraironore"


def test_the_flags_are_stored_on_the_input(ore):
    stored = SupplyInput.objects.get(id=ore.id)
    assert stored.supplier_count == 3
    assert stored.total_share == 100
    assert stored.coverage == "complete"
    assert stored.hhi == D(55**2 + 25**2 + 20**2)  # 4050
    assert stored.band == "high"
    assert stored.largest_share == 55
    assert not stored.single_source
    assert stored.import_share == 80
    assert stored.import_dependent
    assert stored.flags == ("import_dependent", "no_domestic_alternative", "highly_concentrated")


def test_the_item_history_says_opened_and_the_audit_log_holds_the_input(ore):
    events = list(ItemEvent.objects.filter(item=ore.item).values_list("action", flat=True))
    assert events == [EventAction.CREATED]
    audit = AuditEvent.objects.get(object_type="supply.supplyinput", object_id=str(ore.id))
    assert audit.action == "create"
    assert audit.after["name"] == "铁矿石"
    assert audit.after["sources"][2] == {
        "supplier": "鞍山恒达矿业有限公司",
        "uscc": ORE_MINER,
        "country": "CN",
        "share": "20.00",
    }
    assert audit.enterprise_id == ore.owner_id


def test_an_input_without_suppliers_has_no_hhi_and_no_band(cast):
    bare = open_input(cast, sources=[], name="石墨电极", domestic_alternative=True)
    assert bare.hhi is None
    assert bare.band == ""
    assert bare.coverage == ""
    assert bare.flags == ()


def test_only_the_supervisors_analysts_and_reviewers_open_inputs(cast):
    for user in (cast.reporter, cast.sub_reporter, cast.outsider, cast.leader):
        with pytest.raises(Forbidden):
            open_input(cast, by=user)
    assert not TrackedItem.objects.exists()
    assert not SupplyInput.objects.exists()


def test_every_problem_is_reported_at_once_and_nothing_is_written(cast):
    with pytest.raises(DomainError) as caught:
        services.input_create(
            acting_user=cast.analyst,
            owner=cast.a1,
            fields=input_fields(
                name="",
                category="metal",
                domestic_alternative="maybe",
                annual_spend="-5",
                annual_volume="12.345",
                volume_unit="",
            ),
            sources=[
                {"supplier": "", "country": "XX", "share": "0"},
                {"supplier": "大连港", "country": "AU", "uscc": ORE_MINER, "share": "abc"},
                {
                    "supplier": "Co., Ltd.",
                    "country": "CN",
                    "uscc": "91210300A0000001",
                    "share": "101",
                },
            ],
        )
    fields = caught.value.fields
    assert set(fields) == {
        "name",
        "category",
        "domestic_alternative",
        "annual_spend",
        "annual_volume",
        "sources.0.supplier",
        "sources.0.country",
        "sources.0.share",
        "sources.1.uscc",
        "sources.1.share",
        "sources.2.supplier",
        "sources.2.uscc",
        "sources.2.share",
    }
    assert "title" not in fields  # the title defaults to the name, whose problem is reported
    assert not TrackedItem.objects.exists()
    assert not SupplySource.objects.exists()


def test_shares_over_100_in_all_are_refused(cast):
    with pytest.raises(DomainError) as caught:
        open_input(
            cast,
            sources=[
                {"supplier": "甲", "country": "CN", "share": "70"},
                {"supplier": "乙", "country": "CN", "share": "30.2"},
            ],
        )
    assert "100.2" in caught.value.fields["sources"][0]
    assert not TrackedItem.objects.exists()


def test_shares_short_of_100_are_kept_and_reported(cast):
    partial = open_input(
        cast,
        sources=[
            {"supplier": "甲", "country": "CN", "share": "50"},
            {"supplier": "乙", "country": "CN", "share": "30"},
        ],
    )
    assert partial.coverage == "short"
    assert partial.total_share == 80
    assert partial.hhi == 3400


def test_the_same_supplier_twice_is_refused_by_uscc_or_name(cast):
    with pytest.raises(DomainError) as caught:
        open_input(
            cast,
            sources=[
                {"supplier": "恒达矿业", "country": "CN", "uscc": ORE_MINER, "share": "40"},
                {"supplier": "鞍山恒达", "country": "CN", "uscc": ORE_MINER, "share": "20"},
                {"supplier": "Vale S.A.", "country": "BR", "share": "20"},
                {"supplier": "VALE", "country": "BR", "share": "20"},
            ],
        )
    assert set(caught.value.fields) == {"sources.1.supplier", "sources.3.supplier"}


def test_one_enterprise_names_an_input_once(cast, ore):
    with pytest.raises(DomainError) as caught:
        open_input(cast)
    assert "name" in caught.value.fields
    assert SupplyInput.objects.count() == 1
    other = open_input(cast, owner=cast.a2)
    assert other.name == ore.name


def test_the_items_own_problems_come_back_with_the_inputs(cast):
    with pytest.raises(DomainError) as caught:
        services.input_create(
            acting_user=cast.analyst,
            owner=cast.a1,
            fields=input_fields(category="?"),
            due_date=cast.a1.created_at.date().replace(year=2020),
        )
    assert {"category", "due_date"} <= set(caught.value.fields)
    assert not TrackedItem.objects.exists()


def test_the_owners_reporters_change_the_suppliers_and_the_flags_follow(cast, ore):
    updated = services.input_update(
        acting_user=cast.sub_reporter,
        supply_input=ore,
        sources=[
            {"supplier": "鞍山恒达矿业有限公司", "uscc": ORE_MINER, "country": "CN", "share": "60"},
            {"supplier": "Pilbara Iron Ore Pty Ltd", "country": "AU", "share": "40"},
        ],
        reason="新增国内长协",
    )
    assert updated.import_share == 40
    assert not updated.import_dependent
    assert updated.hhi == 5200
    assert list(updated.sources.values_list("supplier_name", flat=True)) == [
        "鞍山恒达矿业有限公司",
        "Pilbara Iron Ore Pty Ltd",
    ]
    event = ItemEvent.objects.filter(item=ore.item).latest("id")
    assert event.action == EventAction.EDITED
    assert event.actor == cast.sub_reporter
    assert event.reason == "新增国内长协"
    assert len(event.before["supply"]["sources"]) == 3
    assert event.after["supply"]["sources"][0]["share"] == "60.00"
    assert event.after["supply"]["hhi"] == "5200.0000"
    assert "name" not in event.after["supply"]  # only what changed
    audit = AuditEvent.objects.filter(object_type="supply.supplyinput").latest("id")
    assert audit.action == "update"
    assert audit.actor == cast.sub_reporter


def test_fields_change_alone_and_the_volume_keeps_its_unit(cast, ore):
    updated = services.input_update(
        acting_user=cast.reporter,
        supply_input=ore,
        fields={"annual_volume": "350", "domestic_alternative": "是"},
    )
    assert updated.annual_volume == 350
    assert updated.volume_unit == "万吨"
    assert updated.domestic_alternative
    assert "no_domestic_alternative" not in updated.flags
    assert updated.sources.count() == 3


def test_a_volume_without_unit_is_refused(cast, ore):
    with pytest.raises(DomainError) as caught:
        services.input_update(
            acting_user=cast.analyst, supply_input=ore, fields={"volume_unit": ""}
        )
    assert "volume_unit" in caught.value.fields


def test_no_change_writes_no_history(cast, ore):
    before = ItemEvent.objects.count()
    services.input_update(
        acting_user=cast.analyst, supply_input=ore, fields={"name": "铁矿石"}, sources=None
    )
    assert ItemEvent.objects.count() == before


def test_unknown_fields_are_refused(cast, ore):
    with pytest.raises(DomainError) as caught:
        services.input_update(acting_user=cast.analyst, supply_input=ore, fields={"hhi": "1"})
    assert "hhi" in caught.value.fields


@pytest.mark.parametrize("who", ["outsider", "group_reviewer", "leader", "auditor", "dl_analyst"])
def test_others_may_not_change_an_input(cast, ore, who):
    with pytest.raises(Forbidden):
        services.input_update(
            acting_user=getattr(cast, who), supply_input=ore, fields={"criticality": "general"}
        )
    assert SupplyInput.objects.get(id=ore.id).criticality == "critical"


def test_a_closed_item_keeps_its_input(cast, ore):
    ledger_services.item_cancel(acting_user=cast.analyst, item=ore.item, reason="重复登记")
    with pytest.raises(DomainError) as caught:
        services.input_update(
            acting_user=cast.analyst, supply_input=ore, fields={"criticality": "general"}
        )
    assert caught.value.code == "state"


def test_a_rename_may_not_take_another_inputs_name(cast, ore):
    open_input(cast, name="焦煤", sources=[])
    with pytest.raises(DomainError) as caught:
        services.input_update(acting_user=cast.analyst, supply_input=ore, fields={"name": "焦煤"})
    assert "name" in caught.value.fields


def test_an_item_opened_without_its_input_gets_one_later(cast):
    item = ledger_services.item_create(
        acting_user=cast.analyst,
        register=Register.SUPPLY_INPUT,
        owner=cast.a1,
        title="芯片进口依赖缓释",
    )
    attached = services.input_attach(
        acting_user=cast.sub_reporter,
        item=item,
        fields=input_fields(name="PLC控制芯片", category="key_component"),
        sources=[{"supplier": "Rhein Microcontrollers GmbH", "country": "DE", "share": "100"}],
    )
    assert attached.owner == cast.a1
    assert attached.single_source
    assert ItemEvent.objects.filter(item=item, action=EventAction.EDITED).count() == 1
    with pytest.raises(DomainError):
        services.input_attach(acting_user=cast.analyst, item=item, fields=input_fields())


def test_an_item_of_another_register_gets_no_input(cast):
    item = ledger_services.item_create(
        acting_user=cast.analyst, register=Register.RECTIFICATION, owner=cast.a1, title="整改"
    )
    with pytest.raises(DomainError) as caught:
        services.input_attach(acting_user=cast.analyst, item=item, fields=input_fields())
    assert caught.value.code == "register"


def test_categories_and_criticality_read_codes_and_labels_in_either_language(cast):
    a = open_input(cast, name="天然气", category="能源", criticality="关键", sources=[])
    b = open_input(cast, name="工业软件", category="Software and IT", criticality="", sources=[])
    assert (a.category, a.criticality) == ("energy", "critical")
    assert (b.category, b.criticality) == ("software_it", "important")


def test_spend_is_exact_in_fen(cast):
    exact = open_input(cast, name="电力", annual_spend="1,234.567891", sources=[])
    assert exact.annual_spend_fen == 1_234_567_891
    with pytest.raises(DomainError) as caught:
        open_input(cast, name="蒸汽", annual_spend="1.0000001", sources=[])
    assert "annual_spend" in caught.value.fields
