"""Fixtures of problem management: a problem manager, a service, and helpers to make problems."""

from __future__ import annotations

import pytest

from core import roles
from problems import services
from problems.roles import PROBLEM_MANAGER
from slm.models import Service
from tests.conftest import make_user


@pytest.fixture
def problem_manager(service_desk_group):
    user = make_user("problem_manager", role_list=[roles.AGENT, PROBLEM_MANAGER])
    service_desk_group.members.add(user)
    return user


@pytest.fixture
def email_service(desk):
    return Service.objects.create(name="E-mail", desk=desk)


def make_problem(by, **kwargs):
    defaults = {"short_description": "Mail delivery delayed for many users"}
    defaults.update(kwargs)
    return services.create_problem(by=by, **defaults)
