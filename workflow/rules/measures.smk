# Stage 6: panel + presence table + TFP + side files -> analysis.parquet (spillovers, clusters, upgrading
# outcomes, 2002 catalogue treatment, city traits) and its codebook.
# Thin call of src/upgrading/measures/cli.py; runs in every world ({world}: common.smk).
import os


rule measures:
    input:
        panel=world_path(WORLD, f"{PROC}/panel.parquet"),
        presence=world_path(WORLD, f"{PROC}/presence.parquet"),
        tfp=world_path(WORLD, f"{PROC}/tfp.parquet"),
        io_table=side_file("io_table.csv", WORLD),
        catalogue=side_file("fdi_catalogue_2002.csv", WORLD),
        cities=side_file("cities.csv", WORLD),
        settings=settings_file("measures"),
    output:
        data=world_path(WORLD, f"{PROC}/analysis.parquet"),
        codebook=world_path(WORLD, f"{RESULTS}/codebook/analysis.csv"),
    params:
        raw_dir=lambda wc, input: os.path.dirname(input.cities),
    log:
        world_path(WORLD, f"{LOGS}/measures.log"),
    benchmark:
        world_path(WORLD, f"{BENCH}/measures.tsv")
    priority: chain_priority
    resources:
        mem_mb=8000,
        runtime=20,
    shell:
        "upgrading measures --panel {input.panel:q} --presence {input.presence:q} --tfp {input.tfp:q} --raw-dir {params.raw_dir:q}"
        " --out {output.data:q} --codebook {output.codebook:q} --config-json @{input.settings:q}"
        " > {log:q} 2>&1"
