"""Stored pre-diagnoses follow the change log: an approved quarterly upload marks the rows of
the enterprises it wrote stale (only the apply years its year feeds), a task refreshes them,
and what is stored is what a fresh diagnosis says."""

import pytest

from cultivation import prediagnosis
from cultivation.models import Prediagnosis
from reports import services
from tests.reports.test_approval import period, town_file  # noqa: F401 (a fixture)


@pytest.fixture
def queued(monkeypatch):
    """The refresh tasks the hook queues, not run (as with no worker)."""
    calls: list[list[int]] = []
    monkeypatch.setattr("cultivation.tasks.refresh_prediagnoses.delay", calls.append)
    return calls


def stored(registry, apply_year: int) -> dict[tuple[str, str], Prediagnosis]:
    rows = Prediagnosis.objects.filter(apply_year=apply_year)
    by_id = {row.enterprise_id: row for row in rows}
    return {key: by_id[e.pk] for key, e in registry.items() if e.pk in by_id}


def test_an_approved_upload_marks_what_it_wrote_and_the_task_refreshes_it(
    period,  # noqa: F811
    units,
    hutang,
    district,
    registry,
    queued,
    django_capture_on_commit_callbacks,
):
    ids = sorted(e.pk for e in registry.values())
    for year in (2019, 2020):
        assert prediagnosis.store_prediagnoses(enterprise_ids=ids, apply_year=year) == len(ids)
    unit = units["湖塘镇"]
    job = services.start_upload(
        actor=hutang,
        period=period,
        unit=unit,
        file_name="湖塘.xlsx",
        data=town_file(period, unit, staff=150, projects=1),
    )
    submission, _ = services.confirm_upload(actor=hutang, job=job, acknowledged=True)
    assert not Prediagnosis.objects.filter(stale=True).exists()  # pending: nothing counts yet
    with django_capture_on_commit_callbacks(execute=True):
        services.review(actor=district, submission=submission, approve=True)

    in_hutang = {key for key in registry if key[0] == "湖塘镇"}
    # 2019 indicators feed the 2020–2022 applications, not 2019's.
    assert {k for k, row in stored(registry, 2020).items() if row.stale} == in_hutang
    assert not any(row.stale for row in stored(registry, 2019).values())
    [task_ids] = queued
    assert set(task_ids) == {registry[key].pk for key in in_hutang}

    assert prediagnosis.refresh_prediagnoses(enterprise_ids=task_ids) == len(in_hutang)
    for key, row in stored(registry, 2020).items():
        fresh = prediagnosis.diagnose_one(registry[key], apply_year=2020)
        assert not row.stale
        assert (row.summary, row.failing, row.score_estimate) == (
            fresh.hte.summary(),
            [c.title for c in fresh.hte.failing],
            fresh.hte.score_estimate,
        )


def test_a_returned_upload_marks_nothing(
    period,  # noqa: F811
    units,
    hutang,
    district,
    registry,
    queued,
    django_capture_on_commit_callbacks,
):
    ids = sorted(e.pk for e in registry.values())
    prediagnosis.store_prediagnoses(enterprise_ids=ids, apply_year=2020)
    unit = units["湖塘镇"]
    job = services.start_upload(
        actor=hutang,
        period=period,
        unit=unit,
        file_name="湖塘.xlsx",
        data=town_file(period, unit, staff=150, projects=1),
    )
    submission, _ = services.confirm_upload(actor=hutang, job=job, acknowledged=True)
    with django_capture_on_commit_callbacks(execute=True):
        services.review(actor=district, submission=submission, approve=False, comment="有误")
    assert not Prediagnosis.objects.filter(stale=True).exists()
    assert queued == []
