"""Computing and recomputing indicators: whole periods on demand, stale ones after changes."""

from collections.abc import Callable
from datetime import date

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from guozi.audit.services import audit_record
from guozi.jobs.models import Job, JobStatus
from guozi.jobs.services import job_start
from guozi.lib.errors import DomainError, Forbidden
from guozi.lib.periods import Period
from guozi.reporting.models import Form, State, Submission

from .definitions import AlertRuleDef
from .engine import Computer, compute_periods
from .frameworks import framework_in_force, framework_of
from .models import (
    Alert,
    AlertEvent,
    AlertRuleSwitch,
    AlertStatus,
    ComputeRun,
    DataStatus,
    IndicatorFramework,
    IndicatorResult,
)

RECOMPUTE_KIND = "indicators_recompute"
DEFAULT_FRAMEWORK = "sasac"
# A report of period P is read by P itself and, through prior-year fall-backs and comparatives
# as filed, by the periods up to a year later.
AFFECTED_PERIODS = 13


def _forms(codes: list[str] | None) -> list[Form]:
    forms = list(Form.objects.filter(code__in=codes) if codes else Form.objects.all())
    if codes and len(forms) != len(set(codes)):
        unknown = sorted(set(codes) - {f.code for f in forms})
        raise DomainError(
            _("No such form: %(codes)s") % {"codes": ", ".join(unknown)}, code="no_form"
        )
    return forms


def reported_periods(form: Form) -> list[Period]:
    periods = Submission.objects.filter(form=form).values_list("period", flat=True).distinct()
    return sorted(Period.parse(p) for p in periods)


def compute(
    *,
    periods: list[Period] | None = None,
    forms: list[str] | None = None,
    framework: str = DEFAULT_FRAMEWORK,
    progress: Callable[[int, int, str], None] | None = None,
) -> list[ComputeRun]:
    """Compute every indicator of a framework for the periods (default: every period with
    reports) of the forms (default: those the framework reads), on approved data and, where
    reports await approval, including them."""
    if not IndicatorFramework.objects.filter(code=framework).exists():
        raise DomainError(
            _("No such indicator framework: %(code)s") % {"code": framework}, code="no_framework"
        )
    runs = []
    for form in _forms(forms):
        wanted = periods if periods is not None else reported_periods(form)
        wanted = [p for p in wanted if p.type == form.period_type]
        by_framework: dict = {}
        for period in wanted:
            try:
                loaded = framework_in_force(period, framework)
            except DomainError:
                continue
            by_framework.setdefault(loaded, []).append(period)
        for loaded, chosen in by_framework.items():
            if form.code not in framework_of(loaded).forms:
                continue
            step = _stepper(progress, form, len(chosen))
            runs += compute_periods(loaded, form, chosen, DataStatus.APPROVED, step)
            awaiting = _with_submitted(form, chosen)
            ComputeRun.objects.filter(
                framework=loaded, form=form, data_status=DataStatus.SUBMITTED
            ).exclude(period__in=[str(p) for p in awaiting]).delete()
            runs += compute_periods(loaded, form, awaiting, DataStatus.SUBMITTED)
    return runs


