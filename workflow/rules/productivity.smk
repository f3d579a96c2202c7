# Stage 5: panel -> firm-year log TFP (OLS, FE, LP, ACF) + elasticities by 2-digit industry.
# Thin call of src/upgrading/productivity/cli.py. Productivity reads only the panel (and the
# IO table if the law of motion uses backward/forward), so the DAG has no cycle with measures.
import json

_PROD_CFG = config.get("productivity", {}) or {}


def productivity_inputs(wildcards):
    inputs = {"panel": f"{PROC}/panel.parquet"}
    if {"backward", "forward"} & set(_PROD_CFG.get("markov_controls", [])):
        inputs["io_table"] = side_file("io_table.csv")
    return inputs


rule productivity:
    input:
        unpack(productivity_inputs),
    output:
        tfp=f"{PROC}/tfp.parquet",
        elasticities=f"{PROC}/production_elasticities.csv",
    params:
        cfg=json.dumps(_PROD_CFG, sort_keys=True),
        io_arg=lambda wc, input: f"--io-table {input.io_table}" if "io_table" in input.keys() else "",
    log:
        f"{LOGS}/productivity.log",
    benchmark:
        f"{BENCH}/productivity.tsv"
    resources:
        mem_mb=6000,
        runtime=20,
    shell:
        "upgrading productivity --panel {input.panel} --out {output.tfp}"
        " --elasticities {output.elasticities} --config-json '{params.cfg}' {params.io_arg}"
        " > {log} 2>&1"
