"""What every stage shares: formulas, column vocabularies, io, errors, the spec registry.

A stage package (asif, synth, productivity, measures, analysis, exhibits) imports this
package and its own modules, never another stage: stages meet only through the files of
their contracts (docs/contracts.md). tests/core/test_imports.py checks it.
"""
