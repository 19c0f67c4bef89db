"""Types for views: behind login_required, a request's user is a portal User."""

from django.http import HttpRequest

from .models import User


class AuthedRequest(HttpRequest):
    user: User  # narrowed: login_required lets only users in
