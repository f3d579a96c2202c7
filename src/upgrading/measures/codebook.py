"""Codebook of analysis.parquet: one row (name, meaning, unit, source) per column."""

from __future__ import annotations

_SPILL = "measures stage, upgrading.core.spillovers over PROC/presence.parquet (docs/contracts.md formulas)"
_IY = "2-digit industry x year"

# name -> (meaning, unit, source)
ENTRIES: dict[str, tuple[str, str, str]] = {
    "tfp_ols": ("log TFP, y - b_l l - b_k k, OLS elasticities by 2-digit industry", "log", "productivity stage"),
    "tfp_fe": ("log TFP with within (firm FE) elasticities", "log", "productivity stage"),
    "tfp_lp": ("log TFP with Levinsohn-Petrin elasticities", "log", "productivity stage"),
    "tfp_acf": ("log TFP with Ackerberg-Caves-Frazer elasticities", "log", "productivity stage"),
    "domestic": ("no HMT and no other foreign capital", "bool", "hmt_share == 0 and other_foreign_share == 0"),
    "horizontal": (f"output-weighted foreign capital share of the other firms in the firm's {_IY} "
                   "(own output left out)", "share [0,1]", _SPILL),
    "horizontal_hmt": (f"output-weighted HMT capital share of the other firms, {_IY}", "share [0,1]", _SPILL),
    "horizontal_other": (f"output-weighted other-foreign capital share of the other firms, {_IY}",
                         "share [0,1]", _SPILL),
    **{f"{h}_lag1": (f"output-weighted {w} capital share of all firms in the firm's 2-digit industry "
                     "in year t-1 (industry-year value)", "share [0,1]", _SPILL)
       for h, w in (("horizontal", "foreign"), ("horizontal_hmt", "HMT"), ("horizontal_other", "other-foreign"))},
    "backward": ("sum_{k!=j} alpha_jk horizontal_kt: foreign presence in buying industries",
                 "share-weighted", _SPILL + "; io_table.csv alpha"),
    "backward_hmt": ("backward with horizontal_hmt", "share-weighted", _SPILL),
    "backward_other": ("backward with horizontal_other", "share-weighted", _SPILL),
    "forward": ("sum_{m!=j} sigma_mj x foreign share of m's output sold at home (Y - X)",
                "share-weighted", _SPILL + "; io_table.csv sigma"),
    "forward_hmt": ("forward with HMT shares", "share-weighted", _SPILL),
    "forward_other": ("forward with other-foreign shares", "share-weighted", _SPILL),
    "horizontal_local": ("output-weighted foreign capital share of the other firms in the firm's "
                         "city x 2-digit industry x year (leave-one-out; NaN if alone in the cell)",
                         "share [0,1]", _SPILL),
    "horizontal_local_lag1": ("horizontal_local of the firm's current city x industry cell in year t-1, "
                              "the firm's own t-1 row left out (NaN if no other firm there)",
                              "share [0,1]", _SPILL),
    "location_quotient": ("(E_cj/E_c)/(E_j/E): employment location quotient, city x 2-digit industry x year",
                          "ratio", "measures stage, upgrading.core.clusters"),
    "n_firms_cell": ("firms in the city x 2-digit industry x year cell", "count",
                     "measures stage, upgrading.core.clusters"),
    "eg_index": ("Ellison-Glaeser concentration index of the 4-digit industry, by year "
                 "(NaN for single-firm industries)", "index", "measures stage, upgrading.core.clusters"),
    "cluster": ("1 if the cell's location_quotient >= lq_threshold with >= cluster_min_firms firms "
                "(and the 4-digit industry's eg_index >= eg_threshold when set), in the cell's first sample "
                "year (measures.cluster_year: first) or the current year (current)", "0/1",
                "config measures: + upgrading.core.clusters.indicator"),
    "new_product_share": ("new product output / gross output", "ratio", "panel new_product, output"),
    "export_intensity": ("export delivery value / sales", "ratio", "panel exports, sales"),
    "va_ratio": ("value added / gross output", "ratio", "panel value_added, output"),
    "tfp_growth": ("tfp_t - tfp_{t-1}, same firm, consecutive years (TFP method: measures.tfp_method)",
                   "log points", "tfp.parquet"),
    "absorptive_capacity": ("initial distance to the industry TFP frontier: frontier quantile of TFP in the "
                            "firm's industry2-year minus firm TFP, in its first year; larger = further behind",
                            "log points", "tfp.parquet; config measures.frontier_quantile"),
    "encouraged": ("4-digit industry moved to 'encouraged' in the 2002 FDI Catalogue", "0/1",
                   "fdi_catalogue_2002.csv"),
    "post2002": ("year >= measures.post_from_year (Catalogue in force from April 2002)", "0/1", "year"),
    "encouraged_post": ("encouraged x post2002", "0/1", "fdi_catalogue_2002.csv, year"),
    "coastal": ("1 if the firm's region is one of measures.coastal_regions", "0/1", "region"),
    "labour_intensive": ("1 if the 2-digit industry is one of measures.labour_intensive_industries "
                         "(textiles, apparel, footwear)", "0/1", "industry2"),
    "state_owned": ("1 if the ownership class is soe", "0/1", "ownership"),
    "bargaining": ("city government's bargaining strength over FIEs (NaN if cities.csv lacks it)",
                   "index [0,1]", "cities.csv"),
    "symmetry": ("symmetry of city government and local business (NaN if cities.csv lacks it)",
                 "index [0,1]", "cities.csv"),
    "open_network": ("openness of local inter-firm networks (NaN if cities.csv lacks it)",
                     "index [0,1]", "cities.csv"),
}


def _panel_entry(name: str) -> tuple[str, str, str] | None:
    # The cleaning stage documents its own columns; reuse its words for pass-through columns.
    try:
        from upgrading.core.codebook import ENTRIES as PANEL
    except ImportError:  # pragma: no cover - cleaning stage absent
        return None
    if name in PANEL:
        meaning, unit, _raw, how = PANEL[name][:4]
        return meaning, unit, "panel.parquet" + (f" ({how})" if how else "")
    return None


def analysis_columns() -> list[str]:
    """Every column analysis.parquet has by its contract (docs/contracts.md): the panel columns,
    the measures of this codebook, and the t-1 value (`*_lag1`) of each spillover measure."""
    from upgrading.core.codebook import ENTRIES as PANEL

    lags = {f"{name}_lag1" for name, (_, _, source) in ENTRIES.items()
            if source.startswith(_SPILL) and not name.endswith("_lag1")}
    return sorted(set(PANEL) | set(ENTRIES) | lags)


def entry(name: str) -> tuple[str, str, str]:
    if name in ENTRIES:
        return ENTRIES[name]
    if name.endswith("_lag1") and name[:-5] in ENTRIES:
        meaning, unit, source = ENTRIES[name[:-5]]
        return f"{name[:-5]} of the same cell in year t-1: {meaning}", unit, source
    found = _panel_entry(name)
    if found:
        return found
    return "passed through from panel.parquet (see the panel codebook)", "", "panel.parquet"


def codebook(columns: list[str]):
    import pandas as pd  # here, so the contract loads at parse time without pandas

    return pd.DataFrame([(c, *entry(c)) for c in columns], columns=["name", "meaning", "unit", "source"])
