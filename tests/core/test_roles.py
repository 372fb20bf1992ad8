import pytest
from django.urls import reverse

from core import roles
from tests.conftest import make_user

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("role", roles.AGENT_ROLES)
def test_every_agent_role_reaches_the_agent_area(client, role):
    user = make_user("holder", role_list=[role])
    assert roles.is_agent(user)
    client.force_login(user)
    assert client.get(reverse("agent-home")).status_code == 200


def test_roles_are_granted_their_permissions():
    problem_manager = make_user("pm", role_list=[roles.PROBLEM_MANAGER])
    assert problem_manager.has_perm("problems.change_problem")
    agent = make_user("a", role_list=[roles.AGENT])
    assert agent.has_perm("incidents.change_incident")
    assert not agent.has_perm("changes.delete_changetemplate")
    end_user = make_user("e")
    assert not roles.is_agent(end_user)
    assert not end_user.has_perm("incidents.view_incident")
