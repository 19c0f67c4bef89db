"""驾驶舱 "closest to passing" read from the stored pre-diagnoses: what the district sees is
what a fresh diagnosis says — after an enterprise's indicators change, after it is
certified, and on another day — and the pre-diagnosis list ranks the same way."""

import re
from datetime import date
from decimal import Decimal

import pytest

from core.cache import bump
from core.demo import wujin_unit
from cultivation import selectors as ladder
from cultivation import services as ladder_services
from cultivation.models import Prediagnosis
from cultivation.prediagnosis import closest_to_passing
from cultivation.tasks import refresh_prediagnoses
from enterprises import services as enterprise_services
from enterprises.models import Enterprise

TODAY = date(2019, 7, 15)


@pytest.fixture
def demo(demo_data, db, settings, personas, monkeypatch):
    settings.PORTAL_TODAY = TODAY
    # The hook's refresh runs in-process on both legs (with Redis, no worker is running).
    monkeypatch.setattr("cultivation.tasks.refresh_prediagnoses.delay", refresh_prediagnoses)


def closest(client) -> dict:
    bump()  # a fresh data version: the block is computed, not read from the page cache
    response = client.get("/dashboard/data/closest/")
    assert response.status_code == 200, response.content[:300]
    return response.json()


def expected(on: date = TODAY, limit: int = 10):
    """The district's pool members ranked by a fresh diagnosis (no stored row involved)."""
    district = wujin_unit("武进区")
    in_pool = ladder.current_rung_annotations(on)["rung_pool"]
    pool = Enterprise.objects.in_unit(district).filter(in_pool)
    return closest_to_passing(pool, apply_year=2019, limit=limit)


def shown(data) -> list[tuple]:
    return [(r["id"], r["summary"], r["failing"], r["unknown"], r["score"]) for r in data["rows"]]


def diagnosed(results) -> list[tuple]:
    return [
        (
            r.enterprise.pk,
            r.hte.summary(),
            [c.title for c in r.hte.failing],
            [c.title for c in r.hte.unknown],
            r.hte.score_estimate,
        )
        for r in results
    ]


def test_a_change_to_one_enterprise_shows_at_once(
    demo, client_for, district, django_capture_on_commit_callbacks
):
    client = client_for(district)
    first = closest(client)
    assert shown(first) == diagnosed(expected())
    top = Enterprise.objects.select_related("town").get(pk=first["rows"][0]["id"])
    # 湖塘's clerk finds the leader's 2018 figures wrong: no S&T staff, no R&D at all.
    with django_capture_on_commit_callbacks(execute=True):
        enterprise_services.save_year(
            actor=district,
            enterprise=top,
            year=2018,
            values={"st_staff": 0, "rd_expense": Decimal(0), "rd_expense_domestic": Decimal(0)},
        )
    row = Prediagnosis.objects.get(enterprise=top, apply_year=2019)
    assert not row.stale  # the hook's task refreshed it
    after = closest(client)
    assert shown(after) == diagnosed(expected())
    assert after["rows"][0]["id"] != top.pk
    assert after["candidates"] == first["candidates"]


def test_a_stale_row_left_by_a_missing_worker_is_recomputed(
    demo, client_for, district, django_capture_on_commit_callbacks, monkeypatch
):
    client = client_for(district)
    top_id = closest(client)["rows"][0]["id"]
    top = Enterprise.objects.select_related("town").get(pk=top_id)
    monkeypatch.setattr(
        "cultivation.tasks.refresh_prediagnoses.delay",
        lambda ids: (_ for _ in ()).throw(ConnectionError("broker down")),
    )
    with django_capture_on_commit_callbacks(execute=True):
        enterprise_services.save_year(
            actor=district, enterprise=top, year=2018, values={"st_staff": 0}
        )
    assert Prediagnosis.objects.get(enterprise=top, apply_year=2019).stale
    assert shown(closest(client)) == diagnosed(expected())
    assert not Prediagnosis.objects.get(enterprise=top, apply_year=2019).stale


