"""Legacy-problem fixtures on the common cast (guozi/conftest.py).

The usual problem is a 三供一业 water handover of A1 (辽钢板材, steel group A): its reporters are
`sub_reporter` (at A1) and `reporter` (at A above it), its reviewer `group_reviewer`; the
Liaoning analysts and reviewers open and verify it; `outsider` (port group B) cannot see it.
"""

import io
from datetime import date, timedelta
from decimal import Decimal

import pytest
import xlsxwriter
from django.utils import translation

from guozi.ledgers import services as ledger_services
from guozi.ledgers.legacy import services

TODAY = date(2026, 8, 28)


@pytest.fixture(autouse=True)
def english():
    """Messages are asserted in English; the pages pick their language per request."""
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def data_dir(settings, tmp_path):
    """Evidence and uploads go to a fresh data directory per test."""
    settings.DATA_DIR = tmp_path
    return tmp_path


WATER = {
    "kind": "three_supplies",
    "sub_kind": "water",
    "households_total": 3200,
    "households_done": 1200,
    "amount_total": Decimal("18500000.00"),
    "amount_done": Decimal("6000000.50"),
    "receiving_party": "鞍山市自来水总公司",
    "planned_on": date(2026, 12, 31),
}


def open_problem(cast, *, owner=None, by=None, fields=None, **item):
    values = {
        "owner": owner or cast.a1,
        "title": "职工家属区供水分离移交",
        "due_date": TODAY + timedelta(days=120),
        "responsible_name": "王磊",
    }
    values.update(item)
    return services.problem_create(
        acting_user=by or cast.analyst, fields=dict(WATER if fields is None else fields), **values
    )


@pytest.fixture
def problem(cast):
    return open_problem(cast)


def close(cast, item):
    """Take the item through the ledgers' lifecycle to verified (closed)."""
    update = ledger_services.item_update_add(
        acting_user=cast.sub_reporter, item=item, text="移交完成", progress=100, submit=True
    )
    ledger_services.item_update_approve(acting_user=cast.group_reviewer, update=update)
    ledger_services.verification_request(acting_user=cast.group_reviewer, item=item)
    return ledger_services.verify(acting_user=cast.analyst, item=item, accept=True)


def workbook(rows, header) -> bytes:
    """An .xlsx of one sheet: `header`, then `rows` (lists of cell values)."""
    stream = io.BytesIO()
    book = xlsxwriter.Workbook(stream, {"in_memory": True})
    sheet = book.add_worksheet()
    day = book.add_format({"num_format": "yyyy-mm-dd"})
    for column, text in enumerate(header):
        sheet.write(0, column, text)
    for number, values in enumerate(rows, start=1):
        for column, value in enumerate(values):
            if isinstance(value, date):
                sheet.write_datetime(number, column, value, day)
            elif value is not None:
                sheet.write(number, column, value)
    book.close()
    return stream.getvalue()
