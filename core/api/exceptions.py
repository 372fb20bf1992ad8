"""Errors as JSON that name the field; never a 500 for bad input.

Validation errors keep DRF's shape (``{"field": ["message"]}``) so clients can map them onto
form fields; model ``ValidationError`` raised by a domain function becomes a 400 of the same shape.
Django's own refusals of a request body (too large, too many fields or files) would otherwise
reach Django's HTML 400 page; here they are JSON with the reason: 413 and 400.
"""

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext
from rest_framework import exceptions, status
from rest_framework.views import exception_handler as drf_exception_handler


class RequestTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "request_too_large"


def exception_handler(exc, context):
    if isinstance(exc, DjangoValidationError):
        if hasattr(exc, "error_dict"):
            exc = exceptions.ValidationError(exc.message_dict)
        else:
            exc = exceptions.ValidationError({"non_field_errors": exc.messages})
    elif isinstance(exc, RequestDataTooBig):
        exc = RequestTooLarge(
            gettext("The request body is larger than the limit of %(limit)d bytes.")
            % {"limit": settings.DATA_UPLOAD_MAX_MEMORY_SIZE}
        )
    elif isinstance(exc, TooManyFieldsSent):
        exc = exceptions.ParseError(
            gettext("The request has more than %(limit)d fields.")
            % {"limit": settings.DATA_UPLOAD_MAX_NUMBER_FIELDS}
        )
    elif isinstance(exc, TooManyFilesSent):
        exc = exceptions.ParseError(
            gettext("The request has more than %(limit)d files.")
            % {"limit": settings.DATA_UPLOAD_MAX_NUMBER_FILES}
        )
    elif isinstance(exc, DjangoPermissionDenied) and exc.args:
        # A domain rule's refusal says why (DRF would replace it with its generic text).
        exc = exceptions.PermissionDenied(str(exc.args[0]))
    return drf_exception_handler(exc, context)
