"""Time the estimation engine on ../shared/bench's 2.1M-row panel against R fixest's figures.

    python workflow/scripts/bench_estimate.py [--bench-dir ../shared/bench] [--repeats 3]

Generates the panel once with the bench folder's gen_panel.py (into data/processed/bench/),
then runs every family of its specs_speed.yaml as one `upgrading estimate` job, `repeats`
times: speed_all is the whole job of seven models, s1..s4 one model (s4: four outcomes) each.
Per job it records wall time, user and system CPU and peak resident memory (os.wait4, the
rusage of that process alone, as /usr/bin/time -v reports it), the seconds the job spent
fitting (its --timings file) and the machine's load average before and after: the machine
may be shared, so every figure carries its load. Then, in memory: one process per family reads
the panel once and fits the family `repeats` + 1 times in a row (`estimate.estimate_family`,
design and fit, as a `feols` call on a loaded data.frame builds its own), the way R fixest's
"in memory" figures are taken; the first call also imports the engine and is reported apart.
Writes results/benchmarks/estimate/summary.csv (one row per job), in_memory.csv (one row per
call) and its section of docs/benchmarks.md (medians, beside R fixest's figures parsed from the
bench folder's README.md; bench_dag.py writes the DAG's sections).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
# Which row of the bench README's table holds R fixest's figure for each family, and whether
# that figure is the whole job (start to written output) or the fit in memory.
FIXEST_ROWS = {
    "speed_all": ("whole job", "job"),
    "s1": ("firm + year, in memory", "fit"),
    "s2": ("firm + city^year, in memory", "fit"),
    "s3": ("city + industry + year, in memory", "fit"),
    "s4": ("4 outcomes, firm + year, in memory", "fit"),
}
PEAK_ROW = "peak memory of the whole job"
FIELDS = ["family", "repeat", "wall_s", "user_s", "sys_s", "cpu_s", "peak_rss_mb", "fit_s", "fit_cpu_s", "models",
          "load1_before", "load1_after", "load5_after", "engines"]
CALL_FIELDS = ["family", "call", "wall_s", "cpu_s", "fit_s", "fit_cpu_s", "models", "load1_before", "load1_after"]


def fail(message: str) -> None:
    print(f"error: {message}", file=sys.stderr)
    sys.exit(2)


def fixest_reference(readme: Path) -> dict:
    """{table row label: R fixest's figure (seconds or GB)} from the bench README's table."""
    out = {}
    for line in readme.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 3 and (m := re.match(r"([\d.]+)\s*(s|GB)\b", cells[1])):
            out[cells[0]] = float(m.group(1))
    return out


def ensure_panel(bench: Path, work: Path) -> Path:
    panel = work / "panel2m.parquet"
    if not panel.exists():
        work.mkdir(parents=True, exist_ok=True)
        print(f"generating the bench panel in {work} ...", file=sys.stderr)
        subprocess.run([sys.executable, str(bench / "gen_panel.py")], cwd=work, check=True)
    return panel


def run_job(family: str, panel: Path, specs: Path, out_dir: Path) -> dict:
    """One `upgrading estimate` process: wall, CPU and peak memory of that process alone."""
    out, timings = out_dir / f"{family}.parquet", out_dir / f"{family}_timings.csv"
    cmd = [str(Path(sys.executable).with_name("upgrading")), "estimate", "--data", str(panel),
           "--specs", str(specs), "--family", family, "--out", str(out), "--timings", str(timings)]
    load_before = os.getloadavg()[0]
    t0 = time.perf_counter()
    with open(out_dir / f"{family}.log", "w") as log:
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    load = os.getloadavg()
    if os.waitstatus_to_exitcode(status) != 0:
        fail(f"{' '.join(cmd)} failed; see {out_dir / (family + '.log')}")
    with open(timings, newline="") as f:
        calls = list(csv.DictReader(f))
    import pandas as pd

    engines = "+".join(sorted(set(pd.read_parquet(out, columns=["engine"])["engine"])))
    # ru_maxrss is in KiB on Linux, bytes on macOS
    rss_mb = usage.ru_maxrss / (1024 if sys.platform != "darwin" else 1024**2)
    return {"family": family, "wall_s": wall, "user_s": usage.ru_utime, "sys_s": usage.ru_stime,
            "cpu_s": usage.ru_utime + usage.ru_stime, "peak_rss_mb": rss_mb,
            "fit_s": sum(float(c["seconds"]) for c in calls),
            "fit_cpu_s": sum(float(c["cpu_seconds"]) for c in calls),
            "models": sum(len(c["models"].split("+")) for c in calls),
            "load1_before": load_before, "load1_after": load[0], "load5_after": load[1], "engines": engines}


def fit_in_memory(family_id: str, panel: Path, specs: Path, calls: int) -> list[dict]:
    """`calls` fits of one family in this process, its columns read once: per call wall, CPU and
    fitting seconds (the models' timing rows) and the load average around it. The allocator is
    set as `upgrading estimate` sets it."""
    from upgrading.analysis import estimate as est
    from upgrading.core.memory import keep_freed_memory

    keep_freed_memory()
    family = est.resolve(str(specs), family_id)
    df = est.read_data(str(panel), family)
    out = []
    for call in range(1, calls + 1):
        load_before = os.getloadavg()[0]
        t0, c0 = time.perf_counter(), time.process_time()
        _, timings = est.estimate_family(df, family, data_file=str(panel))
        out.append({"family": family_id, "call": call, "wall_s": time.perf_counter() - t0,
                    "cpu_s": time.process_time() - c0, "fit_s": sum(t["seconds"] for t in timings),
                    "fit_cpu_s": sum(t["cpu_seconds"] for t in timings),
                    "models": len(family["models"]),
                    "load1_before": load_before, "load1_after": os.getloadavg()[0]})
    return out


def run_in_memory(family: str, panel: Path, specs: Path, calls: int, out_dir: Path) -> list[dict]:
    """fit_in_memory in a fresh process (this script with --in-memory), so that no family's
    memory or imports carry over to the next."""
    cmd = [sys.executable, str(Path(__file__).resolve()), "--in-memory", family, "--panel", str(panel),
           "--specs", str(specs), "--calls", str(calls)]
    with open(out_dir / f"{family}_in_memory.log", "w") as log:
        proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=log, text=True,
                              env={**os.environ, "PYTHONHASHSEED": "0"})
    if proc.returncode != 0:
        fail(f"{' '.join(cmd)} failed; see {out_dir / (family + '_in_memory.log')}")
    return [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]


def _medians(rows: list[dict], fields: list[str]) -> dict:
    """{family: {field: median over its rows}} for the numeric fields."""
    by_family: dict = {}
    for r in rows:
        by_family.setdefault(r["family"], []).append(r)
    skip = ("family", "repeat", "call", "engines")
    return {f: {k: statistics.median(r[k] for r in rs) for k in fields if k not in skip} for f, rs in by_family.items()}


def _fixest(ref: dict, family: str) -> tuple[float | None, str | None]:
    label, kind = FIXEST_ROWS.get(family, (None, None))
    return next((v for k, v in ref.items() if label and k.startswith(label)), None), kind


def _table_head(columns: list[str]) -> list[str]:
    """A markdown table's header line and rule line."""
    return ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]


def markdown(rows: list[dict], calls: list[dict], ref: dict, repeats: int, bench: Path) -> str:
    med = _medians(rows, FIELDS)
    warm = _medians([c for c in calls if c["call"] > 1], CALL_FIELDS)
    first = {c["family"]: c for c in calls if c["call"] == 1}
    loads = [r[k] for r in [*rows, *calls] for k in ("load1_before", "load1_after")]
    mem_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1024**3
    lines = [
        "## Estimation benchmark",
        "",
        "Generated by `make bench-estimate` (workflow/scripts/bench_estimate.py); do not edit by hand.",
        f"The panel and the families are `{bench}` (gen_panel.py: 2.1 M rows, 300,000 firms; "
        "specs_speed.yaml). Each family is one `upgrading estimate` job (start, read parquet, fit, "
        "write); figures are medians over "
        f"{repeats} runs. R fixest's figures are those of the bench README (its whole job reads CSV).",
        "",
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, {mem_gb:.0f} GB; run "
        f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC. Load average (1 min) during the runs: "
        f"{min(loads):.1f} to {max(loads):.1f}. The machine may be shared: a load above the number of "
        "cores slows every figure.",
        "",
        *_table_head(["family", "models", "job wall (s)", "job CPU (s)", "peak memory (GB)", "fitting wall (s)",
                      "fitting CPU (s)", "R fixest (s)", "compared", "ratio, wall", "ratio, CPU", "load (1 min)"]),
    ]
    for fam, m in med.items():
        fixest, kind = _fixest(ref, fam)
        wall, cpu = (m["wall_s"], m["cpu_s"]) if kind == "job" else (m["fit_s"], m["fit_cpu_s"])
        ratios = f"{wall / fixest:.2f} | {cpu / fixest:.2f}" if fixest else " | "
        load = f"{m['load1_before']:.1f} / {m['load1_after']:.1f}"
        lines.append(f"| {fam} | {int(m['models'])} | {m['wall_s']:.1f} | {m['cpu_s']:.1f} | "
                     f"{m['peak_rss_mb'] / 1024:.2f} | {m['fit_s']:.2f} | {m['fit_cpu_s']:.2f} | "
                     f"{fixest if fixest else ''} | {kind or ''} | {ratios} | {load} |")
    lines.append("")
    if "s4" in med and "s1" in med:
        lines.append(f"Four outcomes in one job (s4) against one of them alone (s1), fitting: "
                     f"{med['s4']['fit_s'] / med['s1']['fit_s']:.2f}x the wall time, "
                     f"{med['s4']['fit_cpu_s'] / med['s1']['fit_cpu_s']:.2f}x the CPU time.")
    if "speed_all" in med and PEAK_ROW in ref:
        lines.append(f"Peak memory of the whole job (speed_all): {med['speed_all']['peak_rss_mb'] / 1024:.2f} GB "
                     f"against R fixest's {ref[PEAK_ROW]} GB.")
    lines += ["", "`compared`: R fixest's figure is its whole job (`job`: our job's wall and CPU) or its fit "
              "in memory (`fit`: our fitting). Load is the 1-minute load average before / after the job "
              "(median over runs). On a loaded machine the wall ratio overstates the cost; CPU time "
              "hardly depends on load, and on an idle machine the wall time is at most about the CPU "
              "time (the demeaner may use both cores).", ""]
    if not warm:
        return "\n".join(lines)
    lines += [
        "### In memory",
        "",
        f"One process per family reads the panel once and estimates the family {repeats + 1} times in a row "
        "(`upgrading.analysis.estimate.estimate_family`: the design and the fit, as a `feols` call builds "
        "its own from a loaded data.frame), the way R fixest's `in memory` figures are taken. Figures are "
        f"medians over calls 2 to {repeats + 1}; the first call also imports the engine (pyfixest, scipy) "
        "and is shown apart.",
        "",
        *_table_head(["family", "models", "call wall (s)", "call CPU (s)", "fitting wall (s)", "fitting CPU (s)",
                      "first call wall (s)", "R fixest in memory (s)", "ratio, wall", "load (1 min)"]),
    ]
    for fam, m in warm.items():
        fixest, kind = _fixest(ref, fam)
        fixest = fixest if kind == "fit" else None
        ratio = f"{m['wall_s'] / fixest:.2f}" if fixest else ""
        lines.append(f"| {fam} | {int(m['models'])} | {m['wall_s']:.2f} | {m['cpu_s']:.2f} | {m['fit_s']:.2f} | "
                     f"{m['fit_cpu_s']:.2f} | {first[fam]['wall_s']:.2f} | {fixest if fixest else ''} | {ratio} | "
                     f"{m['load1_before']:.1f} / {m['load1_after']:.1f} |")
    lines.append("")
    if "s4" in warm and "s1" in warm:
        lines.append(f"Four outcomes in one call (s4) against one of them alone (s1), in memory: "
                     f"{warm['s4']['wall_s'] / warm['s1']['wall_s']:.2f}x the wall time of the call "
                     f"({warm['s4']['cpu_s'] / warm['s1']['cpu_s']:.2f}x its CPU time), "
                     f"{warm['s4']['fit_s'] / warm['s1']['fit_s']:.2f}x the fitting's wall time. "
                     f"R fixest: {_fixest(ref, 's4')[0]} s against {_fixest(ref, 's1')[0]} s.")
        lines.append("")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bench-dir", default=str(REPO.parent / "shared" / "bench"))
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--family", action="append", help="only these families (default: every one)")
    ap.add_argument("--work-dir", default=str(REPO / "data" / "processed" / "bench"))
    ap.add_argument("--out-dir", default=str(REPO / "results" / "benchmarks" / "estimate"))
    ap.add_argument("--doc", default=str(REPO / "docs" / "benchmarks.md"))
    ap.add_argument("--in-memory", metavar="FAMILY", help=argparse.SUPPRESS)  # the worker of run_in_memory
    ap.add_argument("--panel", help=argparse.SUPPRESS)
    ap.add_argument("--specs", help=argparse.SUPPRESS)
    ap.add_argument("--calls", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.in_memory:
        sys.path.insert(0, str(REPO / "src"))
        for call in fit_in_memory(args.in_memory, Path(args.panel), Path(args.specs), args.calls):
            print(json.dumps(call), flush=True)
        return
    bench = Path(args.bench_dir)
    for need in ("gen_panel.py", "specs_speed.yaml", "README.md"):
        if not (bench / need).is_file():
            fail(f"{bench / need} not found: the estimation benchmark needs the bench folder "
                 "(gen_panel.py, specs_speed.yaml, README.md); pass --bench-dir")
    sys.path.insert(0, str(REPO / "src"))
    from upgrading.core import registry

    specs = bench / "specs_speed.yaml"
    families = args.family or registry.family_ids(registry.load(specs))
    panel = ensure_panel(bench.resolve(), Path(args.work_dir))
    out_dir = Path(args.out_dir)
    jobs_dir = out_dir / "jobs"
    jobs_dir.mkdir(parents=True, exist_ok=True)
    rows = []
    for rep in range(1, args.repeats + 1):
        for fam in families:
            r = {**run_job(fam, panel, specs, jobs_dir), "repeat": rep}
            print(f"{fam} #{rep}: wall {r['wall_s']:.1f}s cpu {r['cpu_s']:.1f}s peak {r['peak_rss_mb']:.0f} MB "
                  f"fit {r['fit_s']:.2f}s load {r['load1_before']:.1f}->{r['load1_after']:.1f}", file=sys.stderr)
            rows.append(r)
    calls = []
    for fam in families:
        calls += run_in_memory(fam, panel, specs, args.repeats + 1, jobs_dir)
        print(f"{fam} in memory: calls " + ", ".join(f"{c['wall_s']:.2f}s" for c in calls if c["family"] == fam),
              file=sys.stderr)
    for name, fields, table in (("summary.csv", FIELDS, rows), ("in_memory.csv", CALL_FIELDS, calls)):
        with open(out_dir / name, "w", newline="") as f:
            w = csv.DictWriter(f, fieldnames=fields)
            w.writeheader()
            for r in table:
                w.writerow({k: (f"{v:.3f}" if isinstance(v, float) else v) for k, v in r.items()})
    from bench_dag import write_section

    write_section(Path(args.doc), "estimate", markdown(rows, calls, fixest_reference(bench / "README.md"),
                                                        args.repeats, bench))
    print(f"wrote {out_dir / 'summary.csv'}, {out_dir / 'in_memory.csv'} and {args.doc}", file=sys.stderr)


if __name__ == "__main__":
    main()
