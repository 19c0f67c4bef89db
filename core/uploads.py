"""Uploads are capped while they arrive, before anything holds them whole.

Django reads a multipart body chunk by chunk into the next handler (memory up to 2.5 MB, then
a temporary file). This handler sits first and passes on at most UPLOAD_MAX_BYTES + 1 bytes
of each file, swallowing the rest: a 2 GB file costs 20 MB of disk, not 2 GB, and reaches the
view one byte over the limit, so the one size check every importer runs
(core.sheets.safety.check_file) refuses it with its usual Chinese message.
"""

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler


class CappedUploadHandler(FileUploadHandler):
    def new_file(self, *args, **kwargs) -> None:
        super().new_file(*args, **kwargs)
        self.kept = 0

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        room = settings.UPLOAD_MAX_BYTES + 1 - self.kept
        if room <= 0:
            return None  # None: the handlers after this one never see the chunk
        chunk = raw_data[:room]
        self.kept += len(chunk)
        return chunk

    def file_complete(self, file_size: int) -> None:
        return None  # the next handler builds the file from what was passed on
