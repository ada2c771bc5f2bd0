"""Safety-incident fixtures on the common cast (guozi/conftest.py).

The usual incident happens at A2 (辽钢矿业, under the steel group A): its reporters are
`reporter` (at A), its reviewer `group_reviewer`; the Liaoning analysts and reviewers record and
verify it; `outsider` (port group B) cannot see it.
"""

from datetime import date, datetime
from decimal import Decimal

import pytest

from guozi.ledgers.safety import services
from guozi.lib.clock import CHINA

TODAY = date(2026, 8, 28)


@pytest.fixture(autouse=True)
def data_dir(settings, tmp_path):
    """Evidence files go to a fresh data directory per test."""
    settings.DATA_DIR = tmp_path
    return tmp_path


def at(text: str) -> datetime:
    """A time in China, from "2026-08-01 14:30"."""
    return datetime.fromisoformat(text).replace(tzinfo=CHINA)


def report(cast, *, by=None, owner=None, **fields):
    values = {
        "owner": owner or cast.a2,
        "occurred_at": at("2026-08-20 09:40"),
        "incident_type": "mining",
        "place": "辽钢矿业弓长岭井下-280米水平3号采场",
        "description": "采场顶板冒落，造成作业人员被埋。",
        "deaths": 2,
        "serious_injuries": 1,
        "direct_loss": Decimal("3800000"),
        "reported_at": at("2026-08-20 10:25"),
    }
    values.update(fields)
    return services.incident_report_first(acting_user=by or cast.reporter, **values)


def again(cast, incident, *, by=None, **fields):
    latest = incident.latest
    values = {
        "deaths": latest.deaths,
        "serious_injuries": latest.serious_injuries,
        "direct_loss": latest.direct_loss,
        "reported_at": at("2026-08-22 08:00"),
    }
    values.update(fields)
    return services.incident_report_again(
        acting_user=by or cast.reporter, incident=incident, **values
    )


@pytest.fixture
def incident(cast):
    return report(cast)
