from django.db.models import QuerySet

from guozi.accounts.access import Scope, has_scope

from .models import Job


def jobs_for(user) -> QuerySet[Job]:
    """A user's own jobs; the system administrator sees every job."""
    if has_scope(user, Scope.SYSTEM_ADMIN):
        return Job.objects.all()
    return Job.objects.filter(created_by=user)
