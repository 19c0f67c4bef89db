"""manage.py backup / restore on either engine. A file of its own: the round trip commits
(pg_dump and pg_restore are other processes), and the flush after it must come after every test
that reads the migrations' seeded data."""

import io
import json
import tarfile
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from core import backup
from core.dates import now
from core.models import ChangeLog
from enterprises import services
from enterprises.choices import TechField
from enterprises.models import Enterprise
from tests.enterprises.conftest import code


def write_archive(path: Path, manifest: dict[str, Any] | None, *, extra: bytes = b"") -> Path:
    """A hand-made archive: `manifest` first (if any), then one other member."""
    with tarfile.open(path, "w:gz") as tar:
        members = [(backup.MANIFEST, json.dumps(manifest).encode())] if manifest else []
        for name, data in [*members, ("notes.txt", extra)]:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


def manifest_for(engine: str) -> dict[str, Any]:
    return {
        "format": backup.FORMAT,
        "version": backup.VERSION,
        "engine": engine,
        "created": now().isoformat(),
        "counts": {"media_files": 0},
    }


@pytest.mark.django_db(transaction=True)
def test_a_backup_brings_back_the_data_and_the_uploaded_files(
    units, settings, tmp_path, monkeypatch
):
    media = Path(settings.MEDIA_ROOT)
    (media / "submissions").mkdir(parents=True)
    upload = media / "submissions" / "湖塘镇-2019年第二季度.xlsx"
    upload.write_bytes(b"2019 Q2 of Hutang")
    kept = services.create_enterprise(
        actor=None,
        uscc=code(1),
        name="常州备份测试精密机械有限公司",
        town=units["湖塘镇"],
        tech_field=TechField.ADVANCED_MANUFACTURING,
    )
    out = tmp_path / "backups"
    out.mkdir()
    monkeypatch.chdir(out)  # no --output: a timestamped name in the current directory
    printed = StringIO()
    call_command("backup", stdout=printed)
    [archive] = out.glob("htportal-backup-*.tar.gz")
    assert str(archive.name) in printed.getvalue() and "上传文件 1 个" in printed.getvalue()
    assert list(out.iterdir()) == [archive]  # no staging or partial file left behind
    with tarfile.open(archive) as tar:
        names = tar.getnames()
        manifest = json.load(tar.extractfile(backup.MANIFEST))
    assert names[0] == backup.MANIFEST
    assert backup.DATABASE_FILES[connection.vendor] in names
    assert "media/submissions/湖塘镇-2019年第二季度.xlsx" in names
    assert manifest["engine"] == connection.vendor
    assert manifest["counts"]["rows"]["enterprises.Enterprise"] == 1
    assert "core" in manifest["migrations"]

    # Everything changes after the backup: the enterprise and its history go, the upload is
    # overwritten, another file appears.
    Enterprise.objects.all().delete()
    ChangeLog.objects.all().delete()
    upload.write_bytes(b"overwritten")
    (media / "later.txt").write_text("uploaded after the backup")

    printed = StringIO()
    call_command("restore", str(archive), interactive=False, stdout=printed)
    assert "已从" in printed.getvalue() and "上传文件 1 个" in printed.getvalue()
    assert Enterprise.objects.get(uscc=kept.uscc).name == "常州备份测试精密机械有限公司"
    assert ChangeLog.objects.filter(object_id=str(kept.pk)).exists()
    assert upload.read_bytes() == b"2019 Q2 of Hutang"
    assert not (media / "later.txt").exists()
    assert "migrate" not in printed.getvalue()  # the restored schema is the current one


@pytest.mark.parametrize("kind", ["text", "tar without manifest", "other manifest"])
def test_restore_refuses_a_file_that_is_not_a_backup(kind, tmp_path):
    path = tmp_path / "upload.tar.gz"
    if kind == "text":
        path.write_text("企业名称,统一社会信用代码\n")
    else:
        write_archive(path, {"format": "other"} if kind == "other manifest" else None)
    with pytest.raises(CommandError, match="不是本平台的备份文件"):
        call_command("restore", str(path), interactive=False)  # no db: nothing was touched


def test_restore_refuses_an_archive_from_the_other_engine(tmp_path):
    other = "sqlite" if connection.vendor == "postgresql" else "postgresql"
    path = write_archive(tmp_path / "other.tar.gz", manifest_for(other))
    with pytest.raises(CommandError, match=f"来自 {backup.ENGINE_LABELS[other]} 数据库"):
        call_command("restore", str(path), interactive=False)


def test_restore_asks_first_and_a_no_changes_nothing(tmp_path, settings, monkeypatch):
    upload = Path(settings.MEDIA_ROOT) / "kept.txt"
    upload.parent.mkdir(parents=True)
    upload.write_text("still here")
    path = write_archive(tmp_path / "b.tar.gz", manifest_for(connection.vendor))
    monkeypatch.setattr("builtins.input", lambda prompt: "no")
    with pytest.raises(CommandError, match="已取消"):
        call_command("restore", str(path), stdout=StringIO())
    assert upload.read_text() == "still here"


def test_a_missing_postgresql_client_is_named(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(backup.BackupError, match="安装 postgresql-client"):
        backup.find_program("pg_dump")
