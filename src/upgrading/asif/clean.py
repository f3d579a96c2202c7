"""Clean: linked raw rows -> one row per firm-year (PROC/panel.parquet), with an audit waterfall.

Every rule is named, switchable and parameterised from the `cleaning:` section
of config/config.yaml (upgrading.asif.settings); each becomes one row of
results/audit/cleaning.csv. Rules run in the order of RULE_ORDER; rows leave
the data only through Waterfall.drop, so rows read = rows kept + rows dropped.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from upgrading.asif import capital, industry, ownership
from upgrading.asif.audit import Waterfall
from upgrading.asif.settings import Settings
from upgrading.core import presence
from upgrading.core.columns import MONEY
from upgrading.core.errors import InputError

TRACE = ["firm_id", "year", "source_file", "source_row", "link_stage"]

def _on(cfg: Settings, rule: str) -> bool:
    return getattr(cfg, rule).enabled


# Identity columns only the linker and the exact-duplicate test read: not carried into the copies.
LINKER_ONLY = ["representative", "phone", "main_product", "link_stage"]


def resolve_duplicates(data: pd.DataFrame, wf: Waterfall, cfg: Settings) -> pd.DataFrame:
    """Exact duplicates, then the same firm-year with different values (one copy at the end,
    without the LINKER_ONLY columns)."""
    value_cols = [c for c in data.columns if c not in ("source_file", "source_row", "link_stage")]
    fy = data[["firm_id", "year"]]
    exact = np.zeros(len(data), dtype=bool)
    if _on(cfg, "exact_duplicates"):
        # hash all value columns only where the firm-year repeats (a few rows), not everywhere
        same = fy.duplicated(keep=False).to_numpy()
        exact[same] = data.loc[same].duplicated(subset=value_cols, keep="first").to_numpy()
    conflict = np.zeros(len(data), dtype=bool)
    if _on(cfg, "duplicate_firm_year"):
        alive = ~exact
        dup = np.zeros(len(data), dtype=bool)
        dup[alive] = fy.loc[alive].duplicated(keep=False).to_numpy()
        logy = np.log(data["output"].astype(float).where(data["output"] > 0)).where(alive)
        ref = logy.where(~dup).groupby(data["firm_id"]).transform("median")
        distance = (logy - ref).abs().fillna(np.inf).to_numpy()
        idx = np.flatnonzero(dup)
        filled = data.iloc[idx][value_cols].notna().sum(axis=1).to_numpy()  # the repeated rows only
        order = idx[np.lexsort((data["source_row"].to_numpy()[idx], -filled, distance[idx],
                                data["year"].to_numpy()[idx], data["firm_id"].to_numpy()[idx]))]
        loser = fy.iloc[order].duplicated(keep="first").to_numpy()
        conflict[order[loser]] = True
    rules = []
    if _on(cfg, "exact_duplicates"):
        rules.append(("exact_duplicates", exact,
                      "identical rows (same firm-year, every value equal): later copies"))
    if _on(cfg, "duplicate_firm_year"):
        rules.append(("duplicate_firm_year", conflict,
                      "same firm-year twice with different values: kept the record whose log output is "
                      "closest to the firm's other years (else most non-missing values, else earlier raw line)"))
    return wf.drop_many(data.drop(columns=LINKER_ONLY, errors="ignore"), rules)


SLIP_SIGNALS = ["output", "sales", "intermediate", "total_assets", "fixed_assets", "wage_bill"]


def slip_score(data: pd.DataFrame, industry2: pd.Series) -> pd.Series:
    """Median over several money variables of log10(value per worker) minus its industry2-year
    median. A row reported in yuan moves every variable by log10(1000) = 3; a typo in one
    variable (an outlier) barely moves the median."""
    keys = [industry2, data["year"]]
    emp = data["employment"].astype(float)
    devs = []
    for col in SLIP_SIGNALS:
        per_worker = data[col].astype(float) / emp
        r = np.log10(per_worker.where(per_worker > 0))
        devs.append((r - r.groupby(keys).transform("median")).to_numpy())
    return pd.Series(nanmedian_columns(np.vstack(devs)), index=data.index)


def nanmedian_columns(stack: np.ndarray) -> np.ndarray:
    """np.nanmedian(stack, axis=0), the same numbers (NaN where a column has no value), from one
    sort: numpy's masks the array for a short axis and holds several copies of it, which raised the
    clean stage's peak memory at full scale (and took five times as long)."""
    ordered = np.sort(stack, axis=0)  # NaN last
    n = (~np.isnan(stack)).sum(axis=0)
    low = np.take_along_axis(ordered, np.maximum((n - 1) // 2, 0)[None], axis=0)[0]
    high = np.take_along_axis(ordered, (n // 2)[None], axis=0)[0]
    out = (low + high) / 2
    out[n == 0] = np.nan  # all-missing rows give NaN, which is not a slip
    return out


def _other_rows_min(values: pd.Series, groups: pd.Series) -> np.ndarray:
    """For each row, the minimum of `values` over the other rows of its group (NaN if none)."""
    frame = pd.DataFrame({"g": groups.to_numpy(), "v": values.to_numpy()})
    g = frame.groupby("g")["v"]
    lowest = g.transform("min").to_numpy()
    is_lowest = (g.rank(method="first") == 1).to_numpy()
    second = frame["v"].where(~is_lowest).groupby(frame["g"]).transform("min").to_numpy()
    return np.where(is_lowest, second, lowest)


def repair_unit_slips(data: pd.DataFrame, wf: Waterfall, cfg: Settings, industry2: pd.Series) -> pd.DataFrame:
    c = cfg.unit_slips
    if not c.enabled:
        return data
    score = slip_score(data, industry2)
    dev_firm = score.to_numpy() - _other_rows_min(score, data["firm_id"])
    dev_ind = score.to_numpy()
    with np.errstate(invalid="ignore"):
        slip = (((dev_firm > c.firm_log10) & (dev_ind > c.industry_log10_min))
                | (dev_ind > c.industry_log10))
    data = data.copy(deep=False)  # copy-on-write: columns edited below are copied, not the rest
    cols = [m for m in MONEY if m in data.columns]
    data.loc[slip, cols] = data.loc[slip, cols] / c.factor
    return wf.change(data, slip, "unit_slips",
                     f"money values {c.factor:g}x too large: the median over {', '.join(SLIP_SIGNALS)} "
                     f"of log10(value per worker) is far above the firm's other years and the industry-year "
                     f"median; every money column divided by {c.factor:g}")


def filter_rules(data: pd.DataFrame, cfg: Settings, cities: pd.DataFrame) -> list[tuple[str, np.ndarray, str]]:
    """Row-wise filters on reported values (before deflation), in this order: reporting errors
    first, then sample selection (employment), so an erroneous row is counted as an error."""
    rules = []
    if _on(cfg, "missing_key"):
        cols = list(cfg.missing_key.variables)
        rules.append(("missing_key", data[cols].isna().any(axis=1).to_numpy(),
                      f"missing any of {', '.join(cols)}"))
    if _on(cfg, "non_manufacturing"):
        valid4 = data["industry4_code"].str.fullmatch(r"\d{4}").fillna(False).to_numpy(dtype=bool)
        rules.append(("non_manufacturing", ~(industry.is_manufacturing(data["industry2"]) & valid4),
                      "4-digit CIC 2002 code missing or outside manufacturing divisions 13-43 (no 38)"))
    if _on(cfg, "unknown_city"):
        rules.append(("unknown_city", ~data["city"].isin(cities["city"]).fillna(False).to_numpy(dtype=bool),
                      "region code whose prefecture (first 4 digits + 00) is not in cities.csv"))
    if _on(cfg, "accounting_identities"):
        ta = data["total_assets"]
        bad = ((ta < data["current_assets"]) | (ta < data["fixed_assets"])
               | (ta < data["net_fixed_assets"])).fillna(False).to_numpy()
        rules.append(("accounting_identities", bad, "total assets below current, fixed or net fixed assets"))
    if _on(cfg, "negative_values"):
        cols = list(cfg.negative_values.variables)
        rules.append(("negative_values", (data[cols] < 0).fillna(False).any(axis=1).to_numpy(),
                      f"negative {', '.join(cols)}"))
    if _on(cfg, "invalid_founding_year"):
        fy = data["founding_year"].astype("Float64")
        bad = (fy.isna() | (fy > data["year"]) | (fy < cfg.invalid_founding_year.earliest))
        rules.append(("invalid_founding_year", bad.fillna(True).to_numpy(dtype=bool),
                      f"founding year missing, after the survey year or before "
                      f"{cfg.invalid_founding_year.earliest}"))
    if _on(cfg, "min_employment"):
        t = cfg.min_employment.threshold
        rules.append(("min_employment", (data["employment"] < t).fillna(False).to_numpy(),
                      f"employment below {t} persons"))
    return rules


def attach_deflators(data: pd.DataFrame, deflators: pd.DataFrame) -> pd.DataFrame:
    """Output, input and investment deflators by industry2-year (missing where none is listed)."""
    d = deflators[["industry2", "year", "output_deflator", "input_deflator", "investment_deflator"]]
    d = d.astype({"industry2": "int64", "year": "int64"}).set_index(["industry2", "year"])
    key = pd.MultiIndex.from_arrays([data["industry2"].astype("Int64").fillna(-1).astype("int64"),
                                     data["year"].astype("int64")])
    looked = d.reindex(key)
    out = data.copy(deep=False)
    for col in d.columns:
        out[col] = looked[col].to_numpy()
    return out


def check_deflators(data: pd.DataFrame) -> None:
    """Every kept row needs its three deflators: a gap in deflators.csv is bad input."""
    missing = data[["output_deflator", "input_deflator", "investment_deflator"]].isna().any(axis=1)
    if missing.any():
        pairs = data.loc[missing, ["industry2", "year"]].drop_duplicates().head(5).to_numpy().tolist()
        raise InputError(f"no deflator for industry2-year {pairs}", file="deflators.csv")


CAPITAL_FLAGS = {
    "no_original_value": "no capital: no original value of fixed assets (or no investment deflator) "
                         "reported in this or an earlier year of the firm",
    "original_value_gap": "original value missing after the firm's first year: no investment added; "
                          "the next reported change spans the gap",
    "negative_investment": "original value fell since the previous report (disposal or revaluation): "
                           "investment {negative}",
    "age_unknown": "first year of capital with founding year missing or after the year: the book is "
                   "valued as bought that year (age 0)",
    "age_capped": "first year of capital founded before the investment price index starts: older "
                  "vintages valued as bought in the index's first year",
    "growth_fallback": "first year of capital whose province x industry cell has fewer than {min_pairs} "
                       "yearly changes of original value: the industry's (or all firms') growth used",
    "growth_clipped": "first year of capital whose nominal capital growth lies outside "
                      "[{growth_floor:g}, {growth_cap:g}]: clipped",
}


def attach_capital(data: pd.DataFrame, wf: Waterfall, cfg: Settings, side: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Real capital and nominal investment (upgrading.asif.capital) over every row, before the
    filters: a row dropped later (say for negative output) still carries the firm's investment of
    that year into its capital of the next. Edge cases are counted in the audit (rows changed)."""
    c = cfg.capital
    prices = capital.price_table(side["deflators"], side["investment_prices"])
    cols = ["firm_id", "year", "founding_year", "province", "industry2", "original_fixed_assets",
            "investment_deflator"]
    res = capital.real_capital(data[cols], prices, cfg.depreciation_rate, c.min_pairs,
                               c.growth_floor, c.growth_cap, c.negative_investment)
    out = data.copy(deep=False)
    out["capital"], out["investment_nominal"] = res.capital, res.investment
    negative = "floored at 0" if c.negative_investment == "floor" else "kept negative"
    for flag, text in CAPITAL_FLAGS.items():
        wf.change(out, res.flags[flag], f"capital_{flag}", text.format(negative=negative, **dataclasses.asdict(c)))
    used = res.growth[res.growth["changes"] >= c.min_pairs]["growth"]
    if len(used):
        wf.log(f"clean: nominal capital growth over {len(used)} province x industry cells: "
               f"median {used.median():.3f}, 10-90% {used.quantile(0.1):.3f} to {used.quantile(0.9):.3f}")
    return out


def finish(data: pd.DataFrame, wf: Waterfall, cfg: Settings) -> pd.DataFrame:
    """Panel columns: real values, capital, ownership, shares, logs (NaN where not positive)."""
    out_defl, in_defl = data["output_deflator"], data["input_deflator"]
    panel = pd.DataFrame(index=data.index)
    for col in ["firm_id", "year", "source_file", "source_row", "legal_id", "name", "city",
                "county", "province", "region", "industry4", "industry2", "reg_type",
                "founding_year"]:
        panel[col] = data[col]
    panel["age"] = (data["year"].astype("int64") - data["founding_year"].astype("int64")).astype("int64")
    shares = ownership.capital_shares(data)
    panel["ownership"] = ownership.classify(data["reg_type"], shares, cfg.ownership_threshold,
                                            cfg.soe_state_share)
    for col in ["foreign_share", "hmt_share", "other_foreign_share", "state_share"]:
        panel[col] = shares[col]
    panel["output"] = data["output"] / out_defl
    panel["intermediate"] = data["intermediate"] / in_defl
    panel["value_added"] = panel["output"] - panel["intermediate"]
    panel["va_imputed"] = data["value_added"].isna().to_numpy()
    # the raw value-added column is only checked against the double-deflated one
    nominal = data["output"] - data["intermediate"]
    gap = ((data["value_added"] - nominal).abs() / nominal.abs()).median()
    wf.log(f"clean: raw value added vs output - intermediate (nominal): median relative gap {gap:.2e}")
    for col in ["exports", "new_product", "sales", "wage_bill"]:
        panel[col] = data[col] / out_defl
    panel["capital"] = data["capital"]
    panel["investment"] = data["investment_nominal"] / data["investment_deflator"]
    panel["employment"] = data["employment"].astype(float)
    panel["exporter"] = (data["exports"].fillna(0) > 0).to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        panel["y"] = np.log(panel["value_added"].where(panel["value_added"] > 0))
        panel["l"] = np.log(panel["employment"].where(panel["employment"] > 0))
        panel["k"] = np.log(panel["capital"].where(panel["capital"] > 0))
        panel["m"] = np.log(panel["intermediate"].where(panel["intermediate"] > 0))
    return panel


def production_ratios(output: pd.Series, intermediate: pd.Series, employment: pd.Series) -> list[pd.Series]:
    """The outlier rule's two ratios of real values: log VA per worker (log VA - log L) and log
    output / intermediate; NaN where a log is undefined."""
    value_added = output - intermediate
    with np.errstate(divide="ignore", invalid="ignore"):
        y = np.log(value_added.where(value_added > 0))
        lab = np.log(employment.where(employment > 0))
        return [y - lab, np.log(output / intermediate)]


def outlier_reference(ratios: list[pd.Series], keys: list[pd.Series]) -> list[pd.DataFrame]:
    """Per ratio, its industry2-year median and robust SD (1.4826 MAD) over the rows given."""
    out = []
    for ratio in ratios:
        med = ratio.groupby(keys).transform("median")
        dev = (ratio - med).abs()
        cells = pd.DataFrame({"median": med, "sd": dev.groupby(keys).transform("median") * 1.4826})
        cells.index = pd.MultiIndex.from_arrays([k.to_numpy() for k in keys], names=["industry2", "year"])
        out.append(cells[~cells.index.duplicated()].dropna())
    return out


def far_from_cell(ratios: list[pd.Series], keys: list[pd.Series], reference: list[pd.DataFrame],
                  cfg: Settings) -> np.ndarray:
    """Rows more than `mad_multiple` robust SDs and `min_log_deviation` log points from their
    industry2-year median in either ratio (rows of a cell without a reference: not far)."""
    k, floor = cfg.outliers.mad_multiple, cfg.outliers.min_log_deviation
    at = pd.MultiIndex.from_arrays([key.to_numpy() for key in keys])
    bad = np.zeros(len(at), dtype=bool)
    for ratio, cells in zip(ratios, reference):
        cell = cells.reindex(at)
        dev = np.abs(ratio.to_numpy(dtype=float) - cell["median"].to_numpy())
        sd = cell["sd"].to_numpy()
        with np.errstate(invalid="ignore"):
            bad |= (dev > k * sd) & (dev > floor)
    return bad


def unusable_rules(panel: pd.DataFrame, cfg: Settings) -> tuple[list[tuple[str, np.ndarray, str]], list[pd.DataFrame]]:
    """Rows without positive VA, K, M, L (logs undefined), then outliers among the rest; and the
    outlier rule's reference cells (empty when the rule is off).

    Outliers: far from their industry2-year cell in log VA per worker or in log output /
    intermediate. Output misreported by a large factor (e.g. x20) with inputs right shows up in
    both; a row is an outlier when either log ratio is more than `mad_multiple` robust SDs and
    more than `min_log_deviation` log points from its cell median.
    """
    rules = []
    reference: list[pd.DataFrame] = []
    usable = np.ones(len(panel), dtype=bool)
    if _on(cfg, "nonpositive_production"):
        usable = ((panel["value_added"] > 0) & (panel["capital"] > 0) & (panel["intermediate"] > 0)
                  & (panel["employment"] > 0)).fillna(False).to_numpy(dtype=bool)
        rules.append(("nonpositive_production", ~usable,
                      "real value added, real capital, real intermediate input or employment not positive "
                      "(logs undefined)"))
    if _on(cfg, "outliers"):
        keys = [panel["industry2"], panel["year"]]
        ratios = [r.where(usable) for r in production_ratios(panel["output"], panel["intermediate"],
                                                               panel["employment"])]
        reference = outlier_reference(ratios, keys)
        k, floor = cfg.outliers.mad_multiple, cfg.outliers.min_log_deviation
        rules.append(("outliers", far_from_cell(ratios, keys, reference, cfg),
                      f"log real VA per worker or log real output / intermediate more than {k:g} robust "
                      f"SDs and more than {floor:g} log points from its industry2-year median"))
    return rules, reference


def presence_outside(rows: pd.DataFrame, rules: list[tuple[str, np.ndarray, str]], cfg: Settings,
                     cities: pd.DataFrame, raw: bool) -> pd.DataFrame:
    """Presence rows (upgrading.core.presence.COLUMNS) of the rows that `rules` drop and whose
    output still counts in their neighbours' presence: dropped by a rule of
    `cfg.presence_counts` (the first rule that hits a row is its rule, as in the audit), with
    positive real output, no negative exports, an industry and a city (manufacturing and
    listed in cities.csv where those rules are on). `raw`: `rows` holds reported values with
    deflators (before `finish`), else panel columns. The outlier rule's two ratios ride along
    (RATIO_COLUMNS) for `screen_outliers`."""
    hits = Waterfall.first_hits(rules, len(rows))
    rule = np.full(len(rows), "", dtype=object)
    for (name, _, _), mask in zip(rules, hits):
        if name in cfg.presence_counts:
            rule[mask] = name
    take = rule != ""
    sub = rows.loc[take]
    if raw:
        shares = ownership.capital_shares(sub)
        out = pd.DataFrame({"firm_id": sub["firm_id"], "year": sub["year"], "source_file": sub["source_file"],
                            "source_row": sub["source_row"], "city": sub["city"],
                            "industry2": sub["industry2"],
                            "output": sub["output"] / sub["output_deflator"],
                            "exports": sub["exports"] / sub["output_deflator"]}, index=sub.index)
        for col in presence.SHARES:
            out[col] = shares[col]
        usable = (sub["industry2"].notna() & sub["city"].notna()).to_numpy(dtype=bool, copy=True)
        if _on(cfg, "non_manufacturing"):
            usable &= industry.is_manufacturing(sub["industry2"])
            usable &= sub["industry4_code"].str.fullmatch(r"\d{4}").fillna(False).to_numpy(dtype=bool)
        if _on(cfg, "unknown_city"):
            usable &= sub["city"].isin(cities["city"]).fillna(False).to_numpy(dtype=bool)
        check_deflators(sub.loc[usable & sub["output"].notna().to_numpy()])
        ratios = production_ratios(out["output"], sub["intermediate"] / sub["input_deflator"],
                                   sub["employment"].astype(float))
    else:
        out = sub[presence.VALUE_COLUMNS].copy()
        usable = np.ones(len(sub), dtype=bool)
        ratios = production_ratios(sub["output"], sub["intermediate"], sub["employment"])
    for col, ratio in zip(RATIO_COLUMNS, ratios):
        out[col] = ratio.to_numpy()
    usable &= (out["output"] > 0).fillna(False).to_numpy(dtype=bool)
    usable &= ~(out["exports"] < 0).fillna(False).to_numpy(dtype=bool)
    out = out.loc[usable]
    out["in_panel"] = False
    out["cleaning_rule"] = pd.array(rule[take][usable], dtype="string")
    return out


# The outlier rule's ratios of a dropped row, kept until the rule's reference cells are known.
RATIO_COLUMNS = ["_log_va_per_worker", "_log_output_per_input"]


def screen_outliers(outside: pd.DataFrame, reference: list[pd.DataFrame], cfg: Settings) -> pd.DataFrame:
    """The dropped rows that count, less those the outlier rule would call outliers against the
    panel's industry2-year cells (a misreported output is no neighbour's weight)."""
    if reference:
        keys = [outside["industry2"].astype("int64"), outside["year"].astype("int64")]
        far = far_from_cell([outside[c] for c in RATIO_COLUMNS], keys, reference, cfg)
        outside = outside.loc[~far]
    return outside.drop(columns=RATIO_COLUMNS)


def presence_table(panel: pd.DataFrame, outside: list[pd.DataFrame]) -> pd.DataFrame:
    """The panel's firm-years and the dropped rows that still count, sorted by firm_id, year."""
    keys = {"firm_id": "int64", "year": panel["year"].dtype, "city": "int64", "industry2": "int64"}
    out = pd.concat([presence.from_panel(panel).astype(keys), *[o.astype(keys) for o in outside]],
                    ignore_index=True)
    return out.sort_values(["firm_id", "year"], kind="mergesort").reset_index(drop=True)


def geography(data: pd.DataFrame, cities: pd.DataFrame) -> pd.DataFrame:
    """county (6-digit), city (first 4 digits + 00), province (2 digits), region from cities.csv."""
    code = data["region_code"].astype("string").str.strip()
    six = code.str.slice(0, 6)
    ok = six.str.fullmatch(r"\d{6}").fillna(False)
    county = industry.digits_to_int(six.where(ok))
    data = data.assign(county=county,
                       city=(county // 100 * 100).astype("Int64"),
                       province=(county // 10000).astype("Int64"))
    reg = cities.set_index("city")["region"]
    data["region"] = data["city"].map(reg).astype("string")
    return data


def clean(linked: pd.DataFrame, side: dict[str, pd.DataFrame], cfg: Settings,
          log=print) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The whole clean stage: (panel sorted by firm_id, year; audit waterfall; row trace;
    presence table, upgrading.core.presence)."""
    wf = Waterfall(linked, log)
    data = linked.reset_index(drop=True)
    del linked  # a caller that hands over its only reference frees one copy of every raw row
    data = resolve_duplicates(data, wf, cfg)
    data["industry4_code"] = industry.to_cic2002(data["industry_code"], data["year"], side["cic_concordance"])
    data["industry2"] = industry.industry2_of(data["industry4_code"])
    data = repair_unit_slips(data, wf, cfg, data["industry2"])
    data = geography(data, side["cities"])
    data = attach_deflators(data, side["deflators"])
    data = attach_capital(data, wf, cfg, side)
    rules = filter_rules(data, cfg, side["cities"])
    outside = [presence_outside(data, rules, cfg, side["cities"], raw=True)]
    data = wf.drop_many(data, rules)
    check_deflators(data)
    data["industry4"] = industry.digits_to_int(data["industry4_code"]).astype("int64")
    data = data.astype({"city": "int64", "county": "int64", "province": "int64",
                        "industry2": "int64", "reg_type": "Int64", "founding_year": "int64"})
    panel = finish(data, wf, cfg)
    del data  # the rows before the last filters: not held beside the panel
    rules, reference = unusable_rules(panel, cfg)
    outside.append(presence_outside(panel, rules, cfg, side["cities"], raw=False))
    outside = [screen_outliers(o, reference, cfg) for o in outside]
    panel = wf.drop_many(panel, rules)
    panel = panel.sort_values(["firm_id", "year"], kind="mergesort").reset_index(drop=True)
    counted = pd.concat([o["cleaning_rule"] for o in outside]).value_counts()
    audit = wf.table(len(panel))
    # dropped rows that still count in the presence measures; the kept rows all count
    in_presence = np.where(audit["rule"] == "rows_kept", len(panel),
                           audit["rule"].map(counted).fillna(0).to_numpy())
    audit.insert(audit.columns.get_loc("rows_left"), "in_presence", in_presence.astype("int64"))
    dup = panel.duplicated(["firm_id", "year"])
    if dup.any():
        raise AssertionError(f"{int(dup.sum())} firm-years twice in the panel")
    population = presence_table(panel, outside)
    presence.check(population, "presence table of the clean stage")
    log(f"clean: presence measures count {len(population)} firm-years: the panel's {len(panel)} and "
        f"{len(population) - len(panel)} dropped by {', '.join(cfg.presence_counts) or 'no rule'}")
    return panel, audit, wf.row_trace(), population
