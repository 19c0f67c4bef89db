#!/usr/bin/env bash
# The whole test suite, in parallel: one pytest-xdist worker per core (TEST_WORKERS=N to say
# how many), each test file on one worker, so a module that loads the demo loads it once. On SQLite by default; with DATABASE_URL and REDIS_URL set it runs against those
# real servers (and the tests that need a real worker and broker run too).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/_venv.sh
venv_ready requirements-dev.txt
exec python -m pytest -n "${TEST_WORKERS:-auto}" --dist loadfile "$@"
