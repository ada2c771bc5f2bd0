"""Inspection tours and their briefs, and the monthly analysis reports of a portfolio.

A tour (调研) is a leader's visit to several enterprises; its brief is drafted from the data
(the profile of each stop and the points to raise), its text edited by the supervisor's
analysts, generated into HTML, PDF, Word and an .xlsx appendix, and issued: each issue freezes
a numbered version with its text and files, and the older versions are kept. The files are
stored in the data directory (`files.py`); the rows say where.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from guozi.lib.models import TimeStampedModel

FORMATS = ("html", "pdf", "docx", "xlsx")


class Tour(TimeStampedModel):
    supervisor = models.ForeignKey(
        "registry.Supervisor",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("supervisor"),
    )
    title = models.CharField(_("title"), max_length=200)
    date_from = models.DateField(_("from"))
    date_to = models.DateField(_("to"))
    period = models.CharField(_("period of the figures"), max_length=8)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True
    )

    class Meta:
        verbose_name = _("inspection tour")
        verbose_name_plural = _("inspection tours")
        ordering = ["-date_from", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(date_to__gte=models.F("date_from")), name="tour_dates_in_order"
            )
        ]

    def __str__(self) -> str:
        return self.title


class Stop(models.Model):
    tour = models.ForeignKey(Tour, on_delete=models.CASCADE, related_name="stops")
    order = models.PositiveSmallIntegerField(_("order"))
    city_code = models.CharField(_("city"), max_length=6, blank=True)
    enterprise = models.ForeignKey(
        "registry.Enterprise",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("enterprise"),
    )
    day = models.DateField(_("date"))

    class Meta:
        verbose_name = _("stop")
        verbose_name_plural = _("stops")
        ordering = ["tour", "order"]
        constraints = [
            models.UniqueConstraint(fields=["tour", "order"], name="stop_order_unique"),
            models.UniqueConstraint(fields=["tour", "enterprise"], name="stop_enterprise_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.tour_id}/{self.order}"


class BriefState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    ISSUED = "issued", _("Issued")


class Brief(TimeStampedModel):
    """The brief of a tour: the text being edited (`texts`, by section key) and the files last
    generated from it (`draft_files`, made from `draft_texts`)."""

    tour = models.OneToOneField(Tour, on_delete=models.CASCADE, related_name="brief")
    state = models.CharField(
        _("state"), max_length=10, choices=BriefState.choices, default=BriefState.DRAFT
    )
    texts = models.JSONField(_("text"), default=dict)
    draft_texts = models.JSONField(null=True, blank=True)
    draft_files = models.JSONField(default=dict, blank=True)
    generated_at = models.DateTimeField(_("generated"), null=True, blank=True)
    job = models.ForeignKey(
        "jobs.Job", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("brief")
        verbose_name_plural = _("briefs")

    def __str__(self) -> str:
        return str(self.tour)

    @property
    def draft_is_current(self) -> bool:
        """Whether the generated files show the text as it is now."""
        return bool(self.draft_files) and self.draft_texts == self.texts


class BriefVersion(models.Model):
    """An issued brief: its text and files as they were, never changed afterwards."""

    brief = models.ForeignKey(Brief, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField(_("version"))
    texts = models.JSONField(_("text"))
    files = models.JSONField(default=dict)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True
    )
    issued_at = models.DateTimeField(_("issued"))

    class Meta:
        verbose_name = _("issued brief")
        verbose_name_plural = _("issued briefs")
        ordering = ["brief", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["brief", "number"], name="brief_version_unique")
        ]

    def __str__(self) -> str:
        return f"{self.brief} v{self.number}"


class MonthlyReport(models.Model):
    """The monthly analysis report of a supervisor's portfolio for one period."""

    supervisor = models.ForeignKey(
        "registry.Supervisor", on_delete=models.CASCADE, related_name="+"
    )
    period = models.CharField(_("period"), max_length=8)
    files = models.JSONField(default=dict)
    generated_at = models.DateTimeField(_("generated"))
    job = models.ForeignKey(
        "jobs.Job", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("monthly analysis report")
        verbose_name_plural = _("monthly analysis reports")
        ordering = ["-period", "supervisor"]
        constraints = [
            models.UniqueConstraint(fields=["supervisor", "period"], name="monthly_report_unique")
        ]

    def __str__(self) -> str:
        return f"{self.supervisor_id} {self.period}"
