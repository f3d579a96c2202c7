"""The paper's figures, each a pure function of data frames -> matplotlib Figure.

The CLI (`upgrading figures`) reads the inputs once, calls each function and saves
PDF + PNG through style.savefig (fixed metadata, so bytes repeat).
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from upgrading.exhibits import style

REGION_LABELS = {
    "prd": "Pearl R. Delta", "yrd": "Yangtze R. Delta", "bohai": "Bohai Rim",
    "other_coastal": "Other coastal", "central": "Central", "western": "Western",
}
OWNERSHIP_ORDER = ["soe", "collective", "private", "hmt", "foreign"]
OWNERSHIP_LABELS = {"soe": "SOE", "collective": "Collective", "private": "Private",
                    "hmt": "HMT", "foreign": "Other foreign"}
Z95 = 1.959963984540054

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


def foreign_presence(analysis: pd.DataFrame):
    """(a) output-weighted foreign capital share by region; (b) firm shares by ownership."""
    fig, (ax1, ax2) = style.figure(height=3.6, ncols=2)
    fig.subplots_adjust(wspace=0.35)
    by_region = _weighted_share(analysis, "foreign_share", "output", ["region", "year"]).unstack("region")
    _year_lines(ax1, by_region, REGION_LABELS, "(a) Foreign share of output, by region",
                "Output-weighted foreign capital share")
    counts = analysis.groupby(["year", "ownership"]).size().unstack("ownership").fillna(0)
    shares = counts.div(counts.sum(axis=1), axis=0)
    _year_lines(ax2, shares, {o: OWNERSHIP_LABELS[o] for o in OWNERSHIP_ORDER},
                "(b) Share of firms, by ownership", "Share of firms")
    for ax in (ax1, ax2):
        ax.xaxis.get_major_locator().set_params(integer=True)
    fig.tight_layout()
    return fig


def smile_curve(analysis: pd.DataFrame, industry_names: dict[int, str] | None = None,
                shock_year: int = 2002):
    """Value added / output: (a) by industry and domestic vs foreign; (b) by ownership, before/after."""
    industry_names = industry_names or {}
    df = analysis[np.isfinite(analysis["va_ratio"])]
    fig, (ax1, ax2) = style.figure(height=4.2, ncols=2, gridspec_kw={"width_ratios": [1.6, 1]})
    dom = df["domestic"].astype(bool)
    by_ind = pd.DataFrame({
        "Domestic": df[dom].groupby("industry2")["va_ratio"].mean(),
        "Foreign-invested": df[~dom].groupby("industry2")["va_ratio"].mean(),
    }).sort_values("Domestic")
    y = np.arange(len(by_ind))
    ax1.scatter(by_ind["Domestic"], y, s=12, label="Domestic", zorder=3)
    ax1.scatter(by_ind["Foreign-invested"], y, s=12, marker="D", label="Foreign-invested", zorder=3)
    ax1.set_yticks(y)
    ax1.set_yticklabels([f"{int(i)} {industry_names.get(int(i), '')}"[:28] for i in by_ind.index],
                        fontsize=5.5)
    ax1.set_xlabel("Mean value added / output")
    ax1.set_title("(a) By 2-digit industry")
    ax1.legend(frameon=False, loc="lower right")
    period = np.where(df["year"] < shock_year, f"before {shock_year}", f"{shock_year} and after")
    by_own = df.groupby([df["ownership"], period])["va_ratio"].mean().unstack()
    owners = [o for o in OWNERSHIP_ORDER if o in by_own.index]
    x = np.arange(len(owners))
    width = 0.38
    for j, col in enumerate(sorted(by_own.columns, key=lambda c: c.startswith(str(shock_year)))):
        ax2.bar(x + (j - 0.5) * width, by_own.loc[owners, col], width, label=col)
    ax2.set_xticks(x)
    ax2.set_xticklabels([OWNERSHIP_LABELS[o] for o in owners], rotation=30, ha="right")
    ax2.set_ylabel("Mean value added / output")
    ax2.set_title("(b) By ownership and period", pad=18)
    ax2.legend(frameon=False, ncol=2, loc="lower center", bbox_to_anchor=(0.5, 1.0), fontsize=7)
    fig.tight_layout()
    return fig


def clusters(analysis: pd.DataFrame, n_cities: int = 20, city_names: dict[int, str] | None = None):
    """Location quotients of the largest cities (by output) across 2-digit industries, last year."""
    city_names = city_names or {}
    last = analysis[analysis["year"] == analysis["year"].max()]
    top = last.groupby("city")["output"].sum().nlargest(n_cities).index
    sub = last[last["city"].isin(top)]
    # LQ is constant within city x industry x year; take the mean to be safe.
    lq = sub.groupby(["city", "industry2"])["location_quotient"].mean().unstack("industry2")
    lq = lq.reindex(top)
    raw = lq.to_numpy(dtype=float)
    values = np.log2(np.where(raw > 0, raw, np.nan))  # no firms (0 or missing) stays blank
    fig, ax = style.figure(height=3.8)
    lim = np.nanmax(np.abs(values)) if np.isfinite(values).any() else 1.0
    im = ax.imshow(values, aspect="auto", cmap="RdBu_r", vmin=-lim, vmax=lim, interpolation="nearest")
    ax.set_xticks(range(lq.shape[1]))
    ax.set_xticklabels([str(int(c)) for c in lq.columns], fontsize=6)
    ax.set_yticks(range(lq.shape[0]))
    ax.set_yticklabels([f"{int(c)}" + (f" {city_names[int(c)]}" if int(c) in city_names else "")
                        for c in lq.index], fontsize=6)
    ax.set_xlabel("2-digit industry (CIC)")
    ax.set_ylabel("City (largest by output)")
    ax.grid(False)
    cbar = fig.colorbar(im, ax=ax, fraction=0.03, pad=0.02)
    cbar.set_label(r"$\log_2$ location quotient")
    ax.set_title(f"Location quotients, {int(analysis['year'].max())}; blank = no firms")
    fig.tight_layout()
    return fig


def coefficients(est: pd.DataFrame, terms: list[str], labels: dict[str, str]):
    """Point estimates and 95% intervals of `terms` across the models in `est` (one marker per model)."""
    sub = est[est["term"].isin(terms)].copy()
    models = list(dict.fromkeys(zip(sub["family"], sub["model"])))
    fig, ax = style.figure(height=max(2.4, 0.45 * len(terms) * max(1, len(models)) ** 0.5 + 1.2))
    n = len(models)
    offsets = np.linspace(-0.3, 0.3, n) if n > 1 else np.zeros(1)
    for k, (fam, mod) in enumerate(models):
        rows = sub[(sub["family"] == fam) & (sub["model"] == mod)].set_index("term")
        ys, xs, lo, hi = [], [], [], []
        for i, t in enumerate(terms):
            if t in rows.index:
                r = rows.loc[t]
                ys.append(i + offsets[k])
                xs.append(r["estimate"])
                lo.append(r["estimate"] - Z95 * r["std_error"])
                hi.append(r["estimate"] + Z95 * r["std_error"])
        label = _model_label(est, fam, mod)
        ax.errorbar(xs, ys, xerr=[np.subtract(xs, lo), np.subtract(hi, xs)], fmt="o", ms=3.5,
                    capsize=2, label=label)
    ax.axvline(0, color="0.4", lw=0.8)
    ax.set_yticks(range(len(terms)))
    ax.set_yticklabels([labels.get(t, t) for t in terms])
    ax.invert_yaxis()
    ax.set_xlabel("Coefficient and 95% confidence interval")
    ax.legend(frameon=False, fontsize=7, loc="center left", bbox_to_anchor=(1.0, 0.5))
    fig.tight_layout()
    return fig


def _model_label(est: pd.DataFrame, fam: str, mod: str) -> str:
    """The registry's model label (tidy `label`), else the model id with its fixed effects."""
    rows = est[(est["family"] == fam) & (est["model"] == mod)]
    if "label" in rows.columns and len(rows):
        label = str(rows["label"].iloc[0])
        if label not in {"", "nan", "None", mod}:
            return label
    if "fixed_effects" in rows.columns and len(rows):
        fe = str(rows["fixed_effects"].iloc[0])
        return f"{mod}: FE {fe.replace('+', ', ')}" if fe and fe != "nan" else mod
    return mod


