"""Writes of the briefings app: tours, the brief's text, generation (a job), issue, downloads.

Every change is audited. Generation renders the brief into HTML, PDF, Word and .xlsx as the
job's creator sees the data; issuing freezes the text and the files generated from it as a new
numbered version, and the older versions are kept.
"""

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from guozi.audit.services import audit_record
from guozi.jobs.models import Job
from guozi.jobs.services import JobFailed, job_start
from guozi.lib import clock
from guozi.lib.errors import DomainError, Forbidden
from guozi.registry.models import Enterprise, Supervisor

from . import files
from .compose import chart_count, first_texts, text_keys, tour_document
from .document import chart_images, render_docx, render_html, render_pdf, render_xlsx
from .models import FORMATS, Brief, BriefState, BriefVersion, Stop, Tour
from .selectors import can_edit, editable_supervisor_ids, stop_candidates

MAX_STOPS = 20
MAX_TEXT = 20_000  # characters per section


@dataclass(frozen=True)
class StopInput:
    enterprise: Enterprise
    day: date


def _invalid(field: str, message: str) -> DomainError:
    return DomainError(message=message, fields={field: [message]})


def _check_editor(user, supervisor_id: int) -> None:
    if supervisor_id not in editable_supervisor_ids(user):
        raise Forbidden(_("Only the supervisor's analysts prepare its inspection briefs."))


@transaction.atomic
def tour_create(
    *,
    acting_user,
    supervisor: Supervisor,
    title: str,
    date_from: date,
    date_to: date,
    period: str,
    stops: list[StopInput],
) -> Tour:
    """A tour with its stops, and its brief drafted from the data."""
    from guozi.dashboard.profile import profile_periods

    _check_editor(acting_user, supervisor.id)
    title = (title or "").strip()
    if not title:
        raise _invalid("title", _("Give the tour a title."))
    if date_to < date_from:
        raise _invalid("date_to", _("The tour cannot end before it starts."))
    if period not in profile_periods():
        raise _invalid("period", _("%(period)s has no computed figures.") % {"period": period})
    if not stops:
        raise _invalid("stops", _("Pick at least one enterprise to visit."))
    if len(stops) > MAX_STOPS:
        raise _invalid("stops", _("A tour has at most %(n)d stops.") % {"n": MAX_STOPS})
    allowed = set(
        stop_candidates(acting_user, {supervisor.id})
        .filter(id__in=[s.enterprise.id for s in stops])
        .values_list("id", flat=True)
    )
    seen = set()
    for stop in stops:
        if stop.enterprise.id not in allowed:
            raise _invalid(
                "stops",
                _("%(name)s is not in the portfolio you prepare tours for.")
                % {"name": stop.enterprise.name},
            )
        if stop.enterprise.id in seen:
            raise _invalid("stops", _("%(name)s is picked twice.") % {"name": stop.enterprise.name})
        seen.add(stop.enterprise.id)
        if not date_from <= stop.day <= date_to:
            raise _invalid(
                "stops",
                _("The visit to %(name)s on %(day)s is outside the tour's dates.")
                % {"name": stop.enterprise.name, "day": stop.day.isoformat()},
            )
    tour = Tour.objects.create(
        supervisor=supervisor,
        title=title[:200],
        date_from=date_from,
        date_to=date_to,
        period=period,
        created_by=acting_user,
    )
    Stop.objects.bulk_create(
        Stop(
            tour=tour,
            order=number,
            enterprise=stop.enterprise,
            city_code=stop.enterprise.city_code,
            day=stop.day,
        )
        for number, stop in enumerate(stops, start=1)
    )
    brief = Brief.objects.create(tour=tour, texts=first_texts(tour, acting_user))
    audit_record(
        actor=acting_user,
        action="create",
        instance=tour,
        after={
            "title": tour.title,
            "supervisor_id": supervisor.id,
            "dates": [date_from.isoformat(), date_to.isoformat()],
            "period": period,
            "stops": [[s.enterprise.id, s.day.isoformat()] for s in stops],
            "brief_id": brief.id,
        },
    )
    return tour


@transaction.atomic
def brief_edit(*, acting_user, brief: Brief, texts: dict[str, str]) -> Brief:
    """Change the text of some sections; the brief is a draft again until issued."""
    brief = Brief.objects.select_for_update().select_related("tour").get(id=brief.id)
    _check_editor(acting_user, brief.tour.supervisor_id)
    known = set(text_keys(brief.tour))
    unknown = sorted(set(texts) - known)
    if unknown:
        raise _invalid("texts", _("The brief has no section %(key)s.") % {"key": unknown[0][:40]})
    changed = {}
    for key, text in texts.items():
        text = str(text).replace("\r\n", "\n").strip()
        if len(text) > MAX_TEXT:
            raise _invalid(key, _("A section holds at most %(n)d characters.") % {"n": MAX_TEXT})
        if brief.texts.get(key, "") != text:
            changed[key] = (brief.texts.get(key, ""), text)
    if not changed:
        return brief
    brief.texts = {**brief.texts, **{key: new for key, (_old, new) in changed.items()}}
    brief.state = BriefState.DRAFT
    brief.save(update_fields=["texts", "state", "updated_at"])
    audit_record(
        actor=acting_user,
        action="update",
        instance=brief,
        before={key: old for key, (old, _new) in changed.items()},
        after={key: new for key, (_old, new) in changed.items()},
    )
    return brief


