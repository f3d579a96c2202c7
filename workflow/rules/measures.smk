# Stage 6: panel + TFP + side files -> analysis.parquet (spillovers, clusters, upgrading
# outcomes, 2002 catalogue treatment, city traits) and its codebook.
# Thin call of src/upgrading/measures/cli.py.
import json
import os


rule measures:
    input:
        panel=f"{PROC}/panel.parquet",
        tfp=f"{PROC}/tfp.parquet",
        io_table=side_file("io_table.csv"),
        catalogue=side_file("fdi_catalogue_2002.csv"),
        cities=side_file("cities.csv"),
    output:
        data=f"{PROC}/analysis.parquet",
        codebook=f"{RESULTS}/codebook/analysis.csv",
    params:
        raw_dir=lambda wc, input: os.path.dirname(input.cities),
        cfg=json.dumps(config.get("measures", {}) or {}, sort_keys=True),
    log:
        f"{LOGS}/measures.log",
    benchmark:
        f"{BENCH}/measures.tsv"
    resources:
        mem_mb=8000,
        runtime=20,
    shell:
        "upgrading measures --panel {input.panel:q} --tfp {input.tfp:q} --raw-dir {params.raw_dir:q}"
        " --out {output.data:q} --codebook {output.codebook:q} --config-json {params.cfg:q}"
        " > {log:q} 2>&1"
