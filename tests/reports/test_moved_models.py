"""Snapshots and bulletins moved from reports to apps of their own without copying a row:
on a database migrated before the move, everything is still there after it."""

import datetime

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from bulletins.models import Bulletin
from dashboard.models import Snapshot

BEFORE_THE_MOVE = [("reports", "0003_staged_rows"), ("dashboard", None), ("bulletins", None)]


def migrate(targets) -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor


@pytest.mark.django_db(transaction=True)
def test_rows_content_types_and_schedules_survive_the_move():
    executor = migrate(BEFORE_THE_MOVE)
    old = executor.loader.project_state(BEFORE_THE_MOVE[0]).apps
    unit = old.get_model("core", "OrgUnit").objects.create(name="某区", kind="district")
    old.get_model("reports", "Snapshot").objects.create(
        unit_id=unit.pk, metric="valid_hte", date=datetime.date(2019, 6, 30), year=2019, value=533
    )
    old.get_model("reports", "Bulletin").objects.create(
        unit_id=unit.pk, year=2019, as_of=datetime.date(2019, 7, 15), title="2019年通报",
        xlsx="bulletins/2019/b.xlsx", html="<p>通报</p>", data={"rows": [1, 2]},
    )  # fmt: skip
    old_types = {
        model: ContentType.objects.get(app_label="reports", model=model).pk
        for model in ("snapshot", "bulletin")
    }
    tasks = old.get_model("django_celery_beat", "PeriodicTask").objects
    assert tasks.filter(task="reports.take_snapshots").exists()  # as the old code named it
    assert tasks.filter(name="每日提醒（报送/到期/年报）").exists()

    migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())

    snapshot = Snapshot.objects.get()
    assert (snapshot.unit_id, snapshot.metric, snapshot.value) == (unit.pk, "valid_hte", 533)
    bulletin = Bulletin.objects.get()
    assert (bulletin.title, bulletin.data, bulletin.xlsx.name) == (
        "2019年通报",
        {"rows": [1, 2]},
        "bulletins/2019/b.xlsx",
    )
    # The same content types (and with them permissions and log entries), renamed.
    assert ContentType.objects.get_for_model(Snapshot).pk == old_types["snapshot"]
    assert ContentType.objects.get_for_model(Bulletin).pk == old_types["bulletin"]
    from django_celery_beat.models import PeriodicTask

    assert PeriodicTask.objects.filter(task="dashboard.take_snapshots").exists()
    assert PeriodicTask.objects.filter(task="bulletins.monthly_bulletin").exists()
    assert not PeriodicTask.objects.filter(task__in=["reports.take_snapshots"]).exists()
    assert PeriodicTask.objects.filter(name="每日提醒（报送截止/逾期）").exists()
