"""Sign-in throttling with django-axes: who the client is behind the proxy, and the lockout page.

django-axes records failed sign-ins in the database (shared by every web process) and locks the
combination of username and client address, so one attacker cannot lock everybody out and
failures by one user never lock another. It hooks into ``django.contrib.auth.authenticate``, so
the product's sign-in page and ``/admin/login/`` are throttled alike.
"""

from __future__ import annotations

import ipaddress
import math

from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.formats import time_format
from django.utils.translation import ngettext


def _valid_ip(value: str) -> str | None:
    value = value.strip()
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return None


def client_ip(request: HttpRequest) -> str | None:
    """The client address, trusting ``X-Forwarded-For`` only through ``TRUSTED_PROXY_COUNT`` proxies.

    Each trusted proxy appends the address it received the request from to ``X-Forwarded-For``,
    so with N trusted proxies the client is the N-th address from the right; anything further
    left was written by the client and can be forged. With no trusted proxy (the default) the
    header is ignored and the socket address (``REMOTE_ADDR``) is the client.
    """
    remote = _valid_ip(request.META.get("REMOTE_ADDR") or "")
    count = settings.TRUSTED_PROXY_COUNT
    if count <= 0:
        return remote
    forwarded = [part for part in (request.META.get("HTTP_X_FORWARDED_FOR") or "").split(",") if part.strip()]
    if len(forwarded) < count:
        # Fewer hops than configured: the request did not pass through every trusted proxy.
        return remote
    return _valid_ip(forwarded[-count]) or remote


def retry_at(request: HttpRequest):
    """When the locked-out combination may sign in again.

    Every failure during a lockout restarts the cool-off (``AXES_RESET_COOL_OFF_ON_FAILURE_DURING_
    LOCKOUT``), and this page is only shown in answer to such a failure, so the lockout ends one
    cool-off after this attempt.
    """
    started = getattr(request, "axes_attempt_time", None) or timezone.now()
    return started + settings.AXES_COOLOFF_TIME


def lockout_message(request: HttpRequest) -> str:
    until = retry_at(request)
    minutes = max(1, math.ceil((until - timezone.now()).total_seconds() / 60))
    return ngettext(
        "Too many failed sign-in attempts for this account from your address. "
        "Try again after %(time)s (in %(minutes)s minute).",
        "Too many failed sign-in attempts for this account from your address. "
        "Try again after %(time)s (in %(minutes)s minutes).",
        minutes,
    ) % {"time": time_format(timezone.localtime(until), "H:i"), "minutes": minutes}


def lockout_response(request: HttpRequest, original_response=None, credentials=None) -> HttpResponse:
    """``AXES_LOCKOUT_CALLABLE``: the sign-in page again, with a message that says when to retry."""
    username = (credentials or {}).get("username") or request.POST.get("username", "")
    form = AuthenticationForm(request, initial={"username": username})
    # The admin's sign-in form posts the same fields, so this page serves /admin/login/ as well
    # (it posts back to the address it was shown at).
    return render(
        request,
        "registration/login.html",
        {
            "form": form,
            "next": request.POST.get("next") or request.GET.get("next", ""),
            "lockout_message": lockout_message(request),
        },
        status=settings.AXES_HTTP_RESPONSE_CODE,
    )
