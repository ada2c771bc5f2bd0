"""The records the profile tests read, on the common cast (guozi/conftest.py): figures for the
steel group's enterprises, and one of each register's items for A1 (辽钢板材)."""

from datetime import date, timedelta

from django.utils import timezone

from guozi.indicators import services as indicator_services
from guozi.indicators.frameworks import load_built_in as load_indicator_frameworks
from guozi.indicators.models import Alert, AlertStatus, Severity, Target
from guozi.indicators.tests.conftest import put_report
from guozi.ledgers.legacy.tests.conftest import open_problem
from guozi.ledgers.reform.tests.conftest import assign
from guozi.ledgers.rnd.tests.conftest import open_project
from guozi.ledgers.safety.tests.conftest import report
from guozi.ledgers.supply.tests.conftest import open_input
from guozi.ledgers.tests.conftest import open_item
from guozi.lib.periods import Period
from guozi.reporting.frameworks import load_built_in
from guozi.reporting.models import Form, ReportScope, State

TODAY = date(2026, 8, 28)
JULY, JUNE = "2026-07", "2026-06"
STANDALONE = ReportScope.STANDALONE
# Two tasks of the Three-Year Action, in two task areas.
REFORM_TASKS = ("boards_established", "front_list")


def fast_report() -> Form:
    load_built_in()
    load_indicator_frameworks()
    return Form.objects.get(code="fast_report")


def compute_figures(cast) -> Form:
    """June and July for A1 (revenue 1,380 and 1,725 万元 year to date); July for the other
    enterprises of the steel group (division C31), A2 without R&D and with negative equity;
    B and D too (other industries)."""
    form = fast_report()
    put_report(form, cast.a1, JUNE, scale=1.2)
    put_report(form, cast.a1, JULY, scale=1.5)
    put_report(form, cast.a1, JULY, scope=STANDALONE, scale=0.5)
    put_report(form, cast.a, JULY, scale=3)
    put_report(form, cast.a, JULY, scope=STANDALONE)
    put_report(form, cast.a11, JULY, scale=0.8)
    put_report(
        form,
        cast.a2,
        JULY,
        scale=0.5,
        **{"rd_expenditure.current": None, "owners_equity.current": "-10"},
    )
    put_report(form, cast.b, JULY, scale=2)
    put_report(form, cast.b, JULY, scope=STANDALONE)
    put_report(form, cast.b1, JULY)
    put_report(form, cast.d, JULY, state=State.SUBMITTED)
    indicator_services.compute(periods=[Period.parse(JUNE), Period.parse(JULY)])
    return form


def set_target(cast, enterprise, code: str, value: float) -> Target:
    return Target.objects.create(
        supervisor=cast.ln, enterprise=enterprise, year=2026, indicator=code, value=value
    )


def raise_alert(cast, enterprise, *, rule="net_loss_ytd", status=AlertStatus.OPEN) -> Alert:
    now = timezone.now()
    return Alert.objects.create(
        framework_code="sasac",
        rule=rule,
        supervisor=cast.ln,
        enterprise=enterprise,
        severity=Severity.WARNING,
        status=status,
        first_period=JUNE,
        last_period=JULY,
        message_zh="年初至今净亏损",
        message_en="Net loss year to date",
        raised_at=now,
        updated_at=now,
    )


def open_rectification(cast, owner, title="应收账款坏账准备计提不足", days=30):
    return open_item(cast, owner=owner, title=title, due_date=TODAY + timedelta(days=days))


def open_legacy(cast, owner):
    return open_problem(cast, owner=owner)


def report_incident(cast, owner):
    return report(cast, owner=owner)


def open_rd_project(cast, owner):
    return open_project(cast, owner=owner)


def fill_registers(cast, owner) -> dict:
    """One of each register's items for `owner`."""
    return {
        "alert": raise_alert(cast, owner),
        "rectification": open_rectification(cast, owner),
        "reform": assign(cast, [owner], REFORM_TASKS),
        "legacy": open_legacy(cast, owner),
        "incident": report_incident(cast, owner),
        "project": open_rd_project(cast, owner),
        "supply": open_input(cast, owner=owner),
    }
