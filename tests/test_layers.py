"""Inside the package the imports stay readable: no cycles in the vault, no borrowed privates.

Two rules from the design review (its knot 4, ``session <-> vault``):

* **No run-time import cycle inside ``ydsi_tui.vault``.** A lazy import inside a
  function counts: it hides a cycle from the interpreter, not from the reader.
  Imports under ``if TYPE_CHECKING:`` are excluded: they are for the type
  checker only and never run.
* **No module imports an underscore name from another** anywhere in
  ``ydsi_tui``: a name another module needs is public, with a docstring, or
  lives where it is used.
* **No import cycle at import time anywhere in ``ydsi_tui``** (module level,
  functions' bodies excluded). The unlock imports the session's modules in a
  second thread while the key derivation runs (``app/unlocking.py``); Python
  lets two threads importing around a cycle go on with a module half made (its
  names not yet defined). With no cycle, neither can.

Read from the source (``ast``), because lazy imports only run when their
function does; every vault module is also imported, so a module that cannot
load fails here too.
"""

from __future__ import annotations

import ast
import importlib
import pkgutil
from pathlib import Path

import pytest

import ydsi_tui
import ydsi_tui.vault

PACKAGE_ROOT = Path(ydsi_tui.__file__).parent


def _module_name(path: Path, root: Path, top: str) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join([top, *parts])


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(
    tree: ast.AST, *, run_time_only: bool, at_import: bool = False
) -> list[ast.Import | ast.ImportFrom]:
    """Every import statement, at any depth; optionally skipping ``if TYPE_CHECKING:`` bodies
    and (``at_import``) the bodies of functions, which run later if ever."""
    found: list[ast.Import | ast.ImportFrom] = []

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and run_time_only and _is_type_checking(node.test):
            for child in node.orelse:
                visit(child)
            return
        if at_import and isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            return
        if isinstance(node, ast.Import | ast.ImportFrom):
            found.append(node)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found


def _resolve(node: ast.ImportFrom, module: str, is_package: bool) -> str:
    """The absolute module a ``from ... import`` names (relative ones resolved)."""
    if node.level == 0:
        return node.module or ""
    base = module.split(".") if is_package else module.split(".")[:-1]
    if node.level > 1:
        base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, *([node.module] if node.module else [])])


def _sources(root: Path, top: str) -> dict[str, tuple[Path, ast.Module]]:
    return {
        _module_name(path, root, top): (path, ast.parse(path.read_text(), str(path)))
        for path in sorted(root.rglob("*.py"))
    }


def run_time_edges(root: Path, top: str, *, at_import: bool = False) -> dict[str, set[str]]:
    """module -> the modules of the same package it imports when it runs (lazily or not);
    ``at_import``: only while it is imported, with the packages on the way to each."""
    sources = _sources(root, top)
    edges: dict[str, set[str]] = {name: set() for name in sources}
    for name, (path, tree) in sources.items():
        is_package = path.name == "__init__.py"
        for node in _imports(tree, run_time_only=True, at_import=at_import):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            else:
                base = _resolve(node, name, is_package)
                targets = [base]
                # ``from . import enrolment`` imports the module enrolment.
                targets += [f"{base}.{alias.name}" for alias in node.names]
            if at_import:  # importing a.b.c runs a and a.b first
                parts = [t.split(".") for t in targets]
                targets += [".".join(p[:n]) for p in parts for n in range(1, len(p))]
            edges[name] |= {t for t in targets if t in sources and t != name}
    return edges


def find_cycle(edges: dict[str, set[str]]) -> list[str] | None:
    """One import cycle as a path (first module repeated at the end), or None."""
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for target in sorted(edges.get(node, ())):
            if state.get(target) == 1:
                return [*path[path.index(target) :], target]
            if target not in state and (cycle := visit(target)) is not None:
                return cycle
        path.pop()
        state[node] = 2
        return None

    for start in sorted(edges):
        if start not in state and (cycle := visit(start)) is not None:
            return cycle
    return None


