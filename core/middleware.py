"""Response headers every page of the portal carries."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import add_never_cache_headers


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