def test_a_certified_enterprise_drops_out(
    demo, client_for, district, django_capture_on_commit_callbacks
):
    client = client_for(district)
    first = closest(client)
    top = Enterprise.objects.select_related("town").get(pk=first["rows"][0]["id"])
    with django_capture_on_commit_callbacks(execute=True):
        ladder_services.record_certificate(
            actor=district,
            enterprise=top,
            number="GR201932099999",
            issued_on=date(2019, 6, 28),
            historical=True,
        )
    after = closest(client)
    assert top.pk not in [r["id"] for r in after["rows"]]
    assert after["candidates"] == first["candidates"] - 1
    assert shown(after) == diagnosed(expected())


def test_rows_for_another_day_are_not_served(demo, client_for, district, settings):
    client = client_for(district)
    closest(client)
    stored = Prediagnosis.objects.filter(apply_year=2019, as_of=TODAY)
    assert stored.exists()
    stored.update(summary="昨天的结论")  # what a row computed for another date may say
    assert "昨天的结论" in {r["summary"] for r in closest(client)["rows"]}  # the table is read
    settings.PORTAL_TODAY = date(2019, 7, 16)
    data = closest(client)
    assert "昨天的结论" not in {r["summary"] for r in data["rows"]}
    assert shown(data) == diagnosed(expected(date(2019, 7, 16)))
    assert not Prediagnosis.objects.filter(as_of=TODAY).exists()  # recomputed for the 16th


def test_the_diagnosis_list_ranks_as_a_fresh_diagnosis(demo, client_for, hutang):
    town = wujin_unit("湖塘镇")
    client = client_for(hutang)
    html = client.get("/cultivation/diagnosis/", {"year": 2019}).content.decode()
    fresh = closest_to_passing(Enterprise.objects.in_unit(town), apply_year=2019)
    assert fresh
    names = [r.enterprise.name for r in fresh[:50]]
    positions = [html.index(f">{name}</a>") for name in names]
    assert positions == sorted(positions)  # the same order on the page
    for r in fresh[:50]:
        assert r.hte.summary() in html
    assert Prediagnosis.objects.filter(apply_year=2019, enterprise__town=town).count() == len(fresh)


def test_the_dashboard_and_the_diagnosis_list_number_each_enterprise_alike(
    demo, client_for, district
):
    """One ranking: the dashboard's "closest to passing" and the pre-diagnosis list it links
    to (仅培育库, the default application year) show the same enterprises at the same ranks."""
    client = client_for(district)
    data = closest(client)
    assert data["all_url"].endswith("&pool=1")
    page = client.get(data["all_url"]).content.decode()
    ranks = re.findall(r'<td class="num">(\d+)</td>\s*<td><a href="[^"]+">([^<]+)</a>', page)
    by_name = {name: int(rank) for rank, name in ranks}
    assert [by_name[r["name"]] for r in data["rows"]] == list(range(1, len(data["rows"]) + 1))
    default = client.get("/cultivation/diagnosis/", {"pool": "1"}).content.decode()
    assert "按2019年申报" in default  # mid-2019: 2019's application, on full years 2016–2018


def test_enterprises_that_cannot_be_judged_come_after_every_judged_one(demo, client_for, district):
    """An enterprise missing data ranks in its own group below those failing conditions, and
    says which data it lacks (asked for 2020 in mid-2019, some 2019 figures are missing)."""
    fresh = closest_to_passing(Enterprise.objects.all(), apply_year=2020)
    flags = [r.hte.undecided for r in fresh]
    assert True in flags and False in flags
    assert flags == sorted(flags)  # judged (False) first, then the undecided
    first_undecided = fresh[flags.index(True)]
    client = client_for(district)
    pages = (len(fresh) + 49) // 50
    html = "".join(
        client.get("/cultivation/diagnosis/", {"year": 2020, "page": n}).content.decode()
        for n in range(1, pages + 1)
    )
    group = html.index("无法判断（缺少数据")
    assert html.index(f">{fresh[0].enterprise.name}</a>") < group
    assert html.index(f">{fresh[flags.index(True) - 1].enterprise.name}</a>") < group
    assert group < html.index(f">{first_undecided.enterprise.name}</a>")
    assert "缺少数据：" + "、".join(first_undecided.hte.missing) in html
