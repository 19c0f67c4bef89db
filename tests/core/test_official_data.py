"""Every page that shows figures says, in one line, that they are official data only (what the
district approved), and the enterprise export carries the same line."""

import io
from datetime import date

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from core.selectors import OFFICIAL_DATA
from targets.models import TargetPlan


@pytest.fixture
def demo(demo_data, db, settings):
    settings.PORTAL_TODAY = date(2019, 7, 15)


def test_figure_pages_say_which_data_they_show(demo, client_for, district):
    plan = TargetPlan.objects.get(year=2019, unit__name="武进区")
    client = client_for(district)
    for url in [
        reverse("dashboard:page"),
        reverse("targets:detail", args=[plan.pk]),
        reverse("cultivation:diagnosis"),
        reverse("enterprises:index"),
        reverse("bulletins:list"),
    ]:
        assert OFFICIAL_DATA in client.get(url).content.decode(), url


def test_the_enterprise_export_says_so_too(demo, client_for, district):
    response = client_for(district).get(reverse("enterprises:export"), {"format": "xlsx"})
    book = load_workbook(io.BytesIO(response.content))
    assert book["说明"]["A1"].value == OFFICIAL_DATA
