"""The quarterly upload pipeline up to the preview: check the file's bytes, read the
workbook, validate the rows against the registry; and the template to fill.

    kind = check_file(name, data, max_bytes=...)          # UploadRejected, before parsing
    parsed = read_upload(data, kind, columns=columns_for(period.columns))
    preview = validate_upload(parsed, period=period, unit=unit, user=user)   # reads only

Nothing here writes to the database: validate_upload hands the accepted rows to the
caller's `stage` (reports/staging.py) as it checks them.
"""

from .reading import (
    ParsedRow,
    ParsedUpload,
    as_text,
    header_key,
    parse_day,
    parse_number,
    read_upload,
)
from .safety import Problem, UploadRejected, check_file
from .template import build_template
from .validation import Preview, validate_upload

__all__ = [
    "ParsedRow",
    "ParsedUpload",
    "Preview",
    "Problem",
    "UploadRejected",
    "as_text",
    "build_template",
    "check_file",
    "header_key",
    "parse_day",
    "parse_number",
    "read_upload",
    "validate_upload",
]
