#!/usr/bin/env bash
# One command from a bare machine to a running portal on the embedded default:
# virtualenv, requirements, SQLite migrations, demo data (idempotent), then the server.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/_venv.sh
venv_ready requirements.txt
# The demo describes mid-2019: its clock is pinned there, for the records it writes too.
export PORTAL_TODAY="${PORTAL_TODAY-2019-07-15}"
# Served as users see it: DEBUG off, so a wrong address shows the portal's own Chinese
# 404/403/500 pages, never Django's debug page listing every URL. Developers opt in with
# DJANGO_DEBUG=true bash scripts/run.sh.
export DJANGO_DEBUG="${DJANGO_DEBUG-false}"
python manage.py migrate --noinput
python manage.py load_demo
echo "== 门户已启动：http://${HOST:-127.0.0.1}:${PORT:-8000}/  （Ctrl+C 停止）"
echo "== 演示数据为 2019 年年中状态：门户“今天”按 PORTAL_TODAY=${PORTAL_TODAY:-实际日期} 计算"
exec python manage.py runserver "${HOST:-127.0.0.1}:${PORT:-8000}"
