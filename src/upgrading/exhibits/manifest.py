"""results/manifest.json: SHA256 of every raw input and output, package versions, git commit.

`make verify` rebuilds in a temporary copy and compares every hash listed here
(workflow/scripts/verify.sh). No timestamps go in, so the manifest itself repeats.
"""

from __future__ import annotations

import hashlib
import os
import platform
import re
import subprocess
from importlib import metadata
from pathlib import Path

PACKAGES = ["numpy", "pandas", "pyarrow", "scipy", "pyfixest", "linearmodels", "statsmodels",
            "matplotlib", "snakemake", "pyyaml", "jsonschema", "gb2260", "wildboottest", "upgrading"]
# Never hashed: timing files differ run to run; the manifest cannot hash itself.
EXCLUDE_PARTS = {"benchmarks", ".snakemake", "__pycache__"}
EXCLUDE_NAMES = {"manifest.json", "report.html", "SHA256SUMS.tmp"}


def sha256(path: str | os.PathLike, chunk: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            h.update(block)
    return h.hexdigest()


def _excluded(path: Path) -> bool:
    return (path.name in EXCLUDE_NAMES or path.name.startswith(".")
            or any(part in EXCLUDE_PARTS for part in path.parts))


def collect(paths, root: str | os.PathLike = ".") -> dict[str, str]:
    """{relative posix path: sha256} for files and every file under directories, sorted."""
    root = Path(root).resolve()
    found: dict[str, str] = {}
    for p in paths:
        p = Path(p)
        files = sorted(q for q in p.rglob("*") if q.is_file()) if p.is_dir() else [p]
        for f in files:
            if _excluded(f.relative_to(p) if p.is_dir() else Path(f.name)):
                continue
            if not f.is_file():
                raise FileNotFoundError(f"manifest: {f} does not exist")
            rel = f.resolve().relative_to(root).as_posix() if f.resolve().is_relative_to(root) else f.as_posix()
            found[rel] = sha256(f)
    return dict(sorted(found.items()))


def chain_outputs(trail, targets) -> list[str]:
    """Each target and every file a job upstream of it makes (trail.json, the DAG's jobs), except
    the raw folder (the trail's raw_dir), hashed whole as an input, and the Monte Carlo worlds' raw
    folders (worlds/<world>/<raw_dir>/), which their seeds regenerate."""
    raw = re.compile(rf"(worlds/[^/]+/)?{re.escape(trail.raw_dir.rstrip('/'))}/")
    files = set(targets)
    for target in targets:
        files |= {f for job in trail.upstream(target) for f in job["outputs"]}
    return sorted(f for f in files if not raw.match(f))


def package_versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def tex_version() -> str:
    try:
        first = subprocess.run(["pdflatex", "--version"], capture_output=True, text=True, check=True)
        return first.stdout.splitlines()[0]
    except (OSError, subprocess.CalledProcessError, IndexError):
        return "not found"


def git_state(root: str | os.PathLike = ".") -> dict:
    """Commit and whether the tree differs from it (read-only git calls)."""
    def run(*args):
        return subprocess.run(["git", *args], cwd=root, capture_output=True, text=True)
    head = run("rev-parse", "HEAD")
    commit = head.stdout.strip() if head.returncode == 0 else "none (no commit)"
    status = run("status", "--porcelain", "--untracked-files=no")
    return {"commit": commit, "dirty": bool(status.stdout.strip()) if status.returncode == 0 else None}


def build(inputs, outputs, config_yaml: str = "{}", root: str | os.PathLike = ".") -> dict:
    """The manifest; `config_yaml` is kept verbatim (YAML keeps integer keys JSON would lose)."""
    import json

    import yaml

    config = yaml.safe_load(config_yaml) or {}
    if not isinstance(config, dict):
        raise ValueError("manifest: --config-yaml is not a mapping")
    return {
        "schema": "upgrading-manifest/1",
        "git": git_state(root),
        "packages": package_versions(),
        "tex": tex_version(),
        "config": json.loads(json.dumps(config)),  # readable copy
        "config_yaml": config_yaml,
        "inputs": collect(inputs, root),
        "outputs": collect(outputs, root),
    }


def compare(manifest: dict, root: str | os.PathLike) -> list[str]:
    """Differences between the manifest's hashes and the files under `root` (empty = identical)."""
    root = Path(root)
    problems = []
    for section in ("inputs", "outputs"):
        for rel, digest in manifest.get(section, {}).items():
            f = root / rel
            if not f.is_file():
                problems.append(f"missing: {rel}")
            elif sha256(f) != digest:
                problems.append(f"differs: {rel}")
    return problems
