from django.core.exceptions import FieldDoesNotExist
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework.exceptions import NotFound
from rest_framework.pagination import CursorPagination


class DefaultCursorPagination(CursorPagination):
    """Cursor pagination, newest first; ``page_size`` may be asked for up to 200.

    A cursor is base64 that a client can forge; DRF checks its shape but not that the position
    fits the ordering column, so ``p=abc`` on an integer column reached the database (a 500).
    The position is checked against the model field here: a bad one is a 404 "Invalid cursor",
    as DRF answers for a malformed cursor.
    """

    ordering = "-id"
    page_size_query_param = "page_size"
    max_page_size = 200

    def paginate_queryset(self, queryset, request, view=None):
        self._queryset_model = getattr(queryset, "model", None)
        return super().paginate_queryset(queryset, request, view)

    def decode_cursor(self, request):
        cursor = super().decode_cursor(request)
        if cursor is None or cursor.position is None:
            return cursor
        field = self._ordering_field()
        if field is not None:
            try:
                field.to_python(cursor.position)
            except (DjangoValidationError, ValueError, TypeError, OverflowError):
                raise NotFound(self.invalid_cursor_message)
            if "\x00" in str(cursor.position):
                raise NotFound(self.invalid_cursor_message)
        return cursor

    def _ordering_field(self):
        """The model field of the first ordering column, or None if it is not a plain field."""
        model = getattr(self, "_queryset_model", None)
        ordering = getattr(self, "ordering", None)
        if model is None or not ordering:
            return None
        name = (ordering[0] if isinstance(ordering, list | tuple) else ordering).lstrip("-")
        if name == "pk":
            return model._meta.pk
        field = None
        for part in name.split("__"):
            try:
                field = model._meta.get_field(part)
            except FieldDoesNotExist:
                return None
            if field.is_relation and field.related_model is not None:
                model = field.related_model
        return field
