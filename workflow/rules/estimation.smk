# Estimation: one job per registry family, the cross-engine check, validation against the
# synthetic truth, and the Monte Carlo (worlds of the same DAG). See docs/contracts.md.
#
# config/specs.yaml is deliberately NOT an input of `estimate`: each job has its family's
# resolved spec (with the sample filters it uses) as a JSON param, so Snakemake's params
# rerun trigger re-estimates only the families whose entry changed. The command line carries
# the param's SHA-256 only: the CLI re-reads the file and refuses to run if its family's
# differs (a stale DAG).
import json

from upgrading.core import stage_settings

_TARGETS = stage_settings.as_plain(ESTIMATION.validation)
VALIDATION_FAMILIES = list(dict.fromkeys(t.family for t in ESTIMATION.validation))
VALIDATION_TARGETS = json.dumps(_TARGETS, sort_keys=True)
MC_RULES = ("montecarlo", "montecarlo_aggregate", "estimate_draw")  # the Monte Carlo's own rules (priority MC_PRIORITY)


# In every world: the main world estimates every family; a Monte Carlo world the families
# its draw compares with the truth (VALIDATION_FAMILIES). With estimation.montecarlo.
# target_models_only a draw's world has its own rule, estimate_draw: the same command fitting
# only the family's validation target models (--models), the ones its coverage rows read.
ESTIMATE_COMMAND = ("upgrading estimate --data {input.data:q} --specs {params.specs:q} --family {wildcards.family}"
                    " --spec-sha256 {params.spec_sha256}")
# {world} of the estimate rule: every world, or only the main one (empty: "(?:)").
ESTIMATE_WORLDS = "(?:)" if MC.target_models_only else r"(worlds/mc\d+/)?"


rule estimate:
    input:
        data=world_path(WORLD, f"{PROC}/analysis.parquet"),
    output:
        world_path(WORLD, f"{RESULTS}/estimates/{{family}}.parquet"),
    params:
        specs=config["specs"],
        spec=family_json,
        spec_sha256=family_sha256,
    wildcard_constraints:
        family="|".join(FAMILIES),
        world=ESTIMATE_WORLDS,
    log:
        world_path(WORLD, f"{LOGS}/estimate/{{family}}.log"),
    benchmark:
        world_path(WORLD, f"{BENCH}/estimate/{{family}}.tsv")
    priority: family_priority
    resources:
        mem_mb=8000,
        runtime=60,
    shell:
        f"{ESTIMATE_COMMAND} --out {{output:q}} > {{log:q}} 2>&1"


if MC.target_models_only:

    rule estimate_draw:
        input:
            data=world_path(MC_WORLD, f"{PROC}/analysis.parquet"),
        output:
            world_path(MC_WORLD, f"{RESULTS}/estimates/{{family}}.parquet"),
        params:
            specs=config["specs"],
            spec=family_json,
            spec_sha256=family_sha256,
            models=lambda wc: ",".join(analysis_settings.target_models(ESTIMATION.validation, wc.family)),
        wildcard_constraints:
            family="|".join(VALIDATION_FAMILIES),
            seed=r"\d+",
        log:
            world_path(MC_WORLD, f"{LOGS}/estimate/{{family}}.log"),
        benchmark:
            world_path(MC_WORLD, f"{BENCH}/estimate/{{family}}.tsv")
        priority: MC_PRIORITY
        resources:
            mem_mb=8000,
            runtime=60,
        shell:
            f"{ESTIMATE_COMMAND} --models {{params.models}} --out {{output:q}} > {{log:q}} 2>&1"


# The cross-engine check, one job per headline family: each starts when its family's
# estimates exist and shares the cores with the other estimate jobs, so the check of the
# slowest family, not of all of them, is what the paper waits for.
rule crosscheck_family:
    input:
        data=f"{PROC}/analysis.parquet",
        estimates=f"{RESULTS}/estimates/{{family}}.parquet",
    output:
        f"{RESULTS}/estimates/crosscheck/{{family}}.csv",
    params:
        specs=config["specs"],
        spec=family_json,
        spec_sha256=family_sha256,
        coef_rtol=ESTIMATION.crosscheck.coef_rtol,
        se_atol=ESTIMATION.crosscheck.se_atol,
    wildcard_constraints:
        family="|".join(HEADLINE_FAMILIES),
    log:
        f"{LOGS}/crosscheck/{{family}}.log",
    benchmark:
        f"{BENCH}/crosscheck_family/{{family}}.tsv"
    priority: family_priority
    resources:
        mem_mb=4000,
        runtime=30,
    shell:
        "upgrading crosscheck --data {input.data:q} --specs {params.specs:q} --family {wildcards.family}"
        " --spec-sha256 {params.spec_sha256} --estimates {input.estimates:q}"
        " --coef-rtol {params.coef_rtol} --se-tol {params.se_atol} --out {output:q} > {log:q} 2>&1"


