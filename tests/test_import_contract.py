"""Apps import one way: core ← accounts ← spaces ← bookings ← calls, payments ← reports ← api ←
portal (issue 10). The contract is `[tool.importlinter]` in pyproject.toml; import-linter reads
every import statement, those inside functions included, so a lazy import cannot hide a cycle.
.ci/run runs the same check (`lint-imports`)."""

import subprocess
import sys
import tomllib
from pathlib import Path

from django.conf import settings

BASE_DIR = Path(settings.BASE_DIR)
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _layers() -> set[str]:
    config = tomllib.loads((BASE_DIR / "pyproject.toml").read_text())["tool"]["importlinter"]
    (contract,) = [c for c in config["contracts"] if c["type"] == "layers"]
    return {app.strip() for layer in contract["layers"] for app in layer.split("|")}


def test_apps_import_only_the_apps_below_them():
    result = subprocess.run(  # noqa: S603 (fixed command, the interpreter's own environment)
        [LINT_IMPORTS, "--no-cache", "--no-logo"],
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode == 0, result.stdout + result.stderr


def test_every_app_of_the_project_has_its_layer():
    project_apps = {
        app.split(".")[0] for app in settings.INSTALLED_APPS if (BASE_DIR / app).is_dir()
    }

    assert project_apps == _layers()