@transaction.atomic
def brief_generate(*, acting_user, brief: Brief) -> Job:
    """Start the job that renders the brief's current text into its four files."""
    from .tasks import brief_generate_job

    _check_editor(acting_user, brief.tour.supervisor_id)
    titles = {}
    for language in ("zh-hans", "en"):
        with translation.override(language):
            titles[language] = _("Inspection brief: %(title)s") % {"title": brief.tour.title}
    job = job_start(
        kind="brief_generate",
        title_zh=titles["zh-hans"][:200],
        title_en=titles["en"][:200],
        acting_user=acting_user,
        params={"brief_id": brief.id},
        task=brief_generate_job,
    )
    Brief.objects.filter(id=brief.id).update(job=job)
    audit_record(
        actor=acting_user, action="generate", instance=brief, after={"job_id": str(job.id)}
    )
    return job


def watermark(user, at) -> str:
    local = timezone.localtime(at, clock.CHINA)
    return _("Prepared by %(user)s, %(time)s") % {
        "user": user.get_username() if user else _("the system"),
        "time": local.strftime("%Y-%m-%d %H:%M"),
    }


def render_all(document, extra_tables, progress=None) -> dict[str, bytes]:
    """The four files of a document; nothing is written here."""

    def step() -> None:
        if progress:
            progress()

    images = chart_images(document, progress=progress)
    html = render_html(document, images)
    contents = {"html": html.encode(), "pdf": render_pdf(html)}
    step()
    contents["docx"] = render_docx(document, images)
    contents["xlsx"] = render_xlsx(document, extra_tables)
    step()
    return contents


def brief_render(job: Job, progress) -> dict:
    """The job's work: compose the brief as the job's creator sees the data, render it, and
    keep the files as the brief's draft. A missing CJK font fails the job before anything is
    written."""
    from guozi.lib.pdf import cjk_font

    brief = Brief.objects.select_related("tour__supervisor").get(id=job.params["brief_id"])
    user = job.created_by
    if user is None or not can_edit(user, brief.tour):
        raise JobFailed(_("Only the supervisor's analysts prepare its inspection briefs."))
    try:
        cjk_font()
    except DomainError as error:
        raise JobFailed(error.message) from error
    texts = dict(brief.texts)
    stops = brief.tour.stops.count()
    state = {"done": 0, "total": stops + 2}

    def step() -> None:
        state["done"] += 1
        progress(min(state["done"], state["total"]), state["total"], _("Rendering the brief"))

    progress(0, state["total"], _("Reading the profiles of the stops"))
    document, extra = tour_document(
        brief.tour, texts, user, watermark=watermark(user, clock.now()), progress=step
    )
    state["total"] = stops + 2 + chart_count(document)
    contents = render_all(document, extra, progress=step)
    stored = files.store_set(f"tour-{brief.tour_id}/draft", contents)
    Brief.objects.filter(id=brief.id).update(
        draft_files=stored, draft_texts=texts, generated_at=timezone.now()
    )
    progress(state["total"], state["total"], _("Done"))
    return {"stops": stops, "charts": chart_count(document), "formats": len(stored)}


@transaction.atomic
def brief_issue(*, acting_user, brief: Brief) -> BriefVersion:
    """Freeze the brief as generated from its current text as the next version."""
    brief = Brief.objects.select_for_update().select_related("tour").get(id=brief.id)
    _check_editor(acting_user, brief.tour.supervisor_id)
    if not brief.draft_is_current:
        raise DomainError(
            message=_("Generate the brief from its current text first, then issue it."),
            code="not_generated",
        )
    number = (brief.versions.order_by("-number").values_list("number", flat=True).first() or 0) + 1
    stored = files.copy_set(brief.draft_files, f"tour-{brief.tour_id}/v{number}")
    version = BriefVersion.objects.create(
        brief=brief,
        number=number,
        texts=brief.texts,
        files=stored,
        issued_by=acting_user,
        issued_at=timezone.now(),
    )
    brief.state = BriefState.ISSUED
    brief.save(update_fields=["state", "updated_at"])
    audit_record(
        actor=acting_user,
        action="issue",
        instance=brief,
        after={"version": number, "files": sorted(stored)},
    )
    return version


def file_download(*, acting_user, instance, files_of: dict[str, str], fmt: str) -> Path:
    """The stored file of a brief's draft or version, or of a report; the download is audited.
    Scope is the caller's selector; an unknown format or a missing file is a DomainError."""
    if fmt not in FORMATS or fmt not in files_of:
        raise DomainError(message=_("No such file."), code="not_found", status=404)
    try:
        path = files.path_of(files_of[fmt])
    except FileNotFoundError:
        raise DomainError(
            message=_("The file is no longer there."), code="not_found", status=404
        ) from None
    audit_record(
        actor=acting_user,
        action="download",
        instance=instance,
        after={"format": fmt, "file": files_of[fmt]},
    )
    return path
