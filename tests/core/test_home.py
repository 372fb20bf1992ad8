"""Issue 11, defect 11: the agent home leads with the agent's own work (my open incidents, my
groups' unassigned, breaching soon, awaiting my decision); a manager's home shows each desk's
queue counts, SLA breaches today and this week, and satisfaction. Problem ratios come after.
Aggregates only: the page's query count does not grow with the data."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from changes.choices import ApprovalPolicy, ChangeType, Risk
from core.models import SupportGroup
from incidents import services
from slm.choices import AgreementKind, Metric, TimerState
from slm.models import SlaTimer
from tests.changes.conftest import make_change, make_rule, to_authorize
from tests.incidents.factories import make_incident
from tests.slm.conftest import make_policy, office_hours

pytestmark = pytest.mark.django_db


def assigned(caller, agent, group, **kwargs):
    incident = make_incident(caller, **kwargs)
    services.assign_incident(incident, by=agent, group=group, assignee=agent)
    return incident


def unassigned(caller, agent, group, **kwargs):
    incident = make_incident(caller, **kwargs)
    services.assign_incident(incident, by=agent, group=group, assignee=None)
    return incident


def timer(incident, policy, *, due_in: timedelta, breached: bool = False):
    now = timezone.now()
    # Replaces the timer the policy may have started on creation: this one is due when we say.
    SlaTimer.objects.filter(incident=incident, kind=AgreementKind.SLA, metric=Metric.RESOLUTION).delete()
    return SlaTimer.objects.create(
        incident=incident,
        kind=AgreementKind.SLA,
        metric=Metric.RESOLUTION,
        policy=policy,
        calendar=policy.calendar,
        priority=incident.priority,
        target_seconds=4 * 3600,
        started_at=now - timedelta(hours=5),
        due_at=now + due_in,
        state=TimerState.BREACHED if breached else TimerState.RUNNING,
        breached_at=now + due_in if breached else None,
    )


def rated(caller, agent, group, score: int):
    incident = assigned(caller, agent, group, short_description="Rated")
    services.resolve_incident(
        incident, by=agent, resolution_code="solution_provided", resolution_notes="Done."
    )
    services.rate_resolution(incident, by=caller, score=score)
    return incident


def approval_for(approver, requester, desk, n: int):
    group, _ = SupportGroup.objects.get_or_create(name="Approvers", desk=desk, defaults={"line_level": 3})
    group.members.add(approver)
    if not group.change_approval_rules.exists():
        make_rule("Low", [group], change_type=ChangeType.NORMAL, risk=Risk.LOW, policy=ApprovalPolicy.ANY)
    return to_authorize(make_change(requester, short_description=f"Patch servers {n}"), requester)


@pytest.fixture
def workload(desk, service_desk_group, network_group, agent, other_group_agent, end_user, change_manager):
    """My two open incidents, one unassigned in my group, one in another group; SLA timers
    (one due in an hour, one breached today, one far away); a rating; a change approval."""
    mine = [
        assigned(end_user, agent, service_desk_group, short_description="VPN drops every hour"),
        assigned(end_user, agent, service_desk_group, short_description="Outlook asks for password"),
    ]
    waiting = unassigned(end_user, agent, service_desk_group, short_description="New laptop for Eva")
    elsewhere = unassigned(end_user, other_group_agent, network_group, short_description="Switch port dead")
    policy = make_policy("Standard", office_hours(), {("resolution", None): 240})
    timer(mine[0], policy, due_in=timedelta(hours=1))
    timer(waiting, policy, due_in=-timedelta(minutes=30), breached=True)
    timer(mine[1], policy, due_in=timedelta(days=2))
    rated(end_user, agent, service_desk_group, 5)
    rated(end_user, agent, service_desk_group, 2)
    change = approval_for(agent, change_manager, desk, 1)
    return {"mine": mine, "waiting": waiting, "elsewhere": elsewhere, "change": change}


def test_agent_home_leads_with_my_work(client, agent, workload):
    client.force_login(agent)
    response = client.get("/agent/")
    assert response.status_code == 200
    work = response.context["work"]
    assert {i.number for i in work["mine"]} == {i.number for i in workload["mine"]}
    assert work["mine_count"] == 2
    assert [i.number for i in work["unassigned"]] == [workload["waiting"].number]
    # Overdue first, then due within the horizon; the one due in two days is not listed.
    assert [i.number for i in work["breaching"]] == [workload["waiting"].number, workload["mine"][0].number]
    assert [a.change.number for a in work["approvals"]] == [workload["change"].number]
    assert work["awaiting_count"] == 1
    assert response.context["overview"] is None  # a plain agent sees no desk figures

    html = response.content.decode()
    assert 'id="count-mine">2<' in html and 'id="count-breaching">2<' in html
    assert 'id="count-awaiting">1<' in html and workload["change"].number in html
    assert "VPN drops every hour" in html and "Overdue" in html
    assert workload["elsewhere"].number not in html
    # The agent's work comes before the problem-management ratios.
    assert html.index("My open incidents") < html.index("Incidents per problem")


def test_manager_home_shows_desk_queues_breaches_and_satisfaction(client, incident_manager, desk, workload):
    SlaTimer.objects.filter(breached_at__isnull=False).update(
        breached_at=timezone.now() - timedelta(minutes=5)
    )
    client.force_login(incident_manager)
    response = client.get("/agent/")
    assert response.status_code == 200
    overview = response.context["overview"]
    row = next(r for r in overview["desks"] if r["desk"] == desk)
    assert row["open"] == 4 and row["unassigned"] == 2 and row["breaches_today"] == 1
    assert row["breaches_week"] == 1
    assert row["ratings"] == 2 and row["average"] == 3.5 and row["satisfied_percent"] == 50
    html = response.content.decode()
    assert 'id="total-open">4<' in html and 'id="total-breaches-today">1<' in html
    assert "3.5 / 5 (50 % satisfied, 2 ratings)" in html
    assert html.index("Desks") < html.index("Incidents per problem")


def test_a_groups_manager_sees_their_own_desk(client, agent, service_desk_group, desk, other_desk, workload):
    service_desk_group.manager = agent
    service_desk_group.save(update_fields=["manager"])
    client.force_login(agent)
    overview = client.get("/agent/").context["overview"]
    assert [row["desk"] for row in overview["desks"]] == [desk]
    assert overview["totals"]["open"] == 4


def test_incident_manager_sees_every_desk(client, incident_manager, desk, other_desk, workload):
    client.force_login(incident_manager)
    overview = client.get("/agent/").context["overview"]
    assert {row["desk"] for row in overview["desks"]} == {desk, other_desk}


def test_breach_last_week_counts_for_no_figure_of_this_week(client, service_level_manager, desk, workload):
    SlaTimer.objects.filter(breached_at__isnull=False).update(breached_at=timezone.now() - timedelta(days=8))
    client.force_login(service_level_manager)
    row = next(r for r in client.get("/agent/").context["overview"]["desks"] if r["desk"] == desk)
    assert row["breaches_today"] == 0 and row["breaches_week"] == 0


def test_home_query_count_does_not_grow_with_the_data(
    client, incident_manager, desk, service_desk_group, end_user, change_manager, workload
):
    service_desk_group.members.add(incident_manager)

    def queries() -> int:
        client.force_login(incident_manager)
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/agent/").status_code == 200
        return len(captured)

    # Enough of everything that each list is full and counted.
    policy = make_policy("More", office_hours("More hours"), {("resolution", None): 240})
    for n in range(10):
        incident = assigned(end_user, incident_manager, service_desk_group, short_description=f"Mine {n}")
        timer(incident, policy, due_in=timedelta(minutes=10 + n))
        unassigned(end_user, incident_manager, service_desk_group, short_description=f"Waiting {n}")
    before = queries()
    for n in range(10):
        incident = assigned(end_user, incident_manager, service_desk_group, short_description=f"More {n}")
        timer(incident, policy, due_in=-timedelta(minutes=n + 1), breached=True)
        unassigned(end_user, incident_manager, service_desk_group, short_description=f"More waiting {n}")
        rated(end_user, incident_manager, service_desk_group, 1 + n % 5)
    for n in range(3):
        approval_for(incident_manager, change_manager, desk, 10 + n)
    after = queries()
    assert after == before, f"{before} queries with less data, {after} with more"


def test_home_in_swedish(client, incident_manager, workload):
    incident_manager.language = "sv"
    incident_manager.save(update_fields=["language"])
    client.force_login(incident_manager)
    html = client.get("/agent/").content.decode()
    assert "Ditt arbete" in html and "Mina öppna incidenter" in html
    assert "Nöjdhet (30 dagar)" in html and "SLA-brott i dag" in html
