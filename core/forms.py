from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _


def _client_ip(request) -> str:
    return (request.META.get("REMOTE_ADDR") or "unknown") if request else "unknown"


class RateLimitedAuthenticationForm(AuthenticationForm):
    """Refuses sign-in after too many failures for one username or from one address."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "rate_limited": _("Too many failed sign-in attempts. Try again in a few minutes."),
    }

    def _keys(self) -> list[str]:
        username = (self.data.get("username") or "").strip().lower()
        return [f"login-fail:user:{username}", f"login-fail:ip:{_client_ip(self.request)}"]

    def clean(self):
        keys = self._keys()
        if any((cache.get(key) or 0) >= settings.LOGIN_RATE_LIMIT for key in keys):
            raise ValidationError(self.error_messages["rate_limited"], code="rate_limited")
        try:
            return super().clean()
        except ValidationError:
            for key in keys:
                cache.add(key, 0, settings.LOGIN_RATE_WINDOW_SECONDS)
                try:
                    cache.incr(key)
                except ValueError:
                    cache.set(key, 1, settings.LOGIN_RATE_WINDOW_SECONDS)
            raise
