"""A Snakemake start stays light: every `make reproduce`, even one with nothing to do, pays for
the imports of Snakemake itself and of the rules' parse-time code.

- The SLURM executor plugin is the `slurm` extra, not a dependency: Snakemake imports every
  installed executor plugin at start-up, and that one imports pandas.
- Parsing the workflow (Snakefile and workflow/rules/*.smk) imports no pandas, pyarrow, scipy or
  matplotlib. (numpy is not checked: Snakemake's profile reader, yte, imports it when installed.)
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
HEAVY = ("pandas", "pyarrow", "scipy", "matplotlib")

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


def test_slurm_executor_plugin_is_the_slurm_extra():
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert not [d for d in project["dependencies"] if d.startswith("snakemake-executor-plugin")]
    assert any(d.startswith("snakemake-executor-plugin-slurm") for d in project["optional-dependencies"]["slurm"])


def test_parsing_the_workflow_imports_no_pandas(tmp_path):
    if importlib.util.find_spec("snakemake_executor_plugin_slurm") is not None:
        pytest.skip("the slurm extra is installed (make env PROFILE=slurm): its plugin imports pandas at every start")
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    result = subprocess.run([sys.executable, "-c", PARSE_AND_REPORT], cwd=REPO, env=env,
                            capture_output=True, text=True, timeout=300)
    report = [line.split() for line in result.stdout.splitlines() if line.startswith("HEAVY ")]
    assert report, f"no report (exit {result.returncode}):\n{result.stdout[-2000:]}\n{result.stderr[-3000:]}"
    _, code, *heavy = report[-1]
    assert code in ("0", "None"), f"snakemake --list-rules failed:\n{result.stderr[-3000:]}"
    assert not heavy, f"a Snakemake start imports {heavy}: keep them out of the rules' parse-time imports"