EVENT_TERM = re.compile(r"(\w+)::(\d{4})(?::(.+))?")


def event_study(est: pd.DataFrame, ref_year: int | None = None, shock_year: int = 2002):
    """Event-study coefficients (pyfixest 'year::YYYY:x' terms) with 95% intervals, one line per model."""
    fig, ax = style.figure(height=2.8)
    models = list(dict.fromkeys(zip(est["family"], est["model"])))
    for k, (fam, mod) in enumerate(models):
        rows = est[(est["family"] == fam) & (est["model"] == mod)]
        pts = []
        for _, r in rows.iterrows():
            m = EVENT_TERM.fullmatch(str(r["term"]))
            if m:
                pts.append((int(m.group(2)), r["estimate"], r["std_error"]))
        if ref_year is not None:
            pts.append((ref_year, 0.0, 0.0))
        pts.sort()
        if not pts:
            continue
        years, b, se = (np.array(v, dtype=float) for v in zip(*pts))
        shift = (k - (len(models) - 1) / 2) * 0.12
        ax.errorbar(years + shift, b, yerr=Z95 * se, fmt="-o", ms=3, capsize=2,
                    label=_model_label(est, fam, mod))
    ax.axhline(0, color="0.4", lw=0.8)
    ax.axvline(shock_year - 0.5, color="0.4", lw=0.8, ls="--")
    ax.set_xlabel("Year")
    ax.set_ylabel("Encouraged x year coefficient")
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.legend(frameon=False, fontsize=7)
    fig.tight_layout()
    return fig


