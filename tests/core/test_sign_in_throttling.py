"""Sign-in throttling (django-axes): username + client address, shared state, admin covered."""

import re

import pytest
from axes.models import AccessAttempt
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db

LOCKED = "Too many failed sign-in attempts"


@pytest.fixture(autouse=True)
def _three_failures(settings):
    settings.AXES_FAILURE_LIMIT = 3


def sign_in(client, username, password, *, url=None, ip="10.0.0.1", forwarded=None):
    extra = {"REMOTE_ADDR": ip}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return client.post(url or reverse("login"), {"username": username, "password": password}, **extra)


def fail(client, username, times=3, **kwargs):
    for _ in range(times):
        response = sign_in(client, username, "wrong", **kwargs)
    return response


def test_correct_password_is_refused_once_the_combination_is_locked(client, agent):
    response = fail(client, "agent")
    assert response.status_code == 429
    response = sign_in(client, "agent", "pw-agent")
    assert response.status_code == 429
    assert LOCKED in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_failures_for_one_user_do_not_lock_another_user_or_address(agent, end_user):
    attacker = Client()
    fail(attacker, "agent", ip="10.0.0.66")
    assert sign_in(attacker, "agent", "pw-agent", ip="10.0.0.66").status_code == 429

    # Another user behind the same address signs in.
    colleague = Client()
    response = sign_in(colleague, "end_user", "pw-end_user", ip="10.0.0.66")
    assert response.status_code == 302
    assert colleague.session["_auth_user_id"] == str(end_user.pk)

    # The attacked user, from their own address, signs in too.
    owner = Client()
    response = sign_in(owner, "agent", "pw-agent", ip="10.0.0.7")
    assert response.status_code == 302
    assert owner.session["_auth_user_id"] == str(agent.pk)


def test_lockout_message_says_when_to_retry(client, agent, settings):
    settings.TIME_ZONE = "UTC"
    response = fail(client, "agent")
    page = response.content.decode()
    assert response.status_code == 429
    match = re.search(r"Try again after (\d\d:\d\d) \(in 15 minutes\)", page)
    assert match, page
    attempt = AccessAttempt.objects.get(username="agent", ip_address="10.0.0.1")
    from datetime import timedelta

    assert match.group(1) == (attempt.attempt_time + timedelta(minutes=15)).strftime("%H:%M")
    assert 'name="username"' in page  # still the sign-in page


def test_lockout_message_is_translated(client, agent):
    client.cookies["django_language"] = "sv"
    response = fail(client, "agent")
    page = response.content.decode()
    assert "För många misslyckade inloggningsförsök" in page
    assert "Försök igen efter" in page


def test_admin_login_is_throttled(client, admin):
    url = reverse("admin:login")
    for _ in range(3):
        response = sign_in(client, "admin", "wrong", url=url)
    assert response.status_code == 429
    assert LOCKED in response.content.decode()
    response = sign_in(client, "admin", "pw-admin", url=url)
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
    # The same counter as the product's sign-in page: the combination is locked there as well.
    assert sign_in(client, "admin", "pw-admin").status_code == 429


def test_forwarded_for_is_ignored_without_trusted_proxies(client, agent, settings):
    settings.TRUSTED_PROXY_COUNT = 0
    # An attacker cannot escape the lockout by writing a new address into the header each time.
    for n in range(3):
        sign_in(client, "agent", "wrong", ip="10.0.0.66", forwarded=f"192.0.2.{n}")
    response = sign_in(client, "agent", "pw-agent", ip="10.0.0.66", forwarded="192.0.2.99")
    assert response.status_code == 429
    assert AccessAttempt.objects.get().ip_address == "10.0.0.66"


def test_forwarded_for_is_honoured_through_the_trusted_proxy_count(agent, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    proxy = "10.0.0.1"
    attacker = Client()
    fail(attacker, "agent", ip=proxy, forwarded="198.51.100.7")
    assert AccessAttempt.objects.get().ip_address == "198.51.100.7"
    # Whatever the attacker writes in front, the proxy's own entry (right-most) is the client.
    response = sign_in(attacker, "agent", "pw-agent", ip=proxy, forwarded="203.0.113.5, 198.51.100.7")
    assert response.status_code == 429

    # Another client behind the same proxy is not locked out.
    other = Client()
    response = sign_in(other, "agent", "pw-agent", ip=proxy, forwarded="203.0.113.5")
    assert response.status_code == 302


def test_lockout_state_is_in_the_database_shared_by_every_process(agent):
    fail(Client(), "agent")
    row = AccessAttempt.objects.get(username="agent", ip_address="10.0.0.1")
    assert row.failures_since_start == 3
    cache.clear()  # nothing per process: a fresh client on a cleared cache is still refused
    assert sign_in(Client(), "agent", "pw-agent").status_code == 429


def test_successful_sign_in_resets_the_counter(client, agent):
    fail(client, "agent", times=2)
    assert sign_in(client, "agent", "pw-agent").status_code == 302
    client.logout()
    fail(client, "agent", times=2)
    assert sign_in(client, "agent", "pw-agent").status_code == 302
