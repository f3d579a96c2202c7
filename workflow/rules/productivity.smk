# Stage 5: panel -> firm-year log TFP (OLS, FE, LP, ACF) + elasticities by 2-digit industry.
# Thin call of src/upgrading/productivity/cli.py. Productivity reads only the clean stage's
# outputs (the presence table for spillover controls in the law of motion) and the IO table
# (backward/forward controls), so the DAG has no cycle with measures. `productivity` runs in every world ({world}: common.smk).
import shlex

from upgrading.measures import settings as _measure_settings


rule productivity:
    input:
        panel=world_path(WORLD, f"{PROC}/panel.parquet"),
        presence=world_path(WORLD, f"{PROC}/presence.parquet"),
        io_table=side_file("io_table.csv", WORLD),
        settings=world_settings_file("productivity"),
    output:
        tfp=world_path(WORLD, f"{PROC}/tfp.parquet"),
        elasticities=world_path(WORLD, f"{PROC}/production_elasticities.csv"),
        audit=world_path(WORLD, f"{RESULTS}/audit/productivity.csv"),
    log:
        world_path(WORLD, f"{LOGS}/productivity.log"),
    benchmark:
        world_path(WORLD, f"{BENCH}/productivity.tsv")
    priority: chain_priority
    resources:
        mem_mb=6000,
        runtime=20,
    shell:
        "upgrading productivity --panel {input.panel:q} --presence {input.presence:q}"
        " --io-table {input.io_table:q}"
        " --out {output.tfp:q} --elasticities {output.elasticities:q} --audit {output.audit:q}"
        " --config-json @{input.settings:q} > {log:q} 2>&1"


# The production function behind TFP in the paper: elasticities beside the truth (synthetic)
# and the search diagnostics of every industry.
rule production_tables:
    input:
        elasticities=f"{PROC}/production_elasticities.csv",
        truth=[f"{RAW}/truth/parameters.json"] if SYNTHETIC else [],
        settings=settings_file("productivity"),
        industries=side_file("industries.csv"),
    output:
        tex=[f"{RESULTS}/tables/production_{t}.tex" for t in ("elasticities", "search")],
        csv=[f"{RESULTS}/tables/production_{t}.csv" for t in ("elasticities", "search")],
    params:
        truth=lambda wc, input: f"--truth {shlex.quote(str(input.truth))}" if input.truth else "",
        tfp_method=_measure_settings.from_mapping(config.get("measures")).tfp_method,
        outdir=lambda wc, output: os.path.dirname(output.tex[0]),
    log:
        f"{LOGS}/production_tables.log",
    benchmark:
        f"{BENCH}/production_tables.tsv"
    resources:
        mem_mb=500,
        runtime=5,
    shell:
        "upgrading production-tables --elasticities {input.elasticities:q} {params.truth}"
        " --tfp-method {params.tfp_method} --settings {input.settings:q} --industries {input.industries:q}"
        " --outdir {params.outdir:q} > {log:q} 2>&1"