rule crosscheck:
    input:
        expand(f"{RESULTS}/estimates/crosscheck/{{family}}.csv", family=HEADLINE_FAMILIES),
    output:
        f"{RESULTS}/estimates/crosscheck.csv",
    params:
        specs=config["specs"],
    log:
        f"{LOGS}/crosscheck.log",
    benchmark:
        f"{BENCH}/crosscheck.tsv"
    resources:
        mem_mb=500,
        runtime=5,
    shell:
        "upgrading crosscheck --specs {params.specs:q} --parts {input:q} --out {output:q} > {log:q} 2>&1"


if SYNTHETIC:

    rule validate:
        input:
            estimates=expand(f"{RESULTS}/estimates/{{family}}.parquet", family=VALIDATION_FAMILIES),
            truth=f"{RAW}/truth/parameters.json",
            oracle=f"{RAW}/truth/oracle.json",
        output:
            f"{RESULTS}/estimates/validation.csv",
        params:
            targets=VALIDATION_TARGETS,
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


if SYNTHETIC:

    # One Monte Carlo draw: the world of seed {seed} went through the rules above (synthesize
    # ... measures, estimate); its validation models against that world's truth, on the
    # pipeline's TFP and on the true omega of the same rows.
    rule montecarlo:
        input:
            estimates=expand(world_path(MC_WORLD, f"{RESULTS}/estimates/{{family}}.parquet"),
                             family=VALIDATION_FAMILIES, allow_missing=True),
            data=world_path(MC_WORLD, f"{PROC}/analysis.parquet"),
            truth=world_path(MC_WORLD, f"{RAW}/truth/parameters.json"),
            firms=world_path(MC_WORLD, f"{RAW}/truth/firms.parquet"),
        output:
            f"{RESULTS}/montecarlo/draws/seed_{{seed}}.csv",
        params:
            specs=config["specs"],
            targets=VALIDATION_TARGETS,
        wildcard_constraints:
            seed=r"\d+",
        log:
            f"{LOGS}/montecarlo/seed_{{seed}}.log",
        benchmark:
            f"{BENCH}/montecarlo/seed_{{seed}}.tsv"
        priority: MC_PRIORITY
        resources:
            mem_mb=6000,
            runtime=60,
        shell:
            "upgrading montecarlo --seed {wildcards.seed} --estimates {input.estimates:q} --data {input.data:q}"
            " --truth {input.truth:q} --truth-firms {input.firms:q} --specs {params.specs:q}"
            " --targets-json {params.targets:q} --out {output:q} > {log:q} 2>&1"


# Coverage over the draws, each judged against the estimand whose within-cell feedback part is
# pooled over the draws' further worlds (upgrading.analysis.montecarlo.pool_feedback), its
# error split at its world's oracle (upgrading.analysis.montecarlo.split_by_oracle).
rule montecarlo_aggregate:
    input:
        draws=expand(f"{RESULTS}/montecarlo/draws/seed_{{seed}}.csv", seed=MC_SEEDS),
        truths=expand(world_path(MC_WORLD, f"{RAW}/truth/parameters.json"), seed=MC_SEEDS),
        oracles=expand(world_path(MC_WORLD, f"{RAW}/truth/oracle.json"), seed=MC_SEEDS),
    output:
        f"{RESULTS}/montecarlo/coverage.csv",
    params:
        targets=VALIDATION_TARGETS,
    log:
        f"{LOGS}/montecarlo/aggregate.log",
    benchmark:
        f"{BENCH}/montecarlo/aggregate.tsv"
    priority: MC_PRIORITY
    resources:
        mem_mb=1000,
        runtime=5,
    shell:
        "upgrading montecarlo-aggregate --draws {input.draws:q} --truths {input.truths:q}"
        " --oracles {input.oracles:q} --targets-json {params.targets:q} --out {output:q} > {log:q} 2>&1"


# Every output of this stage (a convenience target: `snakemake estimation_all`).
rule estimation_all:
    localrule: True
    input:
        expand(f"{RESULTS}/estimates/{{family}}.parquet", family=FAMILIES),
        f"{RESULTS}/estimates/crosscheck.csv",
        [f"{RESULTS}/estimates/validation.csv"] if SYNTHETIC else [],
        [f"{RESULTS}/estimates/capital_recovery.csv"] if SYNTHETIC else [],
