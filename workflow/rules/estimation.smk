# Estimation: one job per registry family, the cross-engine check, validation against the
# synthetic truth, and the Monte Carlo (one job per seed). See docs/contracts.md.
#
# config/specs.yaml is deliberately NOT an input of `estimate`: each job gets its family's
# resolved spec (with the sample filters it uses) as a JSON param, so Snakemake's params
# rerun trigger re-estimates only the families whose entry changed. The CLI re-reads the
# file and refuses to run if it disagrees with the param (a stale DAG).
import json

from upgrading.core import stage_settings
from upgrading.analysis import settings as analysis_settings

HEADLINE_FAMILIES = [f for f in FAMILIES if RESOLVED[f]["headline"] and RESOLVED[f]["engine"] == "pyfixest"]
ESTIMATION = analysis_settings.from_mapping(config.get("estimation"))
_TARGETS = stage_settings.as_plain(ESTIMATION.validation)
VALIDATION_FAMILIES = list(dict.fromkeys(t.family for t in ESTIMATION.validation))
_MC = stage_settings.as_plain(ESTIMATION.montecarlo)
MC_SEEDS = ESTIMATION.montecarlo.seed_list
# What a Monte Carlo draw depends on besides the code: the stage settings and the family.
# (YAML int keys such as years become strings first, so the JSON can be key-sorted.)
_MC_CONFIG = json.dumps(
    json.loads(json.dumps(
        {k: config.get(k) for k in ("synth", "cleaning", "productivity", "measures", "headers",
                                    "first_year", "last_year")}
        | {"estimation": {"montecarlo": _MC, "validation": _TARGETS}})),
    sort_keys=True,
)


rule estimate:
    input:
        data=f"{PROC}/analysis.parquet",
    output:
        f"{RESULTS}/estimates/{{family}}.parquet",
    params:
        specs=config["specs"],
        spec=family_json,
    wildcard_constraints:
        family="|".join(FAMILIES),
    log:
        f"{LOGS}/estimate/{{family}}.log",
    benchmark:
        f"{BENCH}/estimate/{{family}}.tsv"
    resources:
        mem_mb=8000,
        runtime=60,
    shell:
        "upgrading estimate --data {input.data:q} --specs {params.specs:q} --family {wildcards.family}"
        " --spec-json {params.spec:q} --out {output:q} > {log:q} 2>&1"


rule crosscheck:
    input:
        data=f"{PROC}/analysis.parquet",
        estimates=expand(f"{RESULTS}/estimates/{{family}}.parquet", family=HEADLINE_FAMILIES),
    output:
        f"{RESULTS}/estimates/crosscheck.csv",
    params:
        specs=config["specs"],
        coef_rtol=ESTIMATION.crosscheck.coef_rtol,
        se_atol=ESTIMATION.crosscheck.se_atol,
    log:
        f"{LOGS}/crosscheck.log",
    benchmark:
        f"{BENCH}/crosscheck.tsv"
    resources:
        mem_mb=8000,
        runtime=60,
    shell:
        "upgrading crosscheck --data {input.data:q} --specs {params.specs:q} --estimates {input.estimates:q}"
        " --coef-rtol {params.coef_rtol} --se-tol {params.se_atol} --out {output:q} > {log:q} 2>&1"


if SYNTHETIC:

    rule validate:
        input:
            estimates=expand(f"{RESULTS}/estimates/{{family}}.parquet", family=VALIDATION_FAMILIES),
            truth=f"{RAW}/truth/parameters.json",
            oracle=f"{RAW}/truth/oracle.json",
        output:
            f"{RESULTS}/estimates/validation.csv",
        params:
            targets=json.dumps(_TARGETS, sort_keys=True),
        log:
            f"{LOGS}/validate.log",
        benchmark:
            f"{BENCH}/validate.tsv"
        resources:
            mem_mb=1000,
            runtime=5,
        shell:
            "upgrading validate --estimates {input.estimates:q} --truth {input.truth:q}"
            " --oracle {input.oracle:q} --targets-json {params.targets:q} --out {output:q} > {log:q} 2>&1"


if SYNTHETIC:

    rule validate_capital:
        input:
            panel=f"{PROC}/panel.parquet",
            firms=f"{RAW}/truth/firms.parquet",
            truth=f"{RAW}/truth/parameters.json",
            elasticities=f"{PROC}/production_elasticities.csv",
        output:
            recovery=f"{RESULTS}/estimates/capital_recovery.csv",
            beta_k=f"{RESULTS}/estimates/capital_beta_k.csv",
        log:
            f"{LOGS}/validate_capital.log",
        benchmark:
            f"{BENCH}/validate_capital.tsv"
        resources:
            mem_mb=3000,
            runtime=10,
        shell:
            "upgrading validate-capital --panel {input.panel:q} --truth-firms {input.firms:q}"
            " --truth {input.truth:q} --elasticities {input.elasticities:q}"
            " --recovery {output.recovery:q} --beta-k {output.beta_k:q} > {log:q} 2>&1"


rule montecarlo:
    output:
        f"{RESULTS}/montecarlo/draws/seed_{{seed}}.csv",
    params:
        cfg=_MC_CONFIG,
        specs=config["specs"],
        spec="\n".join(spec_registry.family_json(SPECS, f) for f in VALIDATION_FAMILIES),
    wildcard_constraints:
        seed=r"\d+",
    log:
        f"{LOGS}/montecarlo/seed_{{seed}}.log",
    benchmark:
        f"{BENCH}/montecarlo/seed_{{seed}}.tsv"
    resources:
        mem_mb=6000,
        runtime=60,
    shell:
        "upgrading montecarlo --config-json {params.cfg:q} --specs {params.specs:q}"
        " --seed {wildcards.seed} --out {output:q} > {log:q} 2>&1"


rule montecarlo_aggregate:
    input:
        expand(f"{RESULTS}/montecarlo/draws/seed_{{seed}}.csv", seed=MC_SEEDS),
    output:
        f"{RESULTS}/montecarlo/coverage.csv",
    log:
        f"{LOGS}/montecarlo/aggregate.log",
    benchmark:
        f"{BENCH}/montecarlo/aggregate.tsv"
    resources:
        mem_mb=1000,
        runtime=5,
    shell:
        "upgrading montecarlo-aggregate --draws {input:q} --out {output:q} > {log:q} 2>&1"


# Every output of this stage (a convenience target: `snakemake estimation_all`).
rule estimation_all:
    localrule: True
    input:
        expand(f"{RESULTS}/estimates/{{family}}.parquet", family=FAMILIES),
        f"{RESULTS}/estimates/crosscheck.csv",
        [f"{RESULTS}/estimates/validation.csv"] if SYNTHETIC else [],
        [f"{RESULTS}/estimates/capital_recovery.csv"] if SYNTHETIC else [],
