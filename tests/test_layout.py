"""The layout a newcomer can rely on, read from the source's imports (no code runs).

- No module takes part in an import cycle.
- The product never imports the tools (the load tool, the bench, ops).
- The packages depend on each other in one direction: core (the shared code) <- accounts <-
  channels_app <- chat <- wallets <- config (settings and wiring: it imports the apps, as a
  Django project does, and nothing imports it).
- No code reaches into another object's private attributes (`x._name`); its own (`self._name`)
  and its base class's (`super()._name`) are its own business.
"""

import ast
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PRODUCT = ("config", "core", "accounts", "channels_app", "chat", "wallets")
TOOLS = ("loadtest", "bench", "ops")
LAYERS = {"core": 0, "accounts": 1, "channels_app": 2, "chat": 3, "wallets": 4, "config": 5}


def _modules() -> dict[str, ast.Module]:
    found = {}
    for package in (*PRODUCT, *TOOLS):
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            name = ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
            found[name] = ast.parse(path.read_text(), filename=str(path))
    return found


MODULES = _modules()


def _imports(tree: ast.Module) -> set[str]:
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return {name for name in names if name in MODULES}


GRAPH = {name: _imports(tree) - {name} for name, tree in MODULES.items()}


def _is_test(name: str) -> bool:
    return ".tests" in name or name.startswith("tests")


def test_no_module_takes_part_in_an_import_cycle():
    cycles, done = [], set()

    def visit(name: str, path: list[str]) -> None:
        if name in path:
            cycles.append(path[path.index(name) :] + [name])
            return
        if name in done:
            return
        for imported in sorted(GRAPH[name]):
            visit(imported, [*path, name])
        done.add(name)

    for name in sorted(GRAPH):
        visit(name, [])
    assert cycles == []


def _package(name: str) -> str:
    return name.split(".")[0]


def _product_imports() -> set[tuple[str, str]]:
    """(importer, imported) for every import in the product's code, its tests left out."""
    return {
        (name, imported)
        for name, imports in GRAPH.items()
        if _package(name) in PRODUCT and not _is_test(name)
        for imported in imports
    }


def test_the_product_never_imports_the_tools():
    assert {(name, imported) for name, imported in _product_imports() if _package(imported) in TOOLS} == set()


def test_the_apps_depend_on_each_other_in_one_direction():
    offenders = {
        (name, imported)
        for name, imported in _product_imports()
        if _package(imported) in LAYERS and LAYERS[_package(imported)] > LAYERS[_package(name)]
    }
    assert offenders == set()


def test_no_code_reaches_into_another_objects_private_attributes():
    reaches = defaultdict(list)
    for name, tree in MODULES.items():
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Attribute) and node.attr.startswith("_") and not node.attr.startswith("__")):
                continue
            owner = node.value
            if isinstance(owner, ast.Name) and owner.id in ("self", "cls"):
                continue
            if isinstance(owner, ast.Call) and isinstance(owner.func, ast.Name) and owner.func.id == "super":
                continue
            reaches[name].append(f"{ast.unparse(node)} (line {node.lineno})")
    assert dict(reaches) == {}
