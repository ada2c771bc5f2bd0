"""Who may fill in, review and reopen a submission.

- Reporters fill in the reports of their enterprise and of the enterprises it manages.
- A report is approved by a reviewer of its management parent (or of an enterprise above it);
  a group's report by a reviewer of its supervisor (or of a supervisor above).
- Reopening an approved report needs the consent of a supervisor reviewer.
A higher supervisor reads the lower supervisors' reports but approves none of them.
"""

from guozi.accounts.access import active_memberships
from guozi.accounts.models import Membership, Role
from guozi.lib import clock
from guozi.lib.periods import Period
from guozi.registry.tree import TreeSnapshot, tree_at

from .models import Submission


def _ancestors(tree: TreeSnapshot, enterprise_id: int) -> list[int]:
    chain, current = [], enterprise_id
    while current in tree.parent and len(chain) < 64:
        current = tree.parent[current]
        chain.append(current)
    return chain


def _roles(user, role: str) -> list:
    return [m for m in active_memberships(user) if m.role == role]


def can_fill(user, submission: Submission, tree: TreeSnapshot | None = None) -> bool:
    memberships = _roles(user, Role.ENTERPRISE_REPORTER)
    if not memberships:
        return False
    tree = tree or tree_at(Period.parse(submission.period).end)
    allowed = {submission.enterprise_id, *_ancestors(tree, submission.enterprise_id)}
    return any(m.enterprise_id in allowed for m in memberships)


def fillable_roots(user) -> set[int]:
    return {m.enterprise_id for m in _roles(user, Role.ENTERPRISE_REPORTER)}


def can_review(user, submission: Submission, tree: TreeSnapshot | None = None) -> bool:
    """A reviewer above the submission's enterprise in the tree of its period."""
    tree = tree or tree_at(Period.parse(submission.period).end)
    enterprise_id = submission.enterprise_id
    if enterprise_id in tree.supervisor_of_group:
        supervisor_id = tree.supervisor_of_group[enterprise_id]
        return _supervisor_reviewer(user, supervisor_id)
    above = set(_ancestors(tree, enterprise_id))
    if any(m.enterprise_id in above for m in _roles(user, Role.ENTERPRISE_REVIEWER)):
        return True
    # A supervisor reviewer acts only where no enterprise above has a reviewer of its own.
    if not _supervisor_reviewer(user, tree.supervisor(enterprise_id)):
        return False
    day = clock.today()
    return not (
        Membership.objects.filter(
            role=Role.ENTERPRISE_REVIEWER, enterprise_id__in=above, valid_from__lte=day
        )
        .exclude(valid_to__lte=day)
        .exists()
    )


def can_consent_reopen(user, submission: Submission, tree: TreeSnapshot | None = None) -> bool:
    tree = tree or tree_at(Period.parse(submission.period).end)
    return _supervisor_reviewer(user, tree.supervisor(submission.enterprise_id))


def _supervisor_reviewer(user, supervisor_id: int | None) -> bool:
    """Only the supervisor's own reviewers: a higher supervisor reads but does not approve."""
    return supervisor_id is not None and any(
        m.supervisor_id == supervisor_id for m in _roles(user, Role.SUPERVISOR_REVIEWER)
    )


def can_manage_deadlines(user, supervisor_id: int | None) -> bool:
    return supervisor_id is not None and any(
        m.supervisor_id == supervisor_id
        for m in active_memberships(user)
        if m.role in (Role.SUPERVISOR_ANALYST, Role.SUPERVISOR_REVIEWER)
    )
