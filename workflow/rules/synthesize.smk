# Stage 1 (synthetic data only): the seeded synthetic ASIF world -> RAW.
# Writes the raw yearly files, the side files, the truth (never read by estimation)
# and RAW/SHA256SUMS. All DGP parameters come from config["synth"] (through its settings
# file: changing any of them, the scale or the seed reruns this job and everything downstream),
# and the truth's regressions the measures stage's cluster indicator (settings file cluster_rule).
# The main world uses `scale` and `seed`; a Monte Carlo world (worlds/mc<seed>/) its own seed
# at estimation.montecarlo.scale.
import os

SYNTH_MEM_MB = {"small": 1500, "medium": 2500, "full": 5000}
SYNTH_RUNTIME = {"small": 5, "medium": 10, "full": 20}


if SYNTHETIC:

    rule synthesize:
        input:
            headers=config["headers"],
            settings=settings_file("synth"),
            cluster_rule=settings_file(CLUSTER_RULE),
        output:
            raw=synthetic_year_files(),
            side=[side_file(name, WORLD) for name in SIDE_FILES],
            truth=[world_path(WORLD, f"{RAW}/truth/{name}") for name in
                   ("parameters.json", "firms.parquet", "mess.json", "oracle.json")],
            sums=world_path(WORLD, f"{RAW}/SHA256SUMS"),
        params:
            scale=world_scale,
            seed=lambda wc: world_seed(wc) if is_mc_world(wc) else config["seed"],
            first_year=YEARS[0],
            last_year=YEARS[-1],
            out=lambda wc, output: os.path.dirname(output.sums),
        log:
            world_path(WORLD, f"{LOGS}/synthesize.log"),
        benchmark:
            world_path(WORLD, f"{BENCH}/synthesize.tsv")
        priority: chain_priority
        resources:
            mem_mb=lambda wc: SYNTH_MEM_MB.get(world_scale(wc), 5000),
            runtime=lambda wc: SYNTH_RUNTIME.get(world_scale(wc), 20),
        shell:
            "upgrading synthesize --scale {params.scale} --seed {params.seed} --out {params.out:q} "
            "--first-year {params.first_year} --last-year {params.last_year} "
            "--headers {input.headers:q} --synth-json @{input.settings:q}"
            " --measures-json @{input.cluster_rule:q} > {log:q} 2>&1"
