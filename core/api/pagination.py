"""One list shape for the whole API: `{"count", "next", "previous", "results"}`."""

from rest_framework.pagination import PageNumberPagination


class PortalPagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500
    invalid_page_message = "页码无效：{message}"
