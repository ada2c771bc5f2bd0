import json
import uuid
from pathlib import Path

from django.conf import settings
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from guozi.lib.models import pick_language


class JobStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")


# Names of the kinds of job, for the job pages; a kind not listed shows its code.
KIND_LABELS = {
    "enterprise_import": _("Enterprise import"),
    "enterprise_export": _("Enterprise export"),
    "report_import": _("Report import"),
    "report_reminders": _("Report deadline reminders"),
    "indicators_recompute": _("Indicator recomputation"),
    "ledger_reminders": _("Ledger reminders"),
    "ledger_evidence_sweep": _("Removal of orphaned evidence files"),
    "housekeeping": _("Housekeeping"),
    "brief_generate": _("Inspection brief generation"),
    "monthly_reports": _("Monthly analysis reports"),
    "reform_snapshots": _("Reform completion snapshots"),
    "reform_current": _("Reform completion refresh"),
    "ping": _("Worker check"),
}


class Job(models.Model):
    """A long piece of work seen by its user: what it is, how far it got, what came out.

    The work itself runs through the Django tasks API; this row carries progress and result.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(max_length=60)
    title_zh = models.CharField(max_length=200)
    title_en = models.CharField(max_length=200)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=JobStatus.choices, default="queued")
    done = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(default=0)
    message = models.TextField(blank=True)
    params = models.JSONField(default=dict, blank=True)
    result = models.JSONField(null=True, blank=True)
    task_result_id = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.title_zh

    @property
    def percent(self) -> int:
        if self.status == JobStatus.SUCCEEDED:
            return 100
        return int(100 * self.done / self.total) if self.total else 0

    @property
    def finished(self) -> bool:
        return self.status in {JobStatus.SUCCEEDED, JobStatus.FAILED}

    @property
    def kind_label(self) -> str:
        return str(KIND_LABELS.get(self.kind, self.kind))

    @property
    def title(self) -> str:
        """The title in the active language."""
        return pick_language(self.title_zh, self.title_en, get_language())

    @property
    def progress_file(self) -> Path:
        return progress_file(self.id)

    def load_live_progress(self) -> "Job":
        """Overlay the progress a running job wrote outside the database (see `Progress`)."""
        if self.status != JobStatus.RUNNING:
            return self
        try:
            live = json.loads(self.progress_file.read_text())
        except (OSError, ValueError):
            return self
        self.done = live.get("done", self.done)
        self.total = live.get("total", self.total)
        self.message = live.get("message", self.message)
        return self


def progress_file(job_id) -> Path:
    """Where a job's progress goes while its work holds a database transaction open."""
    return Path(settings.DATA_DIR) / "jobs" / f"{job_id}.json"


class ScheduleRun(models.Model):
    """When each periodic entry last ran, so a restarted scheduler neither skips nor repeats."""

    name = models.CharField(max_length=60, unique=True)
    last_run_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.name
