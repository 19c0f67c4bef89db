"""The portal's clock: the real date and time, unless PORTAL_TODAY pins the date.

Pinning serves the demo (its data describe mid-2019) and reviews of a past year as it stood
on a date. Every "as of today" count, 序时进度 and default goes through `today()`, and every
timestamp the portal writes and shows (uploads, submissions, history, inbox, file names)
through `now()` — so a pinned demo never shows 2026 beside 2019. (The scheduler's heartbeat
keeps the real time: it proves a worker is alive now.)
"""

import datetime

from django.conf import settings
from django.utils import timezone


def today() -> datetime.date:
    return settings.PORTAL_TODAY or timezone.localdate()


def now() -> datetime.datetime:
    """The real time of day, on the portal's date (aware, in the portal's time zone)."""
    real = timezone.localtime()
    pinned = settings.PORTAL_TODAY
    if pinned is None:
        return real
    return real.replace(year=pinned.year, month=pinned.month, day=pinned.day)


def quarter_ends(year: int) -> list[datetime.date]:
    """31 March, 30 June, 30 September, 31 December of `year`."""
    return [datetime.date(year, m, d) for m, d in ((3, 31), (6, 30), (9, 30), (12, 31))]
