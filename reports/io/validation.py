"""Check parsed rows against the registry and say what confirming would do: the preview.

Reads the database (the unit's enterprises with that year's row, then the file's other
codes), never writes: the accepted rows go to the caller's `stage` as they are checked. Each
row becomes a create (a new enterprise in the unit, if the period allows it), an update
(changed indicators, old → new), unchanged, or a Problem that blocks the upload. A USCC
failing only its checksum is a warning, as in the registry.
"""

import hashlib
import re
import sqlite3
from contextlib import suppress
from dataclasses import dataclass, field, replace
from decimal import Decimal
from operator import mul

from django.conf import settings
from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import F, FilteredRelation, Q, TextField
from django.db.models.functions import Cast

from core.scoping import CHANGE
from core.sheets import Problem, number_text
from enterprises.models import Enterprise
from enterprises.uscc import CheckedUSCC, USCCError, check

from ..columns import BY_CODE, KEY_COLUMNS, columns_for
from .identity import check_identity
from .plausibility import ABOVE_REVENUE, Known, row_alerts
from .reading import ParsedUpload

_USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # GB 32100-2015, as python-stdnum
_USCC_VALUE = {ch: i for i, ch in enumerate(_USCC_ALPHABET)}
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_VALID_USCC = re.compile(r"[0-9]{8}[0-9A-HJ-NP-RTUW-Y]{10}")
USCC_HEADER, NAME_HEADER = KEY_COLUMNS[0].header, KEY_COLUMNS[1].header
# (smaller, larger): the smaller may not exceed the larger, as the database constraints say.
PAIRS = [("st_staff", "staff_total"), ("rd_expense_domestic", "rd_expense")]
PAIR_FIELDS = [code for pair in PAIRS for code in pair]
REVENUE_FIELDS = [code for pair in ABOVE_REVENUE for code in pair]  # for 提醒 on R&D > revenue


def _check(code: str) -> CheckedUSCC:
    """enterprises.uscc.check, with a fast path for the common case of a valid, normalised
    code (stdnum's clean-ups cost ~20 µs a code: 0.4 s for 20 000 rows). Anything the fast path
    does not accept goes through check() itself, for its verdict and message."""
    if _VALID_USCC.fullmatch(code):
        total = sum(map(mul, map(_USCC_VALUE.__getitem__, code[:17]), _USCC_WEIGHTS))
        if code[-1] == _USCC_ALPHABET[(31 - total) % 31]:
            return CheckedUSCC(code, checksum_ok=True)
    return check(code)


SAMPLE_CREATES, SAMPLE_UPDATES = 200, 500  # what the preview page lists
MAX_PROBLEMS = 1000  # stored and shown; the count says how many in all


@dataclass
class Preview:
    """What confirming would do. `staged` holds every accepted row as a tuple in
    staged_fields() order; the JSON kept with the job holds counts, samples and the problems, not the rows."""

    codes: list[str] = field(default_factory=list)  # the indicator columns the file carries
    # The first SAMPLE_CREATES / SAMPLE_UPDATES only (what the page lists), counted in full:
    # 85 000 create dicts would cost a big file's worker some 40 MB for nothing.
    creates: list[dict] = field(default_factory=list)  # {"row","uscc","name","values"}
    updates: list[dict] = field(default_factory=list)  # {..., "enterprise_id","changes"}
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    cleared: int = 0  # registry values the file leaves empty, which confirming clears
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    alerts: list[Problem] = field(default_factory=list)  # 提醒: plausibility.py
    staged: list[tuple] = field(default_factory=list)
    reported: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def staged_fields(self) -> list[str]:
        return staged_fields(self.codes)

    def digest(self) -> str:
        """The content, whatever the file or row order: equal digests = the same submission."""
        n = len(self.codes)  # code, name and values; not the registry's (was_) values
        lines = sorted(
            "\t".join(map(str, (row[1], row[2], *row[4 : 4 + n]))) for row in self.staged
        )
        lines += [f"{code}={value}" for code, value in sorted(self.reported.items())]
        return hashlib.sha256("\n".join([",".join(self.codes), *lines]).encode()).hexdigest()

    def as_json(self) -> dict:
        return {
            "codes": self.codes,
            "counts": {
                "created": self.created,
                "updated": self.updated,
                "unchanged": self.unchanged,
                "problems": len(self.problems),
                "warnings": len(self.warnings),
                "alerts": len(self.alerts),
            },
            "creates": self.creates[:SAMPLE_CREATES],
            "updates": self.updates[:SAMPLE_UPDATES],
            "problems": [p.as_json() for p in self.problems[:MAX_PROBLEMS]],
            "warnings": [p.as_json() for p in self.warnings[:MAX_PROBLEMS]],
            "alerts": [p.as_json() for p in self.alerts[:MAX_PROBLEMS]],
            "reported": self.reported,
        }


