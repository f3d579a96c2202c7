"""The Monte Carlo run as a dated document: coverage of the 95 % CRV1, CRV3 and WCR intervals of
every validation term, with Monte Carlo standard errors and exact intervals, and the run that
produced it (command, dates, draws, machine load, CPU per draw), all read from the run's files.

Inputs: the aggregate (`montecarlo-aggregate`'s coverage CSV), the log of
tools/montecarlo_draws.sh (one line per batch of draws with the load average when it started)
and Snakemake's benchmark files of the draws' jobs. Same inputs, same bytes.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from upgrading.core.coverage import COVERAGE_TARGET, clopper_pearson, in_target, mc_se
from upgrading.core.errors import InputError

from .montecarlo import INTERVALS

# The interval the paper's tables print (config/specs.yaml: CRV1 SEs, WCR p-values and WCR
# intervals) and the coverage it should reach in every validation term.
TABLE_INTERVAL = "wcr"
METHOD_NAMES = {"crv1": "CRV1", "crv3": "CRV3", "wcr": "WCR"}
MODEL_NAMES = {("baseline", "firm_year"): "baseline", ("validation", "local"): "local",
               ("validation", "structural"): "structural"}
OUTCOME_NAMES = {"pipeline": "pipeline TFP", "true_omega": "true omega"}
# A batch line's niceness is optional: logs written before the script took NICE ran at 19.
_BATCH = re.compile(r"^(\S+Z) batch (\d+)\.\.(\d+) load (\S+) (\S+) (\S+)(?: nice (-?\d+))?(?: configfile .+)?$")
_END = re.compile(r"^(\S+Z) (?:done up to seed (\d+)|stop time \S+ reached before seed (\d+))")


@dataclass(frozen=True)
class Sitting:
    """One invocation of the script: its first batch's start, its end line, the seeds it began."""

    started: str
    finished: str
    first_seed: int
    last_seed: int


@dataclass(frozen=True)
class Run:
    """What the run log says: its sittings (the script run again to go on: from its first batch
    to its end line), each batch's 1-minute load average and the niceness its jobs ran at."""

    sittings: tuple[Sitting, ...]
    loads: tuple[float, ...]
    nices: tuple[int, ...]

    @property
    def started(self) -> str:
        return self.sittings[0].started

    @property
    def finished(self) -> str:
        return self.sittings[-1].finished

    @property
    def last_seed_started(self) -> int:
        return self.sittings[-1].last_seed


def read_run_log(path: str) -> Run:
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    batches, sittings, open_batches = [], [], []
    for line in lines:
        if m := _BATCH.match(line):
            batches.append(m)
            open_batches.append(m)
        elif (m := _END.match(line)) and open_batches:  # an end line with no batch since began none
            sittings.append(Sitting(open_batches[0].group(1), m.group(1), int(open_batches[0].group(2)),
                                    int(open_batches[-1].group(3))))
            open_batches = []
    if not batches:
        raise InputError("no batch lines (TIME batch FIRST..LAST load L1 L5 L15 [nice N] [configfile FILE])", file=path)
    if open_batches:
        raise InputError("the run has not ended (no 'done up to seed' or 'stop time' line after batch "
                         f"{open_batches[-1].group(2)}..{open_batches[-1].group(3)})", file=path)
    return Run(sittings=tuple(sittings), loads=tuple(float(m.group(4)) for m in batches),
               nices=tuple(int(m.group(7) or 19) for m in batches))


def draw_cpu(bench_dir: str, seeds: Sequence[int], root: str = ".") -> pd.DataFrame:
    """CPU and wall seconds of each draw: its world's jobs (worlds/mc<seed>/.../benchmarks) plus
    its `montecarlo` job, from Snakemake's benchmark files under `bench_dir` (the main world's
    benchmark folder, e.g. results/benchmarks/small/jobs)."""
    bench = Path(root) / bench_dir
    rows = []
    for seed in seeds:
        files = (sorted((Path(root) / f"worlds/mc{seed}" / bench_dir).rglob("*.tsv"))
                 + [bench / "montecarlo" / f"seed_{seed}.tsv"])
        missing = [str(f) for f in files if not f.exists()]
        if missing or len(files) < 2:
            raise InputError(f"draw {seed}: benchmark file(s) missing", file=missing[0] if missing else str(bench))
        tables = [pd.read_csv(f, sep="\t") for f in files]
        rows.append({"seed": seed, "jobs": len(files),
                     "cpu_s": sum(float(t["cpu_time"].iloc[-1]) for t in tables),
                     "wall_s": sum(float(t["s"].iloc[-1]) for t in tables)})
    return pd.DataFrame(rows)


