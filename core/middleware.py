"""Response headers every page of the portal carries, and the audit of what it hands out."""

import logging
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import add_never_cache_headers

from . import downloads, services

logger = logging.getLogger(__name__)


class NoStoreMiddleware:
    """Pages behind the login, exports and downloads: `Cache-Control: no-store`, so a shared
    office PC's browser cache or a proxy never keeps one town's figures for the next user.
    Static files (served by whitenoise before this runs) keep their long caching."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if (user is not None and user.is_authenticated) or response.has_header(
            "Content-Disposition"
        ):
            add_never_cache_headers(response)
        return response


class MethodNotAllowedPage:
    """Django answers a wrong method (GET on 退出, say, or a typed-in POST-only address) with an
    empty 405 that browsers show as a blank or error page: give it the portal's Chinese page,
    keeping the status and the Allow header."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code != 405 or response.content or request.path.startswith("/api/"):
            return response
        page = render(request, "405.html", status=405)
        page["Allow"] = response.get("Allow", "")
        return page


class DownloadAuditMiddleware:
    """Records every file the portal hands out (core/downloads.py): a successful response
    carrying `Content-Disposition: attachment`, for a signed-in user — pages and the API
    alike (DRF puts the token's user on the request as it authenticates). A refusal, a 404 or
    an error is no download and records nothing; a HEAD carries no file.

    The record is written as the response leaves, before a streamed body is sent: a stream
    cut short is still recorded (what was asked for is what matters to an audit), and no
    wrapped iterator can lose it. Recording never costs the user the file: a failed insert
    is logged and the file served.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if (
            200 <= response.status_code < 300
            and request.method != "HEAD"
            and user is not None
            and user.is_authenticated
            and downloads.is_attachment(response)
        ):
            try:
                services.record_download(
                    user=user,  # authenticated: a portal User
                    **downloads.describe(request, response),
                )
            except Exception:  # the audit must never break a download: log it loudly
                logger.exception("导出记录写入失败：%s", request.get_full_path())
        return response
