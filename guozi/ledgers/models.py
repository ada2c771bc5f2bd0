"""Ledgers (台账): tracked items with one lifecycle for every register.

A register is a kind of item (`Register`): rectifications, reform tasks, legacy problems,
safety incidents, key R&D projects and key supply inputs. A register adds its own fields, as
`attributes` (validated per register in `registers.py`) or, where they are figures to count and
sum, in a table of its own app under `guozi/ledgers/` linked one-to-one to the item; never a
lifecycle of its own.

An item belongs to an owner enterprise and to the supervisor that verifies it. Its status and
progress are kept on the row and change only through `services.py`: updates written by the
owner's reporters and approved by its reviewers move the progress, the supervisor verifies the
result. Every change is one `ItemEvent` (the item's history) and one audit event.

Evidence files (佐证材料) live in the data directory, not in the database (`evidence.py`).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from guozi.lib.models import TimeStampedModel


class Register(models.TextChoices):
    RECTIFICATION = "rectification", _("Rectification")
    REFORM_TASK = "reform_task", _("Reform task")
    LEGACY_PROBLEM = "legacy_problem", _("Legacy problem")
    SAFETY_INCIDENT = "safety_incident", _("Safety incident")
    RD_PROJECT = "rd_project", _("Key R&D project")
    SUPPLY_INPUT = "supply_input", _("Key supply input")


class Status(models.TextChoices):
    OPEN = "open", pgettext_lazy("ledger status", "Open")
    IN_PROGRESS = "in_progress", pgettext_lazy("ledger status", "In progress")
    AWAITING_VERIFICATION = (
        "awaiting_verification",
        pgettext_lazy("ledger status", "Awaiting verification"),
    )
    VERIFIED = "verified", pgettext_lazy("ledger status", "Verified and closed")
    CANCELLED = "cancelled", pgettext_lazy("ledger status", "Cancelled")


# The owner works on these; reminders and "overdue" concern them only.
WORKING = (Status.OPEN, Status.IN_PROGRESS)
# Not closed: the supervisor may still edit or cancel.
ACTIVE = (*WORKING, Status.AWAITING_VERIFICATION)
CLOSED = (Status.VERIFIED, Status.CANCELLED)


class ProgressRule(models.TextChoices):
    MANUAL = "manual", _("Percentage stated in each update")
    MILESTONES = "milestones", _("Share of milestones done")
    VERIFIED_ONLY = "verified_only", _("Done only when verified")


class TrackedItem(TimeStampedModel):
    register = models.CharField(_("register"), max_length=24, choices=Register.choices)
    supervisor = models.ForeignKey(
        "registry.Supervisor",
        on_delete=models.PROTECT,
        related_name="tracked_items",
        verbose_name=_("supervisor"),
        db_index=False,  # ledger_item_supervisor, below
    )
    owner = models.ForeignKey(
        "registry.Enterprise",
        on_delete=models.PROTECT,
        related_name="tracked_items",
        verbose_name=_("owner enterprise"),
        db_index=False,  # ledger_item_owner, below
    )
    title = models.CharField(_("title"), max_length=300)
    description = models.TextField(_("description"), blank=True)
    source = models.CharField(_("source"), max_length=300, blank=True)
    # What the item works off, for the app that raised it: e.g. ("alert", "123").
    source_kind = models.CharField(_("source kind"), max_length=24, blank=True)
    source_ref = models.CharField(_("source reference"), max_length=100, blank=True)
    attributes = models.JSONField(_("attributes"), default=dict, blank=True)
    responsible_name = models.CharField(_("responsible person"), max_length=100, blank=True)
    responsible_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
        verbose_name=_("responsible user"),
    )
    opened_on = models.DateField(_("opened on"))
    due_date = models.DateField(_("due date"))
    status = models.CharField(
        _("status"), max_length=24, choices=Status.choices, default=Status.OPEN
    )
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    progress_rule = models.CharField(
        _("progress rule"), max_length=16, choices=ProgressRule.choices
    )
    last_activity_at = models.DateTimeField(_("last activity"))
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )

    class Meta:
        verbose_name = _("tracked item")
        verbose_name_plural = _("tracked items")
        ordering = ["due_date", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(progress__gte=0) & Q(progress__lte=100), name="ledger_item_progress"
            ),
        ]
        indexes = [
            models.Index(fields=["owner", "status"], name="ledger_item_owner"),
            models.Index(
                fields=["supervisor", "status", "due_date"], name="ledger_item_supervisor"
            ),
            models.Index(
                fields=["source_kind", "source_ref"],
                condition=~Q(source_ref=""),
                name="ledger_item_source",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def working(self) -> bool:
        return self.status in WORKING

    @property
    def active(self) -> bool:
        return self.status in ACTIVE

    def days_overdue(self, today) -> int:
        """Days past the due date while the owner still works on it; 0 otherwise."""
        if self.status not in WORKING or today <= self.due_date:
            return 0
        return (today - self.due_date).days


class Milestone(models.Model):
    """A step of an item whose progress counts milestones done."""

    item = models.ForeignKey(TrackedItem, on_delete=models.CASCADE, related_name="milestones")
    position = models.PositiveSmallIntegerField()
    title = models.CharField(_("milestone"), max_length=200)
    done_on = models.DateField(_("done on"), null=True, blank=True)
    done_by_update = models.ForeignKey(
        "ItemUpdate", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["item_id", "position"]
        constraints = [
            models.UniqueConstraint(fields=["item", "position"], name="ledger_milestone_position")
        ]

    def __str__(self) -> str:
        return self.title


class UpdateState(models.TextChoices):
    DRAFT = "draft", pgettext_lazy("ledger update", "Draft")
    SUBMITTED = "submitted", pgettext_lazy("ledger update", "Submitted")
    APPROVED = "approved", pgettext_lazy("ledger update", "Approved")
    RETURNED = "returned", pgettext_lazy("ledger update", "Returned")


EDITABLE_UPDATE = (UpdateState.DRAFT, UpdateState.RETURNED)


class ItemUpdate(TimeStampedModel):
    """A progress report on an item: text, progress, evidence; approved by a reviewer."""

    item = models.ForeignKey(TrackedItem, on_delete=models.PROTECT, related_name="updates")
    text = models.TextField(_("text"))
    # The percentage stated (manual rule) or reached if approved (milestones rule); None when
    # the item's progress counts only on verification.
    progress = models.PositiveSmallIntegerField(_("progress (%)"), null=True, blank=True)
    milestones_done = models.JSONField(_("milestones done"), default=list, blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    written_at = models.DateTimeField(_("written"))
    state = models.CharField(
        _("state"), max_length=10, choices=UpdateState.choices, default=UpdateState.DRAFT
    )
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    reviewed_at = models.DateTimeField(_("reviewed"), null=True, blank=True)
    return_reason = models.TextField(_("reason for the return"), blank=True)

    class Meta:
        verbose_name = _("item update")
        verbose_name_plural = _("item updates")
        ordering = ["item_id", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(progress__isnull=True) | Q(progress__lte=100),
                name="ledger_update_progress",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.item_id} · {self.written_at:%Y-%m-%d}"

    @property
    def editable(self) -> bool:
        return self.state in EDITABLE_UPDATE


class EvidenceType(models.TextChoices):
    PDF = "pdf", "PDF"
    OFD = "ofd", "OFD"
    DOCX = "docx", "Word (.docx)"
    XLSX = "xlsx", "Excel (.xlsx)"
    PPTX = "pptx", "PowerPoint (.pptx)"
    DOC = "doc", "Word 97–2003 (.doc)"
    XLS = "xls", "Excel 97–2003 (.xls)"
    PNG = "png", "PNG"
    JPEG = "jpeg", "JPEG"


class Evidence(models.Model):
    """One evidence file (佐证材料) of an update, stored in the data directory. Kept for good:
    editing the update's text never touches it, and no path deletes it."""

    update = models.ForeignKey(ItemUpdate, on_delete=models.PROTECT, related_name="evidence")
    stored_path = models.CharField(max_length=200, unique=True)  # under DATA_DIR/evidence
    original_name = models.CharField(_("file name"), max_length=150)
    declared_type = models.CharField(_("type"), max_length=8, choices=EvidenceType.choices)
    size = models.PositiveBigIntegerField(_("size (bytes)"))
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    uploaded_at = models.DateTimeField(_("uploaded"))

    class Meta:
        verbose_name = _("evidence file")
        verbose_name_plural = _("evidence files")
        ordering = ["update_id", "id"]

    def __str__(self) -> str:
        return self.original_name


