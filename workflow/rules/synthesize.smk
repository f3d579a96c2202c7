# Stage 1 (synthetic data only): the seeded synthetic ASIF world -> RAW.
# Writes the raw yearly files, the side files, the truth (never read by estimation)
# and RAW/SHA256SUMS. All DGP parameters come from config["synth"] (params: changing
# any of them, the scale or the seed reruns this job and everything downstream).
import json
import os

SYNTH_MEM_MB = {"small": 1500, "medium": 2500, "full": 5000}
SYNTH_RUNTIME = {"small": 5, "medium": 10, "full": 20}

if SYNTHETIC:

    rule synthesize:
        input:
            headers=config["headers"],
        output:
            raw=raw_year_files(),
            side=[side_file(name) for name in SIDE_FILES],
            truth=[f"{RAW}/truth/{name}" for name in
                   ("parameters.json", "firms.parquet", "mess.json", "oracle.json")],
            sums=f"{RAW}/SHA256SUMS",
        params:
            scale=config["scale"],
            seed=config["seed"],
            first_year=YEARS[0],
            last_year=YEARS[-1],
            # JSON keys are strings: round-trip first so year/industry keys sort with "default".
            synth=json.dumps(json.loads(json.dumps(config["synth"])), sort_keys=True, ensure_ascii=False),
            out=lambda wc, output: os.path.dirname(output.sums),
        log:
            f"{LOGS}/synthesize.log",
        benchmark:
            f"{BENCH}/synthesize.tsv"
        resources:
            mem_mb=SYNTH_MEM_MB.get(config["scale"], 5000),
            runtime=SYNTH_RUNTIME.get(config["scale"], 20),
        shell:
            "upgrading synthesize --scale {params.scale} --seed {params.seed} --out {params.out:q} "
            "--first-year {params.first_year} --last-year {params.last_year} "
            "--headers {input.headers:q} --synth-json {params.synth:q} > {log:q} 2>&1"
