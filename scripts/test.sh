#!/usr/bin/env bash
# The whole test suite. On SQLite by default; with DATABASE_URL and REDIS_URL set it runs
# against those real servers (and the tests that need a real worker and broker run too).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/_venv.sh
venv_ready requirements-dev.txt
exec python -m pytest "$@"
