"""A small history on the common cast, on its own days, shared by the completion, snapshot,
page and API tests.

2026-03-02  front_list (weight 4, four measures) and tenure_contract (weight 5, three) go to
            A, A1, A11 (group A) and B (group B), due 2026-06-30.
2026-04-15  A verifies front_list; A1 does one measure of tenure_contract (33%).
2026-07-10  B verifies front_list; A11's tenure_contract is cancelled.
Today is 2026-08-28.
"""

from datetime import date

from guozi.ledgers import services as ledger_services
from guozi.ledgers.demo import on_day
from guozi.ledgers.reform.models import ReformTask

from .conftest import assign, do_measures, finish

ASSIGNED, FIRST, SECOND = date(2026, 3, 2), date(2026, 4, 15), date(2026, 7, 10)
DUE = date(2026, 6, 30)


def task(owner, code) -> ReformTask:
    return ReformTask.objects.get(owner=owner, catalogue_task__code=code)


def build(cast) -> None:
    with on_day(ASSIGNED):
        assign(cast, [cast.a, cast.a1, cast.a11, cast.b], ["front_list", "tenure_contract"],
               deadline=DUE)  # fmt: skip
    with on_day(FIRST):
        finish(cast, task(cast.a, "front_list"))
        do_measures(cast, task(cast.a1, "tenure_contract"), 1)
    with on_day(SECOND):
        front = task(cast.b, "front_list")
        # B has no reviewer of its own: the supervisor's reviewer approves and hands in.
        do_measures(cast, front, 4, by=cast.outsider, reviewer=cast.reviewer)
        ledger_services.verification_request(acting_user=cast.reviewer, item=front.item)
        ledger_services.verify(acting_user=cast.analyst, item=front.item, accept=True)
        ledger_services.item_cancel(
            acting_user=cast.analyst, item=task(cast.a11, "tenure_contract").item, reason="重组"
        )
