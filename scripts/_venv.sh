# Sourced by run.sh and test.sh: make sure .venv exists and holds the requirements in $1.
# Re-installs only when the requirement files changed since the last install.
venv_ready() {
  local reqs="$1" py="${PYTHON:-}"
  if [ -z "$py" ]; then
    for candidate in python3.11 python3 python; do
      if command -v "$candidate" >/dev/null 2>&1; then py="$candidate"; break; fi
    done
  fi
  if [ -z "$py" ] || ! "$py" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
    echo "需要 Python 3.11 或更高版本（可用 PYTHON=/path/to/python3.11 指定）。" >&2
    exit 1
  fi
  if [ ! -x .venv/bin/python ]; then
    echo "== 创建虚拟环境 .venv"
    "$py" -m venv .venv
  fi
  local stamp=.venv/.requirements.sha
  local want
  want=$(cat requirements*.txt | sha256sum | cut -d' ' -f1)-$reqs
  if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    echo "== 安装依赖（$reqs）"
    .venv/bin/python -m pip install --quiet --disable-pip-version-check -r "$reqs"
    echo "$want" > "$stamp"
  fi
  export PATH="$PWD/.venv/bin:$PATH"
}
