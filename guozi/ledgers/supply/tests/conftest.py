"""Supply-chain fixtures on the common cast (guozi/conftest.py).

The usual input is iron ore of A1 (辽钢板材), opened by the Liaoning analyst: its reporters are
`sub_reporter` (at A1) and `reporter` (at the group A above it); `outsider` (port group B)
cannot see it.
"""

from datetime import date, timedelta

import pytest

from guozi.ledgers.supply import services
from guozi.lib.uscc import make_uscc

TODAY = date(2026, 8, 28)
ORE_MINER = make_uscc("9", "1", "210300", "G0000001")  # a Chinese supplier's USCC
COKING = make_uscc("9", "1", "211000", "G0000002")


@pytest.fixture(autouse=True)
def data_dir(settings, tmp_path):
    """Evidence files and uploads go to a fresh data directory per test."""
    settings.DATA_DIR = tmp_path
    return tmp_path


def ore_sources():
    return [
        {"supplier": "Pilbara Iron Ore Pty Ltd", "country": "AU", "share": "55"},
        {"supplier": "Vale Minerais S.A.", "country": "BR", "share": "25"},
        {"supplier": "鞍山恒达矿业有限公司", "uscc": ORE_MINER, "country": "CN", "share": "20"},
    ]


def input_fields(**changes):
    fields = {
        "name": "铁矿石",
        "category": "raw_material",
        "criticality": "critical",
        "annual_spend": "185000",  # 万元
        "annual_volume": "320",
        "volume_unit": "万吨",
        "domestic_alternative": False,
    }
    fields.update(changes)
    return fields


def open_input(cast, *, owner=None, by=None, sources=None, **changes):
    return services.input_create(
        acting_user=by or cast.analyst,
        owner=owner or cast.a1,
        fields=input_fields(**changes),
        sources=ore_sources() if sources is None else sources,
        due_date=TODAY + timedelta(days=120),
        responsible_name="张伟（采购部）",
    )


@pytest.fixture
def ore(cast):
    return open_input(cast)
