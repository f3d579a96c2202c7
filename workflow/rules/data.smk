# Stages 2-4: raw ASIF year files -> ingested -> linked (firm_id) -> cleaned firm panel and the
# presence table (the firm-years the spillover measures count).
# Each rule is a thin call of the package CLI (src/upgrading/asif/cli.py). Ingest, link and
# clean run in every world ({world}: common.smk); link_truth in the main world only.
import os


rule ingest:
    input:
        raw=raw_year_files,
        headers=config["headers"],
    output:
        data=world_path(WORLD, f"{PROC}/ingested.parquet"),
        audit=world_path(WORLD, f"{RESULTS}/audit/ingest.csv"),
        columns=world_path(WORLD, f"{RESULTS}/audit/ingest_columns.csv"),
    params:
        raw_dir=lambda wc: world_path(wc.world, RAW),
        file_pattern=lambda wc: "asif_{year}" if SYNTHETIC else RAW_FILES,
        years=f"{config['first_year']}-{config['last_year']}",
    log:
        world_path(WORLD, f"{LOGS}/ingest.log"),
    benchmark:
        world_path(WORLD, f"{BENCH}/ingest.tsv")
    priority: chain_priority
    resources:
        mem_mb=4000,
        runtime=20,
    shell:
        "upgrading ingest --raw-dir {params.raw_dir:q} --headers {input.headers:q}"
        " --years {params.years} --file-pattern {params.file_pattern:q} --out {output.data:q}"
        " --audit {output.audit:q} --columns-audit {output.columns:q} > {log:q} 2>&1"


rule link:
    input:
        data=world_path(WORLD, f"{PROC}/ingested.parquet"),
        concordance=side_file("cic_concordance.csv", WORLD),
    output:
        data=world_path(WORLD, f"{PROC}/linked.parquet"),
        audit=world_path(WORLD, f"{RESULTS}/audit/linking.csv"),
    params:
        raw_dir=lambda wc, input: os.path.dirname(input.concordance),
    log:
        world_path(WORLD, f"{LOGS}/link.log"),
    benchmark:
        world_path(WORLD, f"{BENCH}/link.tsv")
    priority: chain_priority
    resources:
        mem_mb=4000,
        runtime=20,
    shell:
        "upgrading link --data {input.data:q} --raw-dir {params.raw_dir:q}"
        " --out {output.data:q} --audit {output.audit:q} > {log:q} 2>&1"


if SYNTHETIC:

    # Link precision and recall against the synthetic truth (the link stage never reads it).
    rule link_truth:
        input:
            data=f"{PROC}/linked.parquet",
            truth=f"{RAW}/truth/firms.parquet",
        output:
            f"{RESULTS}/audit/linking_truth.csv",
        log:
            f"{LOGS}/link_truth.log",
        benchmark:
            f"{BENCH}/link_truth.tsv"
        resources:
            mem_mb=2000,
            runtime=10,
        shell:
            "upgrading link-truth --data {input.data:q} --truth {input.truth:q} --out {output:q} > {log:q} 2>&1"


rule clean:
    input:
        data=world_path(WORLD, f"{PROC}/linked.parquet"),
        headers=config["headers"],
        settings=settings_file("cleaning"),
        cities=side_file("cities.csv", WORLD),
        deflators=side_file("deflators.csv", WORLD),
        investment_prices=side_file("investment_prices.csv", WORLD),
        concordance=side_file("cic_concordance.csv", WORLD),
    output:
        data=world_path(WORLD, f"{PROC}/panel.parquet"),
        presence=world_path(WORLD, f"{PROC}/presence.parquet"),
        audit=world_path(WORLD, f"{RESULTS}/audit/cleaning.csv"),
        codebook=world_path(WORLD, f"{RESULTS}/codebook/panel.csv"),
        trace=world_path(WORLD, f"{RESULTS}/audit/cleaning_rows.parquet"),
    params:
        raw_dir=lambda wc, input: os.path.dirname(input.cities),
    log:
        world_path(WORLD, f"{LOGS}/clean.log"),
    benchmark:
        world_path(WORLD, f"{BENCH}/clean.tsv")
    priority: chain_priority
    resources:
        mem_mb=5000,
        runtime=20,
    shell:
        "upgrading clean --data {input.data:q} --raw-dir {params.raw_dir:q} --headers {input.headers:q}"
        " --config-json @{input.settings:q} --out {output.data:q} --audit {output.audit:q}"
        " --codebook {output.codebook:q} --trace {output.trace:q} --presence {output.presence:q}"
        " > {log:q} 2>&1"
