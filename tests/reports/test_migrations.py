"""Migrations that move or reinterpret existing data, run on a database from before them:
snapshots and bulletins moved to apps of their own without copying a row; versions confirmed
before approval made them count become pending again. (A file of its own: these tests commit,
and the flush after them must come after every test that reads the migrations' seeded data.)"""

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


BEFORE_APPROVAL_COUNTED = [("reports", "0005_approval_portal_clock")]


def _version(old, unit, period, enterprise, *, version, status, staff, was):
    job = old.get_model("reports", "UploadJob").objects.create(
        period_id=period.pk, unit_id=unit.pk, file_name="x.xlsx", sha256="", status="applied",
        result={"codes": ["staff_total"]},
    )  # fmt: skip
    old.get_model("reports", "UploadRow").objects.create(
        job_id=job.pk, row=4, uscc=enterprise.uscc, staff_total=staff, was_staff_total=was
    )
    return old.get_model("reports", "Submission").objects.create(
        period_id=period.pk, unit_id=unit.pk, version=version, status=status, job_id=job.pk,
        file="x.xlsx", file_name="x.xlsx", sha256="", on_time=True,
    )  # fmt: skip


@pytest.mark.django_db(transaction=True)
def test_versions_confirmed_before_approval_counted_become_pending_again():
    """Under the old rule every confirmed version was in the registry at once: the
    migration takes back what was never approved, and keeps what was."""
    executor = migrate(BEFORE_APPROVAL_COUNTED)
    state_at = [*BEFORE_APPROVAL_COUNTED, ("enterprises", "0007_portal_clock")]
    old = executor.loader.project_state(state_at).apps
    OrgUnit = old.get_model("core", "OrgUnit")
    district = OrgUnit.objects.create(name="某区", kind="district", path="/900/")
    towns = [OrgUnit.objects.create(name=n, kind="town", parent_id=district.pk) for n in "甲乙"]
    period = old.get_model("reports", "ReportingPeriod").objects.create(
        unit_id=district.pk, year=2019, quarter=1, window_start=datetime.date(2019, 4, 1),
        deadline=datetime.date(2019, 4, 15), columns=["staff_total"],
    )  # fmt: skip
    Enterprise = old.get_model("enterprises", "Enterprise")
    Year = old.get_model("enterprises", "EnterpriseYear")
    firms = []
    for n, town in enumerate(towns):
        firm = Enterprise.objects.create(
            uscc=f"91320412MA00000{n}X", name=f"企业{n}", town_id=town.pk
        )
        firms.append(firm)
    # 甲: version 1 returned (100 → 120), version 2 pending (120 → 150): both were applied.
    Year.objects.create(enterprise_id=firms[0].pk, year=2019, staff_total=150)
    _version(old, towns[0], period, firms[0], version=1, status="returned", staff=120, was=100)
    _version(old, towns[0], period, firms[0], version=2, status="submitted", staff=150, was=120)
    # 乙: approved (80 → 90): stays.
    Year.objects.create(enterprise_id=firms[1].pk, year=2019, staff_total=90)
    approved = _version(
        old, towns[1], period, firms[1], version=1, status="approved", staff=90, was=80
    )

    migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())

    from enterprises.models import EnterpriseYear
    from reports.models import Submission

    staff = dict(EnterpriseYear.objects.values_list("enterprise_id", "staff_total"))
    assert staff == {firms[0].pk: 100, firms[1].pk: 90}
    pending = Submission.objects.get(unit_id=towns[0].pk, version=2)
    assert pending.status == "submitted" and pending.applied_at is None
    assert Submission.objects.get(pk=approved.pk).applied_at is not None
