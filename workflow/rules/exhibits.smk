# Exhibits: one `table` job per registry table, one `figures` job, the in-text numbers,
# the registry appendix and the exhibit map (AEA list of tables and programs).
# Plans come from the registry at parse time (upgrading.exhibits.plan, pandas-free); each job
# reads its plan from a file (`--spec @FILE`) that rule exhibit_plan rewrites only when that plan
# changes, so editing one family reruns only its exhibits and command lines stay short.
import json
import os
import re
import shlex

from upgrading.core import stage_settings
from upgrading.exhibits import plan as _exh_plan
from upgrading.exhibits import settings as _exh_settings

EXH = _exh_settings.from_mapping(config.get("exhibits"))
# A Monte Carlo run made by hand, shown beside the build's draws (synthetic world only).
MC_REFERENCE = EXH.montecarlo_reference if SYNTHETIC else None
if MC_REFERENCE and not os.path.isfile(MC_REFERENCE):
    raise WorkflowError(f"exhibits.montecarlo_reference: {MC_REFERENCE} not found (a montecarlo-aggregate "
                        "coverage CSV; null leaves it out)")
_EXH_FAMILIES = [RESOLVED[f] for f in FAMILIES]
TABLE_PLANS = _exh_plan.tables(_EXH_FAMILIES, EXH, SPECS.get("samples"))
# With the measures stage's cluster rule, whose cells the cluster view outlines.
FIGURE_PLAN = _exh_plan.figures(_EXH_FAMILIES, EXH, SYNTHETIC, json.loads(settings_json(CLUSTER_RULE)))
SUMMARY_PLAN = _exh_plan.summary(_EXH_FAMILIES, EXH, SPECS.get("samples"))
_EXH_PLAIN = stage_settings.as_plain(EXH)
TABLES = list(TABLE_PLANS)
FIGURES = FIGURE_PLAN["names"]
EXH_EPOCH = str(EXH.source_date_epoch)
# Families quoted in the text (numbers.tex): the auto list plus any configured quote.
NUMBER_FAMILIES = sorted(
    {f for f in EXH.auto_numbers if f in FAMILIES}
    | {q["family"] for q in EXH.quotes.values()}
)

# The plans and settings the exhibit jobs read, by file name (rule exhibit_plan writes each).
EXHIBIT_PLANS = {
    **{f"table-{t}": _exh_plan.as_json(p["spec"]) for t, p in TABLE_PLANS.items()},
    "tables": _exh_plan.as_json(TABLE_PLANS),
    "table-ids": _exh_plan.as_json(TABLES),
    "table-titles": _exh_plan.as_json({t: p["spec"]["title"] for t, p in TABLE_PLANS.items()}),
    "figures": _exh_plan.as_json(FIGURE_PLAN),
    "summary-stats": _exh_plan.as_json(SUMMARY_PLAN),
    "labels": _exh_plan.as_json(EXH.labels),
    # Term labels and the models' reader names ('family/model' keys).
    "coverage-labels": _exh_plan.as_json({**EXH.labels, **FIGURE_PLAN["model_labels"]}),
    # With the settings the text quotes: the ownership rule of the cleaning, the production
    # function's (bootstrap replications, admissibility bounds) and the measures' (the frontier
    # quantile of absorptive capacity, the cluster thresholds).
    "numbers": _exh_plan.as_json({**{k: _EXH_PLAIN[k] for k in ("auto_numbers", "quotes", "shock_year", "labels")},
                                  "scales": {"build": config["scale"], "montecarlo": MC.scale} if SYNTHETIC else {},
                                  "cleaning": json.loads(settings_json("cleaning")),
                                  "productivity": json.loads(settings_json("productivity")),
                                  "measures": json.loads(settings_json("measures"))}),
    "exhibit-map": _exh_plan.as_json(
        {**{k: _EXH_PLAIN[k] for k in ("auto_numbers", "quotes", "shock_year", "use_montecarlo")},
         "montecarlo_reference": MC_REFERENCE}),
}


rule exhibit_plan:
    # The param is the plan's SHA-256: a changed plan rewrites its file (and a log line stays short).
    localrule: True
    output:
        plan_file("{plan}"),
    params:
        sha256=lambda wc: plan_sha256(EXHIBIT_PLANS[wc.plan]),
    wildcard_constraints:
        plan="|".join(re.escape(name) for name in EXHIBIT_PLANS),
    log:
        f"{LOGS}/exhibit_plan/{{plan}}.log",
    run:
        write_settings_file(EXHIBIT_PLANS[wildcards.plan], output[0], log[0])


