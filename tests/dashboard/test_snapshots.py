"""Nightly snapshots: the counts they store, re-runs that replace, backfill, task and schedule."""

from datetime import date
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from core.demo import wujin_unit
from cultivation.selectors import LADDER_METRICS, metric_counts
from dashboard.models import Snapshot
from dashboard.selectors import payload
from dashboard.services import take_snapshots, units_with_children
from dashboard.tasks import nightly_snapshots
from htportal.celery import app as celery_app

END_2018 = date(2018, 12, 31)


@pytest.fixture
def demo(demo_data, db, settings):
    settings.PORTAL_TODAY = date(2019, 7, 15)
    Snapshot.objects.all().delete()  # start from none, whatever the demo already took


def stored(day: date) -> dict[tuple[int, str], int]:
    return {
        (s.unit_id, s.metric): int(s.value)
        for s in Snapshot.objects.filter(date=day).order_by("pk")
    }


def test_snapshots_store_the_ladder_counts_for_every_parent_and_child(demo):
    district = wujin_unit("武进区")
    written = take_snapshots(END_2018)
    parents = list(units_with_children())
    assert [u.name for u in parents] == ["江苏省", "常州市", "武进区"]
    units = {u.pk for p in parents for u in [p, *p.children.all()]}
    assert written == len(units) * len(LADDER_METRICS) == Snapshot.objects.count()
    rows = stored(END_2018)
    assert rows[(district.pk, "valid_hte")] == 533
    assert rows[(wujin_unit("湖塘镇").pk, "valid_hte")] == 32
    for code in LADDER_METRICS:  # every stored number is the selector's number for that day
        for unit_id, count in metric_counts(code, 2018, district, END_2018).items():
            assert rows[(unit_id, code)] == count
    assert all(s.year == 2018 for s in Snapshot.objects.all())


def test_rerunning_a_date_replaces_its_rows_never_duplicates(demo):
    hutang = wujin_unit("湖塘镇")
    first = take_snapshots(END_2018)
    Snapshot.objects.filter(unit=hutang, metric="valid_hte", date=END_2018).update(value=999)
    take_snapshots(date(2018, 9, 30))  # another date is left alone by the re-run below
    again = take_snapshots(END_2018)
    assert again == first
    assert Snapshot.objects.filter(date=END_2018).count() == first
    assert stored(END_2018)[(hutang.pk, "valid_hte")] == 32  # recomputed, not kept
    assert Snapshot.objects.filter(date=date(2018, 9, 30)).count() == first


def test_given_units_only_replace_their_own_rows(demo):
    district, hutang = wujin_unit("武进区"), wujin_unit("湖塘镇")
    take_snapshots(END_2018)
    before = Snapshot.objects.filter(date=END_2018).count()
    province_row = Snapshot.objects.get(date=END_2018, unit__name="江苏省", metric="valid_hte")
    written = take_snapshots(END_2018, units=[district])
    assert written == (1 + district.children.count()) * len(LADDER_METRICS)
    assert Snapshot.objects.filter(date=END_2018).count() == before
    assert Snapshot.objects.filter(pk=province_row.pk).exists()  # not the district's to replace
    assert stored(END_2018)[(hutang.pk, "valid_hte")] == 32


def test_a_trend_cached_before_a_run_shows_the_run(demo, django_capture_on_commit_callbacks):
    wujin = wujin_unit("武进区")
    before = payload("trend", wujin, 2018)  # cached with no snapshot for 2018's end
    with django_capture_on_commit_callbacks(execute=True):
        take_snapshots(END_2018)
    after = payload("trend", wujin, 2018)

    def year_end(data):
        series = next(m for m in data["metrics"] if m["code"] == "valid_hte")["series"]
        return series["2018"][3]

    assert year_end(before) is None
    assert year_end(after) == stored(END_2018)[(wujin.pk, "valid_hte")]


def test_backfill_fills_past_quarter_ends_and_recent_days(demo):
    out = StringIO()
    call_command("backfill_snapshots", "--year", "2018", "--year", "2019", "--quarters", stdout=out)
    dates = sorted(Snapshot.objects.values_list("date", flat=True).distinct())
    assert dates == [
        date(2018, 3, 31),
        date(2018, 6, 30),
        date(2018, 9, 30),
        date(2018, 12, 31),
        date(2019, 3, 31),
        date(2019, 6, 30),  # today is 2019-07-15: Q3 and Q4 are skipped, and said so
    ]
    assert "跳过尚未到来的季度末" in out.getvalue()
    count = Snapshot.objects.count()
    call_command("backfill_snapshots", "--year", "2018", stdout=StringIO())  # again: replaced
    assert Snapshot.objects.count() == count

    call_command("backfill_snapshots", "--days", "3", "--unit", "武进区", stdout=StringIO())
    recent = {date(2019, 7, 13), date(2019, 7, 14), date(2019, 7, 15)}
    assert (
        set(Snapshot.objects.filter(date__gte=date(2019, 7, 1)).values_list("date", flat=True))
        == recent
    )
    assert not Snapshot.objects.filter(date__in=recent, unit__name="江苏省").exists()


def test_backfill_says_what_is_missing(demo):
    with pytest.raises(CommandError, match="--year"):
        call_command("backfill_snapshots", stdout=StringIO())
    with pytest.raises(CommandError, match="找不到"):
        call_command(
            "backfill_snapshots", "--year", "2018", "--unit", "没有这个镇", stdout=StringIO()
        )


def test_the_nightly_task_snapshots_today(demo):
    assert "dashboard.take_snapshots" in celery_app.tasks
    written = nightly_snapshots()
    assert written == Snapshot.objects.filter(date=date(2019, 7, 15)).count() > 0
    assert nightly_snapshots("2019-06-30") == written


def test_the_nightly_schedule_is_registered_after_migrate(db):
    from django_celery_beat.models import PeriodicTask

    call_command("migrate", verbosity=0)  # registration runs on post_migrate, idempotently
    call_command("migrate", verbosity=0)
    task = PeriodicTask.objects.get(name="夜间指标快照")
    assert task.task == "dashboard.take_snapshots" and task.enabled
    assert (task.crontab.hour, task.crontab.minute) == ("1", "30")
    assert str(task.crontab.timezone) == "Asia/Shanghai"
