"""One entry point, `upgrading <step> ...`, for every rule of the DAG.

Each step lives in its own module and parses its own arguments, so a stage can
be changed without touching the others. Modules are imported only when their
step runs: `upgrading ingest` never pays for importing pyfixest.
"""

from __future__ import annotations

import importlib
import os
import sys

# step -> "module:function"; the function takes the remaining argv and returns an exit code.
STEPS: dict[str, str] = {
    "synthesize": "upgrading.synth.cli:main",
    "ingest": "upgrading.asif.cli:ingest_main",
    "inspect-raw": "upgrading.asif.cli:inspect_main",
    "link": "upgrading.asif.cli:link_main",
    "link-truth": "upgrading.asif.cli:link_truth_main",
    "clean": "upgrading.asif.cli:clean_main",
    "productivity": "upgrading.productivity.cli:main",
    "production-tables": "upgrading.exhibits.production:main",
    "measures": "upgrading.measures.cli:main",
    "estimate": "upgrading.analysis.cli:estimate_main",
    "crosscheck": "upgrading.analysis.cli:crosscheck_main",
    "validate": "upgrading.analysis.cli:validate_main",
    "validate-capital": "upgrading.analysis.cli:validate_capital_main",
    "montecarlo": "upgrading.analysis.cli:montecarlo_main",
    "montecarlo-aggregate": "upgrading.analysis.cli:montecarlo_aggregate_main",
    "montecarlo-report": "upgrading.analysis.cli:montecarlo_report_main",
    "table": "upgrading.exhibits.cli:table_main",
    "figures": "upgrading.exhibits.cli:figures_main",
    "numbers": "upgrading.exhibits.cli:numbers_main",
    "exhibit-map": "upgrading.exhibits.cli:exhibit_map_main",
    "specs-appendix": "upgrading.exhibits.cli:specs_appendix_main",
    "coverage-table": "upgrading.exhibits.cli:coverage_table_main",
    "summary-stats": "upgrading.exhibits.cli:summary_stats_main",
    "manifest": "upgrading.exhibits.cli:manifest_main",
    "audit": "upgrading.exhibits.cli:audit_main",
}


# Steps that make and free column-sized arrays over and over keep freed memory in the heap for
# reuse (upgrading.core.memory; synthesize sets it for its replication worlds alone). Not link and
# clean, which are slower with it, and not the world's own synthesis, whose peak it takes past
# 3 GB at full scale (docs/benchmarks.md).
KEEP_FREED_MEMORY = {"crosscheck", "estimate", "ingest", "measures", "productivity", "validate-capital"}


def _usage() -> str:
    return "usage: upgrading <step> [options]\nsteps: " + ", ".join(sorted(STEPS))


def _fix_hash_seed() -> None:
    """Re-run this command with PYTHONHASHSEED=0 unless it is already set.

    pyfixest orders variables through Python sets in multiple estimation, so the last digits
    of estimates depended on the per-process hash seed; a fixed seed gives the same bytes from
    any caller (make, Snakemake, SLURM, a shell).
    """
    if os.environ.get("PYTHONHASHSEED") != "0":
        env = {**os.environ, "PYTHONHASHSEED": "0"}
        os.execve(sys.executable, [sys.executable, "-m", "upgrading", *sys.argv[1:]], env)


def main(argv: list[str] | None = None) -> int:
    if argv is None:
        _fix_hash_seed()
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in {"-h", "--help"}:
        print(_usage())
        return 0 if argv else 2
    step, rest = argv[0], argv[1:]
    if step not in STEPS:
        print(f"upgrading: unknown step {step!r}\n{_usage()}", file=sys.stderr)
        return 2
    if step in KEEP_FREED_MEMORY:
        from upgrading.core.memory import keep_freed_memory

        keep_freed_memory()
    module_name, func_name = STEPS[step].split(":")
    func = getattr(importlib.import_module(module_name), func_name)
    return int(func(rest) or 0)


if __name__ == "__main__":
    sys.exit(main())
