"""Reporting: forms as versioned data, submissions with their workflow, value versions.

A submission is one enterprise × form × period × scope. Its current values live on the row as
a JSON mapping `cells`: "field.column" → stored integer (money in fen) or text; every change is one
append-only `ValueVersion` (who, when, channel, old → new per cell), which is the audit of values,
the cell history and the record of what was first reported.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from guozi.lib.models import TimeStampedModel, pick_language


class Basis(models.TextChoices):
    FAST = "fast", _("Fast report")
    FINAL = "final", _("Final accounts")
    BUDGET = "budget", _("Budget")


class ReportScope(models.TextChoices):
    CONSOLIDATED = "consolidated", _("Consolidated")
    STANDALONE = "standalone", _("Standalone")


class State(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    APPROVED = "approved", _("Approved")
    RETURNED = "returned", _("Returned")


class Channel(models.TextChoices):
    WEB = "web", _("Web form")
    EXCEL = "excel", _("Excel workbook")
    CSV = "csv", _("CSV file")
    API = "api", _("API")
    DEMO = "demo", _("Demo data")


class Form(TimeStampedModel):
    """A report form (表样); its fields and rules live in its versions."""

    code = models.SlugField(_("code"), max_length=60, unique=True)
    name_zh = models.CharField(_("Chinese name"), max_length=200)
    name_en = models.CharField(_("English name"), max_length=200)
    basis = models.CharField(_("basis"), max_length=10, choices=Basis.choices)
    period_type = models.CharField(_("period type"), max_length=10)

    class Meta:
        verbose_name = _("form")
        verbose_name_plural = _("forms")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return pick_language(self.name_zh, self.name_en, get_language())


class FormVersion(TimeStampedModel):
    """One version of a form, in force from `valid_from` until the next version starts."""

    form = models.ForeignKey(Form, on_delete=models.CASCADE, related_name="versions")
    version = models.CharField(_("version"), max_length=20)
    valid_from = models.CharField(_("in force from"), max_length=8)
    valid_from_date = models.DateField()
    definition = models.JSONField(_("definition"))
    source = models.CharField(_("source file"), max_length=200, blank=True)
    sha256 = models.CharField(max_length=64)

    class Meta:
        verbose_name = _("form version")
        verbose_name_plural = _("form versions")
        ordering = ["form_id", "valid_from_date"]
        constraints = [
            models.UniqueConstraint(fields=["form", "version"], name="form_version_unique"),
            models.UniqueConstraint(fields=["form", "valid_from"], name="form_version_start"),
        ]

    def __str__(self) -> str:
        return f"{self.form.code} {self.version}"


class Submission(TimeStampedModel):
    # Indexes: the unique constraint leads with the enterprise, `submission_period` with the
    # form; the other foreign keys are never searched by, so they go unindexed (cheaper writes).
    enterprise = models.ForeignKey(
        "registry.Enterprise", on_delete=models.PROTECT, related_name="submissions", db_index=False
    )
    form = models.ForeignKey(
        Form, on_delete=models.PROTECT, related_name="submissions", db_index=False
    )
    version = models.ForeignKey(
        FormVersion, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    period = models.CharField(_("period"), max_length=8)
    period_end = models.DateField(_("period end"))
    scope = models.CharField(_("scope"), max_length=14, choices=ReportScope.choices)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.DRAFT)
    cells = models.JSONField(_("values"), default=dict)
    errors = models.PositiveIntegerField(_("errors"), default=0)
    warnings = models.PositiveIntegerField(_("warnings"), default=0)
    validated_at = models.DateTimeField(null=True, blank=True)
    due_date = models.DateField(_("due date"), null=True, blank=True)
    extended_to = models.DateField(_("extended to"), null=True, blank=True)
    extension_reason = models.TextField(_("reason for the extension"), blank=True)
    first_submitted_at = models.DateTimeField(_("first submitted"), null=True, blank=True)
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)
    approved_at = models.DateTimeField(_("approved"), null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    times_returned = models.PositiveIntegerField(default=0)
    revisions_after_approval = models.PositiveIntegerField(default=0)
    reopen_reason = models.TextField(blank=True)
    reopen_requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("submission")
        verbose_name_plural = _("submissions")
        constraints = [
            models.UniqueConstraint(
                fields=["enterprise", "form", "period", "scope"], name="submission_unique"
            )
        ]
        indexes = [models.Index(fields=["form", "period", "state"], name="submission_period")]

    def __str__(self) -> str:
        return f"{self.enterprise_id} {self.form_id} {self.period} {self.scope}"

    @property
    def effective_due(self):
        return self.extended_to or self.due_date

    @property
    def locked(self) -> bool:
        return self.state in (State.SUBMITTED, State.APPROVED)


class ValueVersion(models.Model):
    """One write of cells: append-only; `changes` maps "field.column" → [old, new]."""

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="versions")
    at = models.DateTimeField(_("at"))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    changes = models.JSONField(_("changes"))
    after_approval = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("value version")
        verbose_name_plural = _("value versions")
        ordering = ["submission_id", "id"]

    def __str__(self) -> str:
        return f"{self.submission_id} {self.at:%Y-%m-%d %H:%M} {self.channel}"


class Action(models.TextChoices):
    SUBMIT = "submit", _("Submitted")
    APPROVE = "approve", _("Approved")
    RETURN = "return", _("Returned")
    REOPEN_REQUEST = "reopen_request", _("Reopening requested")
    REOPEN = "reopen", _("Reopened")
    REOPEN_REFUSE = "reopen_refuse", _("Reopening refused")
    EXTEND = "extend", _("Deadline extended")


class SubmissionEvent(models.Model):
    """The workflow history of a submission (append-only)."""

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(max_length=16, choices=Action.choices)
    at = models.DateTimeField()
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reason = models.TextField(blank=True)
    named = models.JSONField(default=list, blank=True)  # cells or rules a return names
    version_id_at = models.BigIntegerField(null=True, blank=True)  # last ValueVersion then

    class Meta:
        ordering = ["submission_id", "id"]

    def __str__(self) -> str:
        return f"{self.submission_id} {self.action}"


class RuleResult(models.Model):
    """A rule the submission's current values fail (recomputed on every validation)."""

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="results")
    rule = models.CharField(max_length=60)
    severity = models.CharField(max_length=8)
    message_zh = models.TextField()
    message_en = models.TextField()
    cells = models.JSONField(default=list)

    class Meta:
        ordering = ["submission_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["submission", "rule"], name="rule_result_unique")
        ]

    def __str__(self) -> str:
        return f"{self.submission_id} {self.rule}"

    @property
    def message(self) -> str:
        return pick_language(self.message_zh, self.message_en, get_language())


