# Stage 1 (synthetic data only): the seeded synthetic ASIF world -> RAW.
# Writes the raw yearly files, the side files, the truth (never read by estimation)
# and RAW/SHA256SUMS (of the files synthesize writes). The estimands' feedback part comes from
# further worlds that do not depend on this one's data: rule estimand_feedback simulates them
# beside synthesize (off the data chain), and rule truth_parameters joins the two into
# truth/parameters.json (the same bytes as one `upgrading synthesize` run writes).
# All DGP parameters come from config["synth"] (through its settings file: changing any of
# them, the scale or the seed reruns this job and everything downstream),
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
                   ("parameters_before_feedback.json", "firms.parquet", "mess.json", "oracle.json")],
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
            " --measures-json @{input.cluster_rule:q} --feedback-later > {log:q} 2>&1"

    rule estimand_feedback:
        input:
            settings=settings_file("synth"),
            cluster_rule=settings_file(CLUSTER_RULE),
        output:
            world_path(WORLD, f"{RAW}/truth/feedback.json"),
        params:
            scale=world_scale,
            seed=lambda wc: world_seed(wc) if is_mc_world(wc) else config["seed"],
            first_year=YEARS[0],
            last_year=YEARS[-1],
        log:
            world_path(WORLD, f"{LOGS}/estimand_feedback.log"),
        benchmark:
            world_path(WORLD, f"{BENCH}/estimand_feedback.tsv")
        priority: chain_priority
        resources:
            mem_mb=lambda wc: SYNTH_MEM_MB.get(world_scale(wc), 5000),
            runtime=lambda wc: SYNTH_RUNTIME.get(world_scale(wc), 20),
        shell:
            "upgrading synthesize --scale {params.scale} --seed {params.seed} "
            "--first-year {params.first_year} --last-year {params.last_year} "
            "--synth-json @{input.settings:q} --measures-json @{input.cluster_rule:q}"
            " --feedback-out {output:q} > {log:q} 2>&1"

    rule truth_parameters:
        localrule: True
        input:
            own=world_path(WORLD, f"{RAW}/truth/parameters_before_feedback.json"),
            feedback=world_path(WORLD, f"{RAW}/truth/feedback.json"),
        output:
            world_path(WORLD, f"{RAW}/truth/parameters.json"),
        log:
            world_path(WORLD, f"{LOGS}/truth_parameters.log"),
        priority: chain_priority
        run:
            join_truth_files(input.own, input.feedback, output[0], log[0])
