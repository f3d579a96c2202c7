"""The paper's figures, each a pure function of data frames -> (matplotlib Figure, plotted data).

The CLI (`upgrading figures`) reads the inputs once, calls each function and saves
PDF + PNG through style.savefig (fixed metadata, so bytes repeat) and the plotted
numbers as a CSV beside them, so a reader can check every point without the code.
"""

from __future__ import annotations

import re
import textwrap

import matplotlib
import numpy as np
import pandas as pd
from matplotlib import patheffects
from matplotlib.patches import Patch, Rectangle

from upgrading.core import clusters as cluster_measures
from upgrading.core.cluster_rule import ClusterRule
from upgrading.core.errors import InputError
from upgrading.exhibits import style

# Plotting order of regions and ownership types; their names come from exhibits.labels.
REGION_ORDER = ["prd", "yrd", "bohai", "other_coastal", "central", "western"]
OWNERSHIP_ORDER = ["soe", "collective", "private", "hmt", "foreign"]
Z95 = 1.959963984540054
# What the estimate figures' intervals are, in the words of their axes: the tidy ci_low and
# ci_high, the intervals of the tables' t test (t distribution with G-1 degrees of freedom).
T_INTERVAL = "95% confidence interval, t(G−1) as in the tables"

def _weighted_share(df: pd.DataFrame, share: str, weight: str, by: list[str]) -> pd.Series:
    num = (df[share] * df[weight]).groupby([df[b] for b in by]).sum()
    den = df[weight].groupby([df[b] for b in by]).sum()
    return num / den


def _year_lines(ax, wide: pd.DataFrame, labels: dict, title: str, ylabel: str) -> None:
    """One line per column of `wide` (index: year), in the order and with the names of `labels`."""
    for key in [k for k in labels if k in wide.columns]:
        ax.plot(wide.index, wide[key], marker="o", ms=2.5, label=labels[key])
    ax.set_title(title)
    ax.set_xlabel("Year")
    ax.set_ylabel(ylabel)
    ax.legend(frameon=False, ncol=2, loc="upper center", bbox_to_anchor=(0.5, -0.22), fontsize=7)


def spread_positions(y: list[float], gap: float) -> list[float]:
    """Label heights at least `gap` apart, each as near its band as the gap allows (input ascending)."""
    out = list(y)
    for i in range(1, len(out)):
        out[i] = max(out[i], out[i - 1] + gap)
    for i in range(len(out) - 2, -1, -1):  # pull back below the top if the upward pass overshot
        out[i] = min(out[i], out[i + 1] - gap)
    return out


def _stacked_shares(ax, wide: pd.DataFrame, labels: dict, title: str, ylabel: str) -> None:
    """Shares that sum to one as stacked bands, each named at its right end (no legend to match,
    no lines crossing)."""
    keys = [k for k in labels if k in wide.columns]
    values = wide[keys].to_numpy(dtype=float).T
    ax.stackplot(wide.index, values, colors=style.PALETTE[: len(keys)], alpha=0.85, lw=0.4,
                 edgecolor="white")
    top = np.cumsum(values[:, -1])
    mids = list(top - values[:, -1] / 2)
    x_end = wide.index[-1]
    for key, y_band, y_text in zip(keys, mids, spread_positions(mids, 0.075)):
        ax.annotate(labels[key], xy=(x_end, y_band), xytext=(x_end + 0.35, y_text), fontsize=7,
                    va="center", ha="left", annotation_clip=False,
                    arrowprops={"arrowstyle": "-", "color": "0.5", "lw": 0.5})
    ax.set_xlim(wide.index[0], x_end)
    ax.set_ylim(0, 1)
    ax.set_title(title)
    ax.set_xlabel("Year")
    ax.set_ylabel(ylabel)
    ax.grid(False)


def _names(keys: list[str], labels: dict[str, str]) -> dict[str, str]:
    """{id: reader name} from exhibits.labels; an id without a label is shown as written."""
    return {k: labels.get(k, k.replace("_", " ")) for k in keys}


def foreign_presence(analysis: pd.DataFrame, labels: dict[str, str] | None = None):
    """(a) output-weighted foreign capital share by region; (b) firm shares by ownership."""
    region_labels = _names(REGION_ORDER, labels or {})
    ownership_labels = _names(OWNERSHIP_ORDER, labels or {})
    fig, (ax1, ax2) = style.figure(height=3.6, ncols=2)
    fig.subplots_adjust(wspace=0.35)
    by_region = _weighted_share(analysis, "foreign_share", "output", ["region", "year"]).unstack("region")
    _year_lines(ax1, by_region, region_labels, "(a) Foreign capital share, by region",
                "Foreign capital share (output-weighted)")
    counts = analysis.groupby(["year", "ownership"]).size().unstack("ownership").fillna(0)
    shares = counts.div(counts.sum(axis=1), axis=0)
    _stacked_shares(ax2, shares, ownership_labels, "(b) Share of firms, by ownership", "Share of firms")
    for ax in (ax1, ax2):
        ax.xaxis.get_major_locator().set_params(integer=True)
    fig.tight_layout()
    data = pd.concat([
        _long(by_region.rename(columns=region_labels), "(a) output-weighted foreign share", "region"),
        _long(shares.rename(columns=ownership_labels), "(b) share of firms", "ownership"),
    ], ignore_index=True)
    return fig, data


def _long(wide: pd.DataFrame, panel: str, group: str) -> pd.DataFrame:
    """Year x group table -> long rows (panel, year, group, value) for the figure's CSV."""
    out = wide.rename_axis(index="year", columns="group").stack().rename("value").reset_index()
    out.insert(0, "panel", panel)
    out["group_kind"] = group
    return out[["panel", "group_kind", "group", "year", "value"]]


# Textiles, apparel, leather and footwear: the labour-intensive clusters of hypothesis H5.
LABOUR_INTENSIVE_CIC = (17, 18, 19)


def _wrap(text: str, width: int) -> str:
    """Break at spaces only, never inside a word."""
    return "\n".join(textwrap.wrap(text, width, break_long_words=False, break_on_hyphens=False))


