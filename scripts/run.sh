#!/usr/bin/env bash
# One command from a bare machine to a running portal on the embedded default:
# virtualenv, requirements, SQLite migrations, demo data (idempotent), then the server.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/_venv.sh
venv_ready requirements.txt
python manage.py migrate --noinput
python manage.py load_demo
echo "== 门户已启动：http://${HOST:-127.0.0.1}:${PORT:-8000}/  （Ctrl+C 停止）"
exec python manage.py runserver "${HOST:-127.0.0.1}:${PORT:-8000}"
