"""The whole management tree as of one day, in memory: for work over every enterprise at once
(expected reporters, cross-entity checks, approval routing, roll-ups)."""

from bisect import bisect_right
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from django.db.models import Q

from .models import Enterprise, EnterpriseStatus, ManagementLink, Portfolio


@dataclass
class TreeSnapshot:
    day: date
    parent: dict[int, int] = field(default_factory=dict)  # enterprise → managing enterprise
    supervisor_of_group: dict[int, int] = field(default_factory=dict)  # group → supervisor
    children: dict[int, list[int]] = field(default_factory=lambda: defaultdict(list))
    _supervisors: dict[int, int] | None = field(default=None, repr=False, compare=False)

    def group_of(self, enterprise_id: int) -> int | None:
        """The top-most enterprise above (or equal to) this one, if it reaches a supervisor."""
        seen = set()
        current = enterprise_id
        while current in self.parent:
            if current in seen:  # a cycle cannot be stored, but never loop on bad data
                return None
            seen.add(current)
            current = self.parent[current]
        return current if current in self.supervisor_of_group else None

    def level(self, enterprise_id: int) -> int:
        """1 for a group, 2 for its subsidiaries, …; 0 when not under a supervisor."""
        depth, current = 1, enterprise_id
        while current in self.parent:
            depth += 1
            current = self.parent[current]
            if depth > 64:
                return 0
        return depth if current in self.supervisor_of_group else 0

    def supervisor(self, enterprise_id: int) -> int | None:
        group = self.group_of(enterprise_id)
        return self.supervisor_of_group.get(group) if group else None

    def supervisors(self) -> dict[int, int]:
        """Every member's supervisor, found in one pass down from the groups (for work over
        every enterprise, where walking up from each one would repeat itself)."""
        if self._supervisors is None:
            found = {}
            for group, supervisor in self.supervisor_of_group.items():
                found[group] = supervisor
                for member in self.descendants(group):
                    found.setdefault(member, supervisor)
            self._supervisors = found
        return self._supervisors

    def members(self) -> set[int]:
        """Every enterprise under some supervisor on the day."""
        found = set(self.supervisor_of_group)
        stack = list(found)
        while stack:
            for child in self.children.get(stack.pop(), ()):
                if child not in found:
                    found.add(child)
                    stack.append(child)
        return found

    def has_children(self, enterprise_id: int) -> bool:
        return bool(self.children.get(enterprise_id))

    def descendants(self, enterprise_id: int) -> list[int]:
        out, stack = [], list(self.children.get(enterprise_id, ()))
        while stack:
            node = stack.pop()
            out.append(node)
            stack.extend(self.children.get(node, ()))
        return out


def tree_at(day: date) -> TreeSnapshot:
    links = (
        ManagementLink.objects.filter(valid_from__lte=day)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gt=day))
        .values_list("child_id", "parent_id", "parent_supervisor_id")
    )
    return _snapshot(day, links)


def _snapshot(day: date, links) -> TreeSnapshot:
    snapshot = TreeSnapshot(day=day)
    for child, parent, supervisor in links:
        if parent is not None:
            snapshot.parent[child] = parent
            snapshot.children[parent].append(child)
        elif supervisor is not None:
            snapshot.supervisor_of_group[child] = supervisor
    return snapshot


class TreeHistory:
    """Every management link with its validity, read in one query: the tree of any day without
    another, one snapshot shared by the days between two changes (work over many periods)."""

    def __init__(self) -> None:
        self.links = list(
            ManagementLink.objects.values_list(
                "child_id", "parent_id", "parent_supervisor_id", "valid_from", "valid_to"
            )
        )
        self.changes = sorted(
            {day for *_ids, start, end in self.links for day in (start, end) if day is not None}
        )
        self.snapshots: dict[int, TreeSnapshot] = {}

    def at(self, day: date) -> TreeSnapshot:
        # A link counts from its first day and no longer on its end day: the tree is the same
        # on every day with as many change days on or before it.
        epoch = bisect_right(self.changes, day)
        if epoch not in self.snapshots:
            valid = (
                (child, parent, supervisor)
                for child, parent, supervisor, start, end in self.links
                if start <= day and (end is None or end > day)
            )
            self.snapshots[epoch] = _snapshot(day, valid)
        return self.snapshots[epoch]


def active_own_at(ids: set[int], day: date) -> set[int]:
    """Of `ids`, those in the portfolio (not observed) and not closed on `day`."""
    # One pass over the table: an IN list of every id would exceed SQLite's variable limit.
    rows = Enterprise.objects.filter(portfolio=Portfolio.OWN).values_list(
        "id", "status", "status_on"
    )
    return {
        enterprise_id
        for enterprise_id, status, status_on in rows.iterator(chunk_size=5000)
        if enterprise_id in ids
        and (status == EnterpriseStatus.ACTIVE or (status_on is not None and status_on > day))
    }
