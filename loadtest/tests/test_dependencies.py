"""Who needs which requirements file: the load tool runs on an install of requirements-load.txt alone
(README: `bin/setup requirements-load.txt`, `python -m loadtest`), and the product, as its image
installs it, on requirements.txt alone, without the tool's packages."""

import json
import re
import subprocess
import sys
from importlib import metadata

from packaging.requirements import Requirement

from chat.tests.live import ROOT

# A fresh interpreter in which only the given distributions (and the standard library) can be
# imported, as on a machine where `pip install -r <file>` is all that ran.
_ONLY_THESE_DISTRIBUTIONS = """
import importlib, json, os, pkgutil, re, runpy, sys
from importlib import metadata

allowed = set(json.loads(sys.argv[1]))
providers = metadata.packages_distributions()

class NotInstalled:
    def find_spec(self, name, path=None, target=None):
        dists = {re.sub(r"[-_.]+", "-", dist).lower() for dist in providers.get(name.split(".")[0], [])}
        if dists and not dists & allowed:
            raise ModuleNotFoundError(f"No module named {name!r} (not in the requirements file)", name=name)
        return None

sys.meta_path.insert(0, NotInstalled())
"""

# Every module of the tool imports, and `python -m loadtest --help` works.
_THE_LOAD_TOOL = """
import loadtest
for module in pkgutil.walk_packages(loadtest.__path__, "loadtest."):
    if ".tests" not in module.name and module.name != "loadtest.__main__":
        importlib.import_module(module.name)
sys.argv = ["loadtest", "--help"]
runpy.run_module("loadtest", run_name="__main__")
"""

# Every module of the product imports under the embedded defaults (no service needed to import).
_THE_PRODUCT = """
os.environ.update(DJANGO_SETTINGS_MODULE="config.settings", DJANGO_DEBUG="1")
for variable in ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "MONGO_URL"):
    os.environ.pop(variable, None)
import django
django.setup()
for package in ("core", "config", "accounts", "channels_app", "chat", "wallets"):
    root = importlib.import_module(package)
    for module in pkgutil.walk_packages(root.__path__, package + "."):
        if ".tests" not in module.name and ".migrations" not in module.name:
            importlib.import_module(module.name)
print("imported")
"""


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _installed_by(requirements_file) -> set[str]:
    """The pinned distributions of the file and everything they depend on (with the extras asked for)."""
    wanted = []
    for line in requirements_file.read_text().splitlines():
        line = line.split("#")[0].strip()
        if line.startswith("-r "):
            wanted.extend(Requirement(name) for name in _installed_by(requirements_file.parent / line[3:].strip()))
        elif line and not line.startswith("-"):
            wanted.append(Requirement(line))
    seen: set[str] = set()
    while wanted:
        requirement = wanted.pop()
        name = _canonical(requirement.name)
        if name in seen:
            continue
        seen.add(name)
        for dependency in metadata.requires(requirement.name) or []:
            dependency = Requirement(dependency)
            extras = requirement.extras or {""}
            if dependency.marker is None or any(dependency.marker.evaluate({"extra": extra}) for extra in extras):
                wanted.append(dependency)
    return seen


def _run_with_only(requirements: str, script: str) -> subprocess.CompletedProcess:
    allowed = sorted(_installed_by(ROOT / requirements))
    return subprocess.run(
        [sys.executable, "-c", _ONLY_THESE_DISTRIBUTIONS + script, json.dumps(allowed)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_load_tool_runs_with_only_requirements_load_txt_installed():
    result = _run_with_only("requirements-load.txt", _THE_LOAD_TOOL)
    assert result.returncode == 0, result.stderr
    assert "--users" in result.stdout


def test_the_product_imports_with_only_requirements_txt_installed():
    result = _run_with_only("requirements.txt", _THE_PRODUCT)
    assert result.returncode == 0, result.stderr
    assert "imported" in result.stdout


def test_the_product_does_not_install_the_load_tools_packages():
    tool_only = _installed_by(ROOT / "requirements-load.txt") - _installed_by(ROOT / "requirements.txt")
    assert {"httpx", "matplotlib"} <= tool_only