class Cause(models.TextChoices):
    ROUNDING = "rounding", _("Rounding on unit conversion")
    CONSOLIDATION = "consolidation", _("Unusual consolidation (eliminations, minority interests)")
    RESTATEMENT = "restatement", _("Restatement or change of accounting policy")
    BUSINESS = "business", _("Real change in the business (acquisition, disposal, seasonality)")
    ONE_OFF = "one_off", _("One-off item")
    OTHER = "other", _("Other")


class Decision(models.TextChoices):
    PENDING = "pending", _("Awaiting decision")
    ACCEPTED = "accepted", _("Accepted")
    REFUSED = "refused", _("Refused")


class Explanation(models.Model):
    """A warning's explanation, or a waiver of an error (校验申请), with the reviewer's decision."""

    class Kind(models.TextChoices):
        EXPLANATION = "explanation", _("Explanation")
        WAIVER = "waiver", _("Waiver")

    submission = models.ForeignKey(
        Submission, on_delete=models.CASCADE, related_name="explanations"
    )
    rule = models.CharField(max_length=60)
    kind = models.CharField(max_length=12, choices=Kind.choices)
    cause = models.CharField(_("cause"), max_length=16, choices=Cause.choices)
    text = models.TextField(_("explanation"))
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField()
    decision = models.CharField(max_length=10, choices=Decision.choices, default=Decision.PENDING)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["submission", "rule"], name="explanation_unique")
        ]

    def __str__(self) -> str:
        return f"{self.submission_id} {self.rule} {self.kind}"


class DeadlineSetting(TimeStampedModel):
    """A supervisor's own deadline for a form, overriding the framework's."""

    supervisor = models.ForeignKey("registry.Supervisor", on_delete=models.CASCADE)
    form = models.ForeignKey(Form, on_delete=models.CASCADE)
    working_days = models.PositiveSmallIntegerField()
    by_level = models.JSONField(default=dict, blank=True)
    children_first = models.BooleanField(default=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["supervisor", "form"], name="deadline_setting_unique")
        ]


class CalendarYear(TimeStampedModel):
    """An official working-day schedule loaded for a year the calendar package does not cover."""

    year = models.PositiveSmallIntegerField(unique=True)
    schedule = models.TextField()
    source = models.CharField(max_length=300, blank=True)
    loaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )


class PeriodLock(TimeStampedModel):
    """A closed period: no more writes by any channel."""

    form = models.ForeignKey(Form, on_delete=models.CASCADE)
    period = models.CharField(max_length=8)
    locked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reason = models.TextField(blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["form", "period"], name="period_lock")]
