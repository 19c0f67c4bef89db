#!/usr/bin/env bash
# The API's contract, checked against the live portal: a seeded demo database, the portal
# served on 127.0.0.1 by gunicorn as in production, one token per demo persona, and
# schemathesis running every operation of /api/v1/schema/ with every check for each of
# them. Any failure fails the run (not only 5xx: a status or body the schema does not
# document, a schema-valid request refused, an invalid one accepted, a missing auth check).
#
#   bash scripts/api_contract.sh                 # SQLite in a temporary directory
#   DATABASE_URL=postgres://…/htportal_contract bash scripts/api_contract.sh   # (re)creates it
#   CONTRACT_EXAMPLES=50 CONTRACT_PERSONAS="district hutang" bash scripts/api_contract.sh
#
# The run writes (schemathesis creates enterprises, uploads, tokens…): it only ever uses its
# own database and media directory, never the demo's.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/_venv.sh
venv_ready requirements-dev.txt

PORT="${CONTRACT_PORT:-8765}"
EXAMPLES="${CONTRACT_EXAMPLES:-15}"
PERSONAS="${CONTRACT_PERSONAS:-district hutang niutang leader admin}"
WORK="$(mktemp -d /tmp/htportal-contract.XXXXXX)"
server=""
cleanup() {
  [ -z "$server" ] || kill "$server" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

if [ -n "${DATABASE_URL:-}" ]; then
  db="${DATABASE_URL##*/}"
  # A database of its own, dropped and created afresh: the run must start from the demo.
  psql "${DATABASE_URL%/*}/postgres" -qc "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" \
    -c "CREATE DATABASE \"$db\"" >/dev/null
else
  export DATABASE_URL="sqlite:///$WORK/contract.sqlite3"
fi
export PORTAL_TODAY=2019-07-15 MEDIA_ROOT="$WORK/media" DJANGO_DEBUG=0
# The contract is about answers, not about the throttles' budgets: schemathesis sends
# hundreds of uploads and token requests; the 429s themselves are tested in pytest.
export API_TOKEN_CREATE_RATE=100000/hour API_UPLOAD_RATE=100000/hour

echo "== seeding the demo ($DATABASE_URL)"
python manage.py migrate -v0
python manage.py load_demo >/dev/null
python manage.py collectstatic --noinput -v0

echo "== serving on 127.0.0.1:$PORT"
# One worker on SQLite (one writer at a time, as the embedded default is run); two on
# PostgreSQL, so concurrent requests meet real row locks.
workers=1
[[ "$DATABASE_URL" == postgres* ]] && workers=2
gunicorn htportal.wsgi --bind "127.0.0.1:$PORT" --workers "$workers" --timeout 120 \
  --access-logfile /dev/null --error-logfile "$WORK/gunicorn.log" 2>>"$WORK/gunicorn.log" &
server=$!
for _ in $(seq 60); do
  curl -fsS -o /dev/null "http://127.0.0.1:$PORT/healthz/" 2>/dev/null && break
  sleep 1
done

failed=""
for persona in $PERSONAS; do
  key="$(python manage.py api_token "$persona" --name "contract $(date +%s)")"
  echo "== schemathesis as $persona"
  if ! schemathesis run "http://127.0.0.1:$PORT/api/v1/schema/" \
    --header "Authorization: Bearer $key" \
    --checks all --max-examples "$EXAMPLES" --workers 2 --seed 1 \
    --suppress-health-check all --no-color; then
    failed="$failed $persona"
  fi
done

if grep -q "Traceback" "$WORK/gunicorn.log"; then
  echo "== the server logged errors:" && cat "$WORK/gunicorn.log"
  failed="$failed (server errors)"
fi
[ -z "$failed" ] || { echo "== API contract FAILED for:$failed" >&2; exit 1; }
echo "== API contract held for: $PERSONAS"
