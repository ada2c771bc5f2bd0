from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from guozi.accounts.access import Scope, has_scope, scoped

from .selectors import jobs_for

PAGE_SIZE = 50
MAX_ISSUES_SHOWN = 1000
ISSUE_KEYS = {"errors": _("Errors"), "warnings": _("Warnings")}
COUNT_LABELS = {
    "rows": pgettext_lazy("number of", "Rows"),
    "created": pgettext_lazy("number of", "Created"),
    "updated": pgettext_lazy("number of", "Updated"),
    "unchanged": pgettext_lazy("number of", "Unchanged"),
    "skipped": pgettext_lazy("number of", "Skipped"),
    "deleted": pgettext_lazy("number of", "Deleted"),
    "errors": _("Errors"),
    "warnings": _("Warnings"),
    "steps": pgettext_lazy("number of", "Steps"),
    "task_results": _("Task results deleted"),
    "uploads": _("Uploads deleted"),
    "notifications": _("Read notifications deleted"),
    "sent": pgettext_lazy("number of", "Sent"),
    "rules": pgettext_lazy("number of", "Rule results"),
    "with_rule_errors": _("Reports with rule errors"),
    "with_rule_warnings": _("Reports with rule warnings"),
    "valid_only": _("Only the valid reports"),
}


def result_summary(result) -> dict:
    """What a job's result shows: its counts, and its errors and warnings as tables."""
    counts, tables = [], []
    if not isinstance(result, dict):
        return {"counts": counts, "tables": tables}
    for key, value in result.items():
        if key == "traceback":
            continue
        if key in ISSUE_KEYS and isinstance(value, list):
            rows = [
                item if isinstance(item, dict) else {"reason": str(item)}
                for item in value[:MAX_ISSUES_SHOWN]
            ]
            tables.append(
                {
                    "key": key,
                    "label": ISSUE_KEYS[key],
                    "rows": rows,
                    "has_sheet": any("sheet" in row for row in rows),
                    "more": max(0, len(value) - MAX_ISSUES_SHOWN),
                }
            )
            counts.append((ISSUE_KEYS[key], len(value)))
        elif isinstance(value, bool | int | float | str):
            counts.append((COUNT_LABELS.get(key, key.replace("_", " ")), value))
        elif isinstance(value, dict):
            for sub, sub_value in value.items():
                if isinstance(sub_value, bool | int | float | str):
                    counts.append((COUNT_LABELS.get(sub, sub.replace("_", " ")), sub_value))
    return {"counts": counts, "tables": tables}


def _job_context(request, job_id) -> dict:
    job = get_object_or_404(jobs_for(request.user).select_related("created_by"), id=job_id)
    job.load_live_progress()
    traceback = ""
    if (
        job.finished
        and isinstance(job.result, dict)
        and has_scope(request.user, Scope.SYSTEM_ADMIN)
    ):
        traceback = job.result.get("traceback", "")
    return {"job": job, "summary": result_summary(job.result), "traceback": traceback}


@scoped(Scope.SELF)
def job_list(request):
    jobs = jobs_for(request.user).select_related("created_by")
    page = Paginator(jobs, PAGE_SIZE).get_page(request.GET.get("page"))
    for job in page:
        job.load_live_progress()
    return render(request, "jobs/list.html", {"page": page})


@scoped(Scope.SELF)
def job_detail(request, job_id):
    return render(request, "jobs/detail.html", _job_context(request, job_id))


@scoped(Scope.SELF)
def job_progress(request, job_id):
    """The progress fragment the detail page polls; it stops polling once the job finished."""
    return render(request, "jobs/_progress.html", _job_context(request, job_id))