def staged_fields(codes: list[str]) -> list[str]:
    """A staged row's fields (UploadRow): the key columns, the values, the registry's values."""
    return ["row", "uscc", "name", "checksum_ok", *codes, *(f"was_{code}" for code in codes)]


def _chunks(items: list):
    """Slices small enough for one query each: 30 000 parameters fit both PostgreSQL (65 535)
    and SQLite ≥ 3.32 (32 766; Django assumes 999, so ask SQLite itself)."""
    limit = connection.features.max_query_params or 65_535
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        with suppress(AttributeError, sqlite3.Error):
            limit = connection.connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    size = max(min(limit, 30_100) - 100, 1)
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _registry(codes: list[str], user, unit, year: int, fields: list[str]):
    """What the registry knows of the file's codes: uscc → (id, name, is_active, writable),
    writable = in the user's change scope AND in unit; and id → Known: {field: text} of
    `year`'s row and of the year before's, of the writable ones (text as the file's values are,
    see core.sheets.number_text). Two queries whatever the number of rows: the unit's
    enterprises the user may change, with both years' rows joined; then the file's other codes
    (new ones, or not the user's to report)."""
    # No user = the shell (import_quarterly), run by an operator: the unit alone bounds it.
    scoped = Enterprise.objects.for_user(user, CHANGE) if user is not None else Enterprise.objects
    mine = (
        scoped.in_unit(unit)
        .order_by()
        .annotate(
            this_year=FilteredRelation("years", condition=Q(years__year=year)),
            last_year=FilteredRelation("years", condition=Q(years__year=year - 1)),
        )
    )
    wanted, known, current = set(codes), {}, {}
    columns = [(when, f) for when in ("this_year", "last_year") for f in fields]
    texts: dict[str, Cast | F]
    if connection.vendor == "postgresql":  # numeric::text is already "1234.50": no Decimals
        texts = {f"{w}_{f}": Cast(f"{w}__{f}", TextField()) for w, f in columns}
        convert = None
    else:  # SQLite's CAST of a decimal gives "1234.5": format in Python
        texts, convert = {f"{w}_{f}": F(f"{w}__{f}") for w, f in columns}, _db_text
    found = mine.annotate(**texts).values_list("uscc", "id", "name", "is_active", *texts)
    # Texts need no converter: the cursor's rows as they are, without the ORM's work per row.
    lines = _raw_rows(found) if convert is None else list(found)
    n = len(fields)
    for uscc, pk, name, is_active, *values in lines:
        if uscc in wanted:
            known[uscc] = (pk, name, is_active, True)
            both = list(map(convert, values)) if convert else values
            current[pk] = Known(
                dict(zip(fields, both[:n], strict=True)),
                dict(zip(fields, both[n:], strict=True)),
                year,
            )
    others = [code for code in codes if code not in known]
    for chunk in _chunks(others):  # one query per 30 000 codes: the databases' parameter limit
        rows = Enterprise.objects.filter(uscc__in=chunk)  # unscoped: to refuse others' codes
        for uscc, pk, name, is_active in rows.values_list("uscc", "id", "name", "is_active"):
            known[uscc] = (pk, name, is_active, False)
    return known, current


def _raw_rows(queryset) -> list[tuple]:
    try:
        sql, params = queryset.query.sql_with_params()
    except EmptyResultSet:  # nothing the user may change: no query at all
        return []
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _db_text(value) -> str | None:
    # The database's decimals already have their 2 places (numeric(14, 2), or Django's
    # quantizing converter on SQLite): format, without number_text's quantize.
    return (
        None if value is None else format(value, "f") if isinstance(value, Decimal) else str(value)
    )


