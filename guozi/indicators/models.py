"""Indicators: frameworks as versioned data, and computed results per period and unit.

A compute run is one framework version × form (its basis) × period × data status; its results
hold one row per unit — an enterprise in one scope, or a roll-up (a supervisor's portfolio, a
city, an industry, a function class) — with every indicator's value, status and restated
prior-year comparative, in the order the run lists its indicators.
"""

from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from guozi.lib.models import pick_language


class DataStatus(models.TextChoices):
    APPROVED = "approved", _("Approved data only")
    SUBMITTED = "submitted", _("Including submitted data")


class UnitKind(models.TextChoices):
    ENTERPRISE = "enterprise", _("Enterprise")
    PORTFOLIO = "portfolio", _("Portfolio")
    CITY = "city", _("City")
    INDUSTRY = "industry", _("Industry")
    FUNCTION_CLASS = "class", _("Function class")


class IndicatorFramework(models.Model):
    """One loaded version of an indicator framework file."""

    code = models.SlugField(_("code"), max_length=60)
    version = models.CharField(_("version"), max_length=20)
    name_zh = models.CharField(_("Chinese name"), max_length=200)
    name_en = models.CharField(_("English name"), max_length=200)
    valid_from = models.CharField(_("valid from"), max_length=8)
    definition = models.JSONField(_("definition"))
    source = models.CharField(_("source"), max_length=300)
    sha256 = models.CharField(max_length=64)
    loaded_at = models.DateTimeField(_("loaded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("indicator framework")
        verbose_name_plural = _("indicator frameworks")
        constraints = [
            models.UniqueConstraint(fields=["code", "version"], name="indicator_framework_version")
        ]
        ordering = ["code", "-valid_from"]

    def __str__(self) -> str:
        return f"{self.name} {self.version}"

    @property
    def name(self) -> str:
        return pick_language(self.name_zh, self.name_en, get_language())


class ComputeRun(models.Model):
    framework = models.ForeignKey(IndicatorFramework, on_delete=models.CASCADE, related_name="runs")
    form = models.ForeignKey("reporting.Form", on_delete=models.CASCADE, related_name="+")
    period = models.CharField(_("period"), max_length=8)
    data_status = models.CharField(_("data"), max_length=10, choices=DataStatus.choices)
    indicators = models.JSONField(_("indicators"))  # codes, in the order of the result lists
    # Indicators whose comparative is the restated prior-year column (the others: as filed).
    restated = models.JSONField(_("restated comparatives"), default=list)
    computed_at = models.DateTimeField(_("computed at"))
    stale = models.BooleanField(_("stale"), default=False)
    seconds = models.FloatField(default=0)
    reports = models.PositiveIntegerField(_("reports"), default=0)

    class Meta:
        verbose_name = _("computation")
        verbose_name_plural = _("computations")
        constraints = [
            models.UniqueConstraint(
                fields=["framework", "form", "period", "data_status"], name="compute_run_key"
            )
        ]

    def __str__(self) -> str:
        return f"{self.framework.code} {self.form.code} {self.period} {self.data_status}"


class IndicatorResult(models.Model):
    """Every indicator of one unit in one run: `values[i]` and `prior[i]` (the restated
    prior-year comparative) for `run.indicators[i]`, `statuses` one digit per indicator
    (0 ok, 1 missing, 2 undefined; the prior-year's after a '/')."""

    run = models.ForeignKey(ComputeRun, on_delete=models.CASCADE, related_name="results")
    unit_kind = models.CharField(_("unit"), max_length=12, choices=UnitKind.choices)
    supervisor = models.ForeignKey(
        "registry.Supervisor", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    enterprise = models.ForeignKey(
        "registry.Enterprise",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    unit_code = models.CharField(_("unit code"), max_length=20, blank=True)
    scope = models.CharField(_("scope"), max_length=14)
    values = models.JSONField(_("values"))
    prior = models.JSONField(_("prior-year values"))
    statuses = models.CharField(max_length=200)
    members = models.PositiveIntegerField(_("members"), default=1)

    class Meta:
        verbose_name = _("indicator result")
        verbose_name_plural = _("indicator results")
        indexes = [
            models.Index(fields=["run", "unit_kind", "supervisor"], name="result_run_unit"),
            models.Index(
                fields=["enterprise", "run"],
                name="result_enterprise",
                condition=models.Q(enterprise__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.unit_kind} {self.enterprise_id or self.unit_code} {self.scope}"


class Target(models.Model):
    """An annual target of one enterprise for one indicator (the assessment contract)."""

    supervisor = models.ForeignKey(
        "registry.Supervisor", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    enterprise = models.ForeignKey(
        "registry.Enterprise", on_delete=models.CASCADE, related_name="indicator_targets"
    )
    year = models.PositiveIntegerField(_("year"))
    indicator = models.CharField(_("indicator"), max_length=60)
    value = models.FloatField(_("target"))  # in the indicator's unit; ratios as fractions
    note = models.CharField(_("note"), max_length=300, blank=True)
    set_by = models.ForeignKey(
        "accounts.User",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    set_at = models.DateTimeField(_("set at"), auto_now=True)

    class Meta:
        verbose_name = _("target")
        verbose_name_plural = _("targets")
        constraints = [
            models.UniqueConstraint(
                fields=["enterprise", "year", "indicator"], name="target_enterprise_year"
            )
        ]

    def __str__(self) -> str:
        return f"{self.enterprise_id} {self.year} {self.indicator} {self.value}"


class DebtLineMethod(models.TextChoices):
    GUIDELINE = "guideline", _("Industry baseline +5 / +10 points (2018 guideline)")
    SASAC_FIXED = "sasac_fixed", _("SASAC fixed lines by type of enterprise")


class DebtLinePolicy(models.Model):
    """Which method sets a supervisor's debt-ratio warning and key-supervision lines."""

    supervisor = models.OneToOneField(
        "registry.Supervisor", on_delete=models.CASCADE, related_name="debt_line_policy"
    )
    method = models.CharField(
        _("method"), max_length=12, choices=DebtLineMethod.choices, default=DebtLineMethod.GUIDELINE
    )

    class Meta:
        verbose_name = _("debt-ratio line policy")
        verbose_name_plural = _("debt-ratio line policies")

    def __str__(self) -> str:
        return f"{self.supervisor_id}: {self.method}"


class IndustryBaseline(models.Model):
    """The previous year's average debt ratio of an industry (GB/T 4754 section or division),
    the base of the 2018 guideline's lines for `year`."""

    supervisor = models.ForeignKey(
        "registry.Supervisor", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    year = models.PositiveIntegerField(_("year"))
    industry = models.CharField(_("industry"), max_length=5)
    baseline = models.FloatField(_("baseline debt ratio"))  # a fraction: 0.6 = 60%
    source = models.CharField(_("source"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("industry baseline")
        verbose_name_plural = _("industry baselines")
        constraints = [
            models.UniqueConstraint(
                fields=["supervisor", "year", "industry"], name="industry_baseline_key"
            )
        ]

    def __str__(self) -> str:
        return f"{self.year} {self.industry} {self.baseline:.1%}"


class Severity(models.TextChoices):
    INFO = "info", _("Notice")
    WARNING = "warning", _("Warning")
    CRITICAL = "critical", _("Critical")


class AlertStatus(models.TextChoices):
    OPEN = "open", _("Open")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    CLEARED = "cleared", _("Cleared")


class Alert(models.Model):
    """A breach of an alert rule by one enterprise: raised once, open across periods until the
    condition clears; worked off through a rectification item."""

    framework_code = models.SlugField(max_length=60)
    rule = models.CharField(_("rule"), max_length=60)
    supervisor = models.ForeignKey(
        "registry.Supervisor", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    enterprise = models.ForeignKey(
        "registry.Enterprise", on_delete=models.CASCADE, related_name="alerts", db_index=False
    )
    severity = models.CharField(_("severity"), max_length=10, choices=Severity.choices)
    status = models.CharField(
        _("status"), max_length=12, choices=AlertStatus.choices, default=AlertStatus.OPEN
    )
    first_period = models.CharField(_("first period"), max_length=8)
    last_period = models.CharField(_("latest period in breach"), max_length=8)
    cleared_period = models.CharField(_("cleared in"), max_length=8, blank=True)
    value = models.FloatField(_("value"), null=True, blank=True)
    message_zh = models.TextField()
    message_en = models.TextField()
    raised_at = models.DateTimeField(_("raised at"))
    updated_at = models.DateTimeField(_("updated at"))
    rectification = models.ForeignKey(
        "ledgers.TrackedItem",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="alerts",
        verbose_name=_("rectification"),
    )

    class Meta:
        verbose_name = _("alert")
        verbose_name_plural = _("alerts")
        indexes = [
            models.Index(fields=["enterprise", "rule", "status"], name="alert_enterprise_rule"),
            models.Index(fields=["supervisor", "status"], name="alert_supervisor_status"),
        ]

    def __str__(self) -> str:
        return f"{self.rule} {self.enterprise_id} {self.status}"

    @property
    def message(self) -> str:
        return pick_language(self.message_zh, self.message_en, get_language())


class AlertEvent(models.Model):
    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(_("action"), max_length=20)
    period = models.CharField(_("period"), max_length=8, blank=True)
    at = models.DateTimeField(_("at"))
    user = models.ForeignKey(
        "accounts.User",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("alert event")
        verbose_name_plural = _("alert events")
        ordering = ["alert_id", "id"]

    def __str__(self) -> str:
        return f"{self.alert_id} {self.action} {self.period}"


class AlertRuleSwitch(models.Model):
    """A supervisor's choice to switch an alert rule on or off; switching on needs a back-test
    of the rule over past periods first."""

    supervisor = models.ForeignKey(
        "registry.Supervisor", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    framework_code = models.SlugField(max_length=60)
    rule = models.CharField(_("rule"), max_length=60)
    enabled = models.BooleanField(_("switched on"))
    backtest = models.JSONField(_("back-test"), default=dict, blank=True)
    changed_by = models.ForeignKey(
        "accounts.User",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    changed_at = models.DateTimeField(_("changed at"))

    class Meta:
        verbose_name = _("alert rule switch")
        verbose_name_plural = _("alert rule switches")
        constraints = [
            models.UniqueConstraint(
                fields=["supervisor", "framework_code", "rule"], name="alert_rule_switch_key"
            )
        ]

    def __str__(self) -> str:
        return f"{self.rule}: {'on' if self.enabled else 'off'}"
