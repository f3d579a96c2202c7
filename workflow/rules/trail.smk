# The audit trail: every job of this DAG (rule, wildcards, program, settings, input and output
# files), resolved by Snakemake itself from the rules' own input/output declarations, written
# to RESULTS/trail.json. The exhibit map and `make audit` walk it back to the raw files.
import functools
import json
import os
import re

from snakemake.output_index import OutputIndex

from upgrading.cli import STEPS as _CLI_STEPS

_STEP_RE = re.compile(r"\bupgrading ([a-z][a-z-]*)")


def _program(rule_):
    """`upgrading <step>` (module:function) from the rule's shell command, or its first tool."""
    shell = rule_.shellcmd or ""
    m = _STEP_RE.search(shell)
    if m and m.group(1) in _CLI_STEPS:
        return f"upgrading {m.group(1)} ({_CLI_STEPS[m.group(1)]})"
    if "latexmk" in shell:
        return "latexmk (pdflatex, bibtex)"
    return f"Python run block ({os.path.relpath(rule_.snakefile)})"


@functools.cache
def _output_index():
    """Snakemake's own lookup of rules by output prefix and suffix (built once all rules exist)."""
    return OutputIndex(list(workflow.rules))


def _producer(path):
    found = sorted((r for r in _output_index().match_producers(path) if r.name != "all" and r.output),
                   key=lambda r: r.name)
    if len(found) > 1:
        raise WorkflowError(f"trail: {path} matches rules {[r.name for r in found]}")
    return found[0] if found else None


# Once per path, and each job once however many of its outputs are asked for: every start, one
# with nothing to do included, evaluates the trail (a param). A job found is known by all its
# outputs at once.
_JOBS = {}
_MADE_BY = {}


@functools.cache
def _job_making(path):
    """(key, job) of the job that makes `path`, resolved by Snakemake's own rules; None if no rule does."""
    if path in _MADE_BY:
        return _MADE_BY[path], _JOBS[_MADE_BY[path]]
    rule_ = _producer(path)
    if rule_ is None:
        return None
    wc = rule_.get_wildcards(path)
    # The main world's {world} is empty: its jobs are named by their other wildcards only.
    shown = {k: v for k, v in wc.items() if not (k == "world" and v == "")}
    key = json.dumps([rule_.name, shown], sort_keys=True)
    if key not in _JOBS:
        inputs = [str(f) for f in rule_.expand_input(wc)[0]]
        outputs = [str(o.apply_wildcards(wc)) for o in rule_.output]
        _JOBS[key] = {
            "rule": rule_.name,
            "wildcards": dict(sorted(shown.items())),
            "program": _program(rule_),
            "settings": sorted(rule_.params._names),
            "inputs": sorted(dict.fromkeys(inputs)),
            "outputs": sorted(outputs),
        }
        _MADE_BY.update(dict.fromkeys(outputs, key))
    return key, _JOBS[key]


def _dag_jobs(targets):
    """Every job the targets need and the files no rule makes."""
    jobs, sources, seen = {}, set(), set()
    todo = [str(f) for f in targets]
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        made = _job_making(path)
        if made is None:
            sources.add(path)
            continue
        key, job = made
        if key not in jobs:
            jobs[key] = job
            todo.extend(job["inputs"])
    return [jobs[k] for k in sorted(jobs)], sorted(sources)


def dag_trail_json(wildcards=None):
    """The whole DAG (from rule `all`'s inputs back to the files no rule makes) as canonical JSON."""
    jobs, sources = _dag_jobs(rules.all.input)
    return json.dumps({"schema": "upgrading-trail/1", "raw_dir": RAW, "results_dir": RESULTS,
                       "jobs": jobs, "sources": sources}, indent=1, sort_keys=True, ensure_ascii=False)


rule dag_trail:
    # The JSON is the param: a change of the DAG (a rule's files, a family) rewrites the file.
    localrule: True
    output:
        f"{RESULTS}/trail.json",
    params:
        dag=dag_trail_json,
    log:
        f"{LOGS}/dag_trail.log",
    run:
        from upgrading.core import io

        io.write_text(params.dag + "\n", output[0])
        with open(log[0], "w") as fh:
            fh.write(f"trail: {len(json.loads(params.dag)['jobs'])} jobs -> {output[0]}\n")
