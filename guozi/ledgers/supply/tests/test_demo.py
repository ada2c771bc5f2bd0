"""The supply-chain demo, loaded by `guozi load_demo` after the registry."""

from io import StringIO

import pytest
from django.core.management import call_command

from guozi.accounts.models import User
from guozi.ledgers import demo as ledgers_demo
from guozi.ledgers.models import Register, Status, TrackedItem
from guozi.ledgers.supply import demo
from guozi.ledgers.supply.models import SupplyInput, SupplySource
from guozi.ledgers.supply.selectors import portfolio
from guozi.lib.errors import DomainError

from .conftest import TODAY

pytestmark = pytest.mark.django_db
SEED = 20260828


@pytest.fixture
def registry(settings):
    settings.GUOZI_TODAY = TODAY.isoformat()
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    call_command("load_demo", "--scale", "200", "--months", "0", stdout=StringIO())


def snapshot():
    return sorted(
        SupplySource.objects.values_list(
            "input__owner__uscc", "input__name", "supplier_name", "uscc", "country", "share"
        )
    )


def test_the_demo_loads_a_realistic_register(registry):
    line = demo.load(seed=SEED, scale=None, tasks=0)
    inputs = SupplyInput.objects.all()
    enterprises = inputs.values("owner_id").distinct().count()
    assert 30 <= enterprises <= 60
    assert "Supply-chain register" in line or "供应链台账" in line
    assert inputs.filter(band="high").exists()
    assert inputs.filter(single_source=True).exists()
    assert inputs.filter(import_dependent=True).exists()
    assert inputs.filter(domestic_alternative=False).exists()
    assert inputs.filter(coverage="short").exists()
    assert {"铁矿石", "原油"} <= set(inputs.values_list("name", flat=True))
    for source in SupplySource.objects.exclude(uscc=""):
        assert source.country == "CN"
    shared = portfolio(User.objects.get(username="analyst")).shared_suppliers
    assert shared[0].enterprises >= 5  # a supplier most steel makers share


def test_the_demo_users_see_their_groups_inputs_and_mitigation(registry):
    demo.load(seed=SEED, scale=None, tasks=0)
    reporter = User.objects.get(username="sub_reporter")
    assert portfolio(reporter).inputs >= 1
    items = TrackedItem.objects.filter(register=Register.SUPPLY_INPUT)
    assert items.filter(status=Status.IN_PROGRESS).exists()
    assert items.filter(status=Status.AWAITING_VERIFICATION).count() <= 1
    assert all(item.opened_on < TODAY for item in items)


def test_the_same_seed_gives_the_same_register(registry):
    demo.load(seed=SEED, scale=None, tasks=0)
    first = snapshot()
    ledgers_demo.reset()  # this register's reset first, then the items
    assert not SupplyInput.objects.exists() and not TrackedItem.objects.exists()
    demo.load(seed=SEED, scale=None, tasks=0)
    assert snapshot() == first


def test_a_scaled_portfolio_gets_no_supply_demo(registry):
    assert demo.load(seed=SEED, scale=200, tasks=0) == ""
    assert not SupplyInput.objects.exists()


def test_the_demo_needs_the_demo_registry(db):
    with pytest.raises(DomainError) as refused:
        demo.load(seed=SEED, scale=None, tasks=0)
    assert refused.value.code == "demo_registry"
