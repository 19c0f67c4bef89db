"""Every route of the portal, read off Django's URL resolver: tests over "every page" iterate
these, so a route added tomorrow is covered (or must be classified) without anyone
remembering to list it."""

import re
from collections.abc import Iterator
from dataclasses import dataclass

from django.urls import URLPattern, URLResolver, get_resolver

_PARAM = re.compile(r"<(?:(?P<converter>\w+):)?(?P<name>\w+)>")


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
            name = f"{namespace}{entry.name}" if entry.name else prefix + text
            yield Route(name, prefix + text, tuple(sorted(entry.default_args.items())))


def portal_routes() -> list[Route]:
    """The portal's own routes: Django's admin (its own app, with its own rules) and regex
    routes (the legacy redirects, format-suffix variants) are left out."""
    return [
        route
        for route in _walk(get_resolver().url_patterns, "", "")
        if not route.name.startswith("admin:")
        and not route.pattern.startswith("admin/")
        and "^" not in route.pattern
        and "(?P" not in route.pattern
    ]
