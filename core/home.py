"""What the agent home page leads with: the agent's own work, and for managers the desk's state.

Everything here is an aggregate or a short, capped list: the number of queries does not grow with
the number of incidents, timers or approvals (``tests/core/test_home.py`` asserts it).

- Agent: my open incidents, my groups' unassigned incidents, incidents of mine or my groups that
  breach an SLA target soon (or already did), and what awaits my decision (change approvals; for
  incident managers, major-incident proposals; for knowledge managers, articles in review).
- Manager (incident manager, service level manager, a support group's manager or a desk's duty
  manager): per desk the queue counts, SLA breaches today and this week (in the user's time zone)
  and caller satisfaction over the last 30 days.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import Avg, Count, F, Min, Q
from django.utils import timezone

from core import roles
from core.models import Desk, SupportGroup

LIST_SIZE = 8
BREACHING_HORIZON = timedelta(hours=4)
SATISFACTION_DAYS = 30


def managed_desks(user) -> tuple[bool, set[int] | None]:
    """(is a manager, the desks they lead: None for all). The incident and service level manager
    roles lead every desk; a support group's manager or a desk's duty manager leads that desk."""
    if (
        user.is_superuser
        or roles.has_role(user, roles.INCIDENT_MANAGER)
        or roles.has_role(user, roles.SERVICE_LEVEL_MANAGER)
    ):
        return True, None
    desk_ids = set(SupportGroup.objects.filter(manager=user).values_list("desk_id", flat=True))
    desk_ids |= set(Desk.objects.filter(duty_manager=user).values_list("pk", flat=True))
    return bool(desk_ids), desk_ids


def _counted(queryset, size: int = LIST_SIZE) -> tuple[list, int]:
    """The first ``size`` rows and the total, in two queries (one when the list is short)."""
    rows = list(queryset[: size + 1])
    if len(rows) <= size:
        return rows, len(rows)
    return rows[:size], queryset.count()


def agent_work(user, now: datetime | None = None) -> dict:
    from changes.choices import ApprovalState, ApprovalStatus
    from changes.models import Approval
    from incidents.choices import OPEN_STATES, MajorState
    from incidents.models import Incident
    from slm.choices import AgreementKind, TimerState

    now = now or timezone.now()
    group_ids = list(user.support_groups.values_list("pk", flat=True))
    open_incidents = Incident.objects.filter(state__in=OPEN_STATES).select_related("assignment_group")
    mine, mine_count = _counted(open_incidents.filter(assigned_to=user).order_by("priority", "-updated_at"))
    unassigned, unassigned_count = _counted(
        open_incidents.filter(assignment_group_id__in=group_ids, assigned_to__isnull=True).order_by(
            "priority", "created_at"
        )
    )
    counting = Q(
        sla_timers__kind=AgreementKind.SLA,
        sla_timers__stopped_at__isnull=True,
        sla_timers__is_paused=False,
        sla_timers__state__in=[TimerState.RUNNING, TimerState.BREACHED],
    )
    breaching, breaching_count = _counted(
        open_incidents.filter(Q(assigned_to=user) | Q(assignment_group_id__in=group_ids))
        .annotate(soonest_due=Min("sla_timers__due_at", filter=counting))
        .filter(soonest_due__lte=now + BREACHING_HORIZON)
        .select_related("assigned_to")
        .order_by("soonest_due", "id")
    )
    approvals, approvals_count = _counted(
        Approval.objects.filter(
            approver=user,
            state=ApprovalState.REQUESTED,
            change__approval_status=ApprovalStatus.REQUESTED,
            requirement__round=F("change__approval_round"),
        )
        .select_related("change")
        .order_by("requested_at", "id")
    )
    decisions = []
    if roles.has_role(user, roles.INCIDENT_MANAGER):
        from incidents.models import MajorIncident

        proposed, proposed_count = _counted(
            MajorIncident.objects.filter(
                incident__major_state=MajorState.PROPOSED, incident__state__in=OPEN_STATES
            )
            .select_related("incident")
            .order_by("proposed_at", "id")
        )
        decisions.append(("major", proposed, proposed_count))
    if roles.has_role(user, roles.KNOWLEDGE_MANAGER):
        from knowledge.choices import ArticleState
        from knowledge.models import Article

        in_review, review_count = _counted(
            Article.objects.filter(state=ArticleState.REVIEW).order_by("updated_at", "id")
        )
        decisions.append(("article", in_review, review_count))
    return {
        "mine": mine,
        "mine_count": mine_count,
        "unassigned": unassigned,
        "unassigned_count": unassigned_count,
        "breaching": breaching,
        "breaching_count": breaching_count,
        "breaching_hours": int(BREACHING_HORIZON.total_seconds() // 3600),
        "approvals": approvals,
        "approvals_count": approvals_count,
        "decisions": {kind: {"rows": rows, "count": count} for kind, rows, count in decisions},
        "awaiting_count": approvals_count + sum(count for _kind, _rows, count in decisions),
        "now": now,
    }


def desk_overview(user, now: datetime | None = None, desk_ids: set[int] | None = None) -> dict:
    """Per desk (``desk_ids``, or every active desk): queue counts, breaches today and this week,
    satisfaction (four queries)."""
    from incidents.choices import OPEN_STATES, State
    from incidents.models import Incident
    from slm.models import SlaTimer

    now = now or timezone.now()
    local = timezone.localtime(now)
    today = local.replace(hour=0, minute=0, second=0, microsecond=0)
    week = today - timedelta(days=today.weekday())
    since = now - timedelta(days=SATISFACTION_DAYS)

    desks = Desk.objects.filter(is_active=True).order_by("name")
    incidents = Incident.objects.all()
    timers = SlaTimer.objects.all()
    if desk_ids is not None:
        desks = desks.filter(pk__in=desk_ids)
        incidents = incidents.filter(desk_id__in=desk_ids)
        timers = timers.filter(incident__desk_id__in=desk_ids)
    desks = list(desks)
    queues = {
        row["desk_id"]: row
        for row in incidents.filter(state__in=OPEN_STATES)
        .values("desk_id")
        .annotate(
            open=Count("pk"),
            new=Count("pk", filter=Q(state=State.NEW)),
            unassigned=Count("pk", filter=Q(assigned_to__isnull=True)),
            ungrouped=Count("pk", filter=Q(assignment_group__isnull=True)),
            on_hold=Count("pk", filter=Q(state=State.ON_HOLD)),
            high=Count("pk", filter=Q(priority__lte=2)),
            oldest=Min("created_at"),
        )
    }
    breaches = {
        row["incident__desk_id"]: row
        for row in timers.filter(breached_at__gte=week)
        .values("incident__desk_id")
        .annotate(
            week=Count("pk"),
            today=Count("pk", filter=Q(breached_at__gte=today)),
        )
    }
    ratings = {
        row["desk_id"]: row
        for row in incidents.filter(satisfaction__isnull=False, resolved_at__gte=since)
        .values("desk_id")
        .annotate(
            count=Count("pk"),
            average=Avg("satisfaction"),
            satisfied=Count("pk", filter=Q(satisfaction__gte=4)),
        )
    }
    rows = []
    for desk in desks:
        queue = queues.get(desk.pk, {})
        breach = breaches.get(desk.pk, {})
        rating = ratings.get(desk.pk, {})
        rows.append(
            {
                "desk": desk,
                "open": queue.get("open", 0),
                "new": queue.get("new", 0),
                "unassigned": queue.get("unassigned", 0),
                "ungrouped": queue.get("ungrouped", 0),
                "on_hold": queue.get("on_hold", 0),
                "high": queue.get("high", 0),
                "oldest": queue.get("oldest"),
                "breaches_today": breach.get("today", 0),
                "breaches_week": breach.get("week", 0),
                "ratings": rating.get("count", 0),
                "average": round(rating["average"], 1) if rating.get("average") is not None else None,
                "satisfied_percent": round(100 * rating["satisfied"] / rating["count"])
                if rating.get("count")
                else None,
            }
        )
    totals = {
        key: sum(row[key] for row in rows)
        for key in ("open", "new", "unassigned", "on_hold", "high", "breaches_today", "breaches_week")
    }
    all_ratings = [r for r in ratings.values() if r["count"]]
    count = sum(r["count"] for r in all_ratings)
    totals["ratings"] = count
    totals["average"] = (
        round(sum(r["average"] * r["count"] for r in all_ratings) / count, 1) if count else None
    )
    totals["satisfied_percent"] = (
        round(100 * sum(r["satisfied"] for r in all_ratings) / count) if count else None
    )
    return {"desks": rows, "totals": totals, "satisfaction_days": SATISFACTION_DAYS}
