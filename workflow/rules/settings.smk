# Stage settings files: the validated config section each stage reads (`--config-json @FILE`),
# shared by every world, so a job's command line stays short and editing a section reruns its stages.

rule stage_settings:
    localrule: True
    output:
        f"{RESULTS}/settings/{{section}}.json",
    params:
        settings=lambda wc: settings_json(wc.section),
    wildcard_constraints:
        section="|".join(SETTINGS_SECTIONS),
    log:
        f"{LOGS}/settings/{{section}}.log",
    benchmark:
        f"{BENCH}/settings/{{section}}.tsv"
    run:
        from upgrading.core import io

        io.write_text(params.settings + "\n", output[0])
        with open(log[0], "w") as fh:
            fh.write(f"{wildcards.section}: {len(params.settings)} characters -> {output[0]}\n")
