"""Names and titles of the fixed figures (import-light: read by the Snakefile)."""

DATA_FIGURES = ["foreign_presence", "smile_curve", "clusters"]
SYNTHETIC_FIGURES = ["recovery"]
FIGURE_TITLES = {
    "foreign_presence": "Foreign presence over time, by region and ownership",
    "smile_curve": "Value added per unit of output by industry, and over time in labour-intensive industries (the smile curve)",
    "clusters": "City by industry location quotients (cluster view)",
    "spec_curve": "Specification curve: the headline coefficient in every distinct registry specification",
    "recovery": "Pipeline validation: estimates against the synthetic truth",
}
