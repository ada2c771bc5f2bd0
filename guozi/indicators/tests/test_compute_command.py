"""`guozi compute`: the periods named or every period; after --all on PostgreSQL the planner's
statistics of the results are refreshed."""

import io

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from guozi.indicators.models import ComputeRun

from .conftest import put_report

pytestmark = pytest.mark.django_db(transaction=True)  # ANALYZE sees committed rows only


def last_analysed():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT last_analyze FROM pg_stat_user_tables WHERE relname = %s",
            ["indicators_indicatorresult"],
        )
        return cursor.fetchone()[0]


def test_compute_all_computes_every_reported_period(cast, fast_report):
    put_report(fast_report, cast.a, "2026-06")
    put_report(fast_report, cast.a, "2026-07")
    out = io.StringIO()
    call_command("compute", "--all", stdout=out)
    assert set(ComputeRun.objects.values_list("period", flat=True)) == {"2026-06", "2026-07"}
    if connection.vendor == "postgresql":
        assert last_analysed() is not None


def test_compute_needs_periods_or_all(cast, fast_report):
    with pytest.raises(CommandError, match="--all"):
        call_command("compute")
