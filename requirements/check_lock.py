"""Fail if pyproject.toml declares a dependency that its lock file does not pin within range.

requirements/lock.txt pins the runtime dependencies, requirements/lock-test.txt the runtime and
test ones (both with hashes, refreshed by `make lock`). Installing from a lock with
`--require-hashes`, then the project with `--no-deps`, would silently leave out a dependency
added to pyproject.toml since the last refresh: this check says so, and names the command.
Run with the project's virtualenv (it needs `packaging`, installed with the test lock).
"""

import re
import sys
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
LOCKS = {"requirements/lock.txt": (), "requirements/lock-test.txt": ("test",)}
# Markers are evaluated for Python 3.11 on Linux, as CI and production (the locks are universal).
ENVIRONMENT = {"python_version": "3.11", "python_full_version": "3.11.0", "sys_platform": "linux"}


def pins(lock: Path) -> dict[str, str]:
    found = re.findall(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)", lock.read_text(), re.M)
    return {canonicalize_name(name): version for name, version in found}


def problems() -> list[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    found = []
    for lock_path, extras in LOCKS.items():
        lock = ROOT / lock_path
        if not lock.exists():
            found.append(f"{lock_path} is missing")
            continue
        pinned = pins(lock)
        declared = list(project["dependencies"])
        for extra in extras:
            declared += project["optional-dependencies"][extra]
        for line in declared:
            requirement = Requirement(line)
            if requirement.marker and not requirement.marker.evaluate(ENVIRONMENT):
                continue
            version = pinned.get(canonicalize_name(requirement.name))
            if version is None:
                found.append(f"{lock_path}: {requirement.name} is not locked")
            elif not requirement.specifier.contains(version, prereleases=True):
                found.append(f"{lock_path}: {requirement.name}=={version} is not {line}")
    return found


if __name__ == "__main__":
    errors = problems()
    for error in errors:
        sys.stderr.write(f"{error}\n")
    if errors:
        sys.exit("pyproject.toml and the lock files differ: run `make lock`.")
    sys.stdout.write("The lock files pin every dependency of pyproject.toml.\n")
