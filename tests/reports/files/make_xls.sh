#!/usr/bin/env bash
# How the committed .xls fixtures were made: openpyxl writes an .xlsx, LibreOffice (headless)
# converts it to a real Excel 97-2003 .xls (BIFF8, computing the formulas' cached values).
#
#   quarterly.xls    title + merged title, the header, 3 rows for 湖塘镇's registry enterprises
#                    (one with a formula, one with numbers typed as text), a blank row, a new
#                    enterprise, a hidden sheet with data (ignored) and the 汇总指标 sheet.
#   header_only.xls  the title and the header, no data rows.
#   encrypted.xls    quarterly.xls saved with the password "x" (a FILEPASS record), through a
#                    LibreOffice Basic macro: `--convert-to` cannot set a password.
#
# Usage: tests/reports/files/make_xls.sh   (needs soffice and a Python with openpyxl, stdnum)
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../../.." && pwd)"
PYTHON="${PYTHON:-/tmp/venv/bin/python}"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

cd "$ROOT"
"$PYTHON" - "$WORK" <<'PY'
import sys

from openpyxl import Workbook

from enterprises.uscc import with_check_digit


def code(n):  # the same codes as tests/enterprises/conftest.py's registry
    return with_check_digit(f"91320412MA{n:07d}")


HEADER = ["统一社会信用代码", "企业名称", "职工总数", "科技人员数", "销售收入（万元）",
          "研发费用（万元）", "高新技术产品（服务）收入（万元）"]


def book(rows):
    wb = Workbook()
    ws = wb.active
    ws.title = "企业季度数据"
    ws["A1"] = "2019年第1季度 湖塘镇 企业季度数据报送表"
    ws.merge_cells("A1:G1")
    ws["A2"] = "金额单位：万元"
    ws.append(HEADER)
    for row in rows:
        ws.append(row)
    return wb


wb = book([
    [code(1), "常州湖塘精密机械有限公司", 150, 30, 2000.5, "=E4*0.05", 1500],
    [code(2), "常州湖塘新材料有限公司", "２２０", " 25 ", "1,234.5", "30万元", "—"],
    [code(3), "常州同名科技有限公司", 80, 8, None, None, None],
    [None, None, None, None, None, None, None],
    [code(99), "常州湖塘新设科技有限公司", 10, 2, 88, 6.5, 0],
])
hidden = wb.create_sheet("旧数据")
hidden.append(HEADER)
hidden.append([code(1), "常州湖塘精密机械有限公司", 999999, 1, 1, 1, 1])
hidden.sheet_state = "hidden"
summary = wb.create_sheet("汇总指标")
summary.append(["指标代码", "指标名称", "计量单位", "本年累计值"])
summary.append(["projects_attracted", "科创项目招引数", "个", 7])
wb.save(f"{sys.argv[1]}/quarterly.xlsx")
book([]).save(f"{sys.argv[1]}/header_only.xlsx")
PY

PROFILE="$WORK/profile"
soffice -env:UserInstallation="file://$PROFILE" --headless --convert-to xls --outdir "$HERE" \
    "$WORK/quarterly.xlsx" "$WORK/header_only.xlsx"

# A Basic macro in the throw-away profile saves a copy with a password.
MODULE="$PROFILE/user/basic/Standard/Module1.xba"
test -f "$MODULE"
cat > "$MODULE" <<'XBA'
<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE script:module PUBLIC "-//OpenOffice.org//DTD OfficeDocument 1.0//EN" "module.dtd">
<script:module xmlns:script="http://openoffice.org/2000/script" script:name="Module1" script:language="StarBasic">
Sub SaveWithPassword(source As String, target As String)
  Dim load(0) As New com.sun.star.beans.PropertyValue
  load(0).Name = &quot;Hidden&quot;
  load(0).Value = True
  doc = StarDesktop.loadComponentFromURL(ConvertToURL(source), &quot;_blank&quot;, 0, load())
  Dim store(1) As New com.sun.star.beans.PropertyValue
  store(0).Name = &quot;FilterName&quot;
  store(0).Value = &quot;MS Excel 97&quot;
  store(1).Name = &quot;Password&quot;
  store(1).Value = &quot;x&quot;
  doc.storeToURL(ConvertToURL(target), store())
  doc.close(True)
End Sub
</script:module>
XBA
soffice -env:UserInstallation="file://$PROFILE" --headless \
    "macro:///Standard.Module1.SaveWithPassword(\"$HERE/quarterly.xls\",\"$HERE/encrypted.xls\")"
ls -l "$HERE"/*.xls
