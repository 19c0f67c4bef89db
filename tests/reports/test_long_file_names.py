"""A clerk's long file name: stored under a generated one, shown and downloaded as the clerk's.

A name of 86 Chinese characters passes a disk's 255 bytes; the upload used to answer 500."""

import datetime
import os
from urllib.parse import quote

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from reports import services
from reports.choices import JobStatus
from reports.io.template import build_template
from reports.models import Submission, UploadJob
from tests.reports import period  # noqa: F401

pytestmark = pytest.mark.django_db

LONG = ("武进区湖塘镇" + "高新技术企业培育库入库企业季度数据报送表" * 6)[:120]
assert len(LONG) == 120


@pytest.fixture
def template(period, units, registry, settings):  # noqa: F811
    settings.PORTAL_TODAY = datetime.date(2019, 4, 8)  # inside the period's window
    period.required_units.set([units["湖塘镇"]])
    return build_template(period=period, unit=units["湖塘镇"])


def test_a_120_character_chinese_name_uploads_shows_and_downloads_as_itself(
    template,
    period,  # noqa: F811
    client_for,
    hutang,
    settings,
):
    name = LONG + ".xlsx"
    client = client_for(hutang)
    response = client.post(
        reverse("reports:upload", args=[period.pk]), {"file": SimpleUploadedFile(name, template)}
    )
    assert response.status_code == 302
    job = UploadJob.objects.get()
    assert job.status == JobStatus.READY, job.result
    assert job.file_name == name
    stored = os.path.basename(job.file.name)
    assert stored == f"{job.pk.hex}.xlsx"  # generated: fits any disk, says nothing of the clerk
    assert os.path.exists(os.path.join(settings.MEDIA_ROOT, job.file.name))
    assert name in client.get(response.url).content.decode()

    client.post(reverse("reports:job_confirm", args=[job.pk]))
    submission = Submission.objects.get()
    download = client.get(reverse("reports:submission_file", args=[submission.pk]))
    assert download.status_code == 200
    disposition = download["Content-Disposition"]
    assert (
        disposition.startswith("attachment;") and f"filename*=utf-8''{quote(name)}" in disposition
    )
    assert b"".join(download.streaming_content) == template


def test_a_name_longer_than_the_column_keeps_its_extension(template, period, hutang):  # noqa: F811
    name = "报" * 300 + ".xlsx"
    job = services.start_upload(
        actor=hutang, period=period, unit=hutang.unit, file_name=name, data=template
    )
    assert job.status == JobStatus.READY, job.result
    assert len(job.file_name) == 255 and job.file_name == "报" * 250 + ".xlsx"


def test_the_stored_name_keeps_only_a_plain_extension(template, period, hutang):  # noqa: F811
    job = services.start_upload(
        actor=hutang, period=period, unit=hutang.unit, file_name="../上报.XLSX", data=template
    )
    assert os.path.basename(job.file.name) == f"{job.pk.hex}.xlsx"
    assert job.file.name.startswith("uploads/")
