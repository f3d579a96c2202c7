"""Expected run times from the last build's benchmarks: a Markdown table for the README.

Snakemake writes one benchmark file per job (results/benchmarks/<rule>.tsv or
<rule>/<wildcards>.tsv: wall seconds `s`, `cpu_time`, peak memory `max_rss` in MB).
This sums them by rule, so the README's run times come from a measured build, not
from memory. Usage: .venv/bin/python workflow/scripts/run_times.py [results/benchmarks]
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd


def summary(bench_dir: Path) -> pd.DataFrame:
    rows = []
    for path in sorted(bench_dir.rglob("*.tsv")):
        rel = path.relative_to(bench_dir)
        rule = rel.parts[0].removesuffix(".tsv")
        b = pd.read_csv(path, sep="\t")
        rows.append({"rule": rule, "wall_s": b["s"].iloc[-1], "cpu_s": b["cpu_time"].iloc[-1],
                     "max_rss_mb": b["max_rss"].iloc[-1]})
    if not rows:
        raise SystemExit(f"no benchmark files under {bench_dir}: run the DAG first")
    df = pd.DataFrame(rows)
    out = df.groupby("rule", sort=False).agg(jobs=("wall_s", "size"), wall_s=("wall_s", "sum"),
                                             max_job_wall_s=("wall_s", "max"), cpu_s=("cpu_s", "sum"),
                                             max_rss_mb=("max_rss_mb", "max"))
    total = pd.DataFrame([{"jobs": out["jobs"].sum(), "wall_s": out["wall_s"].sum(),
                           "max_job_wall_s": out["max_job_wall_s"].max(), "cpu_s": out["cpu_s"].sum(),
                           "max_rss_mb": out["max_rss_mb"].max()}], index=["all jobs (sum)"])
    return pd.concat([out, total])


def to_markdown(df: pd.DataFrame) -> str:
    lines = ["| rule | jobs | wall time, sum (s) | longest job (s) | CPU time, sum (s) | peak memory (MB) |",
             "|---|---|---|---|---|---|"]
    for rule, r in df.iterrows():
        lines.append(f"| {rule} | {int(r['jobs'])} | {r['wall_s']:.0f} | {r['max_job_wall_s']:.0f} | "
                     f"{r['cpu_s']:.0f} | {r['max_rss_mb']:.0f} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(to_markdown(summary(Path(sys.argv[1] if len(sys.argv) > 1 else "results/benchmarks"))), end="")
