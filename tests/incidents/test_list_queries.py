"""The shared incident FilterSet builds queries that stay cheap on a large table."""

import pytest
from django.http import QueryDict

from incidents.filtersets import IncidentFilterSet
from incidents.models import Incident

pytestmark = pytest.mark.django_db


def test_multiple_choice_filters_do_not_add_distinct():
    # DISTINCT over a page of incidents makes PostgreSQL sort every matching row by every column.
    filterset = IncidentFilterSet(QueryDict("state=new&state=in_progress&priority=1&priority=2"))
    assert filterset.is_valid()
    query = filterset.qs.for_list().order_by("-id")[:50].query
    assert not query.distinct
    assert "DISTINCT" not in str(query)
    assert filterset.qs.model is Incident


def test_for_list_loads_people_and_parents_without_joining_them(
    desk, end_user, agent, service_desk_group, category_tree, django_assert_num_queries
):
    from incidents import services
    from tests.incidents.factories import make_incident

    parent = make_incident(end_user)
    for i in range(6):
        incident = make_incident(
            end_user, assignment_group=service_desk_group, assigned_to=agent, category=category_tree["PC"]
        )
        if i % 2:
            services.link_parent(incident, by=agent, parent=parent)
            services.resolve_incident(
                incident, by=agent, resolution_code="solution_provided", resolution_notes="x"
            )
    query = str(Incident.objects.for_list().query)
    assert "core_user" not in query  # people come from one id IN (...) query, not four joins
    with django_assert_num_queries(3):  # the page, its people, its parents
        rows = list(Incident.objects.for_list().order_by("-id")[:5])
        seen = [
            (i.caller.username, i.assigned_to, i.opened_by.username, i.resolved_by, i.parent, i.desk.name)
            for i in rows
        ]
        seen += [(i.category, i.assignment_group, i.service) for i in rows]
    assert rows[0].resolved_by == agent and rows[0].parent == parent
    with django_assert_num_queries(2):  # no parent among them
        single = Incident.objects.for_list().get(pk=parent.pk)
        assert single.caller == end_user and single.parent is None and single.assigned_to is None
    assert len(seen) == 10
