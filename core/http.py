"""Types for views: behind login_required, a request's user is a portal User."""

from django.http import HttpRequest, HttpResponse
from django.utils.http import content_disposition_header
from django.views.decorators import http

from .models import User


class AuthedRequest(HttpRequest):
    user: User  # narrowed: login_required lets only users in


# Every view says which methods it accepts (a resolver-driven test checks them all): pages
# that only show something take GET/HEAD; pages with a form take POST as well. Anything else
# is 405 — an edit page must not treat PUT or DELETE as a GET.
require_safe = http.require_safe
require_form_methods = http.require_http_methods(["GET", "HEAD", "POST"])


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def xlsx_attachment(data: bytes, name: str) -> HttpResponse:
    """A workbook the browser saves as `name` (a Chinese name survives: RFC 6266 filename*)."""
    response = HttpResponse(data, content_type=XLSX)
    response["Content-Disposition"] = content_disposition_header(True, name)
    return response