# Panel (a) of the smile curve: SMILE_ROW_IN per one-line industry name (7.5 pt and a gap); a
# name longer than SMILE_LABEL_CHARS breaks into two lines and its row is SMILE_TWO_LINE_ROWS
# rows tall (each further line half a row more), so no name reaches its neighbour's.
# SMILE_PANEL_B_IN: panel (b) and the titles and axis labels of both panels (the figure and its
# caption within the text height: about 7.4 in for the 29 two-digit industries).
SMILE_ROW_IN = 0.15
SMILE_LABEL_CHARS = 50
SMILE_TWO_LINE_ROWS = 1.5
SMILE_PANEL_B_IN = 2.7


# Rows of panel (a) of the smile curve: the two groups' markers this far above and below the row.
SMILE_GROUP_OFFSET = 0.2


def row_positions(heights: list[float]) -> np.ndarray:
    """Centres of rows of the given heights stacked from 0 (the first row's centre)."""
    h = np.asarray(heights, dtype=float)
    return np.r_[0.0, np.cumsum((h[:-1] + h[1:]) / 2)] if len(h) else h


def industry_label(name: str, note: str = "") -> str:
    """`name` and `note` on one line when they fit in SMILE_LABEL_CHARS, else the note on a line
    of its own (a long name broken at spaces)."""
    if len(f"{name} {note}".strip()) <= SMILE_LABEL_CHARS:
        return f"{name} {note}".strip()
    return "\n".join(filter(None, [_wrap(name, SMILE_LABEL_CHARS), note]))


def smile_curve(analysis: pd.DataFrame, industry_names: dict[int, str] | None = None,
                shock_year: int = 2002):
    """Value added / output: (a) by industry, domestic vs foreign-invested; (b) over time for the
    labour-intensive industries of H5 against the others, in cities with open and captive networks.

    Panel (a) spans the width and gives a two-line industry name a taller row, so no name meets
    its neighbour's; panel (b), below it, spans most of the width, with a tick for every year and
    its legend beside it.
    Panel (b) does not split by ownership: in the data-generating process (and in the ASIF) the
    value-added ratio is an industry and local trait, so ownership means differ by a few thousandths.
    """
    industry_names = industry_names or {}
    df = analysis[np.isfinite(analysis["va_ratio"])]
    dom = df["domestic"].astype(bool)
    by_ind = pd.DataFrame({
        "Domestic": df[dom].groupby("industry2")["va_ratio"].mean(),
        "Foreign-invested": df[~dom].groupby("industry2")["va_ratio"].mean(),
    }).sort_values("Domestic")
    # An industry without firms of a group has no marker of that group: its label says so (in
    # the synthetic world as in the ASIF, tobacco, a state monopoly, has no foreign-invested firm).
    absent = {i: [g.lower() for g in by_ind.columns if pd.isna(by_ind.at[i, g])] for i in by_ind.index}
    names = [industry_label(f"{int(i)} {industry_names.get(int(i), '')}".strip(),
                            f"(no {' or '.join(absent[i])} firms)" if absent[i] else "")
             for i in by_ind.index]
    heights = [1.0 + (SMILE_TWO_LINE_ROWS - 1.0) * n.count("\n") for n in names]
    y = row_positions(heights)
    rows = float(sum(heights))
    # Two figures in one: panel (a)'s long names would otherwise set panel (b)'s left margin too.
    fig = style.blank(height=max(4.2, SMILE_ROW_IN * rows + SMILE_PANEL_B_IN), layout="constrained")
    top, bottom = fig.subfigures(2, 1, height_ratios=[SMILE_ROW_IN * rows + 0.75, SMILE_PANEL_B_IN - 0.75])
    ax1 = top.subplots()
    ax2, key = bottom.subplots(1, 2, width_ratios=[2.4, 1])
    # The two groups a little above and below the industry's row: where their means nearly
    # coincide, one marker would hide the other.
    ax1.scatter(by_ind["Domestic"], y - SMILE_GROUP_OFFSET, s=12, label="Domestic", zorder=3)
    ax1.scatter(by_ind["Foreign-invested"], y + SMILE_GROUP_OFFSET, s=12, marker="D", label="Foreign-invested",
                zorder=3)
    ax1.set_yticks(y, labels=names, fontsize=7.5, linespacing=0.95)
    ax1.set_ylim(-heights[0] / 2 - 0.1, y[-1] + heights[-1] / 2 + 0.1)
    ax1.set_xlabel("Mean value added / output")
    # The key sits between the title and the markers, where it can cover none of them.
    ax1.set_title("(a) By 2-digit industry (CIC)", pad=16)
    ax1.legend(frameon=False, loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=2, fontsize=7.5,
               borderaxespad=0.1, handletextpad=0.3, columnspacing=1.5)

    li = df["industry2"].astype(int).isin(LABOUR_INTENSIVE_CIC)
    first, last = min(LABOUR_INTENSIVE_CIC), max(LABOUR_INTENSIVE_CIC)
    kind = np.where(li, f"Textiles, apparel, footwear (CIC {first}\u2013{last})", "Other industries")
    has_network = "open_network" in df.columns and df["open_network"].notna().any()
    if has_network:
        # Split at the median city (not firm-year), so each half holds half of the cities.
        median = df.groupby("city")["open_network"].first().median()
        network = np.where(df["open_network"] > median, "open networks", "captive networks")
        group = pd.Series(kind, index=df.index) + ", " + pd.Series(network, index=df.index)
    else:
        group = pd.Series(kind, index=df.index)
    dom_df = df[dom]
    by_year = dom_df.groupby([dom_df["year"], group[dom]])["va_ratio"].mean().unstack()
    styles = {"open networks": "-", "captive networks": "--"}
    for col in sorted(by_year.columns):
        ls = next((v for k, v in styles.items() if col.endswith(k)), "-")
        color = style.PALETTE[1] if col.startswith("Textiles") else style.PALETTE[0]
        ax2.plot(by_year.index, by_year[col], ls=ls, marker="o", ms=2.5, color=color,
                 label=_wrap(col, 30))
    ax2.axvline(shock_year - 0.5, color="0.4", lw=0.8, ls=":")
    ax2.set_xlabel("Year")
    ax2.set_ylabel("Mean value added / output\n(domestic firms)")
    # Without city network data (cities.csv lacks open_network) the split is not drawn: say so.
    # Over panel (b) and its legend: the title is wider than the axes alone.
    bottom.suptitle("(b) Domestic firms by year: labour-intensive and other industries"
                    + ("" if has_network else "\n(no city network data: cities not split)"), fontsize=9)
    years = [int(t) for t in by_year.index]
    ax2.set_xticks(years, labels=[str(t) for t in years])
    ax2.set_xlim(years[0] - 0.4, years[-1] + 0.4)
    # Beside panel (b), in a cell of its own: inside the axes it would cover the lines.
    handles, labels = ax2.get_legend_handles_labels()
    key.axis("off")
    key.legend(handles, labels, frameon=False, fontsize=7.5, loc="center left", bbox_to_anchor=(0.0, 0.5),
               handlelength=3.0, labelspacing=0.9)
    a = by_ind.rename_axis(index="industry2").reset_index().melt(
        id_vars="industry2", var_name="group", value_name="value")
    a.insert(0, "panel", "(a) mean va_ratio by industry")
    a["industry_name"] = a["industry2"].map(lambda i: industry_names.get(int(i), ""))
    a["note"] = np.where(a["value"].isna(), "no firms of the group in the data (no marker)", "")
    b = by_year.rename_axis(index="year", columns="group").stack().rename("value").reset_index()
    b.insert(0, "panel", "(b) mean va_ratio of domestic firms by year")
    data = pd.concat([a, b], ignore_index=True)[["panel", "group", "industry2", "industry_name", "year", "value",
                                                 "note"]]
    data["note"] = data["note"].fillna("")
    data = data.astype({"industry2": "Int64", "year": "Int64"})  # blank, not 40.0, where a panel has none
    return fig, data