rule table:
    input:
        estimates=lambda wc: [estimates_file(f) for f in TABLE_PLANS[wc.table]["families"]],
        plan=lambda wc: plan_file(f"table-{wc.table}"),
    output:
        tex=f"{RESULTS}/tables/{{table}}.tex",
        csv=report(f"{RESULTS}/tables/{{table}}.csv", caption="../report/table.rst",
                   category="Tables", labels=lambda wc: {"table": wc.table}),
    wildcard_constraints:
        table="|".join(TABLES) if TABLES else "no-tables",
    log:
        f"{LOGS}/table/{{table}}.log",
    benchmark:
        f"{BENCH}/table/{{table}}.tsv"
    resources:
        mem_mb=1000,
        runtime=5,
    shell:
        "upgrading table --table {wildcards.table} --estimates {input.estimates:q} --spec @{input.plan:q}"
        " --out-tex {output.tex:q} --out-csv {output.csv:q} > {log:q} 2>&1"


rule figures:
    input:
        analysis=f"{PROC}/analysis.parquet",
        industries=side_file("industries.csv"),
        cities=side_file("cities.csv"),
        estimates=[estimates_file(f) for f in _exh_plan.figure_families(FIGURE_PLAN)],
        validation=[f"{RESULTS}/estimates/validation.csv"] if SYNTHETIC else [],
        plan=plan_file("figures"),
    output:
        pdf=[f"{RESULTS}/figures/{n}.pdf" for n in FIGURES],
        png=[report(f"{RESULTS}/figures/{n}.png", caption=figure_caption(n),
                    category="Figures", labels={"figure": n}) for n in FIGURES],
        # The plotted numbers of each figure, beside it.
        csv=[f"{RESULTS}/figures/{n}.csv" for n in FIGURES],
    params:
        validation=lambda wc, input: f"--validation {shlex.quote(str(input.validation))}" if SYNTHETIC else "",
        epoch=EXH_EPOCH,
        outdir=lambda wc, output: os.path.dirname(output.pdf[0]),
    log:
        f"{LOGS}/figures.log",
    benchmark:
        f"{BENCH}/figures.tsv"
    resources:
        mem_mb=4000,
        runtime=20,
    shell:
        "SOURCE_DATE_EPOCH={params.epoch} upgrading figures --analysis {input.analysis:q}"
        " --industries {input.industries:q} --cities {input.cities:q} --estimates {input.estimates:q} {params.validation}"
        " --plan @{input.plan:q} --outdir {params.outdir:q} > {log:q} 2>&1"


# Summary statistics of the headline regression's estimation sample, by ownership (data section).
rule summary_stats:
    input:
        analysis=f"{PROC}/analysis.parquet",
        plan=plan_file("summary-stats"),
    output:
        tex=f"{RESULTS}/tables/summary_stats.tex",
        csv=report(f"{RESULTS}/tables/summary_stats.csv", caption="../report/table.rst",
                   category="Tables", labels={"table": "summary_stats"}),
    log:
        f"{LOGS}/summary_stats.log",
    benchmark:
        f"{BENCH}/summary_stats.tsv"
    resources:
        mem_mb=2000,
        runtime=5,
    shell:
        "upgrading summary-stats --analysis {input.analysis:q} --plan @{input.plan:q}"
        " --out-tex {output.tex:q} --out-csv {output.csv:q} > {log:q} 2>&1"


rule numbers:
    input:
        analysis=f"{PROC}/analysis.parquet",
        estimates=[estimates_file(f) for f in NUMBER_FAMILIES],
        audit=f"{RESULTS}/audit/cleaning.csv",
        crosscheck=f"{RESULTS}/estimates/crosscheck.csv",
        validation=[f"{RESULTS}/estimates/validation.csv"] if SYNTHETIC else [],
        capital=[f"{RESULTS}/estimates/capital_recovery.csv", f"{RESULTS}/estimates/capital_beta_k.csv"]
        if SYNTHETIC else [],
        linking_truth=[f"{RESULTS}/audit/linking_truth.csv"] if SYNTHETIC else [],
        production=[f"{RESULTS}/tables/production_elasticities.csv"] if SYNTHETIC else [],
        oracle=[f"{RAW}/truth/oracle.json", f"{RAW}/truth/parameters.json"] if SYNTHETIC else [],
        # The Monte Carlo reruns the whole chain per seed: quoted only when asked for.
        coverage=[f"{RESULTS}/montecarlo/coverage.csv"] if SYNTHETIC and EXH.use_montecarlo else [],
        coverage_reference=[MC_REFERENCE] if MC_REFERENCE else [],
        settings=plan_file("numbers"),
    output:
        f"{RESULTS}/numbers.tex",
    params:
        validation=lambda wc, input: f"--validation {shlex.quote(str(input.validation))}" if SYNTHETIC else "",
        coverage=lambda wc, input: (
            (f"--coverage {shlex.quote(str(input.coverage))}" if input.coverage else "")
            + (f" --coverage-reference {shlex.quote(str(input.coverage_reference))}" if input.coverage_reference else "")),
        capital=lambda wc, input: (
            "--capital " + " ".join(shlex.quote(str(f)) for f in input.capital) if input.capital else ""),
        linking_truth=lambda wc, input: (
            f"--linking-truth {shlex.quote(str(input.linking_truth))}" if input.linking_truth else ""),
        production=lambda wc, input: f"--production {shlex.quote(str(input.production))}" if input.production else "",
        oracle=lambda wc, input: (
            "--oracle " + " ".join(shlex.quote(str(f)) for f in input.oracle) if input.oracle else ""),
        source=config["data_source"],
    log:
        f"{LOGS}/numbers.log",
    benchmark:
        f"{BENCH}/numbers.tsv"
    resources:
        mem_mb=4000,
        runtime=10,
    shell:
        "upgrading numbers --analysis {input.analysis:q} --estimates {input.estimates:q}"
        " --audit {input.audit:q} --crosscheck {input.crosscheck:q} {params.validation} {params.coverage}"
        " {params.capital} {params.linking_truth} {params.production} {params.oracle}"
        " --settings @{input.settings:q} --data-source {params.source} --out {output:q} > {log:q} 2>&1"


