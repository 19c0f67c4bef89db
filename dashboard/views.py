"""驾驶舱: the page (cards and tables rendered on the server) and the JSON its charts read.

Views stay thin: the unit comes from unit_param (out of scope → 404), the year from
year_param, the numbers from dashboard.selectors (cached), and every payload passes
`selectors.scoped()` with the units the scoping function lets this user see.
"""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe

from core.cache import fresh
from core.dates import today
from core.http import AuthedRequest, require_safe
from core.models import OrgUnit
from core.params import unit_nav, unit_param, year_param
from core.scoping import can_write, visible_unit_ids

from . import cache, home, selectors

# Blocks the page renders itself; trend and closest (pre-diagnosis, slow when cold) are
# drawn by dashboard.js from their endpoints after the page has arrived.
PAGE_BLOCKS = ("summary", "ranking", "funnel", "expiring", "missing")


def ranking_table(ranking_payload: dict) -> list[dict]:
    """The ranking as table rows: units in the first metric's order, one cell per metric."""
    metrics = ranking_payload["metrics"]
    if not metrics:
        return []
    by_unit = [{row["unit_id"]: row for row in metric["rows"]} for metric in metrics]
    return [
        {**row, "cells": [cells.get(row["unit_id"], {}) for cells in by_unit]}
        for row in metrics[0]["rows"]
    ]


def _scope(request: AuthedRequest) -> tuple[OrgUnit, int, set[int]]:
    unit = unit_param(request)
    year = year_param(request, today().year)
    return unit, year, visible_unit_ids(request.user, within=unit)


def _body(request: AuthedRequest, unit: OrgUnit, year: int, visible: set[int]) -> SafeString:
    """The page's cards and tables. Rendering a 100-town table costs more than reading its
    numbers, so the HTML is cached too: same key as the data, plus what varies per user."""
    writer = can_write(request.user)

    def render_body() -> str:
        blocks = {
            name: selectors.scoped(selectors.payload(name, unit, year), visible)
            for name in PAGE_BLOCKS
        }
        context = {
            "unit": unit,
            "year": year,
            "can_write": writer,
            "ranking_table": ranking_table(blocks["ranking"]),
            **blocks,
        }
        return render_to_string("dashboard/_body.html", context, request)

    page_key = cache.key("page", unit, year, request.user.unit_id, writer)
    html = fresh(page_key, cache.version("page", unit), render_body, cache.CACHE_SECONDS)
    return mark_safe(html)  # rendered by our own template, autoescaped there


@require_safe
@login_required
def home_page(request: AuthedRequest) -> HttpResponse:
    """首页: what the user has to do today (dashboard.home)."""
    return render(request, "dashboard/home.html", home.todo(request.user))


@require_safe
@login_required
def page(request: AuthedRequest) -> HttpResponse:
    unit, year, visible = _scope(request)
    units, breadcrumb = unit_nav(request.user, unit)
    query = f"?unit={unit.pk}&year={year}"
    return render(
        request,
        "dashboard/page.html",
        {
            "unit": unit,
            "year": year,
            "units": units,
            "breadcrumb": breadcrumb,
            "endpoints": {
                name: reverse(f"dashboard:{name}") + query for name in selectors.ENDPOINTS
            },
            "body": _body(request, unit, year, visible),
        },
    )


@require_safe
@login_required
def data(request: AuthedRequest, endpoint: str) -> HttpResponse:
    unit, year, visible = _scope(request)
    body = selectors.block_json(endpoint, unit, year, visible)
    return HttpResponse(body, content_type="application/json")
