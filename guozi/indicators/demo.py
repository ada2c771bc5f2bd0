"""The demo's indicators: targets for every group, industry baselines and line policies, every
indicator computed for every period the demo reports, the alerts the data calls for, and
rectification items opened for some of them."""

import time
from dataclasses import dataclass
from datetime import timedelta

from django.utils.translation import gettext as _

from guozi.accounts.models import Membership, Role
from guozi.lib import clock
from guozi.registry.models import Enterprise, ManagementLink, Supervisor
from guozi.reporting.models import Form, ReportScope, State, Submission

from .frameworks import load_built_in
from .models import (
    Alert,
    AlertStatus,
    DebtLineMethod,
    DebtLinePolicy,
    IndustryBaseline,
    Severity,
    Target,
)
from .services import alert_acknowledge, alert_rectify, compute

# Demo baselines: plausible last-year average debt ratios by GB/T 4754 section (invented for
# the demo, not published figures).
BASELINES = {"B": 0.58, "C": 0.57, "D": 0.63, "E": 0.62, "F": 0.60, "G": 0.58, "K": 0.70}
DEFAULT_BASELINE = 0.58
PROFIT_GROWTH, RD_STEP = 0.06, 0.002
RECTIFIED, ACKNOWLEDGED = 6, 4


@dataclass
class ComputedDemo:
    runs: int
    periods: int
    targets: int
    alerts: int
    rectifications: int
    seconds: float


def compute_demo() -> ComputedDemo:
    started = time.monotonic()
    load_built_in()
    form = Form.objects.get(code="fast_report")
    years = sorted({int(p[:4]) for p in Submission.objects.filter(form=form).values_list(
        "period", flat=True).distinct()})  # fmt: skip
    _lines(years)
    targets = _targets(form, years)
    runs = compute()
    rectified = _work_off_alerts()
    return ComputedDemo(
        runs=len(runs),
        periods=len({run.period for run in runs}),
        targets=targets,
        alerts=Alert.objects.exclude(status=AlertStatus.CLEARED).count(),
        rectifications=rectified,
        seconds=time.monotonic() - started,
    )


def _lines(years: list[int]) -> None:
    """The guideline's baselines for every supervisor, year and section; the municipal
    supervisors use SASAC's fixed lines instead."""
    sections = set(Enterprise.objects.values_list("industry_section", flat=True).distinct()) - {""}
    rows = [
        IndustryBaseline(
            supervisor=supervisor,
            year=year,
            industry=section,
            baseline=BASELINES.get(section, DEFAULT_BASELINE),
            source=_("Demo value"),
        )
        for supervisor in Supervisor.objects.all()
        for year in years
        for section in sorted(sections)
    ]
    IndustryBaseline.objects.bulk_create(rows, ignore_conflicts=True)
    for supervisor in Supervisor.objects.all():
        method = DebtLineMethod.GUIDELINE if supervisor.parent_id is None else (
            DebtLineMethod.SASAC_FIXED)  # fmt: skip
        DebtLinePolicy.objects.update_or_create(supervisor=supervisor, defaults={"method": method})


def _targets(form: Form, years: list[int]) -> int:
    """Each group's targets for a year: last December's total profit up 6%, R&D intensity up
    0.2 points (where last December was reported)."""
    groups = dict(
        ManagementLink.objects.filter(parent_supervisor__isnull=False).values_list(
            "child_id", "parent_supervisor_id"
        )
    )
    made = []
    for year in years:
        december = Submission.objects.filter(
            form=form,
            period=f"{year - 1}-12",
            scope=ReportScope.CONSOLIDATED,
            state=State.APPROVED,
            enterprise_id__in=list(groups),
        ).values_list("enterprise_id", "cells")
        for enterprise_id, cells in december:
            profit = cells.get("total_profit.current")
            revenue = cells.get("operating_revenue.current")
            rd = cells.get("rd_expenditure.current")
            key = {"supervisor_id": groups[enterprise_id], "enterprise_id": enterprise_id,
                   "year": year}  # fmt: skip
            if profit is not None:
                # A profit grows by 6%; a loss is to be halved.
                factor = 1 + PROFIT_GROWTH if profit > 0 else 0.5
                value = round(profit / 1_000_000 * factor, 2)
                made.append(Target(**key, indicator="total_profit", value=value))
            if rd is not None and revenue:
                value = round(rd / revenue + RD_STEP, 4)
                made.append(Target(**key, indicator="rd_intensity", value=value))
    Target.objects.bulk_create(made, ignore_conflicts=True, batch_size=2000)
    return len(made)


def _work_off_alerts() -> int:
    """The provincial analyst acknowledges a few open alerts and opens rectification items for
    the most severe ones."""
    count = 0
    for supervisor in Supervisor.objects.filter(parent__isnull=True):
        analyst = (
            Membership.objects.filter(supervisor=supervisor, role=Role.SUPERVISOR_ANALYST)
            .select_related("user")
            .first()
        )
        if analyst is None:
            continue
        open_alerts = Alert.objects.filter(supervisor=supervisor, status=AlertStatus.OPEN)
        severe = open_alerts.filter(severity=Severity.CRITICAL).order_by("-last_period", "id")
        due = clock.today() + timedelta(days=60)
        for alert in severe[:RECTIFIED]:
            alert_rectify(acting_user=analyst.user, alert=alert, due_date=due)
            count += 1
        for alert in open_alerts.exclude(severity=Severity.CRITICAL).order_by("id")[:ACKNOWLEDGED]:
            alert_acknowledge(acting_user=analyst.user, alert=alert, note=_("Noted for the tour"))
    return count


def summary(computed: ComputedDemo) -> str:
    return _(
        "Indicators: %(periods)s periods computed (%(runs)s computations), %(targets)s targets, "
        "%(alerts)s alerts open, %(rectifications)s rectification items opened, in "
        "%(seconds).1f s."
    ) % {
        "periods": computed.periods,
        "runs": computed.runs,
        "targets": computed.targets,
        "alerts": computed.alerts,
        "rectifications": computed.rectifications,
        "seconds": computed.seconds,
    }


def reset() -> None:
    """Remove the computed figures, alerts, targets and lines (before the registry goes)."""
    from .models import AlertEvent, AlertRuleSwitch, ComputeRun

    for model in (AlertEvent, Alert, AlertRuleSwitch, ComputeRun, Target, IndustryBaseline,
                  DebtLinePolicy):  # fmt: skip
        model.objects.all().delete()