# Hanyu pinyin of GB/T 2260 prefecture names (cities.csv `city_name`), for the English figures.
# Suffixes of the administrative type and of autonomous prefectures' ethnic groups are left out
# (延边朝鲜族自治州 -> Yanbian); the few characters pypinyin reads in their other sound are set here.
_ADMIN_SUFFIXES = ("自治州", "地区", "市", "盟")
_ETHNIC = ("朝鲜族", "土家族", "苗族", "藏族", "羌族", "彝族", "布依族", "侗族", "哈尼族", "壮族",
           "傣族", "白族", "景颇族", "傈僳族", "回族", "蒙古族", "蒙古", "哈萨克", "柯尔克孜")
_READINGS = {"长治": "Changzhi", "朝阳": "Chaoyang", "漯河": "Luohe", "锡林郭勒": "Xilinguole",
             "昌都": "Changdu", "阿勒泰": "Aletai", "克孜勒苏": "Kezilesu", "重庆": "Chongqing"}


def city_name_en(name: str) -> str:
    """'广州市' -> 'Guangzhou', '西安市' -> "Xi'an" (pinyin, apostrophe before a, o, e syllables)."""
    from pypinyin import lazy_pinyin

    base = str(name).strip()
    for suffix in _ADMIN_SUFFIXES:
        if base.endswith(suffix) and len(base) > len(suffix) + 1:
            base = base[: -len(suffix)]
            break
    stripped = True
    while stripped:
        stripped = False
        for e in _ETHNIC:
            if base.endswith(e) and len(base) > len(e) + 1:
                base, stripped = base[: -len(e)], True
    if base in _READINGS:
        return _READINGS[base]
    syllables = [s for s in lazy_pinyin(base, errors="ignore") if s]
    if not syllables:
        return str(name)
    out = syllables[0]
    for s in syllables[1:]:
        out += ("'" if s[0] in "aoe" else "") + s
    return out[:1].upper() + out[1:]


def city_names_en(cities: pd.DataFrame) -> dict[int, str]:
    """cities.csv (docs/contracts.md) -> {city code: English (pinyin) name}."""
    return {int(c): city_name_en(n) for c, n in zip(cities["city"], cities["city_name"])}


# The cluster view's colour scale saturates at LQ 8 and 1/8.
LQ_CLIP = 8.0
NO_FIRMS_GREY = "0.72"


# Type sizes of the cluster view at print size (the figure is set at about its own width): city
# and region names and industry codes legible, at least 7 pt.
CLUSTER_LABEL_PT = 8.0
CLUSTER_TICK_PT = 7.5


def cluster_city_order(last: pd.DataFrame, n_cities: int) -> pd.DataFrame:
    """The `n_cities` largest cities by output in `last` (one year of the analysis table), grouped
    by region in REGION_ORDER (coastal to inland) and, within a region, largest first.

    Returns one row per city in plotting order: city, region (its firms' most common region),
    output.
    """
    out = last.groupby("city")["output"].sum()
    top = out.nlargest(n_cities).index
    sub = last[last["city"].isin(top)]
    region = sub.groupby("city")["region"].agg(lambda r: r.astype(str).mode().iat[0])
    rank = {r: i for i, r in enumerate(REGION_ORDER)}
    cities = pd.DataFrame({"city": top, "region": region.reindex(top).to_numpy(), "output": out.reindex(top).to_numpy()})
    cities["region_rank"] = cities["region"].map(lambda r: rank.get(r, len(rank)))
    cities = cities.sort_values(["region_rank", "output", "city"], ascending=[True, False, True], kind="stable")
    return cities.drop(columns="region_rank").reset_index(drop=True)


def cluster_rule_text(rule: ClusterRule) -> str:
    """The cluster rule in the figure's words: 'LQ ≥ 1.25 with ≥ 5 firms' (and the EG bound and
    the year the rule looks at, when the settings ask for them)."""
    text = f"LQ \u2265 {rule.lq_threshold:g} with \u2265 {rule.cluster_min_firms} firms"
    if rule.eg_threshold is not None:
        text += f", 4-digit EG index \u2265 {rule.eg_threshold:g}"
    if rule.cluster_year == "first":
        text += ", in the cell's first sample year"
    return text


