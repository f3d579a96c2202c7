"""`snakemake --lint`, failing on every lint except the ones accepted below (each with its reason).

    python workflow/scripts/snakemake_lint.py [SNAKEMAKE [ARGS...]]   (default: `snakemake` on PATH)

Snakemake's linter has no per-rule switch, so `make lint` runs it through this filter: a new rule
without, say, a log file fails the lint, while the choices below stay documented here.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys

# (scope, lint title) -> why it is accepted. Scope: "rule NAME", "snakefile FILE" or "*" (any).
ACCEPTED = {
    ("rule stage_settings", "Migrate long run directives into scripts or notebooks"):
        "it writes one settings file from its param; a script would only wrap those lines",
    ("*", "Specify a conda environment or container for each rule."):
        "every job runs in the one environment locked by uv.lock (.venv), which `make env` builds",
    ("snakefile workflow/rules/trail.smk", "Mixed rules and functions in same snakefile."):
        "the DAG walk of the trail (functions) and the rule writing it are read together",
    ("rule dag_trail", "Migrate long run directives into scripts or notebooks"):
        "the trail is computed from Snakemake's own DAG object, which only a run directive sees",
}

SCOPE = re.compile(r"^Lints for (rule (\S+) \(line \d+, (.+)\)|snakefile (.+)):$")


def findings(text: str, root: str) -> list[tuple[str, str]]:
    out, scope = [], ""
    for line in text.splitlines():
        m = SCOPE.match(line)
        if m:
            scope = f"rule {m.group(2)}" if m.group(2) else "snakefile " + m.group(4).removeprefix(root)
        elif line.startswith("    * "):
            out.append((scope, line[6:].strip().rstrip(":")))
    return out


def main(argv: list[str]) -> int:
    snakemake, *args = argv or ["snakemake"]
    proc = subprocess.run([snakemake, "--lint", *args], capture_output=True, text=True)
    text = proc.stdout + proc.stderr
    root = os.getcwd() + os.sep
    found = findings(text, root)
    if proc.returncode != 0 and not found:
        print(text, file=sys.stderr)
        return proc.returncode
    left = [(s, t) for s, t in found if (s, t) not in ACCEPTED and ("*", t) not in ACCEPTED]
    for scope, title in left:
        print(f"snakemake --lint: {scope}: {title}", file=sys.stderr)
    print(f"snakemake --lint: {len(found)} lints, {len(found) - len(left)} accepted "
          f"(workflow/scripts/snakemake_lint.py), {len(left)} to fix")
    return 1 if left else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
