#!/usr/bin/env bash
# How the committed office files were made: a Python script lays each sheet out as a town
# clerk or a bureau does (openpyxl, into a scratch folder); LibreOffice (headless) then opens
# it and writes it again as .xlsx and as .xls (BIFF8), computing the formulas' values. The
# committed files are LibreOffice's, byte for byte: what the importers meet in real use.
#
#   quarterly_brackets     序号 column; units in brackets, half- and full-width (人)（万元）;
#                          a header broken over two lines in its cell
#   quarterly_title_rows   a merged title, 填报单位 / 填报日期 and 单位 lines, a blank line
#   quarterly_groups       a two-row header: 人员情况 / 经营情况（万元） merged over their columns,
#                          the key columns merged down
#   quarterly_totals       a 小计 row between the enterprises, a 全镇合计 row of =SUM formulas,
#                          填表人 / 审核人 / 联系电话 / 填报日期 / 注： lines below
#   quarterly_last_quarter this portal's template for 2018年第4季度, filled in: its hidden
#                          报送标识 sheet must survive the re-save
#   targets_clerk          the 2019 任务分解表 with a 序号 column, （家） in the headers, a
#                          填报单位 line and 制表人 / 注： lines under the 全  区 row
#   ladder_clerk           培育库 with a title, 序号, a two-row header, a 合计 row and 填表人 line
#
# Usage: tests/files/office/make.sh   (needs soffice; run from a checkout with .venv set up)
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../../.." && pwd)"
PYTHON="${PYTHON:-$ROOT/.venv/bin/python}"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

cd "$ROOT"
PYTHONPATH="$ROOT" DJANGO_SETTINGS_MODULE=htportal.settings "$PYTHON" "$HERE/sources.py" "$WORK"
for format in xlsx xls; do
    filter=$([ "$format" = xlsx ] && echo 'xlsx:Calc MS Excel 2007 XML' || echo 'xls:MS Excel 97')
    soffice -env:UserInstallation="file://$WORK/profile" --headless \
        --convert-to "$filter" --outdir "$HERE" "$WORK"/*.xlsx >/dev/null
done
ls -l "$HERE"/*.xls "$HERE"/*.xlsx