def refresh_statistics() -> None:
    """After a full recompute on PostgreSQL: the planner's statistics describe the results
    replaced (their run ids are gone), and until autovacuum gets to them it would scan every
    result for a new run's. SQLite plans without such statistics."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {IndicatorResult._meta.db_table}")


def _stepper(progress, form: Form, total: int):
    if progress is None:
        return None

    def step(done: int, _total: int) -> None:
        progress(done, total, _("Computing %(form)s") % {"form": form.name})

    return step


def _with_submitted(form: Form, periods: list[Period]) -> list[Period]:
    """The periods with reports awaiting approval: only they differ with submitted data."""
    found = set(
        Submission.objects.filter(
            form=form, period__in=[str(p) for p in periods], state=State.SUBMITTED
        )
        .values_list("period", flat=True)
        .distinct()
    )
    return [p for p in periods if str(p) in found]


def mark_stale(sender=None, *, form_id: int, period: str, **kwargs) -> None:
    """Reports of a period changed: its figures and those that read it are stale, and a job
    recomputes them once the change is committed."""
    start = Period.parse(period)
    affected = [str(start.shift(n)) for n in range(AFFECTED_PERIODS)]
    ComputeRun.objects.filter(form_id=form_id, period__in=affected).update(stale=True)
    transaction.on_commit(_enqueue_recompute)


def _enqueue_recompute() -> None:
    if Job.objects.filter(kind=RECOMPUTE_KIND, status=JobStatus.QUEUED).exists():
        return  # the queued job will pick up this change too
    from .tasks import recompute_stale_job

    job_start(
        kind=RECOMPUTE_KIND,
        title_zh="重新计算指标",
        title_en="Recompute indicators",
        acting_user=None,
        params={},
        task=recompute_stale_job,
    )


def recompute_stale(progress=None) -> list[ComputeRun]:
    """Recompute the stale periods (and the periods whose reports changed but were never
    computed are left to `guozi compute`)."""
    stale = ComputeRun.objects.filter(stale=True).values_list(
        "framework__code", "form__code", "period"
    )
    runs = []
    for framework, form_code, period in sorted(set(stale)):
        runs += compute(periods=[Period.parse(period)], forms=[form_code], framework=framework)
    if progress:
        progress(1, 1, _("Recomputed"))
    return runs


# -- alerts ------------------------------------------------------------------------------------


def _ensure_alert_manager(acting_user, supervisor_id: int) -> None:
    from guozi.ledgers.permissions import managed_supervisor_ids

    if supervisor_id not in managed_supervisor_ids(acting_user):
        raise Forbidden(_("Only the supervisor's analysts and reviewers may do this."))


@transaction.atomic
def alert_acknowledge(*, acting_user, alert: Alert, note: str = "") -> Alert:
    """The supervisor has seen the alert (it stays until the condition clears)."""
    _ensure_alert_manager(acting_user, alert.supervisor_id)
    alert = Alert.objects.select_for_update().get(id=alert.id)
    if alert.status != AlertStatus.OPEN:
        raise DomainError(_("Only an open alert can be acknowledged."), code="alert_state")
    alert.status = AlertStatus.ACKNOWLEDGED
    alert.updated_at = timezone.now()
    alert.save(update_fields=["status", "updated_at"])
    AlertEvent.objects.create(
        alert=alert, action="acknowledged", at=alert.updated_at, user=acting_user, note=note
    )
    audit_record(
        actor=acting_user,
        action="update",
        instance=alert,
        after={"event": "alert_acknowledged", "note": note},
        enterprise_id=alert.enterprise_id,
    )
    return alert


@transaction.atomic
def alert_rectify(
    *, acting_user, alert: Alert, due_date: date | None = None, responsible_name: str = ""
) -> Alert:
    """Open the rectification item that works the alert off (or find the one already open)
    and link the alert to it."""
    from guozi.ledgers.services import rectification_from

    _ensure_alert_manager(acting_user, alert.supervisor_id)
    alert = Alert.objects.select_for_update().select_related("enterprise").get(id=alert.id)
    if alert.status == AlertStatus.CLEARED:
        raise DomainError(
            _("The alert has cleared; nothing is left to rectify."), code="alert_state"
        )
    item = rectification_from(
        source_kind="alert",
        source_ref=alert.id,
        enterprise=alert.enterprise,
        title=alert.message,
        acting_user=acting_user,
        due_date=due_date,
        description=f"{alert.message_zh}\n{alert.message_en}",
        source=_("Alert %(rule)s, raised for %(period)s")
        % {"rule": alert.rule, "period": alert.first_period},
        responsible_name=responsible_name,
    )
    alert.rectification = item
    alert.updated_at = timezone.now()
    alert.save(update_fields=["rectification", "updated_at"])
    AlertEvent.objects.create(
        alert=alert, action="rectification", at=alert.updated_at, user=acting_user,
        note=str(item.id),
    )  # fmt: skip
    audit_record(
        actor=acting_user,
        action="update",
        instance=alert,
        after={"event": "alert_rectification", "item": item.id},
        enterprise_id=alert.enterprise_id,
    )
    return alert


def backtest(
    *,
    rule: AlertRuleDef,
    periods: list[Period],
    framework: str = DEFAULT_FRAMEWORK,
    form_code: str = "fast_report",
    supervisor_id: int | None = None,
) -> dict:
    """How many alerts the rule would have raised over past periods, where and when: the same
    evaluation and lifecycle as the real thing, without storing anything."""
    form = Form.objects.get(code=form_code)
    loaded = framework_in_force(max(periods), framework)
    computer = Computer(loaded, form, DataStatus.APPROVED, alerts=True, alert_rules=(rule,))
    findings = computer.findings([computer.prepare(p) for p in sorted(periods)])
    if supervisor_id is not None:
        findings = [f for f in findings if f.supervisor_id == supervisor_id]
    return simulate(findings)


def simulate(findings) -> dict:
    """Raised alerts per period and per enterprise, and those still open at the end."""
    by_enterprise: dict[int, list] = {}
    for finding in findings:
        by_enterprise.setdefault(finding.enterprise_id, []).append(finding)
    raised_in: dict[str, int] = {}
    enterprises: dict[int, int] = {}
    still_open = 0
    for enterprise_id, items in by_enterprise.items():
        open_ = False
        for finding in sorted(items, key=lambda f: Period.parse(f.period)):
            if finding.holds is None:
                continue
            if finding.holds and not open_:
                open_ = True
                raised_in[finding.period] = raised_in.get(finding.period, 0) + 1
                enterprises[enterprise_id] = enterprises.get(enterprise_id, 0) + 1
            elif not finding.holds:
                open_ = False
        still_open += open_
    return {
        "raised": sum(raised_in.values()),
        "by_period": dict(sorted(raised_in.items())),
        "enterprises": dict(sorted(enterprises.items(), key=lambda kv: -kv[1])),
        "open_at_end": still_open,
        "evaluated": len(findings),
    }


@transaction.atomic
def rule_switch(
    *,
    acting_user,
    supervisor_id: int,
    rule_code: str,
    enabled: bool,
    backtest_result: dict | None = None,
    framework: str = DEFAULT_FRAMEWORK,
) -> AlertRuleSwitch:
    """Switch an alert rule on or off for a supervisor; on needs a back-test's result."""
    _ensure_alert_manager(acting_user, supervisor_id)
    loaded = IndicatorFramework.objects.filter(code=framework).order_by("-valid_from").first()
    if loaded is None or rule_code not in {r.code for r in framework_of(loaded).alerts}:
        raise DomainError(_("No such alert rule: %(code)s") % {"code": rule_code}, code="rule")
    if enabled and not backtest_result:
        raise DomainError(
            _("Run the rule over past periods (a back-test) before switching it on."),
            code="backtest_first",
        )
    switch, _created = AlertRuleSwitch.objects.update_or_create(
        supervisor_id=supervisor_id,
        framework_code=framework,
        rule=rule_code,
        defaults={
            "enabled": enabled,
            "backtest": backtest_result or {},
            "changed_by": acting_user,
            "changed_at": timezone.now(),
        },
    )
    audit_record(
        actor=acting_user,
        action="update",
        instance=switch,
        after={"event": "alert_rule_switch", "rule": rule_code, "enabled": enabled},
    )
    return switch