# The validation appendix's coverage table (CRV1, CRV3, WCR side by side with Monte Carlo SEs).
USE_COVERAGE = SYNTHETIC and EXH.use_montecarlo


rule coverage_table:
    input:
        coverage=f"{RESULTS}/montecarlo/coverage.csv",
        labels=plan_file("coverage-labels"),
    output:
        f"{RESULTS}/tables/coverage.tex",
    log:
        f"{LOGS}/coverage_table.log",
    benchmark:
        f"{BENCH}/coverage_table.tsv"
    resources:
        mem_mb=500,
        runtime=5,
    shell:
        "upgrading coverage-table --coverage {input.coverage:q} --labels @{input.labels:q} --out {output:q} > {log:q} 2>&1"


# The same table of a Monte Carlo run made by hand (exhibits.montecarlo_reference), beside the build's.
rule coverage_table_reference:
    input:
        coverage=MC_REFERENCE or [],
        labels=plan_file("coverage-labels"),
    output:
        f"{RESULTS}/tables/coverage_reference.tex",
    params:
        note=lambda wc, input: (
            rf"The draws were run by hand, not by the build: \nolinkurl{{{os.path.splitext(str(input.coverage))[0]}.md}} "
            "gives their commands, code versions, times and load."),
    log:
        f"{LOGS}/coverage_table_reference.log",
    benchmark:
        f"{BENCH}/coverage_table_reference.tsv"
    resources:
        mem_mb=500,
        runtime=5,
    shell:
        "upgrading coverage-table --coverage {input.coverage:q} --labels @{input.labels:q}"
        " --label tab:coverage_reference --run-note {params.note:q} --out {output:q} > {log:q} 2>&1"


rule specs_appendix:
    input:
        specs=config["specs"],
        paper="paper/paper.tex",
        tables=plan_file("table-ids"),
        figures=plan_file("figures"),
        titles=plan_file("table-titles"),
        labels=plan_file("labels"),
    output:
        appendix=f"{RESULTS}/tables/specs_appendix.tex",
        additional=f"{RESULTS}/tables/additional.tex",
    log:
        f"{LOGS}/specs_appendix.log",
    benchmark:
        f"{BENCH}/specs_appendix.tsv"
    resources:
        mem_mb=500,
        runtime=5,
    shell:
        "upgrading specs-appendix --specs {input.specs:q} --paper {input.paper:q} --tables @{input.tables:q}"
        " --figures @{input.figures:q} --titles @{input.titles:q} --labels @{input.labels:q}"
        " --out {output.appendix:q} --out-additional {output.additional:q}"
        " > {log:q} 2>&1"


rule exhibit_map:
    input:
        paper="paper/paper.tex",
        analysis=f"{PROC}/analysis.parquet",
        trail=f"{RESULTS}/trail.json",
        tables=plan_file("tables"),
        figures=plan_file("figures"),
        settings=plan_file("exhibit-map"),
    output:
        csv=f"{RESULTS}/exhibits.csv",
        md=f"{RESULTS}/exhibits.md",
    params:
        results=lambda wc, output: os.path.dirname(output.csv),
    log:
        f"{LOGS}/exhibit_map.log",
    benchmark:
        f"{BENCH}/exhibit_map.tsv"
    resources:
        mem_mb=500,
        runtime=5,
    shell:
        "upgrading exhibit-map --tables @{input.tables:q} --figures @{input.figures:q}"
        " --paper {input.paper:q} --results {params.results:q} --analysis {input.analysis:q}"
        " --trail {input.trail:q} --settings @{input.settings:q}"
        " --out {output.csv:q} --out-md {output.md:q} > {log:q} 2>&1"
