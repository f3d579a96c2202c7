"""Snakemake, with every job's `benchmark:` sampled every half second for the whole job.

    python workflow/scripts/snakemake_sampled.py SNAKEMAKE_ARGS...   (what bench_dag.py runs)

Snakemake samples a job's process tree every 0.5 s for its first 15 s and every 30 s after that,
and writes what the last sample saw: a job of 40 s reports the CPU time it had used by 15 s and
the largest memory seen by then, so both fall short for every job longer than 15 s (measured:
productivity at full scale, 37.6 s wall, was written as 14.2 s CPU). Here every sample is
0.5 s apart; the CPU time of a job's last half second, a peak shorter than half a second and a
child process that lives less than that are still missed. Snakemake itself is
unchanged: only the default interval of `snakemake.benchmark.benchmarked` is set before its
command line runs.
"""

from __future__ import annotations

import inspect
import sys

SAMPLE_EVERY_S = 0.5


def sample_every(seconds: float) -> None:
    """Make `seconds` the default sampling interval of Snakemake's job benchmarks."""
    from snakemake import benchmark

    # `benchmarked` is a contextmanager: its defaults live on the function it wraps. Snakemake's
    # executors call it without an interval, so the default is the interval of every job.
    func = benchmark.benchmarked.__wrapped__
    params = list(inspect.signature(func).parameters)
    defaults = func.__defaults__ or ()
    if params != ["pid", "benchmark_record", "interval"] or defaults[-1:] != (benchmark.BENCHMARK_INTERVAL,):
        raise RuntimeError(f"snakemake.benchmark.benchmarked takes {params} with defaults {defaults}, not (pid, "
                           "benchmark_record, interval=BENCHMARK_INTERVAL): this Snakemake samples jobs "
                           "differently; update " + __file__)
    func.__defaults__ = (*defaults[:-1], seconds)


if __name__ == "__main__":
    sample_every(SAMPLE_EVERY_S)
    from snakemake.cli import main

    sys.exit(main())
