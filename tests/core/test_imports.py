"""Stages meet only through files: no stage package imports another stage package."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "src" / "upgrading"
STAGES = ("asif", "synth", "productivity", "measures", "analysis", "exhibits")
ALLOWED: set[tuple[str, str]] = set()  # (file, module) exceptions: none


def imported_modules(path: Path, package: str) -> list[tuple[int, str]]:
    """(line, absolute module) of every import in `path`, top-level or inside functions;
    relative imports are resolved against the file's package."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = ["upgrading", package][: max(0, 3 - node.level)]
                module = ".".join([*base, *([node.module] if node.module else [])])
            else:
                module = node.module or ""
            # `from upgrading import x` imports the module upgrading.x
            names = [f"{module}.{a.name}" for a in node.names] if module == "upgrading" else [module]
            found += [(node.lineno, m) for m in names]
    return found


def violations(package_dir: Path = PACKAGE) -> list[str]:
    out = []
    for stage in STAGES:
        for path in sorted((package_dir / stage).rglob("*.py")):
            rel = path.relative_to(package_dir).as_posix()
            for line, module in imported_modules(path, stage):
                parts = module.split(".")
                if parts[0] != "upgrading" or (rel, module) in ALLOWED:
                    continue
                if len(parts) == 1 or parts[1] not in ("core", stage):
                    out.append(f"{rel}:{line} imports {module}")
    return out


def test_no_stage_imports_another_stage():
    assert violations() == []


def test_walk_sees_every_kind_of_import(tmp_path):
    stage = tmp_path / "measures"
    stage.mkdir()
    (stage / "m.py").write_text(
        "import upgrading.asif.names\n"
        "from upgrading import synth\n"
        "from upgrading.core import io\n"
        "from . import codebook\n"
        "from .. import analysis\n"
        "def f():\n    from upgrading.exhibits.latex import escape\n")
    assert violations(tmp_path) == [
        "measures/m.py:1 imports upgrading.asif.names",
        "measures/m.py:2 imports upgrading.synth",
        "measures/m.py:5 imports upgrading.analysis",
        "measures/m.py:7 imports upgrading.exhibits.latex",
    ]


@pytest.mark.parametrize("stage", STAGES)
def test_stage_packages_exist(stage):
    assert (PACKAGE / stage / "__init__.py").is_file()
