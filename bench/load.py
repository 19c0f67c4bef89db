"""Load under gunicorn (issue 14, item 1): 20 connections against 3 sync workers.

gunicorn runs as in production (`gunicorn htportal.wsgi -w 3`, DJANGO_ENV=production,
DEBUG off, the bench PostgreSQL database, Redis as the cache on a db of its own that is
flushed first) on a free loopback port; wrk (bench/load.lua) drives it with 20 connections
over 2 threads, every request with the session cookie of one of three personas — the
district's bench user, a 基准镇001 town user and a read-only leader — rotating.

Per page, one wrk run, interleaved with /healthz/ (baseline, page, baseline, page…, baseline):
the page's throughput must be ≥ 50 % and its p95 ≤ 5× those of the two baselines around it
(their mean), every answer 200. Before each page's run Redis is flushed and each persona's
first request timed (cold). Then a mixed run, every page × persona together, must leave no
request unanswered: no socket error or timeout (wrk --timeout), every status 200.

Run it with `bench/run --only load_mix`; needs wrk (`apt-get install -y wrk`) and Redis
(BENCH_LOAD_REDIS_URL, default redis://127.0.0.1:6379/15 — that db is flushed).
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import json
import os
import random
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.client import HTTPConnection
from importlib import import_module
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlencode

from django.conf import settings
from django.test.utils import override_settings

if TYPE_CHECKING:  # bench.figures imports the models: only once Django is set up
    from bench.figures import Bench, Result

ROOT = Path(__file__).resolve().parent.parent
LUA = Path(__file__).resolve().parent / "load.lua"
LOAD_DIR = ROOT / "bench" / "out" / "load"  # bench.figures.OUT_DIR / "load"
REDIS_URL = os.environ.get("BENCH_LOAD_REDIS_URL", "redis://127.0.0.1:6379/15")

WORKERS = 3
CONNECTIONS, THREADS = 20, 2  # wrk: 20 connections on 2 threads (the machine has 2 cores)
TIMEOUT_S = 10  # a request unanswered this long is a timeout
PAGE_SECONDS, BASELINE_SECONDS, MIX_SECONDS, WARMUP_SECONDS = 5, 4, 25, 2
THROUGHPUT_FLOOR, P95_FLOOR = 0.5, 5.0  # × the baseline's
BASELINE = "/healthz/"
LOGIN = "/accounts/login/"
HEADERS = {"X-Forwarded-Proto": "https"}  # as the proxy sends it (else: redirect to HTTPS)


@dataclass
class Persona:
    name: str
    cookie: str


@dataclass
class Run:
    """One wrk run's totals (bench/load.lua's WRKJSON line)."""

    seconds: float
    requests: int
    socket_errors: int
    timeouts: int
    statuses: dict[str, int]
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def not_200(self) -> int:
        return sum(n for status, n in self.statuses.items() if status != "200")

    @property
    def clean(self) -> bool:
        return self.requests > 0 and not (self.socket_errors or self.timeouts or self.not_200)

    def trouble(self) -> str:
        """What went wrong, for the note ('' when clean)."""
        parts = [f"HTTP {s}×{n}" for s, n in sorted(self.statuses.items()) if s != "200"]
        if self.socket_errors:
            parts.append(f"{self.socket_errors} socket errors")
        if self.timeouts:
            parts.append(f"{self.timeouts} timeouts")
        if not self.requests:
            parts.append("no request answered")
        return ", ".join(parts)


# --- gunicorn ------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _die_with_parent() -> None:
    """In the child: SIGTERM when bench/run dies, even without running its finally."""
    with contextlib.suppress(OSError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


class Gunicorn:
    """gunicorn in a process group of its own, always stopped (stop(), atexit, parent death)."""

    def __init__(self, env: dict[str, str], log: Path):
        self.env, self.log_path = env, log
        self.port = 0
        self.process: subprocess.Popen | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, attempts: int = 3) -> float:
        started = time.perf_counter()
        for _ in range(attempts):  # the free port may be taken between probe and bind
            self.port = free_port()
            self.log = self.log_path.open("w")
            self.process = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "htportal.wsgi"]
                + ["-w", str(WORKERS), "-b", f"127.0.0.1:{self.port}"],
                cwd=ROOT,
                env=self.env,
                stdout=self.log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=_die_with_parent,
            )
            atexit.register(self.stop)
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and self.process.poll() is None:
                try:
                    if get(self.port, BASELINE)[0] == 200:
                        return time.perf_counter() - started
                except OSError:
                    pass
                time.sleep(0.2)
            self.stop()
        raise RuntimeError(f"gunicorn did not come up:\n{self.log_path.read_text()[-3000:]}")

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None:
            return
        for sig, wait in ((signal.SIGTERM, 15), (signal.SIGKILL, 5)):
            try:
                os.killpg(process.pid, sig)
            except ProcessLookupError:
                break
            try:
                process.wait(wait)
                break
            except subprocess.TimeoutExpired:
                continue
        self.log.close()

    def errors_logged(self) -> list[str]:
        text = self.log_path.read_text(errors="replace")
        return [
            line
            for line in text.splitlines()
            if "WORKER TIMEOUT" in line or "Traceback" in line or "[ERROR]" in line
        ]


def get(port: int, path: str, cookie: str = "") -> tuple[int, float, str]:
    """One GET, read to the end: (status, milliseconds, Location header)."""
    started = time.perf_counter()
    conn = HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        conn.request("GET", path, headers={**HEADERS, **({"Cookie": cookie} if cookie else {})})
        response = conn.getresponse()
        response.read()
        ms = (time.perf_counter() - started) * 1000
        return response.status, ms, response.getheader("Location") or ""
    finally:
        conn.close()


def server_env(secret: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DJANGO_ENV="production",
        DJANGO_DEBUG="false",
        DJANGO_SECRET_KEY=secret,
        DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
        DJANGO_SETTINGS_MODULE="htportal.settings",
        REDIS_URL=REDIS_URL,
        STATIC_ROOT=str(LOAD_DIR / "static"),  # production serves the manifest's files
        LOG_LEVEL=os.environ.get("LOG_LEVEL", "WARNING"),
    )
    return env


def collectstatic(env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
    )
    return time.perf_counter() - started


def flush_redis() -> None:
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()


# --- personas ------------------------------------------------------------------------------


def personas(bench: Bench, secret: str) -> list[Persona]:
    """The district bench user, a town user of 基准镇001, a leader: a session each, signed with
    the server's SECRET_KEY (stored in the database, as the server's sessions are)."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY

    from core.choices import Role
    from core.models import User

    users = [("district", bench.user)]
    for username, label, unit, role in [
        ("bench_town", "基准镇001", bench.big_town, Role.TOWN_STAFF),
        ("bench_leader", "基准测试（领导）", bench.district, Role.LEADER),
    ]:
        user, _ = User.objects.get_or_create(username=username)
        user.display_name, user.unit, user.role, user.is_active = label, unit, role, True
        user.set_unusable_password()
        user.save()
        users.append(("town" if role == Role.TOWN_STAFF else "leader", user))
    store = import_module(settings.SESSION_ENGINE).SessionStore
    result = []
    with override_settings(SECRET_KEY=secret):
        for name, user in users:
            session = store()
            session[SESSION_KEY] = user._meta.pk.value_to_string(user)
            session[BACKEND_SESSION_KEY] = user_backend(user)
            session[HASH_SESSION_KEY] = user.get_session_auth_hash()
            session.save()
            result.append(Persona(name, f"{settings.SESSION_COOKIE_NAME}={session.session_key}"))
    return result


