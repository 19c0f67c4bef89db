"""Ladder history for the scale-data generator: 科小 → 培育库 → 申报 → 证书, plus honours.

`LadderGen` walks one enterprise at a time (a pure function of its `random.Random`, so the
same seed and enterprises give the same rows) and collects rows for the five ladder tables
in the column order of the `*_COLUMNS` lists. The history obeys what the services enforce:

- one 科小 evaluation per enterprise and year, dated inside that year;
- pool memberships never overlap at one level; an end date always has an exit reason; a
  membership open when a certificate is issued ends that day (认定为高企), as
  `record_certificate` does;
- one application per enterprise, year and batch (a few are withdrawn from batch 1 and
  filed again in batch 2), at most one passed a year; planned ≤ submitted ≤ decided;
  通过 / 未通过 carry both dates, 已申报 only a submission (only in the last year: still
  pending), 撤回 no decision; 重新认定 only after a first certificate;
- every certificate comes from that year's passed application, issued on its decision
  date, valid for 3 years (`add_years`); renewals follow about 3 years apart; a few are
  revoked (no renewal then).

For 100k enterprises over 2009–2018: ≈ 1.02M rows, ≈ 30 % certified at some point, about
half of those renewing at least once.

Certificate rows hold the key (enterprise id, year) where `application_id` goes: the caller
loads the applications first and swaps in their ids (`link_certificates`).
"""

import datetime
from collections import Counter
from dataclasses import dataclass, field, fields

from cultivation.choices import (
    ApplicationKind,
    ApplicationStatus,
    HonourLevel,
    HonourType,
    PoolExit,
    PoolLevel,
)
from cultivation.services import CERTIFICATE_YEARS, add_years

SOURCE = "基准测试模拟数据"
TAIL = ["source", "notes", "created_at"]  # every ladder table ends with these (LadderRecord)
EVALUATION_COLUMNS = ["enterprise_id", "year", "reg_number", "evaluated_on", *TAIL]
POOL_COLUMNS = ["enterprise_id", "level", "year", "batch", "start", "end", "exit_reason", *TAIL]
APPLICATION_COLUMNS = ["enterprise_id", "year", "batch", "kind", "status", "planned_on"]
APPLICATION_COLUMNS += ["submitted_on", "decided_on", *TAIL]
CERTIFICATE_COLUMNS = ["enterprise_id", "number", "issued_on", "expires_on", "revoked_on"]
CERTIFICATE_COLUMNS += ["application_id", "historical", *TAIL]
HONOUR_COLUMNS = ["enterprise_id", "type", "level", "year", "expires_year", *TAIL]
CERT_APPLICATION = CERTIFICATE_COLUMNS.index("application_id")

# Tracks: (weight for 规下, weight for 规上). ≈ 30 % of enterprises are certified at some point.
TRACKS = {
    "certified": (0.26, 0.42),  # gets a certificate, most renew
    "applicant": (0.15, 0.15),  # applies, never passes
    "pool": (0.25, 0.20),  # 培育库 (and 科小), never applies
    "sme": (0.30, 0.20),  # 科小 only
    "none": (0.04, 0.03),  # no ladder history
}
TRACK_NAMES = list(TRACKS)
# Chance of a 科小 evaluation in each year the enterprise is on the ladder, by track.
EVALUATION_RATE = {"certified": 0.96, "applicant": 0.96, "pool": 0.94, "sme": 0.9}
RENEW, RENEW_PASS, RETRY_AFTER_FAIL = 0.85, 0.88, 0.5  # per expiry: apply, pass, try again
PENDING_SHARE = 0.15  # of last-year applications: 已申报, no result yet
STATUS = {
    "passed": ApplicationStatus.PASSED,
    "failed": ApplicationStatus.FAILED,
    "withdrawn": ApplicationStatus.WITHDRAWN,
    "submitted": ApplicationStatus.SUBMITTED,
}
RESUBMIT_SHARE = 0.08  # withdrawn from batch 1 and filed again in batch 2 of the same year
REVOKED_SHARE = 0.004
GAZELLE_RATE = (0.2, 0.015)  # 瞪羚 is named every year: chance per year, certified / others
HONOURS = [  # once at most: (type, level, chance for certified, chance for others on the ladder)
    (HonourType.EAGLET, HonourLevel.DISTRICT, 0.10, 0.06),
    (HonourType.SPECIALISED, HonourLevel.PROVINCE, 0.10, 0.01),
    (HonourType.LITTLE_GIANT, HonourLevel.NATIONAL, 0.01, 0.0),
    (HonourType.UNICORN, HonourLevel.CITY, 0.004, 0.0),
]


@dataclass
class LadderRows:
    evaluations: list = field(default_factory=list)
    pools: list = field(default_factory=list)
    applications: list = field(default_factory=list)
    certificates: list = field(default_factory=list)
    honours: list = field(default_factory=list)

    def total(self) -> int:
        return sum(len(getattr(self, f.name)) for f in fields(self))


