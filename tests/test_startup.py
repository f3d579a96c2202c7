"""A Snakemake start stays light: every `make reproduce`, even one with nothing to do, pays for
the imports of Snakemake itself and of the rules' parse-time code.

- Snakemake runs from its own environment (.venv-snakemake, workflow/envs/snakemake), which holds
  no pandas or numpy: Snakemake imports both at each start whenever they are installed next to it.
- The SLURM executor plugin is that environment's `slurm` extra, not a dependency: Snakemake
  imports every installed executor plugin at start-up, and that one imports pandas.
- Parsing the workflow (Snakefile and workflow/rules/*.smk) works in that environment, so the
  rules' parse-time code imports no pandas, pyarrow, scipy or matplotlib.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from dag_support import SNAKEMAKE

REPO = Path(__file__).resolve().parents[1]
HEAVY = ("pandas", "pyarrow", "scipy", "matplotlib")
SNAKEMAKE_PYTHON = SNAKEMAKE.with_name("python")

# Parses the workflow as `snakemake --list-rules` does, then names the heavy modules it imported.
PARSE_AND_REPORT = f"""
import sys
from snakemake.cli import main
sys.argv = ["snakemake", "--list-rules", "--quiet", "all"]
try:
    main()
except SystemExit as exc:
    code = exc.code
else:
    code = 0
print("HEAVY", code, *sorted(m for m in {HEAVY!r} if m in sys.modules))
"""


def _project(path: Path) -> dict:
    return tomllib.loads(path.read_text(encoding="utf-8"))


def installed(python: Path, modules: tuple[str, ...]) -> list[str]:
    """Which of `modules` the environment of `python` can import."""
    probe = f"import importlib.util; print(*[m for m in {modules!r} if importlib.util.find_spec(m)])"
    result = subprocess.run([str(python), "-c", probe], capture_output=True, text=True, timeout=60, check=True)
    return result.stdout.split()


@pytest.fixture(scope="module")
def local_snakemake_env():
    """The Snakemake environment as `make env` builds it without PROFILE=slurm."""
    if not SNAKEMAKE_PYTHON.exists():
        pytest.fail(f"{SNAKEMAKE_PYTHON} is missing: `make env` builds it")
    if installed(SNAKEMAKE_PYTHON, ("snakemake_executor_plugin_slurm",)):
        pytest.skip("the slurm extra is installed (make env PROFILE=slurm): its plugin needs pandas")


def test_snakemake_environment_is_a_workspace_member_with_the_slurm_extra():
    root = _project(REPO / "pyproject.toml")
    member = _project(REPO / "workflow" / "envs" / "snakemake" / "pyproject.toml")
    assert root["tool"]["uv"]["workspace"]["members"] == ["workflow/envs/snakemake"]
    assert not [d for d in root["project"]["dependencies"] if d.startswith("snakemake-executor-plugin")]
    assert not [d for d in member["project"]["dependencies"] if d.startswith(("snakemake-executor-plugin", "pandas", "numpy"))]
    assert any(d.startswith("snakemake-executor-plugin-slurm") for d in member["project"]["optional-dependencies"]["slurm"])


def test_snakemake_environment_holds_no_analysis_stack(local_snakemake_env):
    assert installed(SNAKEMAKE_PYTHON, ("snakemake", "jsonschema", "yaml")) == ["snakemake", "jsonschema", "yaml"]
    assert installed(SNAKEMAKE_PYTHON, ("numpy", *HEAVY, "upgrading")) == []


def test_parsing_the_workflow_imports_no_pandas(local_snakemake_env):
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    result = subprocess.run([str(SNAKEMAKE_PYTHON), "-c", PARSE_AND_REPORT], cwd=REPO, env=env,
                            capture_output=True, text=True, timeout=300)
    report = [line.split() for line in result.stdout.splitlines() if line.startswith("HEAVY ")]
    assert report, f"no report (exit {result.returncode}):\n{result.stdout[-2000:]}\n{result.stderr[-3000:]}"
    _, code, *heavy = report[-1]
    assert code in ("0", "None"), f"snakemake --list-rules failed:\n{result.stderr[-3000:]}"
    assert not heavy, f"a Snakemake start imports {heavy}: keep them out of the rules' parse-time imports"


def test_make_reproduce_runs_the_snakemake_environment():
    result = subprocess.run(["make", "-n", "reproduce"], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr[-2000:]
    assert ".venv-snakemake/bin/snakemake --workflow-profile profiles/default" in result.stdout, result.stdout[-2000:]