class EventAction(models.TextChoices):
    CREATED = "created", pgettext_lazy("ledger event", "Created")
    EDITED = "edited", pgettext_lazy("ledger event", "Edited")
    UPDATE_ADDED = "update_added", pgettext_lazy("ledger event", "Update written")
    UPDATE_EDITED = "update_edited", pgettext_lazy("ledger event", "Update edited")
    UPDATE_SUBMITTED = (
        "update_submitted",
        pgettext_lazy("ledger event", "Update submitted for review"),
    )
    UPDATE_APPROVED = "update_approved", pgettext_lazy("ledger event", "Update approved")
    UPDATE_RETURNED = "update_returned", pgettext_lazy("ledger event", "Update returned")
    EVIDENCE_ADDED = "evidence_added", pgettext_lazy("ledger event", "Evidence added")
    VERIFICATION_REQUESTED = (
        "verification_requested",
        pgettext_lazy("ledger event", "Verification requested"),
    )
    VERIFIED = "verified", pgettext_lazy("ledger event", "Verified and closed")
    VERIFICATION_REJECTED = (
        "verification_rejected",
        pgettext_lazy("ledger event", "Verification rejected"),
    )
    CANCELLED = "cancelled", pgettext_lazy("ledger event", "Cancelled")


class ItemEvent(models.Model):
    """The item's history (append-only): who did what, when, why, and what changed."""

    item = models.ForeignKey(TrackedItem, on_delete=models.PROTECT, related_name="events")
    action = models.CharField(max_length=24, choices=EventAction.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    at = models.DateTimeField()
    update = models.ForeignKey(
        ItemUpdate,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    before = models.JSONField(default=dict, blank=True)
    after = models.JSONField(default=dict, blank=True)
    reason = models.TextField(blank=True)

    class Meta:
        ordering = ["item_id", "id"]

    def __str__(self) -> str:
        return f"{self.item_id} {self.action}"


class ReminderKind(models.TextChoices):
    DUE_SOON = "due_soon", _("Due soon")
    OVERDUE = "overdue", _("Overdue")
    INACTIVE = "inactive", _("Inactive")


class Reminder(models.Model):
    """A reminder sent about an item: at most one per item, kind and level on a day."""

    item = models.ForeignKey(TrackedItem, on_delete=models.CASCADE, related_name="reminders")
    kind = models.CharField(max_length=10, choices=ReminderKind.choices)
    # 1: the owner's reporters; 2: and its reviewers; 3: and the supervisor's analysts.
    level = models.PositiveSmallIntegerField()
    day = models.DateField()
    recipients = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["item_id", "day", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["item", "kind", "level", "day"], name="ledger_reminder_once_a_day"
            )
        ]

    def __str__(self) -> str:
        return f"{self.item_id} {self.kind} {self.level} {self.day}"
