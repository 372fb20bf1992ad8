"""Errors as JSON that name the field; never a 500 for bad input.

Validation errors keep DRF's shape (``{"field": ["message"]}``) so clients can map them onto
form fields; model ``ValidationError`` raised by a domain function becomes a 400 of the same shape.
"""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions
from rest_framework.views import exception_handler as drf_exception_handler


def exception_handler(exc, context):
    if isinstance(exc, DjangoValidationError):
        if hasattr(exc, "error_dict"):
            exc = exceptions.ValidationError(exc.message_dict)
        else:
            exc = exceptions.ValidationError({"non_field_errors": exc.messages})
    elif isinstance(exc, DjangoPermissionDenied) and exc.args:
        # A domain rule's refusal says why (DRF would replace it with its generic text).
        exc = exceptions.PermissionDenied(str(exc.args[0]))
    return drf_exception_handler(exc, context)