def validate_upload(parsed: ParsedUpload, *, period, unit, user, stage=None) -> Preview:
    """The preview of a parsed file. `stage(fields, rows)`, if given, receives the accepted rows
    while they are being checked (an iterator to consume once): the caller streams them to the
    database, which stores them on its own core meanwhile. It is not called for a file whose
    cells already failed; rows staged before a later problem turned up are the caller's to drop."""
    check_identity(parsed.identity, parsed.title, period, unit)  # FileRejected: another file
    codes = [c.code for c in columns_for(period.columns) if c not in KEY_COLUMNS]
    preview = Preview(codes=codes, problems=list(parsed.problems), warnings=list(parsed.warnings))
    preview.reported = {code: number_text(v) or "" for code, v in parsed.reported.items()}
    valid = _valid_codes(parsed, preview)
    fields = list(dict.fromkeys(codes + PAIR_FIELDS + REVENUE_FIELDS))
    known, current = _registry([c for c, _ in valid.values()], user, unit, period.year, fields)
    rows = _checked_rows(parsed, preview, valid, known, current, period, unit)
    if stage is not None and not preview.problems:
        stage(preview.staged_fields, rows)
    for _ in rows:  # whatever staging did not consume: all of them, without it
        pass
    _name_rows(parsed, preview, valid, known)
    for found in (preview.problems, preview.warnings):  # the data sheet's first, in row order
        found.sort(key=lambda p: (p.sheet != parsed.sheet, p.sheet, p.row or 0))
    if preview.cleared:
        message = f"共有 {preview.cleared} 个已有数值在上传文件中为空，确认后将被清空，请核对"
        preview.warnings.append(Problem(parsed.sheet, None, "", message))
    return preview


def _name_rows(parsed: ParsedUpload, preview: Preview, valid: dict, known: dict) -> None:
    """Each problem, warning and alert on an enterprise's row names the enterprise beside the
    row number ("第12行（常州某某科技有限公司）"): the name the file gives it, else the
    registry's (a row with only its code). Only the rows that have one are looked up."""
    lists = (preview.problems, preview.warnings, preview.alerts)
    wanted = {p.row for found in lists for p in found if p.sheet == parsed.sheet and p.row}
    if not wanted:
        return
    names: dict[int, str] = {}
    for row in parsed.rows:
        if row.row in wanted:
            entry = known.get(valid[row.row][0]) if row.row in valid else None
            names[row.row] = row.name or (entry[1] if entry else "")
    for found in lists:
        found[:] = [
            replace(p, subject=names[p.row or 0])
            if p.sheet == parsed.sheet and names.get(p.row or 0) and not p.subject
            else p
            for p in found
        ]


def _valid_codes(parsed: ParsedUpload, preview: Preview) -> dict[int, tuple[str, bool]]:
    """Row number → (code, checksum ok) for each row whose code is valid and not repeated."""
    sheet, problems, warnings = parsed.sheet, preview.problems, preview.warnings
    bad_cells = {(p.row, p.column) for p in parsed.problems}
    first_row: dict[str, int] = {}  # code → the first row it is on
    valid: dict[int, tuple[str, bool]] = {}
    for row in parsed.rows:
        if (row.row, USCC_HEADER) in bad_cells:
            continue  # the cell's problem is already reported
        try:
            checked = _check(row.uscc)
        except USCCError as exc:
            problems.append(Problem(sheet, row.row, USCC_HEADER, str(exc)))
            continue
        if not checked.checksum_ok:
            warnings.append(Problem(sheet, row.row, USCC_HEADER, checked.warning))
        if checked.code in first_row:
            problems.append(
                Problem(
                    sheet,
                    row.row,
                    USCC_HEADER,
                    f"统一社会信用代码 {checked.code} 在第{first_row[checked.code]}行和第{row.row}行重复出现",
                )
            )
            continue
        first_row[checked.code] = row.row
        valid[row.row] = (checked.code, checked.checksum_ok)
    return valid


