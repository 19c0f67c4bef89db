"""Where the unversioned API's addresses (/api/…, before /api/v1/) went."""

from django.http import HttpRequest, HttpResponsePermanentRedirect

RENAMED = {"ladder/counts/": "ladder-counts/"}


def old_api_address(request: HttpRequest, rest: str) -> HttpResponsePermanentRedirect:
    """308 to the same resource under /api/v1/ (a 308 keeps the method and the token)."""
    rest = RENAMED.get(rest, rest)
    if rest.endswith(".json"):  # the old router's format suffix: JSON is all v1 speaks
        rest = rest.removesuffix(".json") + "/"
    query = request.GET.urlencode()
    target = f"/api/v1/{rest}" + (f"?{query}" if query else "")
    return HttpResponsePermanentRedirect(target, preserve_request=True)
