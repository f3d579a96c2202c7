# FDI spillovers and local industrial upgrading in Chinese manufacturing.
# One command (`make reproduce`) runs this DAG from raw ASIF-layout files to paper/paper.pdf.
import gc
import os
import sys

# Everything Snakemake has imported so far lives as long as this process: move it out of the
# cyclic collector's reach, which otherwise re-scans it at every collection while the rules
# are parsed and the DAG is built (about a fifth of a start with nothing to do).
gc.freeze()

from snakemake.exceptions import WorkflowError
from snakemake.utils import min_version

# The rules' parse-time helpers come from this checkout's src/ (they import no pandas): the
# environment that runs Snakemake (.venv-snakemake) holds Snakemake, not the project, whose
# `upgrading` command the jobs run from .venv.
sys.path.insert(0, os.path.join(workflow.basedir, "src"))

from snakemake.utils import update_config

from upgrading import config_check
from upgrading.core.io import read_yaml

min_version("9.0")

# config/config.yaml read with libyaml (the `configfile:` directive's parser is pure Python and
# takes a tenth of a second on it at every start); as with that directive, --configfile files
# and --config items given on the command line take precedence, key by key.
_config_given = dict(config)
config.clear()
config.update(read_yaml("config/config.yaml"))
update_config(config, _config_given)


# A short message naming the key, its value and what is allowed (snakemake's own validate would
# print the whole schema and configuration); then the schema's defaults fill the missing keys.
# Both checks (this one and the registry's, common.smk) are remembered by the content checked
# and the code checking it, uv.lock included (core/parse_checks.py).
CONFIG_SCHEMA = "workflow/schemas/config.schema.yaml"
PARSE_CHECK_CONTEXT = [open(os.path.join(workflow.basedir, "uv.lock"), "rb").read()]
_config_problems = config_check.checked(config, CONFIG_SCHEMA, PARSE_CHECK_CONTEXT)
if _config_problems:
    raise WorkflowError(f"invalid configuration (checked against {CONFIG_SCHEMA}):\n  "
                        + "\n  ".join(_config_problems))


include: "workflow/rules/common.smk"
include: "workflow/rules/settings.smk"
include: "workflow/rules/trail.smk"
include: "workflow/rules/synthesize.smk"
include: "workflow/rules/data.smk"
include: "workflow/rules/productivity.smk"
include: "workflow/rules/measures.smk"
include: "workflow/rules/estimation.smk"
include: "workflow/rules/exhibits.smk"
include: "workflow/rules/paper.smk"


# Every other rule of the main world before the Monte Carlo draws (common.smk: MAIN_PRIORITY;
# the data chain and the headline families set their own, higher priorities).
for _rule in workflow.rules:
    if _rule.priority == 0 and _rule.name not in MC_RULES:
        _rule.priority = MAIN_PRIORITY


rule all:
    default_target: True
    input:
        "paper/paper.pdf",
        f"{RESULTS}/manifest.json",