def cluster_cells(sub: pd.DataFrame, rule: ClusterRule) -> pd.DataFrame:
    """city x industry2 cells of `sub` (one year of the analysis table): location_quotient,
    n_firms_cell and cluster (1 where the regressions' indicator marks the cell's firms).

    The mark is the analysis table's own `cluster` column, so it is the indicator the models
    use whatever `rule` says; where the rule reads only this year's quotient and firm count, the
    column must agree with it, or the table was built with other settings than the figure names.
    """
    cells = sub.groupby(["city", "industry2"]).agg(
        location_quotient=("location_quotient", "mean"), n_firms_cell=("n_firms_cell", "max"),
        cluster=("cluster", "max"))
    cells["cluster"] = cells["cluster"].fillna(0).astype("int8")
    if rule.cluster_year == "current" and rule.eg_threshold is None:
        expected = cluster_measures.cluster_indicator(cells["location_quotient"], cells["n_firms_cell"],
                                                      pd.Series(np.nan, index=cells.index), rule.lq_threshold,
                                                      rule.cluster_min_firms, None)
        off = cells.index[expected.to_numpy() != cells["cluster"].to_numpy()]
        if len(off):
            city, ind = off[0]
            raise InputError(f"cluster indicator of city {city}, industry {ind} does not follow the cluster rule "
                             f"({cluster_rule_text(rule)}): the analysis table and the figure's settings differ",
                             column="cluster")
    return cells


# Outline of a cluster cell, inset from the cell's edges so that neighbouring clusters stay apart;
# black with a white rim, so that it shows on the darkest reds as on the palest cells.
CLUSTER_OUTLINE_INSET = 0.1
CLUSTER_OUTLINE_LW = 1.2
CLUSTER_OUTLINE_RIM = [patheffects.Stroke(linewidth=2.6, foreground="white"), patheffects.Normal()]


def clusters(analysis: pd.DataFrame, n_cities: int = 20, city_names: dict[int, str] | None = None,
             industry_names: dict[int, str] | None = None, labels: dict[str, str] | None = None,
             rule: ClusterRule | None = None):
    """Location quotients of the largest cities (by output) across 2-digit industries, last year;
    cities grouped by region (coastal to inland), largest first within each region. The cells the
    regressions count as clusters (`rule`, the measures stage's settings) are outlined."""
    city_names = city_names or {}
    industry_names = industry_names or {}
    rule = rule or ClusterRule()
    region_names = _names(REGION_ORDER, labels or {})
    last = analysis[analysis["year"] == analysis["year"].max()]
    order = cluster_city_order(last, n_cities)
    sub = last[last["city"].isin(order["city"])]
    cells = cluster_cells(sub, rule)
    lq = cells["location_quotient"].unstack("industry2").reindex(order["city"])
    marked = cells["cluster"].unstack("industry2").reindex(index=lq.index, columns=lq.columns).fillna(0)
    raw = lq.to_numpy(dtype=float)
    values = np.log2(np.where(raw > 0, raw, np.nan))  # no firms (0 or missing): grey
    height = max(4.0, 0.22 * len(lq) + 2.2)
    fig, ax = style.figure(height=height)
    # Diverging scale centred on LQ = 1 (white), saturated at LQ_CLIP and its inverse, so a few
    # extreme quotients do not wash out the rest; cells without firms are grey, not white.
    lim = float(np.log2(LQ_CLIP))
    cmap = matplotlib.colormaps["RdBu_r"].with_extremes(bad=NO_FIRMS_GREY)
    im = ax.imshow(np.ma.masked_invalid(values), aspect="auto", cmap=cmap, vmin=-lim, vmax=lim,
                   interpolation="nearest")
    side = 1 - 2 * CLUSTER_OUTLINE_INSET
    for r, c in zip(*np.nonzero(marked.to_numpy(dtype=float) > 0)):
        ax.add_patch(Rectangle((c - 0.5 + CLUSTER_OUTLINE_INSET, r - 0.5 + CLUSTER_OUTLINE_INSET), side, side,
                               fill=False, edgecolor="black", lw=CLUSTER_OUTLINE_LW,
                               path_effects=CLUSTER_OUTLINE_RIM))
    ax.set_xticks(range(lq.shape[1]))
    ax.set_xticklabels([str(int(c)) for c in lq.columns], fontsize=CLUSTER_TICK_PT, rotation=90)
    ax.set_yticks(range(lq.shape[0]))
    ax.set_yticklabels([city_names.get(int(c), str(int(c))) for c in lq.index], fontsize=CLUSTER_LABEL_PT)
    ax.set_xlabel("2-digit industry (CIC 2002 code)")
    year = int(analysis["year"].max())
    n_all = int(last["city"].nunique())
    which = (f"All {n_all} cities" if len(order) >= n_all else
             f"The {len(order)} largest of the {n_all} cities by output in {year}")
    ax.set_ylabel(f"{which},\nby region, then by output")
    ax.grid(False)
    # Regions: a white rule between them and the region's name beside its cities.
    starts = np.flatnonzero(np.r_[True, order["region"].to_numpy()[1:] != order["region"].to_numpy()[:-1]])
    ends = np.r_[starts[1:], len(order)]
    for a, b in zip(starts, ends):
        if a:
            ax.axhline(a - 0.5, color="white", lw=2.5)
        name = region_names.get(order["region"].iat[a], str(order["region"].iat[a]))
        ax.text(lq.shape[1] - 0.2, (a + b - 1) / 2, _wrap(name, 12), fontsize=CLUSTER_LABEL_PT,
                va="center", ha="left", linespacing=0.9, clip_on=False)
    # The colour bar about half an inch below the cells (pad is a share of the cells' height), under
    # the industry codes and their axis label whatever the number of cities.
    cbar = fig.colorbar(im, ax=ax, orientation="horizontal", fraction=0.04, pad=0.5 / max(height - 2.2, 1.0),
                        aspect=40, extend="both")
    ticks = np.arange(-int(lim), int(lim) + 1)
    cbar.set_ticks(ticks, labels=[f"1/{2 ** -t:g}" if t < 0 else f"{2 ** t:g}" for t in ticks])
    cbar.ax.tick_params(labelsize=CLUSTER_TICK_PT)
    cbar.set_label("Location quotient (log scale)")
    ax.set_title(f"Location quotients, {year} (white: LQ = 1, the national share; grey: no firms)", pad=18)
    # Between the title and the cells, where it covers none of them.
    outline = Patch(facecolor="none", edgecolor="black", lw=CLUSTER_OUTLINE_LW, path_effects=CLUSTER_OUTLINE_RIM,
                    label=f"Outlined: cluster cells of the regressions' indicator ({cluster_rule_text(rule)})")
    ax.legend(handles=[outline], frameon=False, fontsize=CLUSTER_LABEL_PT, loc="lower center",
              bbox_to_anchor=(0.5, 1.0), borderaxespad=0.2, handlelength=1.2, handleheight=1.2)
    fig.tight_layout()
    data = cells.reset_index()
    data = data[data["location_quotient"].notna()]
    data["row"] = data["city"].map({c: i + 1 for i, c in enumerate(order["city"])})
    data = data.sort_values(["row", "industry2"], kind="stable").reset_index(drop=True)
    data.insert(0, "year", year)
    data.insert(2, "city_name", data["city"].map(lambda c: city_names.get(int(c), "")))
    data.insert(3, "region", data["city"].map(dict(zip(order["city"], order["region"]))))
    data.insert(4, "row", data.pop("row"))
    data["industry_name"] = data["industry2"].map(lambda i: industry_names.get(int(i), ""))
    return fig, data


