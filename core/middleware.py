import zoneinfo

from django.conf import settings
from django.core.exceptions import BadRequest
from django.http import JsonResponse
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.views.defaults import bad_request


class UserLanguageMiddleware:
    """Signed-in users get the UI in their preferred language and time zone.

    Placed after AuthenticationMiddleware (LocaleMiddleware runs earlier and cannot see the user).
    An explicit choice in the language cookie wins: the language switcher also stores the choice
    on the user, so both agree after a switch.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and settings.LANGUAGE_COOKIE_NAME not in request.COOKIES
            and user.language
        ):
            translation.activate(user.language)
            request.LANGUAGE_CODE = user.language
        if user is not None and user.is_authenticated and user.time_zone:
            try:
                timezone.activate(zoneinfo.ZoneInfo(user.time_zone))
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                timezone.deactivate()
        else:
            timezone.deactivate()
        return self.get_response(request)


class RejectNulMiddleware:
    """A NUL character in the path or the query string is a 400, before any view sees it.

    PostgreSQL cannot store or compare text with NUL, so a lookup such as
    ``/portal/incidents/INC%00/`` or ``?q=a%00b`` raised ``ValueError`` deep in the database
    layer (a 500) wherever the value reached a query. No URL or parameter of the product has a
    use for it. API paths get a JSON error like every other API error; pages the friendly 400.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if "\x00" in request.path or self._query_has_nul(request):
            message = gettext("The address contains a NUL character, which is not allowed.")
            if request.path.startswith("/api/"):
                return JsonResponse({"detail": message}, status=400)
            return bad_request(request, BadRequest(message))
        return self.get_response(request)

    @staticmethod
    def _query_has_nul(request) -> bool:
        query = request.META.get("QUERY_STRING", "")
        if "%00" not in query and "\x00" not in query:
            return False  # the common case, without parsing
        return any(
            "\x00" in key or any("\x00" in value for value in values) for key, values in request.GET.lists()
        )
