"""Which modules of the package a chapter's code imports, and a digest of their code.

Used by the GPU chapters (tools.gpu: has the package changed since the CUDA
run?) and by the build (book/_ext/book_deps.py: re-execute a chapter whose
imported package code changed). Imports are followed transitively through the
package's own modules: a chapter that imports ``blitz.data`` also depends on
``blitz._cache``, which ``blitz.data`` imports. A digest covers a module's
code only: it is taken over the syntax tree without docstrings, so editing a
comment, a docstring or blank lines never calls for a new run.
"""
from __future__ import annotations

import ast
import hashlib
from pathlib import Path

#: The reader's package, whose modules chapters import.
PACKAGE_DIR = Path(__file__).resolve().parents[1] / "code" / "blitz"


def _parse_cell(code: str) -> ast.Module:
    """Parse a code cell, skipping IPython magics and shell lines (``%``, ``!``)."""
    lines = [line for line in code.splitlines() if not line.lstrip().startswith(("%", "!"))]
    return ast.parse("\n".join(lines))


def imported(code: str, package: str, here: str | None = None) -> set[str]:
    """Names of the modules of ``package`` that ``code`` imports, and candidate submodules.

    ``here`` is the dotted name of the package a module's ``code`` belongs to (for relative
    imports); None for a notebook cell.
    ``from pkg import x`` yields ``pkg`` and ``pkg.x`` (``x`` may be a module or a name).
    """
    found: set[str] = set()
    tree = ast.parse(code) if here else _parse_cell(code)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level and here:
                parent = here.split(".")[: len(here.split(".")) - node.level + 1]
                base = ".".join(parent + ([base] if base else []))
            if base:
                found.add(base)
                found.update(f"{base}.{a.name}" for a in node.names)
    return {name for name in found if name.split(".")[0] == package}


def _file(name: str, package_dir: Path) -> Path | None:
    """``pkg.sub.mod`` -> its file under ``package_dir``, or None (not a module)."""
    sub = package_dir.joinpath(*name.split(".")[1:])
    for f in (sub / "__init__.py", sub.with_suffix(".py")):
        if f.is_file():
            return f
    return None


def modules(codes: list[str], package_dir: Path = PACKAGE_DIR) -> dict[str, Path]:
    """Every module of the package the code cells import, transitively: name -> file, sorted.

    Importing ``pkg.a.b`` runs ``pkg/__init__.py`` and ``pkg/a/__init__.py`` too, so
    every parent package counts.
    """
    package = package_dir.name
    found: dict[str, Path] = {}
    todo = set().union(*(imported(c, package) for c in codes))
    while todo:
        parts = todo.pop().split(".")
        for depth in range(1, len(parts) + 1):
            name = ".".join(parts[:depth])
            f = _file(name, package_dir)
            if f is not None and name not in found:
                found[name] = f
                here = name if f.name == "__init__.py" else name.rpartition(".")[0]
                todo |= imported(f.read_text(encoding="utf-8"), package, here)
    return dict(sorted(found.items()))


def _strip_docstrings(tree: ast.AST) -> ast.AST:
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
                    and isinstance(body[0].value.value, str):
                node.body = body[1:]
    return tree


def digest(path: Path) -> str:
    """SHA-256 of a module's code, ignoring comments, docstrings and layout."""
    tree = _strip_docstrings(ast.parse(path.read_text(encoding="utf-8")))
    return hashlib.sha256(ast.dump(tree).encode()).hexdigest()


def digests(codes: list[str], package_dir: Path = PACKAGE_DIR) -> dict[str, str]:
    """Digest of every package module the code cells import (name -> digest)."""
    return {name: digest(f) for name, f in modules(codes, package_dir).items()}


def combined(module_digests: dict[str, str]) -> str:
    """One SHA-256 over a ``digests`` mapping (which modules, and their code)."""
    text = "".join(f"{name} {d}\n" for name, d in sorted(module_digests.items()))
    return hashlib.sha256(text.encode()).hexdigest()


def changed(old: dict[str, str], new: dict[str, str]) -> list[str]:
    """Modules added, removed or edited between two ``digests`` mappings."""
    return sorted(name for name in old.keys() | new.keys() if old.get(name) != new.get(name))
