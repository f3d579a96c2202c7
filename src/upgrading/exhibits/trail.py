"""The audit trail: from an exhibit, a table cell, a figure or a quoted number back to the raw files.

RESULTS/trail.json is written by the `dag_trail` rule from Snakemake's own resolution of the
DAG (every job's rule, wildcards, program, settings, inputs, outputs). This module walks it:
which job made a file, which jobs lie upstream of it, and which raw files it rests on.
"""

from __future__ import annotations

import difflib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from upgrading.core.errors import InputError


@dataclass(frozen=True)
class Trail:
    jobs: list[dict]
    sources: list[str]
    raw_dir: str
    results_dir: str
    by_output: dict[str, dict] = field(default_factory=dict)

    @classmethod
    def from_json(cls, text: str, source: str = "trail.json") -> Trail:
        try:
            d = json.loads(text)
            jobs = d["jobs"]
            by_output = {o: j for j in jobs for o in j["outputs"]}
            return cls(jobs, d["sources"], d["raw_dir"], d["results_dir"], by_output)
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise InputError(f"not a trail file: {exc}", file=source) from exc

    @classmethod
    def read(cls, path: str | Path) -> Trail:
        p = Path(path)
        if not p.is_file():
            raise InputError("no trail: build it with `snakemake results/trail.json` (make reproduce "
                             "makes it)", file=str(p))
        return cls.from_json(p.read_text(encoding="utf-8"), str(p))

    def producer(self, path: str) -> dict | None:
        return self.by_output.get(path)

    def is_raw(self, path: str) -> bool:
        """A raw file: in the raw folder (licensed or synthesized ASIF layout) or made by no rule."""
        return path.startswith(self.raw_dir.rstrip("/") + "/") or path not in self.by_output

    def upstream(self, path: str) -> list[dict]:
        """Jobs that `path` depends on, breadth first from its own job (each job once)."""
        out, seen, todo = [], set(), [path]
        while todo:
            nxt = []
            for f in todo:
                job = self.producer(f)
                if job is None or id(job) in seen:
                    continue
                seen.add(id(job))
                out.append(job)
                nxt.extend(job["inputs"])
            todo = nxt
        return out

    def raw_files(self, path: str) -> list[str]:
        """Raw files `path` rests on: raw-folder files and files no rule makes (configs, paper source)."""
        files = {path} if self.is_raw(path) else set()
        for job in self.upstream(path):
            files |= {f for f in job["inputs"] if self.is_raw(f)}
        return sorted(files)


def job_label(job: dict) -> str:
    wc = ",".join(f"{k}={v}" for k, v in job["wildcards"].items())
    return f"{job['rule']}[{wc}]" if wc else job["rule"]


def chain_text(trail: Trail, path: str) -> str:
    """The chain of `path` as an indented tree: each file, the job that made it (rule, program,
    settings) and that job's inputs, down to the raw files. Shared subtrees are printed once."""
    lines: list[str] = []
    shown: set[str] = set()

    def walk(f: str, depth: int) -> None:
        pad = "  " * depth
        job = trail.producer(f)
        raw = trail.is_raw(f)
        in_raw_dir = f.startswith(trail.raw_dir.rstrip("/") + "/")
        if job is None:  # made by no rule; a chain goes on through the rules that write the synthetic world
            lines.append(f"{pad}{f}  [{'raw data' if in_raw_dir else 'source file, made by no rule'}]")
            return
        tag = f"  [raw data, written by rule {job['rule']}]" if raw else ""
        key = job_label(job)
        if key in shown:
            lines.append(f"{pad}{f}{tag}  <- {key} (above)")
            return
        shown.add(key)
        lines.append(f"{pad}{f}{tag}")
        settings = ", ".join(job["settings"]) or "-"
        lines.append(f"{pad}  <- rule {key}: {job['program']}; settings (params): {settings}")
        for g in job["inputs"]:
            walk(g, depth + 2)
        if not job["inputs"]:
            lines.append(f"{pad}    (no file inputs: everything comes from the settings)")

    walk(path, 0)
    raws = trail.raw_files(path)
    lines.append(f"raw files ({len(raws)}): " + "; ".join(raws))
    return "\n".join(lines)


def chain_columns(trail: Trail, path: str) -> dict[str, str]:
    """Columns of the exhibit map for one output: its job, inputs, upstream jobs and raw files."""
    job = trail.producer(path)
    if job is None:
        raise InputError(f"no job of the DAG makes {path}", file="trail.json")
    ups = trail.upstream(path)
    return {
        "rule": job_label(job),
        "program": job["program"],
        "settings": ", ".join(job["settings"]),
        "inputs": ";".join(job["inputs"]),
        "upstream": " <- ".join(job_label(j) for j in ups),
        "raw_inputs": ";".join(trail.raw_files(path)),
    }


_MACRO_RE = re.compile(r"^\\newcommand\{\\([A-Za-z]+)\}\{(.*)\}%\s*source:\s*(.+)$")


def number_source(numbers_tex: str, name: str) -> tuple[str, str, str]:
    """(value, source file, what in the file) of macro `name` from numbers.tex's source comments."""
    name = name.lstrip("\\")
    for line in numbers_tex.splitlines():
        m = _MACRO_RE.match(line)
        if m and m.group(1) == name:
            file, _, what = m.group(3).partition(": ")
            return m.group(2), file.strip(), what.strip()
    known = [m.group(1) for m in map(_MACRO_RE.match, numbers_tex.splitlines()) if m]
    near = difflib.get_close_matches(name, known, n=3)
    hint = f" (did you mean {', '.join(near)}?)" if near else ""
    raise InputError(f"no macro \\{name} in numbers.tex{hint}", file="numbers.tex")
