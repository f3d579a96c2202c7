"""The synthetic ASIF world: a seeded data-generating process that writes raw yearly files
in the ASIF layout (with the real mess) and the truth needed to validate the pipeline.

Modules: geography (cities), industries (classes, concordance, IO table, deflators,
catalogue), population (new firms, technology), dynamics (one year, spillover fixed
point), simulate (the year loop), world (assembly), identity (names, IDs), records (raw
values), mess (defects), layouts (file names of each layout), writer (csv layout), truth (estimands, oracle),
estimands (the feedback part joined to a world's truth), describe (calibration table), generate and cli (`upgrading synthesize`).
"""
