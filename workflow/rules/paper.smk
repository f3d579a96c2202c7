# The paper (latexmk inside the DAG) and the manifest of every input and output hash.
import os

# The paper finds generated exhibits as tables/X.tex and figures/X.pdf on TEXINPUTS,
# given relative to paper/ so no absolute path of this checkout ends up in the PDF.
PAPER_TEXINPUTS = os.path.relpath(RESULTS, "paper")


rule paper:
    input:
        tex="paper/paper.tex",
        bib="paper/references.bib",
        numbers=f"{RESULTS}/numbers.tex",
        tables=[f"{RESULTS}/tables/{t}.tex" for t in TABLES],
        production=rules.production_tables.output.tex,
        summary=rules.summary_stats.output,
        appendix=f"{RESULTS}/tables/specs_appendix.tex",
        additional=f"{RESULTS}/tables/additional.tex",
        coverage=[f"{RESULTS}/tables/coverage.tex"] if USE_COVERAGE else [],
        coverage_reference=[f"{RESULTS}/tables/coverage_reference.tex"] if MC_REFERENCE else [],
        figures=[f"{RESULTS}/figures/{n}.pdf" for n in FIGURES],
    output:
        report("paper/paper.pdf", caption="../report/paper.rst", category="Paper"),
    params:
        epoch=EXH_EPOCH,
        texinputs=PAPER_TEXINPUTS,
    log:
        f"{LOGS}/paper.log",
    benchmark:
        f"{BENCH}/paper.tsv"
    resources:
        mem_mb=1000,
        runtime=10,
    shell:
        # A fresh build directory each time: latexmk's state from an older run cannot leak in.
        # SOURCE_DATE_EPOCH + FORCE_SOURCE_DATE fix the PDF dates (and \today): same bytes each build.
        # The log check turns undefined references and citations into a failed job.
        "rm -rf paper/build && mkdir -p paper/build && cd paper &&"
        " TEXINPUTS={params.texinputs:q}: SOURCE_DATE_EPOCH={params.epoch} FORCE_SOURCE_DATE=1"
        " latexmk -pdf -interaction=nonstopmode -halt-on-error -outdir=build paper.tex > ../{log:q} 2>&1 &&"
        " if grep -E '(Reference|Citation) .* undefined|There were undefined' build/paper.log >> ../{log:q};"
        " then echo 'paper: undefined references (see above)' >> ../{log:q}; exit 1; fi &&"
        " cp build/paper.pdf paper.pdf"


rule manifest:
    # Hashes the paper, the exhibit map, the trail and every file the DAG makes on the way to
    # them (the job reads the chain from trail.json: workflow/rules/trail.smk), with the raw folder
    # and the run's configuration.
    input:
        paper="paper/paper.pdf",
        exhibits=rules.exhibit_map.output,
        trail=f"{RESULTS}/trail.json",
        config=rules.run_config.output,
    output:
        f"{RESULTS}/manifest.json",
    params:
        raw_dir=RAW,
    log:
        f"{LOGS}/manifest.log",
    benchmark:
        f"{BENCH}/manifest.tsv"
    resources:
        mem_mb=500,
        runtime=10,
    shell:
        # Raw inputs: the whole raw directory (yearly files, side files, synthetic truth); it
        # precedes every job above, so it is complete when this runs.
        "upgrading manifest --inputs {params.raw_dir:q} --trail {input.trail:q}"
        " --chain-of {input.paper:q} {input.exhibits:q} --outputs {input.trail:q} {input.config:q}"
        " --config-yaml @{input.config:q} --out {output:q} > {log:q} 2>&1"
