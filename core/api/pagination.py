"""One list shape for the whole API: `{"count", "next", "previous", "results"}`."""

from typing import Any

from rest_framework import exceptions
from rest_framework.pagination import PageNumberPagination


class PortalPagination(PageNumberPagination):
    """`?page=` (from 1) and `?page_size=` (1–500, default 50). A page or size that is not a
    positive whole number is a 400 naming the parameter — DRF would quietly use the default
    size, and an integrator would page through a list with the wrong stride without knowing;
    a page past the end is DRF's 404."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500
    invalid_page_message = "页码超出范围：{message}"

    def get_page_size(self, request: Any) -> int:
        raw = _once(request, self.page_size_query_param)
        if raw is None:
            return self.page_size
        return _whole(raw, self.page_size_query_param, 1, self.max_page_size)

    def paginate_queryset(self, queryset: Any, request: Any, view: Any = None) -> Any:
        raw = _once(request, self.page_query_param)
        if raw is not None and raw != "last":
            _whole(raw, self.page_query_param, 1, None)
        return super().paginate_queryset(queryset, request, view)

    def get_schema_operation_parameters(self, view: Any) -> list[dict]:
        parameters = super().get_schema_operation_parameters(view)
        documented = {
            self.page_query_param: ("页码，从 1 开始", {"minimum": 1}),
            self.page_size_query_param: (
                f"每页条数，默认 {self.page_size}，最多 {self.max_page_size}",
                {"minimum": 1, "maximum": self.max_page_size},
            ),
        }
        for parameter in parameters:
            parameter["description"], bounds = documented[parameter["name"]]
            parameter["schema"].update(bounds)
        return parameters


def _once(request: Any, name: str) -> str | None:
    """The parameter's value; given twice, a 400 — which one was meant is anyone's guess."""
    values = request.query_params.getlist(name)
    if len(values) > 1:
        raise exceptions.ValidationError({name: ["只能给出一次。"]})
    return values[0] if values else None


def _whole(raw: str, name: str, low: int, high: int | None) -> int:
    bounds = f"{low}–{high} 的整数" if high else f"不小于 {low} 的整数"
    if not raw.isdigit() or not (low <= int(raw) <= (high or int(raw))):
        raise exceptions.ValidationError({name: [f"应为{bounds}，收到“{raw}”。"]})
    return int(raw)