def _day(rng, year: int, first_month: int, last_month: int) -> datetime.date:
    return datetime.date(year, rng.randint(first_month, last_month), rng.randint(1, 28))


class LadderGen:
    def __init__(
        self, rng, *, first_year: int, last_year: int, now, region="320499", cert_region="99"
    ):
        """`region`: the 区划 in 科小 numbers; `cert_region`: the province in 证书编号."""
        self.rng, self.first_year, self.last_year = rng, first_year, last_year
        self.region, self.cert_region = region, cert_region
        self.tail = (SOURCE, "", now)  # TAIL's values
        self.cert_seq: Counter = Counter()
        self.sme_seq: Counter = Counter()
        self.rows = LadderRows()

    def take(self) -> LadderRows:
        """The rows collected since the last call."""
        rows, self.rows = self.rows, LadderRows()
        return rows

    def enterprise(self, enterprise_id: int, registered_on, above_scale: bool) -> None:
        """Append one enterprise's whole ladder history to `self.rows`."""
        rng = self.rng
        # Pool and applications from the year after registration (高企 asks ≥ 1 year).
        start = max(self.first_year, (registered_on.year if registered_on else 0) + 1)
        weights = [w[1] if above_scale else w[0] for w in TRACKS.values()]
        track = rng.choices(TRACK_NAMES, weights)[0]
        if start > self.last_year or track == "none":
            return
        certified_from = None
        if track == "certified":
            certified_from = self._certified(enterprise_id, start)
        elif track == "applicant":
            self._applicant(enterprise_id, start)
        elif track == "pool":
            self._pool(enterprise_id, rng.randint(start, self.last_year))
        # 科小 asks no minimum age: evaluations may start in the year of registration.
        self._evaluations(enterprise_id, registered_on, track)
        self._honours(enterprise_id, start, certified_from)

    def _evaluations(self, enterprise_id: int, registered_on, track: str) -> None:
        rng = self.rng
        eval_from = max(self.first_year, registered_on.year if registered_on else 0)
        for year in range(eval_from, self.last_year + 1):
            if rng.random() < EVALUATION_RATE[track]:
                self.sme_seq[year] += 1
                number = f"{year}{self.region}{self.sme_seq[year]:06d}"  # 年度 + 区划 + 序号
                self.rows.evaluations.append(
                    (enterprise_id, year, number, _day(rng, year, 3, 10), *self.tail)
                )

    def _honours(self, enterprise_id: int, start: int, certified_from: int | None) -> None:
        rng = self.rng
        rate = GAZELLE_RATE[certified_from is None]
        for year in range((certified_from or start) + 1, self.last_year + 1):
            if rng.random() < rate:
                honour = (HonourType.GAZELLE, HonourLevel.CITY, year, year)
                self.rows.honours.append((enterprise_id, *honour, *self.tail))
        for honour_type, level, certified_chance, other_chance in HONOURS:
            if rng.random() < (other_chance if certified_from is None else certified_chance):
                year = rng.randint(certified_from or start, self.last_year)
                expires = year + 2 if honour_type != HonourType.LITTLE_GIANT else year + 3
                honour = (honour_type, level, year, expires)
                self.rows.honours.append((enterprise_id, *honour, *self.tail))

    # --- tracks ---------------------------------------------------------------------------

    def _certified(self, enterprise_id: int, start: int) -> int | None:
        """Pool → (maybe a failed try) → certificate → renewals. Returns the first cert year."""
        rng = self.rng
        span = self.last_year - start + 1
        first = start + min(span - 1, int(span * rng.random() ** 1.4))  # earlier: more renewals
        if first > start and rng.random() < 0.3:
            self._application(enterprise_id, first - 1, ApplicationKind.FIRST, "failed")
        elif first > start + 1 and rng.random() < 0.08:
            year = rng.randint(start, first - 2)
            self._application(enterprise_id, year, ApplicationKind.FIRST, "withdrawn")
        year, kind, issued = first, ApplicationKind.FIRST, None
        while year <= self.last_year:
            decided = self._application(enterprise_id, year, kind, "passed")
            if decided is None:  # pending in the last year
                break
            if issued is None and rng.random() < 0.75:  # most went through the pool first
                self._pool(enterprise_id, rng.randint(max(start, year - 3), year), ends=decided)
            issued = decided
            self._certificate(enterprise_id, issued)
            if self.rows.certificates[-1][4] is not None:  # revoked: no renewal
                break
            year, kind = issued.year + CERTIFICATE_YEARS, ApplicationKind.RENEWAL
            if rng.random() >= RENEW:
                break  # lets it lapse
            while year <= self.last_year and rng.random() >= RENEW_PASS:
                self._application(enterprise_id, year, kind, "failed")
                year += 1
                if rng.random() >= RETRY_AFTER_FAIL:
                    year = self.last_year + 1
        return first

    def _applicant(self, enterprise_id: int, start: int) -> None:
        rng = self.rng
        years = range(start, self.last_year + 1)
        tries = sorted(rng.sample(years, min(len(years), rng.choice((1, 1, 2, 2, 3)))))
        if rng.random() < 0.6:
            self._pool(enterprise_id, rng.randint(max(start, tries[0] - 2), tries[0]))
        for year in tries:
            outcome = "withdrawn" if rng.random() < 0.25 else "failed"
            self._application(enterprise_id, year, ApplicationKind.FIRST, outcome)

    # --- rows -------------------------------------------------------------------------------

    def _pool(self, enterprise_id: int, year: int, ends: datetime.date | None = None) -> None:
        """District pool from `year` (sometimes city / province too), never overlapping at a
        level. `ends`: the certificate date that closes every membership open by then."""
        rng = self.rng
        levels = [PoolLevel.DISTRICT]
        if rng.random() < 0.35:
            levels.append(PoolLevel.CITY)
            if rng.random() < 0.3:
                levels.append(PoolLevel.PROVINCE)
        for level in levels:
            while year <= self.last_year:
                batch = rng.choice(("1", "1", "2"))
                begin = _day(rng, year, 3, 5) if batch == "1" else _day(rng, year, 8, 9)
                if ends is not None and begin > ends:
                    break
                left, reason = self._leaving(year, begin)
                end: datetime.date | None = left
                if ends is not None and left >= ends:
                    end, reason = ends, PoolExit.CERTIFIED
                elif left.year > self.last_year:
                    end, reason = None, ""  # still in the pool
                membership = (level, year, batch, begin, end, reason)
                self.rows.pools.append((enterprise_id, *membership, *self.tail))
                # Some re-enter the same level after expiry (the pool has a waiting time).
                if end is None or reason != PoolExit.EXPIRED or rng.random() >= 0.4:
                    break
                year = end.year + 1
            year = min(self.last_year, year + rng.choice((0, 1, 1)))  # the next level later

    def _leaving(self, year: int, begin: datetime.date) -> tuple[datetime.date, str]:
        """When and why a membership from `begin` ends: mostly after its 3 years."""
        rng, draw = self.rng, self.rng.random()
        left, reason = add_years(begin, 3) - datetime.timedelta(days=1), str(PoolExit.EXPIRED)
        if draw < 0.15:
            left, reason = _day(rng, rng.randint(year, year + 2), 1, 12), PoolExit.WITHDRAWN
        elif draw < 0.25:
            left, reason = _day(rng, rng.randint(year, year + 2), 1, 12), PoolExit.REMOVED
        elif draw < 0.28:
            left, reason = _day(rng, year + 1, 1, 12), PoolExit.OTHER
        return max(left, begin), reason

    def _application(self, enterprise_id, year, kind, outcome) -> datetime.date | None:
        """One application (outcome passed / failed / withdrawn); returns the decision date
        when it passed. In the last year some are still pending (已申报): None then."""
        rng = self.rng
        if year == self.last_year and rng.random() < PENDING_SHARE:
            outcome = "submitted"
        batch = rng.choice(("1", "1", "2"))
        planned = _day(rng, year, 2, 4)
        if outcome in ("passed", "failed") and rng.random() < RESUBMIT_SHARE:
            # Withdrawn from batch 1, filed again in batch 2 of the same year.
            withdrawn = (year, "1", kind, ApplicationStatus.WITHDRAWN, planned, None, None)
            self.rows.applications.append((enterprise_id, *withdrawn, *self.tail))
            batch, planned = "2", _day(rng, year, 6, 6)
        late = batch == "2"
        submitted: datetime.date | None = _day(rng, year, 7 if late else 5, 8 if late else 6)
        decided: datetime.date | None = _day(rng, year, 11 if late else 10, 12 if late else 11)
        if outcome == "withdrawn" and rng.random() < 0.5:
            submitted = None  # withdrawn before filing
        if outcome in ("withdrawn", "submitted"):
            decided = None
        application = (year, batch, kind, STATUS[outcome], planned, submitted, decided)
        self.rows.applications.append((enterprise_id, *application, *self.tail))
        return decided if outcome == "passed" else None

    def _certificate(self, enterprise_id: int, issued: datetime.date) -> None:
        rng = self.rng
        self.cert_seq[issued.year] += 1
        expires = add_years(issued, CERTIFICATE_YEARS)
        revoked = None
        if rng.random() < REVOKED_SHARE:
            revoked = issued + datetime.timedelta(days=rng.randint(90, (expires - issued).days - 1))
        self.rows.certificates.append(
            (
                enterprise_id,
                f"GR{issued.year}{self.cert_region}{self.cert_seq[issued.year]:06d}",
                issued,
                expires,
                revoked,
                (enterprise_id, issued.year),  # → the application's id (link_certificates)
                False,
                *self.tail,
            )
        )


def link_certificates(rows: list[tuple], application_ids: dict[tuple[int, int], int]):
    """Certificate rows with the (enterprise id, year) key replaced by the application id."""
    for row in rows:
        key = row[CERT_APPLICATION]
        yield (*row[:CERT_APPLICATION], application_ids[key], *row[CERT_APPLICATION + 1 :])