def _checked_rows(parsed, preview: Preview, valid: dict, known: dict, current: dict, period, unit):
    """Each row with a valid code: create, update or unchanged, or its problems. Yields the
    accepted rows as staged tuples (and keeps them in preview.staged)."""
    codes, problems = preview.codes, preview.problems
    bad_rows = {p.row for p in parsed.problems}
    factor = float(settings.PLAUSIBILITY_FACTOR)
    for row in parsed.rows:
        if row.row not in valid:
            continue
        uscc, checksum_ok = valid[row.row]
        entry = known.get(uscc)
        found, old = _against_registry(parsed.sheet, row, entry, current, preview, period, unit)
        if old is not None:  # the unit's to report: check its pairs of values too
            found += _check_pairs(parsed.sheet, row, old.this_year, codes, period.year)
        problems.extend(found)
        if old is None or found or row.row in bad_rows:
            continue
        values = [row.values.get(c) for c in codes]
        was = [old.this_year.get(c) for c in codes]
        staged = (row.row, uscc, row.name, checksum_ok, *values, *was)
        preview.staged.append(staged)
        yield staged
        _describe(preview, row, uscc, entry, values, was)
        for code, message in row_alerts(row.values, old, factor):
            preview.alerts.append(Problem(parsed.sheet, row.row, BY_CODE[code].header, message))


def _against_registry(
    sheet: str, row, entry, current: dict, preview: Preview, period, unit
) -> tuple[list[Problem], Known | None]:
    """The row's problems against the registry (its warnings go to the preview), and the
    registry's values it would replace — None when the enterprise is not the unit's."""
    if entry is None:
        nothing = Known({}, {}, period.year)
        if not period.allow_new:
            message = "本期不允许新增企业：该统一社会信用代码不在企业库中，请核对或联系区科技局"
            return [Problem(sheet, row.row, USCC_HEADER, message)], nothing
        if not row.name:
            return [Problem(sheet, row.row, NAME_HEADER, "新增企业须填写企业名称")], nothing
        return [], nothing
    enterprise_id, name, is_active, can_write = entry
    if not can_write:
        return [Problem(sheet, row.row, USCC_HEADER, f"该企业不属于{unit.name}，不能报送")], None
    if row.name and row.name != name:
        message = f"企业名称与企业库中的“{name}”不一致，以企业库为准"
        preview.warnings.append(Problem(sheet, row.row, NAME_HEADER, message))
    if not is_active:
        preview.warnings.append(Problem(sheet, row.row, "", "该企业在企业库中已标记为无效"))
    return [], current.get(enterprise_id) or Known({}, {}, period.year)


def _describe(preview: Preview, row, uscc: str, entry, values: list, was: list) -> None:
    """What the preview lists for an accepted row: a create, an update (old → new) or neither."""
    codes = preview.codes
    if entry is None:
        preview.created += 1
        if len(preview.creates) < SAMPLE_CREATES:
            values_by_code = dict(zip(codes, values, strict=True))
            preview.creates.append(
                {"row": row.row, "uscc": uscc, "name": row.name, "values": values_by_code}
            )
        return
    enterprise_id, name, *_ = entry
    changes = {c: [w, v] for c, v, w in zip(codes, values, was, strict=True) if v != w}
    if not changes:
        preview.unchanged += 1
        return
    preview.updated += 1
    preview.cleared += sum(new is None for _, new in changes.values())
    if len(preview.updates) < SAMPLE_UPDATES:
        preview.updates.append(
            {
                "row": row.row,
                "uscc": uscc,
                "name": name,
                "enterprise_id": enterprise_id,
                "changes": changes,
            }
        )


def _check_pairs(sheet, row, old: dict, codes: list[str], year: int) -> list[Problem]:
    """科技人员数 ≤ 职工总数, 境内研发费用 ≤ 研发费用: the row's values, or the registry's for
    `year` where the template has no such column."""
    found, values = [], row.values
    for small, large in PAIRS:
        a = values[small] if small in values else old.get(small)
        b = values[large] if large in values else old.get(large)
        # Canonical texts under 10¹² with 2 places: floats order them exactly, and fast.
        if a is None or b is None or float(a) <= float(b):
            continue
        note = {c: "" if c in row.values else f"，企业库中{year}年的数值" for c in (small, large)}
        first, second = BY_CODE[small], BY_CODE[large]
        found.append(
            Problem(
                sheet,
                row.row,
                (first if small in codes else second).header,
                f"{_label(first)}（{a}{note[small]}）不能大于{_label(second)}（{b}{note[large]}）",
            )
        )
    return found


def _label(column) -> str:
    return column.header.removesuffix("（万元）")
