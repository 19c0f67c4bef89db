"""What a change invalidates, and what a burst of requests after it costs.

A change to a town's data recomputes that town's cached figures and those of every unit
above it — not its 99 neighbours'; while one request recomputes, the others are served
the previous value instead of all computing the same block at once."""

import threading
import time

import pytest

from core import cache as safe_cache
from core.changelog import log_change
from core.choices import Action
from dashboard.cache import cached
from enterprises import services


@pytest.fixture
def computed():
    """cached() with a compute function that records which unit it computed."""
    calls: list[str] = []

    def block(unit, unit_list=calls):
        def compute(u, year):
            unit_list.append(u.name)
            return {"unit": u.name, "n": len(unit_list)}

        return cached("funnel", unit, 2019, compute)

    block.calls = calls  # type: ignore[attr-defined]
    return block


def test_a_change_in_one_town_recomputes_it_and_the_district_not_the_other_towns(
    units, computed, django_capture_on_commit_callbacks
):
    district, hutang, niutang = units["武进区"], units["湖塘镇"], units["牛塘镇"]
    for unit in (district, hutang, niutang):
        computed(unit)
    computed.calls.clear()
    for unit in (district, hutang, niutang):
        computed(unit)
    assert computed.calls == []  # all served from the cache

    with django_capture_on_commit_callbacks(execute=True):
        services.create_enterprise(
            actor=None, uscc="91320412MA1XXXXX0X", name="湖塘新企业", town=hutang
        )
    for unit in (district, hutang, niutang):
        computed(unit)
    assert computed.calls == ["武进区", "湖塘镇"]


def test_a_change_placed_nowhere_recomputes_its_domain_everywhere(
    units, computed, django_capture_on_commit_callbacks
):
    from targets.models import Metric

    for unit in (units["湖塘镇"], units["牛塘镇"]):
        computed(unit)
    computed.calls.clear()
    metric = Metric.objects.first()
    with django_capture_on_commit_callbacks(execute=True):  # a catalogue change: no unit
        log_change(actor=None, instance=metric, action=Action.UPDATE, unit=None)
    computed(units["湖塘镇"])
    assert computed.calls == []  # the funnel does not read targets
    safe_cache.bump(domains=["cultivation"])  # …but it reads the ladder
    computed(units["湖塘镇"])
    computed(units["牛塘镇"])
    assert computed.calls == ["湖塘镇", "牛塘镇"]


def test_a_change_to_the_unit_tree_recomputes_everything(
    units, computed, django_capture_on_commit_callbacks
):
    computed(units["牛塘镇"])
    computed.calls.clear()
    town = units["湖塘镇"]
    with django_capture_on_commit_callbacks(execute=True):  # 区划调整: the tree itself
        log_change(actor=None, instance=town, action=Action.UPDATE, unit=town)
    computed(units["牛塘镇"])
    assert computed.calls == ["牛塘镇"]


def test_while_one_request_recomputes_the_others_get_the_previous_value(db):
    safe_cache.put("figure", ("v1", "old"), None)
    safe_cache.put("figure:lock", 1, None)  # another request is recomputing
    calls = []
    value = safe_cache.fresh("figure", "v2", lambda: calls.append(1) or "new", None)
    assert (value, calls) == ("old", [])
    safe_cache.cache.delete("figure:lock")  # it finished (here: gave up)
    assert safe_cache.fresh("figure", "v2", lambda: "new", None) == "new"
    assert safe_cache.fresh("figure", "v2", lambda: "newer", None) == "new"  # kept


def test_with_nothing_cached_concurrent_requests_compute_once(db):
    calls = []
    started = threading.Event()

    def slow():
        calls.append(1)
        started.set()
        time.sleep(0.3)
        return "value"

    results = []
    first = threading.Thread(target=lambda: results.append(safe_cache.fresh("k", 1, slow, None)))
    first.start()
    started.wait(5)
    second = safe_cache.fresh("k", 1, slow, None)  # waits for the first, does not compute
    first.join()
    assert (second, results, len(calls)) == ("value", ["value"], 1)
