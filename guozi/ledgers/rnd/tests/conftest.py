"""R&D register fixtures on the common cast (guozi/conftest.py).

The usual project belongs to A1 (辽钢板材, a subsidiary of the steel group A with a subsidiary of
its own, A11): its reporters are `sub_reporter` (at A1) and `reporter` (at A above it), its
reviewer `group_reviewer`; the Liaoning analysts and reviewers open it and change its details;
`outsider` (port group B) cannot see it.
"""

from datetime import date
from decimal import Decimal

import pytest

from guozi.ledgers.rnd import services
from guozi.lib.periods import Period
from guozi.reporting.frameworks import load_built_in, version_in_force
from guozi.reporting.models import Form, ReportScope, State, Submission

TODAY = date(2026, 8, 28)


@pytest.fixture(autouse=True)
def data_dir(settings, tmp_path):
    """Files go to a fresh data directory per test."""
    settings.DATA_DIR = tmp_path
    return tmp_path


def open_project(cast, *, by=None, **fields):
    values = {
        "owner": cast.a1,
        "title": "高强度汽车用钢板关键技术攻关",
        "due_date": date(2027, 6, 30),
        "tech_field": "new_materials",
        "kind": "key_core",
        "start_year": 2025,
        "end_year": 2027,
        "total_budget": Decimal("30000000"),
        "responsible_name": "张伟",
        "milestones": ["技术方案论证", "中试验证", "成果验收"],
    }
    values.update(fields)
    return services.project_create(acting_user=by or cast.analyst, **values)


@pytest.fixture
def project(cast):
    return open_project(cast)


@pytest.fixture
def fast_report(db):
    load_built_in()
    return Form.objects.get(code="fast_report")


def file_report(form, enterprise, period: str, *, rd_wan, scope=None, state=State.APPROVED):
    """A fast report whose R&D expenditure (研发经费投入, 万元) is `rd_wan`; other cells are not
    needed here."""
    found = Period.parse(period)
    return Submission.objects.create(
        enterprise=enterprise,
        form=form,
        version=version_in_force(form, found),
        period=period,
        period_end=found.end,
        scope=scope or ReportScope.CONSOLIDATED,
        state=state,
        cells={"rd_expenditure.current": int(Decimal(str(rd_wan)) * 1_000_000)},
    )
