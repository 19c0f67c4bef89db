"""Backups: the database and the uploaded files in one archive (manage.py backup / restore).

The archive (a .tar.gz) holds `manifest.json` first, so a restore can check it before reading
the rest; then `database.dump` (pg_dump's custom format) or `database.sqlite3`; then `media/…`
(MEDIA_ROOT). A restore puts the database back first and then replaces MEDIA_ROOT's contents,
so the rows and the files they name match again.
"""

import dataclasses
import datetime
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from pathlib import Path
from typing import Any

import django
from django.apps import apps
from django.conf import settings
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.recorder import MigrationRecorder

from core.cache import bump
from core.dates import now

FORMAT = "htportal-backup"
VERSION = 1
MANIFEST = "manifest.json"
MEDIA = "media"
DATABASE_FILES = {"postgresql": "database.dump", "sqlite": "database.sqlite3"}
ENGINE_LABELS = {"postgresql": "PostgreSQL", "sqlite": "SQLite"}


class BackupError(Exception):
    """A backup or restore that cannot go ahead; the message is for the operator."""


@dataclasses.dataclass(frozen=True)
class Summary:
    path: Path
    size: int  # of the archive, in bytes
    engine: str  # a key of DATABASE_FILES
    created: datetime.datetime  # when the backup was made
    media_files: int
    notes: tuple[str, ...] = ()  # what the operator should do next


def engine() -> str:
    """The current database's engine, as the manifest names it."""
    vendor = connection.vendor
    if vendor not in DATABASE_FILES:
        raise BackupError(f"不支持备份该类数据库：{vendor}（仅支持 PostgreSQL 和 SQLite）。")
    return vendor


def default_name() -> str:
    return f"htportal-backup-{now():%Y%m%d-%H%M%S}.tar.gz"


def human_size(size: int) -> str:
    amount = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if amount < 1024 or unit == "GB":
            return f"{size} B" if unit == "B" else f"{amount:.1f} {unit}"
        amount /= 1024
    raise AssertionError("unreachable")


def find_program(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(
            f"找不到 {name}：请安装 postgresql-client（主版本须与数据库服务器一致）。"
        )
    return path


# --- Backup -----------------------------------------------------------------------------------


def create_backup(*, output: Path | None = None) -> Summary:
    """Write the archive to `output` (a file, or a folder for the default name)."""
    kind = engine()
    if output is None or output.is_dir():
        output = (output or Path()) / default_name()
    media_root = Path(settings.MEDIA_ROOT)
    if output.resolve().is_relative_to(media_root.resolve()):
        raise BackupError(f"备份文件不能放在上传文件目录 {media_root} 之内。")
    manifest = _manifest(kind, media_root)
    # Written under another name and renamed at the end: a failed backup leaves no file that
    # looks like a good one. The dump is staged beside it, not in /tmp, which may be small.
    partial = output.with_name(output.name + ".partial")
    try:
        with tempfile.TemporaryDirectory(dir=output.parent, prefix=".htportal-backup-") as tmp:
            dump = Path(tmp) / DATABASE_FILES[kind]
            _dump_database(kind, dump)
            with tarfile.open(partial, "w:gz") as tar:
                data = json.dumps(manifest, ensure_ascii=False, indent=2).encode()
                info = tarfile.TarInfo(MANIFEST)
                info.size, info.mtime = len(data), int(now().timestamp())
                tar.addfile(info, io.BytesIO(data))
                tar.add(dump, arcname=dump.name)
                if media_root.is_dir():
                    tar.add(media_root, arcname=MEDIA)
        partial.replace(output)
    finally:
        partial.unlink(missing_ok=True)
    return _summary(output, manifest)


def _manifest(kind: str, media_root: Path) -> dict[str, Any]:
    applied = MigrationRecorder(connection).applied_migrations()
    latest: dict[str, str] = {}
    for app_label, name in sorted(applied):
        latest[app_label] = name  # migration names sort by their number
    rows = {
        model._meta.label: model._default_manager.count()
        for model in apps.get_models()
        if model._meta.managed and not model._meta.proxy
    }
    return {
        "format": FORMAT,
        "version": VERSION,
        "engine": kind,
        "created": now().isoformat(),
        "django": django.get_version(),
        "migrations": latest,
        "counts": {"media_files": _count_files(media_root), "rows": dict(sorted(rows.items()))},
    }


def _dump_database(kind: str, target: Path) -> None:
    if kind == "postgresql":
        _run_pg("pg_dump", "--format=custom", f"--file={target}")
        return
    # SQLite's backup API reads through its locks: a consistent copy while the portal writes
    # (copying the file could catch a half-written page), and it reads in-memory databases too.
    connection.ensure_connection()
    copy = sqlite3.connect(target)
    try:
        connection.connection.backup(copy)
    finally:
        copy.close()


# --- Restore ----------------------------------------------------------------------------------


def inspect_backup(*, archive: Path) -> Summary:
    """What the archive holds, after checking it is a backup this portal can restore."""
    return _summary(archive, _read_manifest(archive))


def restore_backup(*, archive: Path) -> Summary:
    """Replace the database and MEDIA_ROOT's contents with the archive's."""
    manifest = _read_manifest(archive)
    kind = manifest["engine"]
    with tempfile.TemporaryDirectory(prefix="htportal-restore-") as tmp:
        with tarfile.open(archive, "r:gz") as tar:
            tar.extractall(tmp, filter="data")  # no absolute paths, `..` or device files
        dump = Path(tmp) / DATABASE_FILES[kind]
        if not dump.is_file():
            raise _not_a_backup(archive)
        _load_database(kind, dump)
        _replace_media(Path(tmp) / MEDIA)
    bump()  # cached figures were computed from the data just replaced
    summary = _summary(archive, manifest)
    return dataclasses.replace(summary, notes=tuple(_migration_notes()))


def _not_a_backup(archive: Path) -> BackupError:
    return BackupError(f"{archive} 不是本平台的备份文件（应为 manage.py backup 生成的 .tar.gz）。")


def _read_manifest(archive: Path) -> dict[str, Any]:
    if not archive.is_file():
        raise BackupError(f"找不到备份文件：{archive}")
    try:
        with tarfile.open(archive, "r:gz") as tar:
            first = tar.next()
            stream = tar.extractfile(first) if first and first.name == MANIFEST else None
            if stream is None:
                raise _not_a_backup(archive)
            manifest = json.load(stream)
        ok = manifest["format"] == FORMAT and manifest["engine"] in DATABASE_FILES
        newer = int(manifest.get("version", 0)) > VERSION
        datetime.datetime.fromisoformat(manifest["created"])
    except (OSError, tarfile.TarError, ValueError, KeyError, TypeError) as exc:
        raise _not_a_backup(archive) from exc
    if not ok:
        raise _not_a_backup(archive)
    if newer:
        raise BackupError("该备份由更新版本的平台生成：请先升级平台再恢复。")
    theirs, ours = manifest["engine"], engine()
    if theirs != ours:
        raise BackupError(
            f"该备份来自 {ENGINE_LABELS[theirs]} 数据库，当前平台使用 {ENGINE_LABELS[ours]}："
            f"不能恢复到另一类数据库，请在使用 {ENGINE_LABELS[theirs]} 的平台上恢复。"
        )
    return manifest


def _load_database(kind: str, dump: Path) -> None:
    if kind == "postgresql":
        # pg_restore drops and recreates the tables: Django's own connection must not hold
        # them. One transaction, so a failed restore leaves the database as it was.
        connection.close()
        _run_pg(
            "pg_restore",
            "--clean",
            "--if-exists",
            "--no-owner",
            "--single-transaction",
            f"--dbname={connection.settings_dict['NAME']}",
            str(dump),
        )
        return
    # Written through SQLite's backup API into Django's own connection rather than copied over
    # the file: other processes' connections see the new data safely, and in-memory test
    # databases (which closing would destroy) work too.
    connection.ensure_connection()
    source = sqlite3.connect(dump)
    try:
        source.backup(connection.connection)
    finally:
        source.close()


def _replace_media(source: Path) -> None:
    root = Path(settings.MEDIA_ROOT)
    root.mkdir(parents=True, exist_ok=True)
    # Emptied rather than replaced: MEDIA_ROOT is often a mounted volume.
    for child in root.iterdir():
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child)
        else:
            child.unlink()
    if source.is_dir():
        shutil.copytree(source, root, dirs_exist_ok=True)


