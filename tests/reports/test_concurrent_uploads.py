"""Two towns' clerks (or one clerk twice) confirming at the same moment, over real concurrent
connections: a file of its own, as the test commits (TransactionTestCase), and a flush of the
database must come after every test that reads the migrations' seeded data."""

import threading
from datetime import date

import pytest
from django.db import connection

from core.models import User
from enterprises.models import EnterpriseYear
from reports import services
from reports.choices import SubmissionStatus
from reports.io.staging import staged_rows
from reports.models import Submission
from tests.reports.test_submissions import DEADLINE, filled, upload


@pytest.mark.skipif(
    connection.vendor == "sqlite", reason="needs real concurrent connections (PostgreSQL leg)"
)
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_uploads_end_with_one_consistent_current_version(settings):
    from core.demo import load_units, load_users
    from enterprises import services as registry
    from tests.enterprises.conftest import code

    settings.PORTAL_TODAY = date(2019, 4, 10)
    load_units()
    load_users()
    hutang_user = User.objects.get(username="hutang")
    unit = hutang_user.unit
    registry.create_enterprise(actor=None, uscc=code(1), name="并发测试企业", town=unit)
    period = services.open_period(
        actor=None,
        unit=unit.parent,
        year=2019,
        quarter=1,
        window_start=date(2019, 4, 1),
        deadline=DEADLINE,
    )
    jobs = [
        upload(
            period,
            unit,
            hutang_user,
            filled(period, unit, {code(1): {"职工总数": staff}}),
            name=f"{staff}.xlsx",
        )
        for staff in (100, 200)
    ]
    errors = []

    def confirm(job):
        try:
            services.confirm_upload(actor=hutang_user, job=job)
        except Exception as exc:  # report, don't hide: the assertion below shows it
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=confirm, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    versions = list(Submission.objects.filter(period=period, unit=unit).order_by("version"))
    assert [s.version for s in versions] == [1, 2]
    assert [s.status for s in versions] == [SubmissionStatus.REPLACED, SubmissionStatus.SUBMITTED]
    assert not EnterpriseYear.objects.filter(year=2019).exists()  # pending: nothing counts yet
    current = versions[-1]
    services.review(actor=User.objects.get(username="district"), submission=current, approve=True)
    staff = EnterpriseYear.objects.get(enterprise__uscc=code(1), year=2019).staff_total
    [(_, values)] = staged_rows(current.job_id, ["staff_total"]).values()
    assert str(staff) == values["staff_total"]  # the data match the latest version