def t_bounds(rows: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """The tidy `ci_low`, `ci_high` of `rows`: the 95% intervals with the critical value of the
    tables' t test (t with G-1 degrees of freedom for G clusters), never a normal approximation."""
    missing = [c for c in ("ci_low", "ci_high") if c not in rows.columns]
    if missing:
        raise InputError(f"estimates lack column(s) {missing}: the figures draw the tables' t intervals",
                         column=missing[0])
    lo, hi = rows["ci_low"].to_numpy(dtype=float), rows["ci_high"].to_numpy(dtype=float)
    bad = ~(np.isfinite(lo) & np.isfinite(hi))
    if bad.any():
        r = rows.iloc[int(np.flatnonzero(bad)[0])]
        raise InputError(f"no 95% interval (ci_low, ci_high) for family {r.get('family')!r} model "
                         f"{r.get('model')!r} term {r.get('term')!r}", column="ci_low")
    return lo, hi


def _interval_rows(rows: pd.DataFrame) -> pd.DataFrame:
    """Estimate, standard error and the plotted 95% bounds of each row (with the wild cluster
    bootstrap's where `rows` has them), for the figures' CSVs."""
    out = rows[["family", "model", "term", "estimate", "std_error"]].copy()
    out["ci_low"], out["ci_high"] = t_bounds(rows)
    for c in WILD_BOUNDS:
        if c in rows.columns:
            out[c] = rows[c].to_numpy(dtype=float)
    return out.reset_index(drop=True)


WILD_BOUNDS = ["ci_low_wild", "ci_high_wild"]
WILD_BAR_LABEL = "wild cluster bootstrap (WCR) 95% interval"


def wild_bars(ax, y, rows: pd.DataFrame, colour, label: str | None = None) -> bool:
    """The wild cluster bootstrap's interval of each row that has one, the interval the text's
    statements of significance follow: a thick bar under the thin t(G-1) one. True if any drawn."""
    if not set(WILD_BOUNDS) <= set(rows.columns):
        return False
    lo, hi = (rows[c].to_numpy(dtype=float) for c in WILD_BOUNDS)
    has = np.isfinite(lo) & np.isfinite(hi)
    if has.any():
        ax.hlines(np.asarray(y, dtype=float)[has], lo[has], hi[has], colors=colour, lw=3.0, alpha=0.45, zorder=1,
                  label=label)
    return bool(has.any())


def coefficients(est: pd.DataFrame, terms: list[str], labels: dict[str, str],
                 model_labels: dict[str, str] | None = None):
    """Point estimates and 95% intervals of `terms` across the models in `est` (one marker per model)."""
    sub = est[est["term"].isin(terms)].copy()
    models = list(dict.fromkeys(zip(sub["family"], sub["model"])))
    names = legend_names(models, model_labels)
    # Compact enough to share a float page with a table: about 0.3 in per term and model group.
    fig, ax = style.figure(height=max(2.4, 0.3 * len(terms) * max(1, len(models)) ** 0.5 + 1.2))
    n = len(models)
    offsets = np.linspace(-0.3, 0.3, n) if n > 1 else np.zeros(1)
    drawn_wild = False
    for k, (fam, mod) in enumerate(models):
        rows = _interval_rows(sub[(sub["family"] == fam) & (sub["model"] == mod)])
        rows = rows[rows["term"].isin(terms)]
        ys = np.array([terms.index(t) for t in rows["term"]]) + offsets[k]
        b = rows["estimate"].to_numpy(dtype=float)
        bars = ax.errorbar(b, ys, xerr=[b - rows["ci_low"].to_numpy(float), rows["ci_high"].to_numpy(float) - b],
                           fmt="o", ms=3.5, capsize=2, elinewidth=0.8, label=names[(fam, mod)])
        drawn_wild |= wild_bars(ax, ys, rows, bars[0].get_color())
    ax.axvline(0, color="0.4", lw=0.8)
    ax.set_yticks(range(len(terms)))
    ax.set_yticklabels([term_label(t, labels) for t in terms])
    ax.invert_yaxis()
    ax.set_xlabel(f"Coefficient and {T_INTERVAL}" + (f"; thick: {WILD_BAR_LABEL}" if drawn_wild else ""))
    ax.legend(frameon=False, fontsize=7, loc="center left", bbox_to_anchor=(1.0, 0.5))
    fig.tight_layout()
    data = _interval_rows(sub[sub["term"].isin(terms)])
    data["model_label"] = [names[(f, m)] for f, m in zip(data["family"], data["model"])]
    return fig, data


def term_label(term: str, labels: dict[str, str]) -> str:
    """'backward:post2002' -> 'Backward × post-2002' with the configured labels (plain text)."""
    return " \u00d7 ".join(labels.get(p, p.replace("_", " ")) for p in str(term).split(":"))


def legend_names(models: list[tuple[str, str]], model_labels: dict[str, str] | None) -> dict[tuple[str, str], str]:
    """Reader names of the models of one figure, from the plan's 'family/model' labels; the
    family part ('Baseline: ') is left out when every model of the figure belongs to one family."""
    model_labels = model_labels or {}
    names = {(f, m): model_labels.get(f"{f}/{m}", f"{f} {m}".replace("_", " ")) for f, m in models}
    if len({f for f, _ in models}) == 1:
        names = {k: v.split(": ", 1)[-1] for k, v in names.items()}
    return names


EVENT_TERM = re.compile(r"(\w+)::(\d{4})(?::(.+))?")


def event_study(est: pd.DataFrame, ref_year: int | None = None, shock_year: int = 2002,
                model_labels: dict[str, str] | None = None):
    """Event-study coefficients (pyfixest 'year::YYYY:x' terms) with 95% intervals, one panel per
    model: the models have different outcomes (TFP, foreign presence), so each keeps its own axis."""
    models = list(dict.fromkeys(zip(est["family"], est["model"])))
    names = legend_names(models, model_labels)
    series = []
    for fam, mod in models:
        rows = est[(est["family"] == fam) & (est["model"] == mod)]
        pts = []
        lo_all, hi_all = t_bounds(rows)
        for (_, r), lo_r, hi_r in zip(rows.iterrows(), lo_all, hi_all):
            m = EVENT_TERM.fullmatch(str(r["term"]))
            if m:
                pts.append((int(m.group(2)), r["estimate"], r["std_error"], lo_r, hi_r))
        if ref_year is not None:
            pts.append((ref_year, 0.0, 0.0, 0.0, 0.0))
        if pts:
            series.append((fam, mod, sorted(pts)))
    fig, axes = style.figure(height=2.8, ncols=max(1, len(series)), squeeze=False)
    axes = axes[0]
    records = []
    for k, ((fam, mod, pts), ax) in enumerate(zip(series, axes)):
        years, b, se, lo, hi = (np.array(v, dtype=float) for v in zip(*pts))
        label = names[(fam, mod)]
        ax.errorbar(years, b, yerr=[b - lo, hi - b], fmt="-o", ms=3, capsize=2,
                    color=style.PALETTE[k % len(style.PALETTE)])
        records += [{"family": fam, "model": mod, "model_label": label, "year": int(yr),
                     "estimate": e, "std_error": s_, "ci_low": lo_, "ci_high": hi_,
                     "reference_year": int(yr) == ref_year}
                    for yr, e, s_, lo_, hi_ in zip(years, b, se, lo, hi)]
        ax.axhline(0, color="0.4", lw=0.8)
        ax.axvline(shock_year - 0.5, color="0.4", lw=0.8, ls="--")
        ax.set_xlabel("Year")
        ax.set_ylabel(f"{label}: encouraged \u00d7 year coefficient" if len(series) == 1 else
                      "Encouraged \u00d7 year coefficient")
        ax.set_title(f"({chr(ord('a') + k)}) {label}", fontsize=8)
        ax.xaxis.get_major_locator().set_params(integer=True)
    fig.suptitle(f"Coefficients with {T_INTERVAL}", fontsize=8)
    fig.tight_layout()
    return fig, pd.DataFrame.from_records(records)


def clip_limits(estimates: np.ndarray, low: np.ndarray, high: np.ndarray, widen: float = 3.0) -> tuple[float, float]:
    """Axis limits that show every estimate and zero, and intervals up to `widen` times their
    median half-width beyond them; a wider interval would flatten the rest, so it is clipped."""
    half = np.nanmedian((high - low) / 2) if len(estimates) else 1.0
    lo = min(np.nanmin(estimates), 0.0) - widen * half
    hi = max(np.nanmax(estimates), 0.0) + widen * half
    # No further than the intervals reach, but never short of zero and the estimates.
    lo = max(lo, min(np.nanmin(low), np.nanmin(estimates), 0.0))
    hi = min(hi, max(np.nanmax(high), np.nanmax(estimates), 0.0))
    pad = 0.04 * (hi - lo if hi > lo else 1.0)
    return lo - pad, hi + pad


# What makes two registry models the same specification: outcome, regressors, fixed effects,
# standard errors, sample and estimator (and, as checks, the firm-years used and the estimates).
SPEC_IDENTITY = ["depvar", "fixed_effects", "vcov", "sample"]
SPEC_IDENTITY_OPTIONAL = ["estimator", "nobs"]


def distinct_specs(est: pd.DataFrame) -> dict[tuple[str, str], list[tuple[str, str]]]:
    """{first model of each distinct specification: every (family, model) that is that specification}.

    Families repeat a model on purpose (the baseline is also the robustness family's ACF column
    and a cell of the grid); the curve shows each specification once. Without the identity
    columns in `est`, every model counts as distinct.
    """
    models = list(dict.fromkeys(zip(est["family"].astype(str), est["model"].astype(str))))
    if not set(SPEC_IDENTITY) <= set(est.columns):
        return {m: [m] for m in models}
    cols = SPEC_IDENTITY + [c for c in SPEC_IDENTITY_OPTIONAL if c in est.columns]
    groups: dict[tuple, list[tuple[str, str]]] = {}
    for (fam, mod), rows in est.groupby([est["family"].astype(str), est["model"].astype(str)], sort=False):
        # The estimates themselves too: the tidy file marks a 2SLS model only by its first-stage
        # columns, and a model that merely shares the formula is not the same specification.
        coefs = tuple(sorted(zip(rows["term"].astype(str), np.round(rows["estimate"].to_numpy(dtype=float), 6))))
        key = tuple(str(rows[c].iloc[0]) for c in cols) + (coefs,)
        groups.setdefault(key, []).append((fam, mod))
    first = {members[0]: members for members in groups.values()}
    return {m: first[m] for m in models if m in first}


def spec_curve(est: pd.DataFrame, term: str, label: str, family_titles: dict[str, str] | None = None):
    """Every distinct specification in the registry with `term`, its estimate sorted, with 95%
    intervals; below, every family that holds the specification (a model several families
    repeat is drawn once and marked in each).

    An interval far wider than the others is cut at the axis and marked with an arrow head there
    (the figure's CSV keeps its full bounds and says `clipped`). A model that also interacts `term`
    with another variable (a term `term:z` or `z:term`) estimates in `term` the effect where z is
    zero, not the average effect: its point is drawn hollow and the CSV says `conditional`. The axis
    is set by the other points; a hollow point beyond it is drawn at its edge as a hollow triangle
    (the CSV says `point_beyond_axis`).
    """
    family_titles = family_titles or {}
    with_term = est.groupby(["family", "model"], sort=False)["term"].transform(lambda t: (t == term).any())
    specs = distinct_specs(est[with_term.astype(bool)])
    n_models = sum(len(v) for v in specs.values())
    kept = np.array([(str(f), str(m)) in specs for f, m in zip(est["family"], est["model"])], dtype=bool)
    sub = est[(est["term"] == term).to_numpy() & kept]
    sub = sub.sort_values(["estimate", "family", "model"]).reset_index(drop=True)
    members = [specs[(str(f), str(m))] for f, m in zip(sub["family"], sub["model"])]
    fams = list(dict.fromkeys(sorted(f for ms in members for f, _ in ms)))
    # The legend sits above the estimates: 0.6 in for its four lines.
    fig, (ax1, ax2) = style.figure(height=3.6 + 0.2 * len(fams), nrows=2, sharex=True,
                                   gridspec_kw={"height_ratios": [2.2, max(1.0, 0.28 * len(fams))]})
    x = np.arange(len(sub))
    b = sub["estimate"].to_numpy(dtype=float)
    interacted = {(str(f), str(m)) for f, m, t in zip(est["family"], est["model"], est["term"].astype(str))
                  if t != term and term in t.split(":")}
    conditional = np.array([(str(f), str(m)) in interacted for f, m in zip(sub["family"], sub["model"])], dtype=bool)
    low, high = t_bounds(sub)
    # The axis is set by the average effects (and zero): a main term of an interacted model is an
    # effect at zero of another variable, which can lie far out (a distance to the frontier that
    # no firm has) and would flatten the rest; such a point is drawn at the axis's edge instead.
    avg = ~conditional if (~conditional).any() else np.ones(len(b), dtype=bool)
    ymin, ymax = clip_limits(b[avg], low[avg], high[avg])
    cut_low, cut_high = low < ymin, high > ymax
    out_low, out_high = conditional & (b < ymin), conditional & (b > ymax)
    sig = (np.abs(b) > high - b)

    def colours(mask: np.ndarray) -> list:
        return [style.PALETTE[0] if s_ else style.PALETTE[1] for s_ in sig[mask]]

    ax1.vlines(x, np.maximum(low, ymin), np.minimum(high, ymax), color="0.65", lw=1)
    ax1.scatter(x[sig & ~conditional], b[sig & ~conditional], s=10, color=style.PALETTE[0], zorder=3,
                label="Estimate whose 95% interval (t(G−1), as in the tables) excludes zero")
    ax1.scatter(x[~sig & ~conditional], b[~sig & ~conditional], s=10, color=style.PALETTE[1], zorder=3,
                label="Estimate whose 95% interval includes zero")
    if conditional.any():
        inside = conditional & ~out_low & ~out_high
        ax1.scatter(x[inside], b[inside], s=14, facecolors="white", edgecolors=colours(inside), linewidths=1,
                    zorder=3, label=f"Hollow: effect where the interacted variable is zero "
                                    f"({_count(conditional.sum(), 'model')} with an interaction)")
        beyond: str | None = (f"Hollow point beyond the axis, drawn at its edge "
                              f"({_count((out_low | out_high).sum(), 'model')})")
        for out, edge, marker in ((out_high, ymax, "^"), (out_low, ymin, "v")):
            if out.any():
                ax1.scatter(x[out], np.full(out.sum(), edge), marker=marker, s=30, facecolors="white",
                            edgecolors=colours(out), linewidths=1, zorder=4, clip_on=False, label=beyond)
                beyond = None  # one legend entry for both edges
    if (cut_low | cut_high).any():
        ax1.scatter(x[cut_high], np.full(cut_high.sum(), ymax), marker="^", s=14, color="0.35", zorder=3,
                    clip_on=False, label=f"Interval cut at the axis ({_count((cut_low | cut_high).sum(), 'specification')})")
        ax1.scatter(x[cut_low], np.full(cut_low.sum(), ymin), marker="v", s=14, color="0.35", zorder=3,
                    clip_on=False)
    ax1.set_ylim(ymin, ymax)
    ax1.axhline(0, color="0.4", lw=0.8)
    ax1.set_ylabel(f"Coefficient on {label}")
    # Above the axes: inside them the legend would cover points and intervals.
    ax1.legend(frameon=False, fontsize=7, loc="lower left", bbox_to_anchor=(0.0, 1.0), borderaxespad=0.2)
    marks = [(i, fams.index(f)) for i, ms in enumerate(members) for f in dict.fromkeys(f for f, _ in ms)]
    ax2.scatter([i for i, _ in marks], [j for _, j in marks], marker="|", s=40, color="0.2")
    ax2.set_yticks(range(len(fams)))
    ax2.set_yticklabels([_wrap(family_titles.get(f, f.replace("_", " ")), 26) for f in fams],
                        fontsize=7.5, linespacing=0.9)
    ax2.set_ylim(-0.5, len(fams) - 0.5)
    ax2.invert_yaxis()
    # What is counted: the models of the families drawn below that estimate the coefficient.
    repeated = f" of the {n_models} models below that estimate it" if n_models > len(sub) else ""
    ax2.set_xlabel(f"Specification, sorted by estimate ({len(sub)} distinct{repeated})")
    ax2.grid(False)
    fig.tight_layout()
    data = _interval_rows(sub)
    data.insert(0, "rank", np.arange(1, len(data) + 1))
    data["family_title"] = data["family"].map(lambda f: family_titles.get(f, ""))
    data["clipped"] = cut_low | cut_high
    data["conditional"] = conditional
    data["point_beyond_axis"] = out_low | out_high
    # The other registry models that are the same specification (drawn once).
    data["same_as"] = ["; ".join(f"{f}/{m}" for f, m in ms[1:]) for ms in members]
    return fig, data


def _count(n, noun: str) -> str:
    return f"{int(n)} {noun}" + ("" if int(n) == 1 else "s")


def se_phrase(vcov: str, labels: dict[str, str]) -> str:
    """A tidy `vcov` ('CRV1:industry2', 'CRV1:industry2+year', 'HC1', 'iid') in words, plain text."""
    kind, _, rest = str(vcov).partition(":")
    if kind.upper().startswith("CRV") and rest:
        who = " and ".join(term_label(v.replace("^", ":"), labels).lower() for v in rest.split("+"))
        return f"{kind.upper()} standard errors clustered by {who}"
    return {"HC1": "heteroskedasticity-robust (HC1) standard errors",
            "IID": "conventional (iid) standard errors"}.get(kind.upper(), f"{vcov} standard errors")


def recovery(validation: pd.DataFrame, labels: dict[str, str], model_labels: dict[str, str] | None = None,
             est: pd.DataFrame | None = None):
    """Each validated estimate with its 95% interval (and its WCR interval where it has one), and its
    estimand from the truth (a hollow diamond) beside it.

    Rows are grouped by model under a heading row with the model's name; the intervals are the
    validation's own (ci_low, ci_high: the t(G-1) intervals of the tables), else estimate +- 1.96
    s.e.; the axis says which standard errors, read from the models' tidy `vcov` in `est`.
    """
    model_labels = model_labels or {}
    v = validation.dropna(subset=["estimate", "truth"]).reset_index(drop=True)
    se = v["std_error"].fillna(0.0) if "std_error" in v.columns else pd.Series(0.0, index=v.index)
    if {"ci_low", "ci_high"} <= set(v.columns):
        lo, hi = v["ci_low"].fillna(v["estimate"]), v["ci_high"].fillna(v["estimate"])
    else:
        lo, hi = v["estimate"] - Z95 * se, v["estimate"] + Z95 * se
    fam = v["family"].astype(str) if "family" in v.columns else pd.Series("", index=v.index)
    mod = v["model"].astype(str) if "model" in v.columns else pd.Series("", index=v.index)
    groups = list(dict.fromkeys(zip(fam, mod)))
    names = legend_names(groups, model_labels)
    # One heading row per model, then its terms: y positions with a gap for each heading.
    y = np.zeros(len(v))
    ticks, tick_labels, heads = [], [], []
    row = 0
    for g in groups:
        ticks.append(row)
        tick_labels.append(names[g])
        heads.append(row)
        row += 1
        for i in np.flatnonzero([(f, mm) == g for f, mm in zip(fam, mod)]):
            y[i] = row
            ticks.append(row)
            tick_labels.append(term_label(v.at[i, "term"], labels))
            row += 1
    fig, ax = style.figure(height=max(2.6, 0.22 * row + 1.5))
    for k, g in enumerate(groups):
        m = np.array([(f, mm) == g for f, mm in zip(fam, mod)])
        b = v.loc[m, "estimate"].to_numpy()
        # One colour: the models are told apart by their heading rows, so the legend's marker
        # stands for every estimate.
        ax.errorbar(b, y[m], xerr=[b - lo[m].to_numpy(), hi[m].to_numpy() - b], fmt="o", ms=3.5, capsize=2,
                    elinewidth=0.8, color=style.PALETTE[0], zorder=3,
                    label="Estimate with 95% confidence interval" if k == 0 else None)
        if k:
            ax.axhline(heads[k] - 0.5, color="0.75", lw=0.6)
    drawn_wild = wild_bars(ax, y, v, style.PALETTE[0], label=WILD_BAR_LABEL[0].upper() + WILD_BAR_LABEL[1:])
    # A hollow diamond under the dot: where estimate and estimand coincide, both stay visible.
    ax.scatter(v["truth"], y, marker="D", s=34, facecolors="none", edgecolors="black", linewidths=0.9, zorder=2,
               label="Estimand (truth)")
    ax.axvline(0, color="0.6", lw=0.6)
    ax.set_yticks(ticks)
    ax.set_yticklabels(tick_labels, fontsize=7.5)
    for t, pos in zip(ax.get_yticklabels(), ticks):
        if pos in heads:
            t.set_fontweight("bold")
    ax.set_ylim(row - 0.5, -0.5)
    vcovs = []
    if est is not None and {"family", "model", "vcov"} <= set(est.columns):
        for f, mm in groups:
            hit = est[(est["family"].astype(str) == f) & (est["model"].astype(str) == mm)]
            if len(hit):
                vcovs.append(str(hit["vcov"].iloc[0]))
    how = ("t(G−1) intervals" if {"ci_low", "ci_high"} <= set(v.columns) else "estimate ± 1.96 s.e.")
    ses = "; ".join(se_phrase(x, labels) for x in dict.fromkeys(vcovs)) or "standard errors of the estimates"
    ax.set_xlabel(f"Estimate and 95% confidence interval\n({how}, {ses})")
    fig.tight_layout()
    # Below the two-line axis label: about 0.7 in under the axis, whatever the figure's height.
    axis_height = fig.get_size_inches()[1] * ax.get_position().height
    ax.legend(frameon=False, fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.7 / axis_height), ncol=2)
    data = v.assign(family=fam, model=mod, std_error=se)[["family", "model", "term", "estimate", "std_error"]].copy()
    data["ci_low"], data["ci_high"] = lo.to_numpy(), hi.to_numpy()
    data["model_label"] = [names[g] for g in zip(fam, mod)]
    data["truth"] = v["truth"].to_numpy()
    if drawn_wild:
        for c in WILD_BOUNDS:
            data[c] = v[c].to_numpy(dtype=float)
    data["standard_errors"] = [se_phrase(vcovs[groups.index(g)], labels) if len(vcovs) == len(groups) else ""
                               for g in zip(fam, mod)]
    return fig, data