def _migration_notes() -> list[str]:
    executor = MigrationExecutor(connection)
    graph = executor.loader.graph
    notes = []
    if executor.migration_plan(graph.leaf_nodes()):
        notes.append("备份早于当前版本的平台：请运行 manage.py migrate。")
    if set(executor.loader.applied_migrations or {}) - set(graph.nodes):
        notes.append("备份来自更新版本的平台（含当前代码没有的迁移）：请升级平台后再使用。")
    return notes


# --- Shared -----------------------------------------------------------------------------------


def _summary(archive: Path, manifest: dict[str, Any]) -> Summary:
    return Summary(
        path=archive,
        size=archive.stat().st_size,
        engine=manifest["engine"],
        created=datetime.datetime.fromisoformat(manifest["created"]),
        media_files=int(manifest.get("counts", {}).get("media_files", 0)),
    )


def _count_files(root: Path) -> int:
    return sum(1 for path in root.rglob("*") if path.is_file()) if root.is_dir() else 0


def _run_pg(program: str, *args: str) -> None:
    """Run a PostgreSQL client with Django's connection settings, the password in PGPASSWORD
    (never on the command line, where `ps` would show it)."""
    db = connection.settings_dict
    env = dict(os.environ)
    for key, variable in [
        ("HOST", "PGHOST"),
        ("PORT", "PGPORT"),
        ("USER", "PGUSER"),
        ("PASSWORD", "PGPASSWORD"),
        ("NAME", "PGDATABASE"),
    ]:
        if db.get(key):
            env[variable] = str(db[key])
    if sslmode := db.get("OPTIONS", {}).get("sslmode"):
        env["PGSSLMODE"] = str(sslmode)
    result = subprocess.run(
        [find_program(program), *args], env=env, capture_output=True, text=True, errors="replace"
    )
    if result.returncode != 0:
        hint = "（客户端与服务器版本不一致：请安装对应版本的 postgresql-client）"
        message = result.stderr.strip()
        raise BackupError(f"{program} 失败：{message}" + (hint if "version" in message else ""))
