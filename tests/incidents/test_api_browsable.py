"""The browsable API (session sign-in, text/html) renders every incident endpoint."""

import pytest

from incidents import services
from tests.incidents.api_support import API, detail_url
from tests.incidents.factories import make_incident

pytestmark = pytest.mark.django_db


def test_browsable_api_pages_render_for_agents_and_end_users(client, agent, end_user, desk, category_tree):
    incident = make_incident(end_user, category=category_tree["Printer"])
    services.link_parent(make_incident(end_user), by=agent, parent=incident)
    for user in (agent, end_user):
        client.force_login(user)
        for path in ("", "comments/", "timeline/", "attachments/", "resolve/", "accept/"):
            url = f"{detail_url(incident)}{path}"
            response = client.get(url, HTTP_ACCEPT="text/html")
            assert response.status_code in (200, 405), (user, url, response.status_code)
            assert b"<html" in response.content
        listing = client.get(API, HTTP_ACCEPT="text/html")
        assert listing.status_code == 200
        assert incident.number.encode() in listing.content
