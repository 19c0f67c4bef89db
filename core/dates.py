"""The portal's "today": the real date, unless PORTAL_TODAY pins it.

Pinning serves the demo (its data describe mid-2019) and reviews of a past year as it stood
on a date. Every "as of today" count, 序时进度 and default goes through `today()`.
"""

import datetime

from django.conf import settings
from django.utils import timezone


def today() -> datetime.date:
    return settings.PORTAL_TODAY or timezone.localdate()


def quarter_ends(year: int) -> list[datetime.date]:
    """31 March, 30 June, 30 September, 31 December of `year`."""
    return [datetime.date(year, m, d) for m, d in ((3, 31), (6, 30), (9, 30), (12, 31))]
