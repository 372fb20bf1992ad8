"""The size limit on free text (descriptions, comments, work notes, notes of every ticket).

One constant and one validator, used by the forms, the API (through the services and models
they share) and a data-layer guard on save, so every way in refuses an oversized text with an
error on the field instead of storing megabytes or failing later.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

TEXT_MAX_LENGTH = 64 * 1024  # characters

# The apps whose models hold user-written text; notifications keep system text (error logs).
GUARDED_APPS = frozenset({"core", "incidents", "problems", "changes", "knowledge", "slm"})


class TextLengthValidator(MaxLengthValidator):
    message = _("This text is too long: at most %(limit_value)d characters (it has %(show_value)d).")


validate_text_length = TextLengthValidator(TEXT_MAX_LENGTH)


def oversized_text_errors(instance: models.Model, update_fields=None) -> dict[str, list[str]]:
    """``{field: [message]}`` for each editable text field of ``instance`` over the limit."""
    errors: dict[str, list[str]] = {}
    for field in instance._meta.concrete_fields:
        if not isinstance(field, models.TextField) or not field.editable:
            continue
        if update_fields is not None and field.name not in update_fields:
            continue
        value = getattr(instance, field.attname)
        if isinstance(value, str) and len(value) > TEXT_MAX_LENGTH:
            try:
                validate_text_length(value)
            except ValidationError as exc:
                errors[field.name] = exc.messages
    return errors


def refuse_oversized_text(sender, instance, raw=False, update_fields=None, **kwargs) -> None:
    """``pre_save`` guard: an oversized text never reaches the database, whoever saves it."""
    if raw or sender._meta.app_label not in GUARDED_APPS:
        return
    errors = oversized_text_errors(instance, update_fields)
    if errors:
        raise ValidationError(errors)
