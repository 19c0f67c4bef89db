"""Every route of the portal, read off Django's URL resolver: tests over "every page" iterate
these, so a route added tomorrow is covered (or must be classified) without anyone
remembering to list it."""

import re
from collections.abc import Iterator
from dataclasses import dataclass

from django.urls import URLPattern, URLResolver, get_resolver
from django.views.generic import RedirectView

from core.api.legacy import old_api_address

_PARAM = re.compile(r"<(?:(?P<converter>\w+):)?(?P<name>\w+)>")
# The router's regex routes, read as path patterns: "\.(?P<format>…)/?$" is a format suffix,
# any other group a string parameter.
_REGEX_SUFFIX = re.compile(r"\\\.\(\?P<format>[^)]*\)/\?")
_REGEX_GROUP = re.compile(r"\(\?P<(?P<name>\w+)>[^)]*\)")


def _as_path(text: str) -> str:
    text = _REGEX_SUFFIX.sub("<drf_format_suffix:format>", text)
    return _REGEX_GROUP.sub(r"<str:\g<name>>", text).replace("^", "").replace("$", "")


@dataclass(frozen=True)
class Route:
    name: str  # "namespace:name", or the pattern itself for an unnamed route
    pattern: str  # the whole path pattern, "enterprises/<int:pk>/edit/"
    default_kwargs: tuple[tuple[str, object], ...] = ()

    @property
    def params(self) -> dict[str, str]:
        """{name: converter} of the route's path parameters."""
        return {m["name"]: m["converter"] or "str" for m in _PARAM.finditer(self.pattern)}

    def path(self, **values: object) -> str:
        """The route's URL with its parameters filled in (by name)."""

        def fill(match: re.Match) -> str:
            return str(values[match["name"]])

        return "/" + _PARAM.sub(fill, self.pattern)


def _walk(patterns, prefix: str, namespace: str) -> Iterator[Route]:
    for entry in patterns:
        text = str(entry.pattern)
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _walk(entry.url_patterns, prefix + text, inner)
        elif isinstance(entry, URLPattern):
            if getattr(entry.callback, "view_class", None) is RedirectView:
                continue  # old addresses kept for bookmarks: they only redirect
            if entry.callback is old_api_address:
                continue  # the 2019 API's addresses: they only redirect to /api/v1/
            path = _as_path(prefix + text)
            name = f"{namespace}{entry.name}" if entry.name else path
            if "<drf_format_suffix:format>" in path:
                name += ".json"  # the same view behind the router's format suffix
            yield Route(name, path, tuple(sorted(entry.default_args.items())))


def portal_routes() -> list[Route]:
    """The portal's own routes, the API's included; Django's admin (its own app, with its
    own rules) is left out."""
    return [
        route
        for route in _walk(get_resolver().url_patterns, "", "")
        if not route.name.startswith("admin:") and not route.pattern.startswith("admin/")
    ]