def user_backend(user) -> str:
    """The backend a request will load the user with: the first that finds them."""
    from django.contrib.auth import load_backend

    for path in settings.AUTHENTICATION_BACKENDS:
        backend = load_backend(path)
        found = backend.get_user(user.pk) if hasattr(backend, "get_user") else None
        if found is not None and found.pk == user.pk:
            return path
    raise RuntimeError(f"no backend in AUTHENTICATION_BACKENDS loads user {user}")


def pages(bench: Bench, plan_id: int) -> list[tuple[str, list[str]]]:
    """(label, paths): one wrk run each; a label with several paths rotates through them."""
    from bench.figures import DASHBOARD_ENDPOINTS, DASHBOARD_YEAR
    from enterprises.models import Enterprise

    year = f"?year={DASHBOARD_YEAR}"
    result = [("dashboard page", [f"/dashboard/{year}"])]
    result += [(f"dashboard {n}", [f"/dashboard/data/{n}/{year}"]) for n in DASHBOARD_ENDPOINTS]
    result.append(("target completion", [f"/targets/{plan_id}/"]))
    filters: list[tuple[str, dict[str, object]]] = [
        ("enterprise list", {}),
        (f"enterprise list q '{bench.name_fragment}'", {"q": bench.name_fragment}),
        (f"enterprise list town {bench.big_town.name}", {"town": bench.big_town.pk}),
        (f"enterprise list tech_field {bench.tech_field}", {"tech_field": bench.tech_field}),
        ("enterprise list above_scale", {"above_scale": "true"}),
        ("enterprise list uscc_warning", {"uscc_warning": "true"}),
    ]
    for label, params in filters:
        result.append((label, ["/enterprises/" + (f"?{urlencode(params)}" if params else "")]))
    # Five enterprises of 基准镇001 (every persona sees them), spread over its id range.
    ids = list(Enterprise.objects.filter(town=bench.big_town).order_by("id").values_list("id"))
    picks = [ids[i * (len(ids) - 1) // 4][0] for i in range(5)]
    result.append((f"enterprise detail ×{len(picks)}", [f"/enterprises/{i}/" for i in picks]))
    return result


# --- wrk -----------------------------------------------------------------------------------


def wrk(port: int, name: str, pairs: list[tuple[str, str]], seconds: int) -> Run:
    LOAD_DIR.mkdir(parents=True, exist_ok=True)
    slug = "".join(c if c.isalnum() else "_" for c in name)
    pairs_file = LOAD_DIR / f"{slug}.pairs"
    pairs_file.write_text("".join(f"{path}\t{cookie}\n" for path, cookie in pairs))
    command = ["wrk", f"-t{THREADS}", f"-c{CONNECTIONS}", f"-d{seconds}s"]
    command += [f"--timeout={TIMEOUT_S}s", "--latency", "-s", str(LUA)]
    command += [f"http://127.0.0.1:{port}", "--", str(pairs_file)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    (LOAD_DIR / f"{slug}.wrk.txt").write_text(done.stdout + done.stderr)
    line = next((x for x in done.stdout.splitlines() if x.startswith("WRKJSON ")), None)
    if done.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stdout[-2000:]}{done.stderr}")
    data = json.loads(line.removeprefix("WRKJSON "))
    return Run(
        seconds=data["duration_us"] / 1e6,
        requests=data["requests"],
        socket_errors=data["connect"] + data["read"] + data["write"],
        timeouts=data["timeout"],
        statuses=data["statuses"],
        p50_ms=data["p50_us"] / 1000,
        p95_ms=data["p95_us"] / 1000,
        p99_ms=data["p99_us"] / 1000,
        max_ms=data["max_us"] / 1000,
    )


# --- the figure ----------------------------------------------------------------------------


def load_mix(bench: Bench) -> Iterator[Result]:
    """Every page under 20 connections on gunicorn against /healthz/, then all of them mixed."""
    from bench.figures import Result, _dashboard_setup

    if shutil.which("wrk") is None:
        raise RuntimeError("wrk not found: apt-get install -y wrk")
    figure_started = time.perf_counter()
    plan, *_ = _dashboard_setup(bench)
    secret = secrets.token_urlsafe(50)
    env = server_env(secret)
    LOAD_DIR.mkdir(parents=True, exist_ok=True)
    static_s = collectstatic(env)
    todo = pages(bench, plan.pk)
    server = Gunicorn(env, LOAD_DIR / "gunicorn.log")
    who: list[Persona] = []
    try:
        who = personas(bench, secret)
        up_s = server.start()
        port = server.port
        for persona in who:  # a session the server does not accept would show as 302s
            status, _, location = get(port, todo[0][1][0], persona.cookie)
            if status != 200:
                raise RuntimeError(
                    f"persona {persona.name}: {todo[0][1][0]} → HTTP {status} {location}"
                )
        flush_redis()
        baseline_pairs = [(BASELINE, "")]
        wrk(port, "warmup", baseline_pairs + [(LOGIN, "")], WARMUP_SECONDS)  # every worker
        yield Result(
            f"load setup: gunicorn -w {WORKERS} (production settings, Redis {REDIS_URL}), "
            f"wrk -t{THREADS} -c{CONNECTIONS} --timeout {TIMEOUT_S}s",
            up_s,
            "s to first /healthz/",
            "—",
            True,
            f"collectstatic {static_s:.1f} s; personas {', '.join(p.name for p in who)}; "
            f"{PAGE_SECONDS} s per page, {BASELINE_SECONDS} s per baseline",
        )

        baselines = [wrk(port, "baseline 0", baseline_pairs, BASELINE_SECONDS)]
        login = wrk(port, "login page", [(LOGIN, "")], PAGE_SECONDS)
        baselines.append(wrk(port, "baseline 1", baseline_pairs, BASELINE_SECONDS))
        yield from page_results("login page (anonymous, reference)", login, baselines, {})

        for label, paths in todo:
            pairs = [(path, p.cookie) for path in paths for p in who]
            flush_redis()
            cold: dict[str, float] = {}
            for path, persona in ((path, p) for path in paths for p in who):
                status, ms, location = get(port, path, persona.cookie)
                if status != 200:
                    raise RuntimeError(f"{persona.name}: {path} → HTTP {status} {location}")
                cold.setdefault(persona.name, ms)
            run = wrk(port, label, pairs, PAGE_SECONDS)
            baselines.append(
                wrk(port, f"baseline {len(baselines)}", baseline_pairs, BASELINE_SECONDS)
            )
            yield from page_results(label, run, baselines, cold, login)

        yield baseline_summary(baselines)

        every = [(path, p.cookie) for _, paths in todo for path in paths for p in who]
        started = time.perf_counter()
        for path, cookie in every:  # after the per-page flushes, warm as the nightly job does
            get(port, path, cookie)
        warm_s = time.perf_counter() - started
        random.Random(14).shuffle(every)
        mix = wrk(port, "mixed", every, MIX_SECONDS)
        trouble = mix.trouble()
        yield Result(
            f"load mixed: {len(todo)} pages × {len(who)} personas, {MIX_SECONDS} s, "
            f"{CONNECTIONS} connections",
            mix.requests,
            "requests",
            "0 socket errors, 0 timeouts, every status 200",
            mix.clean,
            f"{mix.rps:.1f} req/s, non-200 {mix.not_200}, socket errors {mix.socket_errors}, "
            f"timeouts {mix.timeouts}; statuses {mix.statuses}; p50 {mix.p50_ms:.0f} ms, "
            f"p95 {mix.p95_ms:.0f} ms, max {mix.max_ms:.0f} ms; warmed in {warm_s:.1f} s"
            + (f"; {trouble}" if trouble else ""),
        )
        logged = server.errors_logged()
        yield Result(
            "load: gunicorn errors logged (worker timeouts, tracebacks)",
            len(logged),
            "lines",
            "0",
            not logged,
            "; ".join(logged[:3]) + f" … see {server.log_path}" if logged else "",
        )
    finally:
        server.stop()
        store = import_module(settings.SESSION_ENGINE).SessionStore
        for persona in who:  # the sessions made for the run
            store(persona.cookie.partition("=")[2]).delete()
    yield Result(
        "load figure duration",
        time.perf_counter() - figure_started,
        "s",
        "—",
        True,
        f"wrk output and gunicorn.log in {LOAD_DIR}",
    )


def page_results(
    label: str, run: Run, baselines: list[Run], cold: dict[str, float], login: Run | None = None
) -> Iterator[Result]:
    """Throughput and p95 of `run` against the mean of the two baselines around it (no floor
    for the login page itself, the second reference; pages say their share of it too)."""
    from bench.figures import Result

    before, after = baselines[-2], baselines[-1]
    base_rps = (before.rps + after.rps) / 2
    base_p95 = (before.p95_ms + after.p95_ms) / 2
    floors = login is not None
    trouble = run.trouble()
    share = run.rps / base_rps * 100 if base_rps else 0.0
    rps_floor = THROUGHPUT_FLOOR * base_rps
    p95_floor = P95_FLOOR * base_p95
    yield Result(
        f"load {label} throughput",
        run.rps,
        "req/s",
        f"≥ {THROUGHPUT_FLOOR:.0%} of {BASELINE} {base_rps:.1f} = {rps_floor:.1f} req/s"
        if floors
        else "— (baseline)",
        (run.rps >= rps_floor and run.clean) if floors else run.clean,
        f"{share:.0f} % of baseline"
        + (
            f", {run.rps / login.rps * 100:.0f} % of the login page's"
            if login and login.rps
            else ""
        )
        + f", n={run.requests}"
        + (f"; {trouble}" if trouble else ""),
    )
    cold_note = "/".join(f"{ms:.0f}" for ms in cold.values())
    yield Result(
        f"load {label} p95",
        run.p95_ms,
        "ms",
        f"≤ {P95_FLOOR:g}× {BASELINE} p95 {base_p95:.1f} = {p95_floor:.1f} ms"
        if floors
        else "— (baseline)",
        run.p95_ms <= p95_floor if floors else True,
        f"p50 {run.p50_ms:.1f} ms, p99 {run.p99_ms:.1f} ms, max {run.max_ms:.0f} ms"
        + (f"; cold {'/'.join(cold)} {cold_note} ms" if cold else ""),
    )


def baseline_summary(baselines: list[Run]) -> Result:
    from bench.figures import Result

    rates = sorted(b.rps for b in baselines)
    p95s = sorted(b.p95_ms for b in baselines)
    clean = all(b.clean for b in baselines)
    return Result(
        f"load baseline {BASELINE} ({len(baselines)} runs of {BASELINE_SECONDS} s, interleaved)",
        rates[len(rates) // 2],
        "req/s median",
        "— (every answer 200)",
        clean,
        f"{rates[0]:.1f}–{rates[-1]:.1f} req/s; p95 median {p95s[len(p95s) // 2]:.1f} ms, "
        f"{p95s[0]:.1f}–{p95s[-1]:.1f} ms"
        + ("" if clean else "; " + "; ".join(b.trouble() for b in baselines if not b.clean)),
    )


LOAD_FIGURES = [load_mix]


if __name__ == "__main__":
    # Until bench/figures.py lists LOAD_FIGURES: bench/run's body with this figure added (in
    # this process only), e.g. `python -m bench.load --only load_mix` in bench/run's env.
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "htportal.settings")
    django.setup()
    from bench import figures, main

    if load_mix.__name__ not in {f.__name__ for f in figures.FIGURES}:
        figures.FIGURES.append(load_mix)
    sys.exit(main.main(sys.argv[1:]))
