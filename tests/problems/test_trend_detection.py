"""The trend detection task on the database: three planted clusters among noise become exactly
three candidates; re-running creates no duplicates; dismissed ones come back only when they grow;
converted ones never; the candidate's incidents are linked at once when a problem is opened."""

from datetime import timedelta

import pytest
from django.utils import timezone

from core.models import Category
from incidents.models import Incident
from problems import services
from problems.choices import CandidateStatus, State
from problems.models import ProblemCandidate, TrendSettings
from problems.tasks import detect_trends
from slm.models import Service
from tests.incidents.factories import make_incident
from tests.problems import trend_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded(desk, end_user, other_end_user):
    """The seeded rows as incidents; returns {cluster key: [incident numbers]}."""
    services_by_key = {key: Service.objects.create(name=key.upper(), desk=desk) for key in ("email", "vpn")}
    hardware = Category.objects.create(name="Hardware")
    categories = {
        "printer": Category.objects.create(name="Printer", parent=hardware),
        "network": Category.objects.create(name="Network"),
        "software": Category.objects.create(name="Software"),
    }
    now = timezone.now()
    planted: dict[str, list[str]] = {}
    bulk = []
    # Bulk data for the detector: rows written directly (the incident services are tested elsewhere).
    for index, (key, text, svc, cat, ci, days) in enumerate(trend_data.rows(seed=7)):
        caller = end_user if index % 2 else other_end_user
        number = f"INC{9000000 + index:07d}"
        bulk.append(
            Incident(
                number=number,
                short_description=text,
                caller=caller,
                opened_by=caller,
                desk=desk,
                service=services_by_key.get(svc),
                category=categories.get(cat),
                configuration_item=ci,
                created_at=now - timedelta(days=days, hours=1),
            )
        )
        if key:
            planted.setdefault(key, []).append(number)
    Incident.objects.bulk_create(bulk)
    return planted


def members(candidate):
    return sorted(candidate.members.values_list("number", flat=True))


def test_detection_finds_the_three_planted_clusters_and_nothing_else(seeded):
    result = services.detect_trends()
    assert len(result.created) == 3 and result.incidents == Incident.objects.count() - len(trend_data.OLD)
    found = {c.group_kind: members(c) for c in ProblemCandidate.objects.all()}
    assert found == {
        "category": sorted(seeded["printer"]),
        "service": sorted(seeded["vpn"]),
        "ci": sorted(seeded["drive"]),
    }
    printer = ProblemCandidate.objects.get(group_kind="category")
    assert printer.category.name == "Printer" and printer.member_count == 5
    assert printer.status == CandidateStatus.OPEN and printer.score > 0
    assert {"printer", "paper"} <= set(printer.keywords)
    drive = ProblemCandidate.objects.get(group_kind="ci")
    assert drive.configuration_item.upper().strip() == "SRV-FILE-01"


def test_running_twice_creates_no_duplicates(seeded):
    first = detect_trends(force=True)
    second = detect_trends(force=True)
    assert first["created"] == 3
    assert second == {
        "created": 0,
        "updated": 0,
        "reopened": 0,
        "unchanged": 3,
        "incidents": first["incidents"],
    }
    assert ProblemCandidate.objects.count() == 3


def test_dismissed_cluster_returns_only_when_it_grows(seeded, agent, end_user):
    services.detect_trends()
    vpn = ProblemCandidate.objects.get(group_kind="service")
    services.dismiss_candidate(vpn, by=agent, reason="Home routers, not ours")
    services.detect_trends()
    vpn.refresh_from_db()
    assert vpn.status == CandidateStatus.DISMISSED and vpn.dismissed_member_count == 4
    incident = make_incident(
        end_user, short_description="VPN disconnects again and again", service=Service.objects.get(name="VPN")
    )
    result = services.detect_trends()
    vpn.refresh_from_db()
    assert result.reopened == [vpn.pk] and not result.created
    assert vpn.status == CandidateStatus.OPEN and vpn.member_count == 5
    assert incident.number in members(vpn)
    assert ProblemCandidate.objects.count() == 3


def test_converted_cluster_links_its_incidents_and_is_never_proposed_again(seeded, agent, end_user):
    services.detect_trends()
    printer = ProblemCandidate.objects.get(group_kind="category")
    problem, links = services.convert_candidate(printer, by=agent, impact=2, urgency=2)
    assert sorted(links.linked) == sorted(seeded["printer"])
    assert problem.state == State.NEW and problem.priority == 3
    assert problem.category == printer.category and problem.short_description == printer.title
    assert problem.timeline.get(kind="created").data["candidate"] == printer.pk
    printer.refresh_from_db()
    assert printer.status == CandidateStatus.CONVERTED and printer.problem == problem
    # More of the same arrive: they form a new cluster that is the converted one again.
    category = printer.category
    for text in (
        "Printer floor 3 paper jam",
        "Paper jammed in floor 3 printer",
        "Floor 3 printer jams paper",
    ):
        make_incident(end_user, short_description=text, category=category)
    result = services.detect_trends()
    assert not result.created and printer.pk in result.unchanged
    assert ProblemCandidate.objects.filter(status=CandidateStatus.OPEN).count() == 2


def test_window_and_minimum_size_come_from_admin_settings(seeded):
    TrendSettings.objects.create(window_days=60, min_size=3, similarity=0.35)
    services.detect_trends()
    assert ProblemCandidate.objects.count() == 4  # the old badge reader cluster is now inside the window
    ProblemCandidate.objects.all().delete()
    TrendSettings.objects.update(window_days=14, min_size=5)
    services.detect_trends()
    assert sorted(ProblemCandidate.objects.values_list("member_count", flat=True)) == [5, 6]


def test_daily_run_respects_the_switch_but_on_demand_runs_anyway(seeded):
    TrendSettings.objects.create(is_enabled=False)
    assert detect_trends() == {"skipped": True}
    assert ProblemCandidate.objects.count() == 0
    assert detect_trends(force=True)["created"] == 3


def test_incidents_linked_to_a_problem_are_not_proposed(seeded, agent):
    problem = services.create_problem(by=agent, short_description="VPN instability")
    services.link_incidents(
        problem, by=agent, incidents=Incident.objects.filter(number__in=seeded["vpn"][:2])
    )
    services.detect_trends()
    assert not ProblemCandidate.objects.filter(group_kind="service").exists()
