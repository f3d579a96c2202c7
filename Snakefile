# FDI spillovers and local industrial upgrading in Chinese manufacturing.
# One command (`make reproduce`) runs this DAG from raw ASIF-layout files to paper/paper.pdf.
from snakemake.utils import min_version, validate

min_version("9.0")


configfile: "config/config.yaml"


validate(config, "workflow/schemas/config.schema.yaml")


include: "workflow/rules/common.smk"
include: "workflow/rules/synthesize.smk"
include: "workflow/rules/data.smk"
include: "workflow/rules/productivity.smk"
include: "workflow/rules/measures.smk"
include: "workflow/rules/estimation.smk"
include: "workflow/rules/exhibits.smk"
include: "workflow/rules/paper.smk"


rule all:
    default_target: True
    input:
        "paper/paper.pdf",
        f"{RESULTS}/manifest.json",
