"""Types for views: behind login_required, a request's user is a portal User."""

from django.http import HttpRequest
from django.views.decorators import http

from .models import User


class AuthedRequest(HttpRequest):
    user: User  # narrowed: login_required lets only users in


# Every view says which methods it accepts (a resolver-driven test checks them all): pages
# that only show something take GET/HEAD; pages with a form take POST as well. Anything else
# is 405 — an edit page must not treat PUT or DELETE as a GET.
require_safe = http.require_safe
require_form_methods = http.require_http_methods(["GET", "HEAD", "POST"])
