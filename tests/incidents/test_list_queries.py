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
