"""Every number clicks through: each funnel step (and the renewals beside it) opens the list
of the enterprises it counts, as many as the number says; a town sees only its own."""

import re
from datetime import date

import pytest

from core.demo import wujin_unit
from cultivation import selectors

TODAY = date(2019, 7, 15)


@pytest.fixture
def demo(demo_data, db, settings, personas):
    settings.PORTAL_TODAY = TODAY


def listed(client, url: str) -> int:
    response = client.get(url)
    assert response.status_code == 200
    return int(re.search(r"：(\d+) 家</h1>", response.content.decode()).group(1))


@pytest.mark.parametrize("year", [2018, 2019])
def test_each_funnel_step_lists_as_many_enterprises_as_it_counts(demo, client_for, district, year):
    client = client_for(district)
    steps = selectors.funnel(wujin_unit("武进区"), year)
    assert [s["code"] for s in steps if s["kind"] == "funnel"] == [
        "sme_evaluated",
        "pool_active",
        "first_applications",
        "first_passed",
    ]
    page = client.get("/cultivation/funnel/", {"year": year}).content.decode()
    for step in steps:
        assert step["url"].replace("&", "&amp;") in page
        assert listed(client, step["url"]) == step["count"]


def test_renewals_stay_out_of_the_funnels_rates(demo):
    """申报 160 "较上一环节 153.8%": renewals never came from the pool, so the funnel's
    application step counts first applications only and renewals are listed beside it."""
    steps = {s["code"]: s for s in selectors.funnel(wujin_unit("武进区"), 2019)}
    pool, first = steps["pool_active"], steps["first_applications"]
    assert first["rate"] == first["count"] / pool["count"] <= 1
    assert steps["renewal_applications"]["rate"] is None  # its own first step
    assert steps["renewal_applications"]["count"] > 0


def test_a_town_lists_only_its_own_enterprises(demo, client_for, hutang):
    client = client_for(hutang)
    town, district = wujin_unit("湖塘镇"), wujin_unit("武进区")
    step = next(s for s in selectors.funnel(town, 2018) if s["code"] == "first_passed")
    assert listed(client, step["url"]) == step["count"] > 0
    html = client.get(step["url"]).content.decode()
    assert set(re.findall(r"<td>(\S+)</td></tr>", html)) == {"湖塘"}
    other = step["url"].replace(f"unit={town.pk}", f"unit={district.pk}")
    assert client.get(other).status_code == 404
    assert client.get("/cultivation/enterprises/", {"metric": "nonsense"}).status_code == 404
