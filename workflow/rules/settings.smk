# Stage settings files: the validated config section each stage reads (`--config-json @FILE`),
# shared by every world, so a job's command line stays short and editing a section reruns its stages.
import yaml

# libyaml's safe dumper when PyYAML has it (a quarter of the pure-Python one's time): every
# start evaluates the run configuration's param.
_YAML_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)

rule stage_settings:
    localrule: True
    priority: CHAIN_PRIORITY
    output:
        f"{RESULTS}/settings/{{section}}.json",
    params:
        settings=lambda wc: settings_json(wc.section),
    wildcard_constraints:
        section="|".join(SETTINGS_SECTIONS),
    log:
        f"{LOGS}/settings/{{section}}.log",
    run:
        write_settings_file(params.settings, output[0], log[0])


# The run's whole configuration (config.yaml with the command line's --config/--configfile on top),
# as the manifest records it and `make verify` rebuilds with it. YAML keeps the integer keys
# (years) that JSON would turn into strings.
rule run_config:
    localrule: True
    output:
        f"{RESULTS}/settings/config.yaml",
    params:
        config=lambda wc: yaml.dump(config, Dumper=_YAML_DUMPER, sort_keys=True, allow_unicode=True),
    log:
        f"{LOGS}/settings/config.log",
    run:
        write_settings_file(params.config, output[0], log[0])
