"""The load tool runs on an install of requirements.txt alone (README: `python -m loadtest`)."""

import json
import re
import subprocess
import sys
from importlib import metadata

from packaging.requirements import Requirement

from chat.tests.live import ROOT

# A fresh interpreter in which only the given distributions (and the standard library) can be
# imported, as on a machine where `pip install -r requirements.txt` is all that ran: every
# module of the tool must import there, and `python -m loadtest --help` must work.
_ONLY_THESE_DISTRIBUTIONS = """
import importlib, json, pkgutil, runpy, sys
from importlib import metadata

allowed = set(json.loads(sys.argv[1]))
providers = metadata.packages_distributions()

class NotInstalled:
    def find_spec(self, name, path=None, target=None):
        dists = {dist.lower().replace("_", "-") for dist in providers.get(name.split(".")[0], [])}
        if dists and not dists & allowed:
            raise ModuleNotFoundError(f"No module named {name!r} (not installed by requirements.txt)", name=name)
        return None

sys.meta_path.insert(0, NotInstalled())
import loadtest
for module in pkgutil.walk_packages(loadtest.__path__, "loadtest."):
    if ".tests" not in module.name and module.name != "loadtest.__main__":
        importlib.import_module(module.name)
sys.argv = ["loadtest", "--help"]
runpy.run_module("loadtest", run_name="__main__")
"""


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _installed_by(requirements_file) -> set[str]:
    """The pinned distributions of the file and everything they depend on (with the extras asked for)."""
    wanted = []
    for line in requirements_file.read_text().splitlines():
        line = line.split("#")[0].strip()
        if line and not line.startswith("-"):
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


def test_the_load_tool_runs_with_only_requirements_txt_installed():
    allowed = sorted(_installed_by(ROOT / "requirements.txt"))
    result = subprocess.run(
        [sys.executable, "-c", _ONLY_THESE_DISTRIBUTIONS, json.dumps(allowed)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "--users" in result.stdout
