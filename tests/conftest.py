"""The fixed cast of users and shared fixtures for every test module.

Cast: ``agent`` (Service Desk, 1st line), ``other_group_agent`` (Network, 2nd line),
``incident_manager``, ``change_manager``, ``knowledge_manager``, ``service_level_manager``,
``end_user`` and ``other_end_user`` (different organisations), ``admin``.
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.core.cache import cache
from rest_framework.test import APIClient

from core import roles
from core.models import Category, Desk, Organization, SupportGroup, User


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    # PBKDF2's million rounds cost ~0.3 s per user created, most of a test's time on a busy machine.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(scope="session", autouse=True)
def _nested_form_guard_installed():
    """Every request of the suite passes the nested-form guard (outermost, so it sees the page as
    sent). Installed before any test client or the live server builds its middleware chain."""
    from django.conf import settings

    from tests.html_checks import MIDDLEWARE

    original = list(settings.MIDDLEWARE)
    if MIDDLEWARE not in original:
        settings.MIDDLEWARE = [MIDDLEWARE, *original]
    yield
    settings.MIDDLEWARE = original


@pytest.fixture(autouse=True)
def _no_nested_forms(_nested_form_guard_installed):
    """Fails the test that rendered an HTML page with a <form> inside a <form> (issue 11)."""
    from tests.html_checks import take_violations

    take_violations()
    yield
    found = take_violations()
    if found:
        pytest.fail("Nested <form> elements in rendered pages:\n" + "\n".join(found), pytrace=False)


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _default_language_and_time_zone():
    """Each test starts in the default language and time zone, whatever a previous request set."""
    from django.conf import settings
    from django.utils import timezone, translation

    translation.activate(settings.LANGUAGE_CODE)
    timezone.deactivate()
    yield
    translation.activate(settings.LANGUAGE_CODE)
    timezone.deactivate()


def make_user(username: str, *, role_list=(), organization=None, language="en", **extra) -> User:
    user = User.objects.create_user(
        username=username,
        password="pw-" + username,
        email=f"{username}@example.com",
        first_name=username.replace("_", " ").title(),
        organization=organization,
        language=language,
        **extra,
    )
    if role_list:
        user.groups.add(*Group.objects.filter(name__in=role_list))
    return user


@pytest.fixture
def desk(db) -> Desk:
    return Desk.objects.create(name="IT Service Desk", slug="it", email="it@example.com")


@pytest.fixture
def other_desk(db) -> Desk:
    return Desk.objects.create(name="HR Service Desk", slug="hr", email="hr@example.com", language="sv")


@pytest.fixture
def organization(db) -> Organization:
    return Organization.objects.create(name="Acme")


@pytest.fixture
def other_organization(db) -> Organization:
    return Organization.objects.create(name="Globex")


@pytest.fixture
def service_desk_group(desk) -> SupportGroup:
    return SupportGroup.objects.create(name="Service Desk", desk=desk, line_level=1, email="sd@example.com")


@pytest.fixture
def network_group(desk) -> SupportGroup:
    return SupportGroup.objects.create(name="Network", desk=desk, line_level=2, email="net@example.com")


@pytest.fixture
def agent(service_desk_group) -> User:
    user = make_user("agent", role_list=[roles.AGENT])
    service_desk_group.members.add(user)
    return user


@pytest.fixture
def other_group_agent(network_group) -> User:
    user = make_user("other_group_agent", role_list=[roles.AGENT], language="sv")
    network_group.members.add(user)
    return user


@pytest.fixture
def incident_manager(service_desk_group) -> User:
    user = make_user("incident_manager", role_list=[roles.AGENT, roles.INCIDENT_MANAGER])
    service_desk_group.members.add(user)
    service_desk_group.manager = user
    service_desk_group.save(update_fields=["manager"])
    return user


@pytest.fixture
def change_manager(db) -> User:
    return make_user("change_manager", role_list=[roles.AGENT, roles.CHANGE_MANAGER])


@pytest.fixture
def knowledge_manager(db) -> User:
    return make_user("knowledge_manager", role_list=[roles.AGENT, roles.KNOWLEDGE_MANAGER])


@pytest.fixture
def service_level_manager(db) -> User:
    return make_user("service_level_manager", role_list=[roles.AGENT, roles.SERVICE_LEVEL_MANAGER])


@pytest.fixture
def end_user(organization) -> User:
    return make_user("end_user", organization=organization)


@pytest.fixture
def other_end_user(other_organization) -> User:
    return make_user("other_end_user", organization=other_organization, language="sv")


@pytest.fixture
def admin(db) -> User:
    return make_user("admin", role_list=[roles.ADMINISTRATOR], is_staff=True, is_superuser=True)


@pytest.fixture
def category_tree(db) -> dict[str, Category]:
    hardware = Category.objects.create(name="Hardware")
    software = Category.objects.create(name="Software")
    return {
        "Hardware": hardware,
        "Printer": Category.objects.create(name="Printer", parent=hardware),
        "PC": Category.objects.create(name="PC", parent=hardware),
        "Software": software,
        "E-mail": Category.objects.create(name="E-mail", parent=software),
    }


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


def api_as(user) -> APIClient:
    """An API client authenticated with a real token of ``user``."""
    from rest_framework.authtoken.models import Token

    client = APIClient()
    token, _ = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


@pytest.fixture
def as_user():
    return api_as
