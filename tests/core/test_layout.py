"""The house plan, checked: each rule has one home, and the code does not go around it.

- scope is decided in core/scoping.py: no view, API, import/export or task spells the org-unit
  subtree itself or reads a scoped model unscoped (a deliberate exception says why on its line,
  "# unscoped: …");
- every spreadsheet is read and written by core/sheets: nothing else touches openpyxl,
  python-calamine, tablib or csv, or writes a cell's value itself;
- apps import only the apps below them (README → Architecture), and nobody uses another
  feature app's spreadsheet code.
"""

import ast
import re
from pathlib import Path

import pytest
from django.apps import apps

ROOT = Path(__file__).resolve().parents[2]
APPS = ["core", "enterprises", "cultivation", "targets", "reports", "dashboard", "bulletins"]
# What each app may import (README → Architecture). enterprises reads the ladder for its rung
# filters and the timeline on an enterprise's page: the one read upwards, kept explicit here.
ALLOWED = {
    "core": {"htportal"},
    "enterprises": {"core", "cultivation"},
    "cultivation": {"core", "enterprises"},
    "targets": {"core", "enterprises", "cultivation"},
    "reports": {"core", "enterprises", "cultivation", "targets"},
    "dashboard": {"core", "enterprises", "cultivation", "targets", "reports"},
    "bulletins": {"core", "enterprises", "cultivation", "targets"},
}
SPREADSHEET_LIBRARIES = {"openpyxl", "python_calamine", "tablib", "csv"}


def sources(*, include_core: bool = True) -> list[Path]:
    files = []
    for app in APPS if include_core else APPS[1:]:
        files += [p for p in (ROOT / app).rglob("*.py") if "migrations" not in p.parts]
    return sorted(files)


def relative(path: Path) -> str:
    return str(path.relative_to(ROOT))


def imported_modules(path: Path) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module))
    return found


def is_request_facing(path: Path) -> bool:
    """Views, APIs, spreadsheets in and out, tasks and the notices they send."""
    parts = path.relative_to(ROOT).parts
    return path.name in ("views.py", "api.py", "tasks.py") or "io" in parts[1:-1]


# --- scoping -----------------------------------------------------------------------------------


def test_the_subtree_is_spelled_only_by_the_scoping_module():
    # core/models.py re-roots a moved unit's subtree by its old path: the tree's own machinery.
    allowed = {"core/scoping.py", "core/models.py"}
    offenders = [
        f"{relative(path)}:{n}"
        for path in sources()
        if relative(path) not in allowed
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if "path__startswith" in line
    ]
    assert offenders == [], "use core.scoping.subtree_q / Model.objects.in_unit"


def scoped_model_names() -> set[str]:
    return {
        model.__name__ for model in apps.get_models() if hasattr(model._default_manager, "for_user")
    }


def test_views_apis_spreadsheets_and_tasks_read_scoped_models_through_scope():
    names = "|".join(sorted(scoped_model_names()))
    unscoped = re.compile(rf"\b({names})\.objects\.(get|filter|exclude)\(")
    offenders = []
    for path in sources(include_core=False):
        if not is_request_facing(path):
            continue
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if unscoped.search(line) and "# unscoped:" not in line:
                offenders.append(f"{relative(path)}:{n}: {line.strip()}")
    assert offenders == [], "use .for_user(user), .in_unit(unit) or a selector"


def test_every_scoped_model_is_covered_by_the_scan():
    # The scan above finds models by their scoped manager: these must be among them.
    expected = {"OrgUnit", "Enterprise", "EnterpriseYear", "TargetPlan", "ReportingPeriod"}
    expected |= {"Submission", "UploadJob", "Snapshot", "Bulletin", "Certificate", "ChangeLog"}
    assert expected <= scoped_model_names()


# --- the spreadsheet toolkit ---------------------------------------------------------------------


def test_only_the_toolkit_touches_spreadsheet_libraries():
    offenders = [
        f"{relative(path)}:{n}: {module}"
        for path in sources()
        if "sheets" not in path.relative_to(ROOT).parts
        for n, module in imported_modules(path)
        if module.split(".")[0] in SPREADSHEET_LIBRARIES
    ]
    assert offenders == [], "read and write through core.sheets"


def _writes_a_value(call: ast.Call) -> bool:
    if not (isinstance(call.func, ast.Attribute) and call.func.attr == "cell"):
        return False
    return len(call.args) >= 3 or any(k.arg == "value" for k in call.keywords)


def test_cells_get_their_values_only_through_the_formula_safe_writer():
    offenders = []
    for path in sources():
        if "sheets" in path.relative_to(ROOT).parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and _writes_a_value(node):
                offenders.append(f"{relative(path)}:{node.lineno}")
            targets = node.targets if isinstance(node, ast.Assign) else []
            for target in targets:
                if isinstance(target, ast.Attribute) and target.attr == "value":
                    offenders.append(f"{relative(path)}:{node.lineno}")
    assert offenders == [], "write cells with core.sheets.put / stream_row"


# --- which app may import which ----------------------------------------------------------------


@pytest.mark.parametrize("app", APPS)
def test_apps_import_only_what_is_below_them(app):
    offenders = [
        f"{relative(path)}:{n}: {module}"
        for path in (ROOT / app).rglob("*.py")
        if "migrations" not in path.parts
        for n, module in imported_modules(path)
        if module.split(".")[0] in {*APPS, "htportal"} - {app} - ALLOWED[app]
    ]
    assert offenders == []


def test_no_app_uses_another_apps_spreadsheet_code():
    offenders = [
        f"{relative(path)}:{n}: {module}"
        for path in sources()
        for n, module in imported_modules(path)
        if module.split(".")[1:2] == ["io"]
        and module.split(".")[0] != path.relative_to(ROOT).parts[0]
    ]
    assert offenders == []


def test_reports_holds_quarterly_reporting_only():
    names = {p.stem for p in (ROOT / "reports").rglob("*.py")}
    assert not names & {"dashboard", "bulletins", "bulletin_views", "snapshots", "notices"}
    templates = {p.name for p in (ROOT / "reports" / "templates").rglob("*.html")}
    assert not any("dashboard" in t or "bulletin" in t for t in templates)