def _cell(p: float, se: float, digits: int = 3) -> str:
    return f"{p:.{digits}f} ({se:.{digits}f})"


def coverage_table(cov: pd.DataFrame) -> pd.DataFrame:
    """One row per validation term and outcome: coverage (MC SE) of each interval, the exact 95 %
    interval of the tables' interval's coverage, and whether that coverage is in the target band."""
    rows = []
    for r in cov.itertuples(index=False):
        row = {"Outcome": OUTCOME_NAMES.get(r.outcome, r.outcome),
               "Model": MODEL_NAMES.get((r.family, r.model), f"{r.family}/{r.model}"),
               "Term": f"`{r.term}`", "Estimand (mean)": f"{r.truth:.3f}", "Draws": int(r.draws)}
        if "mcse_bias" in cov.columns:
            row["Bias (MC SE)"] = _cell(r.bias, r.mcse_bias)
        if "mcse_bias_vs_oracle" in cov.columns:
            # four digits: the pipeline's own error on a world can be a tenth of the bias's MC SE
            row["Estimate - oracle (MC SE)"] = _cell(r.bias_vs_oracle, r.mcse_bias_vs_oracle, 4)
            row["Oracle - estimand (MC SE)"] = _cell(r.oracle_bias, r.mcse_oracle_bias, 4)
            row["Within 2 SE of oracle"] = f"{r.within_2se_of_oracle:.3f}"
        for k in INTERVALS.values():
            row[METHOD_NAMES[k]] = _cell(getattr(r, f"coverage_{k}"), getattr(r, f"mcse_{k}"))
        n = int(getattr(r, f"draws_{TABLE_INTERVAL}"))
        p = float(getattr(r, f"coverage_{TABLE_INTERVAL}"))
        lo, hi = clopper_pearson(round(p * n), n)
        row[f"{METHOD_NAMES[TABLE_INTERVAL]} exact 95 %"] = f"[{lo:.3f}, {hi:.3f}]"
        row["Target"] = ("met" if in_target(p)
                         else "not met (above)" if p > COVERAGE_TARGET[1] else "not met (below)")
        # Whether the draws can tell the coverage from the band: does the exact interval reach it?
        row["Band in exact 95 %"] = "yes" if lo <= COVERAGE_TARGET[1] and hi >= COVERAGE_TARGET[0] else "no"
        own = f"coverage_{TABLE_INTERVAL}_own"
        if own in cov.columns:
            row[f"{METHOD_NAMES[TABLE_INTERVAL]}, own-draw estimand"] = _cell(
                getattr(r, own), float(mc_se(getattr(r, own), n)))
        rows.append(row)
    return pd.DataFrame(rows)


def _estimand_note(cov: pd.DataFrame) -> list[str]:
    """How the draws' estimands were set: each draw's own, or with the feedback part pooled."""
    if "feedback_worlds" not in cov.columns:
        return ["Each draw is judged against its own world's estimand.", ""]
    worlds = int(cov["feedback_worlds"].max())
    return [f"Each draw is judged against its world's estimand with the within-cell feedback part pooled "
            f"over the draws ({worlds} further worlds; `upgrading.analysis.montecarlo.pool_feedback`): the "
            "projection and selection parts are the draw's own, the feedback part is the mean of the draws' "
            "own feedback estimates, since a world's own estimate of that expectation rests on a few further "
            "worlds and carries noise of the order of the standard errors. The last column gives the "
            f"{METHOD_NAMES[TABLE_INTERVAL]} coverage against each draw's own estimand.", ""]


def _oracle_note(cov: pd.DataFrame) -> list[str]:
    """What the two columns that split the bias at each world's oracle say."""
    if "mcse_bias_vs_oracle" not in cov.columns:
        return []
    return ["The bias splits at each world's oracle (the same regression on true omega and the true "
            "measures over every surveyed firm-year of that world, its truth/oracle.json): estimate minus "
            "oracle is the pipeline's own error on the world (on true omega: its rows and measures alone), "
            "oracle minus estimand the world's own draw of firms and shocks, which the intervals are "
            "meant to cover; the two add up to the bias. \"Within 2 SE of oracle\": the share of draws whose "
            "estimate lies within two of its own (CRV1) standard errors of its world's oracle.", ""]


def _markdown(table: pd.DataFrame) -> str:
    head = "| " + " | ".join(table.columns) + " |"
    rule = "|" + "|".join("---" for _ in table.columns) + "|"
    body = ["| " + " | ".join(str(v) for v in row) + " |" for row in table.itertuples(index=False)]
    return "\n".join([head, rule, *body])


