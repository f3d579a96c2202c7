# Exhibits: one `table` job per registry table, one `figures` job, the in-text numbers,
# the registry appendix and the exhibit map (AEA list of tables and programs).
# Plans come from the registry at parse time (upgrading.exhibits.plan, pandas-free); each
# job gets its own plan as a JSON param, so editing one family reruns only its exhibits.
import json
import os
import shlex

from upgrading.core import stage_settings
from upgrading.exhibits import plan as _exh_plan
from upgrading.exhibits import settings as _exh_settings

EXH = _exh_settings.from_mapping(config.get("exhibits"))
_EXH_FAMILIES = [RESOLVED[f] for f in FAMILIES]
TABLE_PLANS = _exh_plan.tables(_EXH_FAMILIES, EXH, SPECS.get("samples"))
FIGURE_PLAN = _exh_plan.figures(_EXH_FAMILIES, EXH, SYNTHETIC)
_EXH_PLAIN = stage_settings.as_plain(EXH)
TABLES = list(TABLE_PLANS)
FIGURES = FIGURE_PLAN["names"]
EXH_EPOCH = str(EXH.source_date_epoch)
# Families quoted in the text (numbers.tex): the auto list plus any configured quote.
NUMBER_FAMILIES = sorted(
    {f for f in EXH.auto_numbers if f in FAMILIES}
    | {q["family"] for q in EXH.quotes.values()}
)


rule table:
    input:
        lambda wc: [estimates_file(f) for f in TABLE_PLANS[wc.table]["families"]],
    output:
        tex=f"{RESULTS}/tables/{{table}}.tex",
        csv=report(f"{RESULTS}/tables/{{table}}.csv", caption="../report/table.rst",
                   category="Tables", labels=lambda wc: {"table": wc.table}),
    params:
        spec=lambda wc: _exh_plan.as_json(TABLE_PLANS[wc.table]["spec"]),
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
        "upgrading table --table {wildcards.table} --estimates {input:q} --spec {params.spec:q}"
        " --out-tex {output.tex:q} --out-csv {output.csv:q} > {log:q} 2>&1"


rule figures:
    input:
        analysis=f"{PROC}/analysis.parquet",
        industries=side_file("industries.csv"),
        cities=side_file("cities.csv"),
        estimates=[estimates_file(f) for f in _exh_plan.figure_families(FIGURE_PLAN)],
        validation=[f"{RESULTS}/estimates/validation.csv"] if SYNTHETIC else [],
    output:
        pdf=[f"{RESULTS}/figures/{n}.pdf" for n in FIGURES],
        png=[report(f"{RESULTS}/figures/{n}.png", caption=figure_caption(n),
                    category="Figures", labels={"figure": n}) for n in FIGURES],
        # The plotted numbers of each figure, beside it.
        csv=[f"{RESULTS}/figures/{n}.csv" for n in FIGURES],
    params:
        plan=_exh_plan.as_json(FIGURE_PLAN),
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
        " --plan {params.plan:q} --outdir {params.outdir:q} > {log:q} 2>&1"


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
        # The Monte Carlo reruns the whole chain per seed: quoted only when asked for.
        coverage=[f"{RESULTS}/montecarlo/coverage.csv"] if SYNTHETIC and EXH.use_montecarlo else [],
    output:
        f"{RESULTS}/numbers.tex",
    params:
        # The production-function settings the text quotes (bootstrap replications, admissibility bounds).
        settings=_exh_plan.as_json({**{k: _EXH_PLAIN[k] for k in ("auto_numbers", "quotes", "shock_year")},
                                    "productivity": json.loads(settings_json("productivity"))}),
        validation=lambda wc, input: f"--validation {shlex.quote(str(input.validation))}" if SYNTHETIC else "",
        coverage=lambda wc, input: f"--coverage {shlex.quote(str(input.coverage))}" if input.coverage else "",
        capital=lambda wc, input: (
            "--capital " + " ".join(shlex.quote(str(f)) for f in input.capital) if input.capital else ""),
        linking_truth=lambda wc, input: (
            f"--linking-truth {shlex.quote(str(input.linking_truth))}" if input.linking_truth else ""),
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
        " {params.capital} {params.linking_truth} --settings {params.settings:q} --data-source {params.source} --out {output:q} > {log:q} 2>&1"


# The validation appendix's coverage table (CRV1, CRV3, WCR side by side with Monte Carlo SEs).
USE_COVERAGE = SYNTHETIC and EXH.use_montecarlo


rule coverage_table:
    input:
        f"{RESULTS}/montecarlo/coverage.csv",
    output:
        f"{RESULTS}/tables/coverage.tex",
    params:
        # Term labels and the models' reader names ('family/model' keys).
        labels=_exh_plan.as_json({**EXH.labels, **FIGURE_PLAN["model_labels"]}),
    log:
        f"{LOGS}/coverage_table.log",
    benchmark:
        f"{BENCH}/coverage_table.tsv"
    resources:
        mem_mb=500,
        runtime=5,
    shell:
        "upgrading coverage-table --coverage {input} --labels {params.labels:q} --out {output} > {log} 2>&1"


rule specs_appendix:
    input:
        specs=config["specs"],
        paper="paper/paper.tex",
    output:
        appendix=f"{RESULTS}/tables/specs_appendix.tex",
        additional=f"{RESULTS}/tables/additional.tex",
    params:
        tables=_exh_plan.as_json(TABLES),
        figures=_exh_plan.as_json(FIGURE_PLAN),
        titles=_exh_plan.as_json({t: p["spec"]["title"] for t, p in TABLE_PLANS.items()}),
        labels=_exh_plan.as_json(EXH.labels),
    log:
        f"{LOGS}/specs_appendix.log",
    benchmark:
        f"{BENCH}/specs_appendix.tsv"
    resources:
        mem_mb=500,
        runtime=5,
    shell:
        "upgrading specs-appendix --specs {input.specs:q} --paper {input.paper:q} --tables {params.tables:q}"
        " --figures {params.figures:q} --titles {params.titles:q} --labels {params.labels:q}"
        " --out {output.appendix:q} --out-additional {output.additional:q}"
        " > {log:q} 2>&1"


rule exhibit_map:
    input:
        paper="paper/paper.tex",
        analysis=f"{PROC}/analysis.parquet",
        trail=f"{RESULTS}/trail.json",
    output:
        csv=f"{RESULTS}/exhibits.csv",
        md=f"{RESULTS}/exhibits.md",
    params:
        tables=_exh_plan.as_json(TABLE_PLANS),
        figures=_exh_plan.as_json(FIGURE_PLAN),
        results=lambda wc, output: os.path.dirname(output.csv),
        settings=_exh_plan.as_json({k: _EXH_PLAIN[k] for k in ("auto_numbers", "quotes", "shock_year", "use_montecarlo")}),
    log:
        f"{LOGS}/exhibit_map.log",
    benchmark:
        f"{BENCH}/exhibit_map.tsv"
    resources:
        mem_mb=500,
        runtime=5,
    shell:
        "upgrading exhibit-map --tables {params.tables:q} --figures {params.figures:q}"
        " --paper {input.paper:q} --results {params.results:q} --analysis {input.analysis:q}"
        " --trail {input.trail:q} --settings {params.settings:q}"
        " --out {output.csv:q} --out-md {output.md:q} > {log:q} 2>&1"
