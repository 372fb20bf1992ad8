from rest_framework.pagination import CursorPagination


class DefaultCursorPagination(CursorPagination):
    """Cursor pagination, newest first; ``page_size`` may be asked for up to 200."""

    ordering = "-id"
    page_size_query_param = "page_size"
    max_page_size = 200