def spec_curve(est: pd.DataFrame, term: str, label: str):
    """Every estimate of `term` in the registry, sorted, with 95% intervals; families marked below."""
    sub = est[est["term"] == term].sort_values(["estimate", "family", "model"]).reset_index(drop=True)
    fams = list(dict.fromkeys(sorted(sub["family"])))
    fig, (ax1, ax2) = style.figure(height=3.8, nrows=2, sharex=True,
                                   gridspec_kw={"height_ratios": [2.2, max(1.0, 0.18 * len(fams))]})
    x = np.arange(len(sub))
    sig = (sub["estimate"].abs() > Z95 * sub["std_error"]).to_numpy()
    ax1.vlines(x, sub["estimate"] - Z95 * sub["std_error"], sub["estimate"] + Z95 * sub["std_error"],
               color="0.65", lw=1)
    ax1.scatter(x[sig], sub["estimate"][sig], s=10, color=style.PALETTE[0], zorder=3,
                label="95% CI excludes 0")
    ax1.scatter(x[~sig], sub["estimate"][~sig], s=10, color=style.PALETTE[1], zorder=3,
                label="95% CI includes 0")
    ax1.axhline(0, color="0.4", lw=0.8)
    ax1.set_ylabel(f"Coefficient on {label}")
    ax1.legend(frameon=False, fontsize=7)
    ax2.scatter(x, [fams.index(f) for f in sub["family"]], marker="|", s=40, color="0.2")
    ax2.set_yticks(range(len(fams)))
    ax2.set_yticklabels(fams, fontsize=6)
    ax2.set_ylim(-0.5, len(fams) - 0.5)
    ax2.invert_yaxis()
    ax2.set_xlabel(f"Specification (sorted by estimate; {len(sub)} models)")
    ax2.grid(False)
    fig.tight_layout()
    return fig


def recovery(validation: pd.DataFrame, labels: dict[str, str]):
    """Each validated estimate with its 95% interval, and its estimand from the truth (x) beside it."""
    v = validation.dropna(subset=["estimate", "truth"]).reset_index(drop=True)
    se = v["std_error"].fillna(0.0) if "std_error" in v.columns else pd.Series(0.0, index=v.index)
    fam = v["family"].astype(str) if "family" in v.columns else pd.Series("", index=v.index)
    mod = v["model"].astype(str) if "model" in v.columns else pd.Series("", index=v.index)
    def term(t: str) -> str:
        return " x ".join(labels.get(p, p) for p in t.split(":"))

    rows = [f"{f}/{m}: {term(t)}".lstrip("/: ") for f, m, t in zip(fam, mod, v["term"].astype(str))]
    fig, ax = style.figure(height=max(2.6, 0.24 * len(v) + 1.0))
    y = np.arange(len(v))
    groups = list(dict.fromkeys(zip(fam, mod)))
    for k, g in enumerate(groups):
        m = np.array([(f, mm) == g for f, mm in zip(fam, mod)])
        ax.errorbar(v.loc[m, "estimate"], y[m], xerr=Z95 * se[m], fmt="o", ms=3.5, capsize=2,
                    color=style.PALETTE[k % len(style.PALETTE)], label=f"estimate: {g[0]}/{g[1]}")
    ax.scatter(v["truth"], y, marker="x", s=30, color="black", zorder=4, label="estimand (truth)")
    ax.axvline(0, color="0.6", lw=0.6)
    ax.set_yticks(y)
    ax.set_yticklabels(rows, fontsize=6.5)
    ax.invert_yaxis()
    ax.set_xlabel("Estimate with 95% CI, and the truth of the synthetic world")
    ax.legend(frameon=False, fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.15 * 10 / max(10, len(v)) - 0.08),
              ncol=2)
    fig.tight_layout()
    return fig