def private_imports(root: Path, top: str) -> list[str]:
    """``file:line imports _name from module`` for each underscore name taken from a sibling."""
    found: list[str] = []
    for name, (path, tree) in _sources(root, top).items():
        is_package = path.name == "__init__.py"
        for node in _imports(tree, run_time_only=False):
            if isinstance(node, ast.Import):
                pairs = [(alias.name, alias.name.rsplit(".", 1)[-1]) for alias in node.names]
            else:
                source = _resolve(node, name, is_package)
                pairs = [(source, alias.name) for alias in node.names]
            for source, imported in pairs:
                if not (source == top or source.startswith(f"{top}.")):
                    continue
                private = [
                    part
                    for part in [*source.split("."), imported]
                    if part.startswith("_") and not part.startswith("__")
                ]
                if private:
                    found.append(f"{path}:{node.lineno} imports {imported} from {source}")
    return found


VAULT_MODULES = [
    f"ydsi_tui.vault.{info.name}" for info in pkgutil.iter_modules(ydsi_tui.vault.__path__)
]


@pytest.mark.parametrize("module", VAULT_MODULES)
def test_every_vault_module_imports(module: str) -> None:
    assert importlib.import_module(module).__doc__, f"{module} says what idea it holds"


def test_no_run_time_import_cycle_inside_the_vault() -> None:
    edges = run_time_edges(PACKAGE_ROOT / "vault", "ydsi_tui.vault")
    assert set(VAULT_MODULES) <= set(edges)
    cycle = find_cycle(edges)
    assert cycle is None, "run-time import cycle: " + " -> ".join(cycle or [])


def test_no_import_cycle_at_import_time_in_the_package() -> None:
    edges = run_time_edges(PACKAGE_ROOT, "ydsi_tui", at_import=True)
    assert "ydsi_tui.model.records" in edges["ydsi_tui.model.incident"]  # the graph is read
    assert "ydsi_tui.app.loading" in edges["ydsi_tui.app.unlocking"]
    cycle = find_cycle(edges)
    assert cycle is None, "import cycle at import time: " + " -> ".join(cycle or [])


def test_no_module_imports_an_underscore_name_from_another() -> None:
    assert private_imports(PACKAGE_ROOT, "ydsi_tui") == []


def _package(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / "pkg"
    root.mkdir()
    for name, text in {"__init__.py": "", **files}.items():
        (root / name).write_text(text)
    return root


def test_the_checks_see_a_lazy_cycle_and_a_borrowed_private_but_not_a_type_hint(
    tmp_path: Path,
) -> None:
    """The checks above can fail: a lazy import back is a cycle; a type-only one is not."""
    lazy = _package(
        tmp_path,
        {
            "a.py": "from .b import thing\n",
            "b.py": "def thing():\n    from .a import other\n    from . import _hidden\n",
            "_hidden.py": "",
        },
    )
    assert find_cycle(run_time_edges(lazy, "pkg")) == ["pkg.a", "pkg.b", "pkg.a"]
    assert find_cycle(run_time_edges(lazy, "pkg", at_import=True)) is None  # b's is lazy
    (tmp_path / "eager").mkdir()
    eager = _package(
        tmp_path / "eager",
        {"a.py": "from .b import thing\n", "b.py": "class B:\n    from .a import other\n"},
    )
    assert find_cycle(run_time_edges(eager, "pkg", at_import=True)) == ["pkg.a", "pkg.b", "pkg.a"]
    assert private_imports(lazy, "pkg") == [f"{lazy / 'b.py'}:3 imports _hidden from pkg"]
    typed = tmp_path / "typed"
    typed.mkdir()
    for name, text in {
        "__init__.py": "",
        "a.py": "from .b import thing\n",
        "b.py": (
            "from typing import TYPE_CHECKING\n"
            "if TYPE_CHECKING:\n    from .a import _Other\n"
            "thing = 1\n"
        ),
    }.items():
        (typed / name).write_text(text)
    assert find_cycle(run_time_edges(typed, "typed")) is None
    assert private_imports(typed, "typed") == [f"{typed / 'b.py'}:3 imports _Other from typed.a"]
