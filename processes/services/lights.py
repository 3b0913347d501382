"""红黄绿灯: one rule for every list. An item is red when it is 5 or more working days late on anything it owes,
or a red rung fired on it, or a notice to it waits for an answer; yellow when it is 1 or more working days late
or a yellow rung fired; green otherwise. As of a day, what was owed and what had fired by the end of that day,
read from the history. Read for a whole page in two queries, with how late each item is: the working days since
the earliest due date it still owed that day."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import F
from django.utils import timezone

from processes import workdays
from processes.models import LIGHT_ORDER, FiredRung, Light, Obligation, ObligationKind

from .history import obligations_owed_as_of


def light_for(late_workdays: int, fired: Iterable[str] = (), notice_open: bool = False) -> Light:
    fired = set(fired)
    if late_workdays >= 5 or Light.RED in fired or notice_open:
        return Light.RED
    if late_workdays >= 1 or Light.YELLOW in fired:
        return Light.YELLOW
    return Light.GREEN


@dataclass(frozen=True)
class Standing:
    """An item's light as of a day, and the working days it was late then on the earliest due date it still owed
    (0 when nothing it owed was past due)."""

    light: Light
    late_workdays: int = 0


def standings_for(assignment_ids: Iterable[int], as_of: dt.date | None = None) -> dict[int, Standing]:
    """The light and lateness of each assignment (those with nothing owed then are green and not late), as of a day
    (default today): what it owed at the end of that day, and the rungs fired on it by then. Two queries."""
    as_of = as_of or timezone.localdate()
    ids = list(assignment_ids)
    if not ids:
        return {}
    owed = list(
        obligations_owed_as_of(Obligation.objects.filter(assignment_id__in=ids), as_of).values_list(
            "pk", "assignment_id", "due_date", "kind"
        )
    )
    fired: dict[int, set[str]] = defaultdict(set)
    for obligation_id, light in FiredRung.objects.filter(
        obligation_id__in=[pk for pk, *_rest in owed], cycle=F("obligation__cycle"), fired_on__lte=as_of
    ).values_list("obligation_id", "rung__light"):
        fired[obligation_id].add(light)
    lights: dict[int, Light] = {pk: Light.GREEN for pk in ids}
    late: dict[int, int] = {pk: 0 for pk in ids}
    for obligation_id, assignment_id, due, kind in owed:
        days = workdays.workdays_between(due, as_of)
        light = light_for(days, fired[obligation_id], notice_open=kind == ObligationKind.NOTICE_RESPONSE)
        if LIGHT_ORDER[light] > LIGHT_ORDER[lights[assignment_id]]:
            lights[assignment_id] = light
        late[assignment_id] = max(late[assignment_id], days)  # the earliest due date owed is the latest
    return {pk: Standing(lights[pk], late[pk]) for pk in ids}


def lights_for(assignment_ids: Iterable[int], as_of: dt.date | None = None) -> dict[int, Light]:
    """The light of each assignment, as of a day (default today): see ``standings_for``."""
    return {pk: standing.light for pk, standing in standings_for(assignment_ids, as_of).items()}
