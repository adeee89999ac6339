"""The kit's house rules, checked on its source: modules import each other one way, every
third-party package it imports is a declared dependency, no book-specific text in Python."""

from __future__ import annotations

import ast
import importlib.metadata
import re
import sys
import tomllib
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src"
PACKAGE = SRC / "talkbook"
PYPROJECT = SRC.parent / "pyproject.toml"


def modules() -> dict[str, Path]:
    out = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(SRC).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


def imports(path: Path, module: str, is_pkg: bool) -> set[str]:
    """Every module ``path`` imports, in functions and under TYPE_CHECKING too."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".") if is_pkg else module.split(".")[:-1]
                base = base[: len(base) - node.level + 1]
                name = ".".join(base + ([node.module] if node.module else []))
                found.add(name)
                found.update(f"{name}.{a.name}" for a in node.names)
            else:
                found.add(node.module or "")
    return found


def test_no_import_cycles() -> None:
    mods = modules()
    edges: dict[str, set[str]] = {m: set() for m in mods}
    for mod, path in mods.items():
        for name in imports(path, mod, path.name == "__init__.py"):
            while name and name not in mods:
                name = name.rpartition(".")[0]
            if name and name != mod and not mod.startswith(name + "."):
                edges[mod].add(name)
    # Tarjan's strongly connected components: any with two or more modules is a cycle
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in edges[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                cycles.append(sorted(comp))

    sys.setrecursionlimit(10_000)
    for v in sorted(edges):
        if v not in index:
            visit(v)
    assert not cycles, cycles


def test_every_imported_package_is_a_declared_dependency() -> None:
    """The wheel's metadata names every third-party package the kit imports."""
    declared = {
        re.split(r"[<>=!~\[ ;]", dep, maxsplit=1)[0].lower().replace("_", "-")
        for dep in tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["project"]["dependencies"]
    }
    by_module = importlib.metadata.packages_distributions()
    missing = {}
    for mod, path in modules().items():
        for name in imports(path, mod, path.name == "__init__.py"):
            top = name.split(".")[0]
            if not top or top == "talkbook" or top in sys.stdlib_module_names:
                continue
            dists = {d.lower().replace("_", "-") for d in by_module.get(top, [top])}
            if not dists & declared:
                missing.setdefault(top, []).append(mod)
    assert not missing, f"imported but not in pyproject.toml dependencies: {missing}"


def test_no_korean_text_in_python() -> None:
    """UI text comes from message catalogues; the Korean analyser's data is the exception."""
    hangul = re.compile(r"[\uac00-\ud7a3]")
    allowed = {
        "talkbook.search",
        "talkbook.search.engine",
        "talkbook.search.korean",
        "talkbook.search.stemmer_js",
    }
    found = []
    for mod, path in modules().items():
        if mod in allowed:
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if hangul.search(line):
                found.append(f"{path.relative_to(SRC)}:{number}: {line.strip()[:60]}")
    assert not found, found