def report(cov: pd.DataFrame, run: Run, cpu: pd.DataFrame, command: str, planned: int, scale: str,
           cores: int, commit: str, coverage_file: str = "results/montecarlo/coverage.csv") -> str:
    """The document (markdown); `coverage_file` names where the aggregate `cov` is kept."""
    seeds = sorted(cpu["seed"])
    draws = int(cov["draws"].max())
    if draws != len(seeds) or int(cov["draws"].min()) != draws:
        raise InputError(f"the coverage table counts {sorted(set(cov['draws']))} draws, the run {len(seeds)}")
    table = coverage_table(cov)
    low, high = COVERAGE_TARGET
    by_method = []
    for k in INTERVALS.values():
        p = cov[f"coverage_{k}"]
        by_method.append(f"{METHOD_NAMES[k]} {int(in_target(p).sum())} / "
                         f"{int((p < low).sum())} / {int((p > high).sum())}")
    short = ("" if draws >= planned else
             f" **{draws} of the {planned} planned draws** finished in the time the run had; "
             "the Monte Carlo standard errors are those of this number of draws.")
    loads = pd.Series(run.loads)
    nices = sorted(set(run.nices))
    niceness = (f"`nice -n {nices[0]}`" if len(nices) == 1 else
                "niceness " + ", ".join(str(n) for n in nices) + " (by batch, in the run log)")
    lines = [
        "# Monte Carlo coverage of the validation terms",
        "",
        "Generated by `upgrading montecarlo-report` from the aggregate of the draws "
        f"(`{coverage_file}`), the run log and the draws' benchmark files; "
        "no number here is typed by hand.",
        "",
        "## The run",
        "",
        f"- Draws: {draws} synthetic worlds at scale `{scale}`, seeds {seeds[0]}-{seeds[-1]} in order, "
        f"each taken through the whole chain (synthesize ... estimate) and compared with its own "
        f"truth.{short}",
        (f"- Started {run.started}, ended {run.finished} (UTC)." if len(run.sittings) == 1 else
         f"- Run in {len(run.sittings)} sittings (UTC): " + "; ".join(
             f"{s.started} to {s.finished} (seeds {s.first_seed}-{s.last_seed})" for s in run.sittings) + "."),
        f"- Code: commit `{commit}`. Command (from the repository root): `{command}`",
        f"- Machine: {cores} cores shared with other work; the draws ran at {niceness}. "
        f"1-minute load average when each batch started: median {loads.median():.1f}, "
        f"range {loads.min():.1f}-{loads.max():.1f}.",
        f"- CPU per draw (sum of its {int(cpu['jobs'].median())} jobs' CPU time, Snakemake benchmarks): "
        f"median {cpu['cpu_s'].median():.1f} s, mean {cpu['cpu_s'].mean():.1f} s, "
        f"range {cpu['cpu_s'].min():.1f}-{cpu['cpu_s'].max():.1f} s; wall time of the jobs "
        f"(under that load) median {cpu['wall_s'].median():.0f} s.",
        "",
        "## Coverage of 95 % intervals",
        "",
        "Share of draws whose 95 % interval covers the draw's estimand (below: which), with its Monte Carlo "
        "standard error sqrt(p (1 - p) / R) in parentheses: CRV1 (cluster-robust by 2-digit "
        "industry), CRV3 (jackknife) and WCR (wild cluster restricted bootstrap, interval by test "
        f"inversion). The tables of the paper print {METHOD_NAMES[TABLE_INTERVAL]} intervals; "
        f"\"exact 95 %\" is the Clopper-Pearson interval of their coverage, \"Target\" says "
        f"whether that coverage lies in {low:.2f}-{high:.2f}, and \"Band in exact 95 %\" whether the "
        f"exact interval reaches that band (\"no\": the draws reject the target). Pipeline TFP: the models as the pipeline "
        "estimates them (cleaned data, ACF TFP, measures); true omega: the same models and rows "
        "with the true log productivity as outcome.",
        "",
        *_estimand_note(cov),
        *_oracle_note(cov),
        _markdown(table),
        "",
        f"Rows with coverage in / below / above {low:.2f}-{high:.2f}, of {len(table)}: "
        f"{'; '.join(by_method)}. {METHOD_NAMES[TABLE_INTERVAL]} rows whose exact interval misses "
        f"the band: {int((table['Band in exact 95 %'] == 'no').sum())}. Over {draws} draws an interval whose true coverage is 0.95 shows "
        f"a coverage within about +-{2 * (0.95 * 0.05 / draws) ** 0.5:.3f} of it (two Monte Carlo "
        "standard errors).",
        "",
    ]
    return "\n".join(lines)
