"""What leaves the portal: every successful attachment is recorded by one middleware
(core.middleware.DownloadAuditMiddleware), never by the views themselves — a new export is
audited the day it is added. A view that knows how many rows it wrote says so:

    return count_rows(response, queryset.count())

Recorded: who, when (the portal's clock), the file's name and kind, the route, the query
string as given and, where the view said, the row count.
"""

import ipaddress
import re
from typing import Any
from urllib.parse import unquote

from django.http import HttpRequest
from django.http.response import HttpResponseBase

from .choices import DownloadKind
from .clientip import client_ip

_ROWS = "_portal_download_rows"  # an attribute, not a header: it can never reach the client

# The kind of each download route (page and API); a route not named here takes its app's.
KIND_BY_ROUTE = {
    "enterprises:export": DownloadKind.ENTERPRISES,
    "cultivation:import_template": DownloadKind.TEMPLATE,
    "targets:export": DownloadKind.TARGETS,
    "targets:completion_export": DownloadKind.TARGETS,
    "reports:template": DownloadKind.TEMPLATE,
    "reports:submission_file": DownloadKind.SUBMISSION,
    "submission-file": DownloadKind.SUBMISSION,
    "bulletins:xlsx": DownloadKind.BULLETIN,
    "bulletin-xlsx": DownloadKind.BULLETIN,
}
KIND_BY_APP = {
    "enterprises": DownloadKind.ENTERPRISES,
    "cultivation": DownloadKind.CULTIVATION,
    "targets": DownloadKind.TARGETS,
    "bulletins": DownloadKind.BULLETIN,
}


def count_rows(response: HttpResponseBase, rows: int) -> HttpResponseBase:
    """Tell the audit how many data rows the file holds (headers and notes not counted)."""
    setattr(response, _ROWS, rows)
    return response


def rows_of(response: HttpResponseBase) -> int | None:
    return getattr(response, _ROWS, None)


def is_attachment(response: HttpResponseBase) -> bool:
    return response.get("Content-Disposition", "").strip().lower().startswith("attachment")


_QUOTED = re.compile(r"filename\*\s*=\s*([\w-]+)''([^;]+)", re.IGNORECASE)
_PLAIN = re.compile(r'filename\s*=\s*"((?:[^"\\]|\\.)*)"|filename\s*=\s*([^;\s]+)', re.IGNORECASE)


def file_name(response: HttpResponseBase) -> str:
    """The name the browser saves the file under, from Content-Disposition (RFC 6266: the
    percent-encoded filename* that Django writes for Chinese names, or the plain one)."""
    header = response.get("Content-Disposition", "")
    if match := _QUOTED.search(header):
        return unquote(match.group(2).strip(), encoding=match.group(1) or "utf-8")
    if match := _PLAIN.search(header):
        quoted, bare = match.groups()
        return re.sub(r"\\(.)", r"\1", quoted) if quoted is not None else bare
    return ""


def route_name(request: HttpRequest) -> str:
    match = request.resolver_match
    return match.view_name if match is not None else ""


def kind_of(route: str) -> str:
    if route in KIND_BY_ROUTE:
        return KIND_BY_ROUTE[route]
    app = route.split(":", 1)[0] if ":" in route else ""
    return KIND_BY_APP.get(app, DownloadKind.OTHER)


def describe(request: HttpRequest, response: HttpResponseBase) -> dict[str, Any]:
    """The record's fields, read off the request and the response (see services)."""
    route = route_name(request)
    return {
        "file_name": file_name(response) or request.path.rsplit("/", 2)[-2],
        "kind": kind_of(route),
        "url_name": route,
        "path": request.path,
        "query": request.META.get("QUERY_STRING", ""),
        "rows": rows_of(response),
        "via_api": request.path.startswith("/api/"),
        "ip": address(request),
    }


def address(request: HttpRequest) -> str | None:
    """The client's address, if it is one (a forged X-Forwarded-For is not stored)."""
    raw = client_ip(request)
    try:
        return str(ipaddress.ip_address(raw)) if raw else None
    except ValueError:
        return None
