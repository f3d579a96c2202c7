"""The production function behind TFP: elasticities by industry and the search diagnostics.

`upgrading production-tables` reads production_elasticities.csv (and, for the synthetic
world, the truth's elasticities) and writes two LaTeX tables with CSV twins:
- production_elasticities: OLS, within, LP and ACF elasticities by industry with standard
  errors beside the truth; fallbacks, wrong signs and industries without an estimate marked;
  the note names the TFP used downstream.
- production_search: for every industry and structural method, the starts tried and
  converged, the distinct roots (ACF) or minima (LP), the criterion at the chosen one and
  whether a second one lies within the criterion band.
"""

from __future__ import annotations

import argparse
import json
import sys

import pandas as pd

from upgrading.core import io
from upgrading.core.errors import InputError
from upgrading.exhibits.latex import escape, fmt_float, fmt_int, is_missing, keep_with_next, longtable, minus

METHODS = [("ols", "OLS"), ("fe", "Within"), ("lp", "LP"), ("acf", "ACF")]
MARKS = {"fallback_fe": r"$^{\dagger}$", "fallback_ols": r"$^{\dagger}$", "excluded": r"$^{\S}$",
         "wrong_sign": r"$^{\ddagger}$"}


def inputs_of(elasticities: pd.DataFrame) -> list[str]:
    """Inputs with an elasticity column (l or l1, l2, ..., possibly m, then k)."""
    return [c[5:] for c in elasticities.columns if c.startswith("beta_")]


def cell_mark(status: str, beta) -> str:
    """The mark of one elasticity: a wrong sign marks the non-positive elasticity itself, a
    fallback or exclusion every elasticity of the industry and method."""
    if status == "wrong_sign":
        return MARKS["wrong_sign"] if not is_missing(beta) and float(beta) <= 0 else ""
    return MARKS.get(status, "")


def sci(x, digits: int = 1) -> str:
    """1.234e-02 -> '$1.2 \\times 10^{-2}$' (a true minus in the exponent; 0 -> '0')."""
    if is_missing(x):
        return ""
    mantissa, _, exponent = f"{float(x):.{digits}e}".partition("e")
    if float(mantissa) == 0.0:
        return "0"
    return rf"${mantissa} \times 10^{{{int(exponent)}}}$"  # in math, '-' is set as a minus sign


def elasticity_table(el: pd.DataFrame, truth: dict | None, tfp_method: str,
                     names: dict[int, str] | None = None) -> tuple[str, pd.DataFrame]:
    inputs = inputs_of(el)
    methods = [(m, name) for m, name in METHODS if m in set(el["method"])]
    rows, lines = [], []
    for industry, g in el.groupby("industry", sort=True):
        g = g.set_index("method")
        row = {"industry": industry, "nobs": int(g["nobs"].max())}
        est_line, se_line = [str(industry), fmt_int(row["nobs"])], ["", ""]
        if truth is not None:
            t = truth.get(str(industry), {})
            for x in inputs:
                row[f"truth_{x}"] = t.get(f"beta_{x}")
                est_line.append(minus(fmt_float(t.get(f"beta_{x}"))))
                se_line.append("")
        for m, _ in methods:
            r = g.loc[m]
            for x in inputs:
                row[f"{m}_{x}"], row[f"{m}_se_{x}"] = r[f"beta_{x}"], r[f"se_{x}"]
                est_line.append("--" + MARKS.get(r["status"], "") if r["status"] in ("too_few_obs", "excluded")
                                else minus(fmt_float(r[f"beta_{x}"])) + cell_mark(r["status"], r[f"beta_{x}"]))
                se = fmt_float(r[f"se_{x}"])
                se_line.append(f"({se})" if se else "")
            row[f"{m}_status"] = r["status"]
        rows.append(row)
        # \\* keeps an industry's standard errors on the page of its estimates.
        lines.append(" & ".join(est_line) + (r" \\*" if any(se_line) else r" \\"))
        if any(se_line):
            lines.append(" & ".join(se_line) + r" \\")
    groups = ([("Truth", len(inputs))] if truth is not None else []) + [(n, len(inputs)) for _, n in methods]
    ncol = 2 + sum(n for _, n in groups)
    head1 = " & ".join(["", ""] + [rf"\multicolumn{{{n}}}{{c}}{{{name}}}" for name, n in groups])
    sub = " & ".join(["Industry", "N"] + [rf"$\beta_{{{escape(x)}}}$" for _, n in groups for x in inputs])
    rules, col = [], 3
    for _, n in groups:
        rules.append(rf"\cmidrule(lr){{{col}-{col + n - 1}}}")
        col += n
    flagged = el[el["status"] != "estimated"]
    legend = {r"$^{\dagger}$": r"$^{\dagger}$: no admissible LP/ACF solution; the declared fallback (within or OLS) "
                                r"is shown and used. ",
              r"$^{\S}$": r"$^{\S}$: no admissible solution and no admissible fallback; the industry "
                           r"is excluded (declared), its firms have no TFP. ",
              r"$^{\ddagger}$": r"$^{\ddagger}$: a non-positive elasticity "
                                 r"(OLS or within; such an estimate is never a fallback). ",
              "--": r"--: too few firm-years. "}
    # Every method of an industry uses its firm-years (domestic and foreign-invested); their sum is
    # the sample of the pooled production function.
    n_total = el.groupby("industry")["nobs"].max().sum()
    note = (r"Value-added Cobb--Douglas elasticities by two-digit industry (N: firm-years of the industry, "
            rf"domestic and foreign-invested, {fmt_int(n_total)} over all industries); "
            r"firm-clustered standard errors in parentheses (OLS, within) or firm bootstrap "
            # The replication count is a setting the paper's numbers.tex carries; the guard keeps
            # the table compilable on its own.
            r"(LP, ACF\ifdefined\ProdBootstrapReps; \ProdBootstrapReps{} replications, so each of these "
            r"standard errors is itself uncertain by about \ProdBootstrapSeRelError{} of its size\fi). "
            r"LP: non-linear least-squares second stage \citep{levinsohn2003estimating}; ACF: the root "
            r"chosen by the multi-start search. " + searches_sentence(el)
            + used_marks(legend, lines) + unused_fallback_sentence(lines)
            + industry_key(el, names)
            + rf"TFP used downstream: {escape(tfp_method.upper())}. "
            rf"{len(flagged)} of {len(el)} industry-method cells are marked.")
    tex = longtable("ll" + "r" * (ncol - 2), ncol,
                    "The production function behind TFP: elasticities by industry",
                    "tab:production_elasticities", [head1 + r" \\", " ".join(rules), sub + r" \\"],
                    lines, note, preamble=r"\footnotesize\setlength{\tabcolsep}{2.2pt}")
    return tex, pd.DataFrame(rows)


def searches_sentence(el: pd.DataFrame) -> str:
    """'LP searches from 10 starts per industry, ACF from 11 (Table 13 says which).' from the data."""
    parts = []
    for m in ("lp", "acf"):
        n = sorted({int(v) for v in el.loc[(el["method"] == m) & el["starts"].notna(), "starts"]})
        if n:
            parts.append(f"{m.upper()} from {' or '.join(str(v) for v in n)}")
    return ("Starts per industry: " + ", ".join(parts)
            + r" (Table~\ref{tab:production_search} says where they come from). ") if parts else ""


def industry_key(el: pd.DataFrame, names: dict[int, str] | None) -> str:
    """'Industries (divisions of the Chinese Industrial Classification, CIC 2002): 13 Agricultural ...' for
    the industries of the table, so the codes of the rows (and of the text) have names."""
    if not names:
        return ""
    codes = sorted({int(i) for i in el["industry"]})
    missing = [c for c in codes if c not in names]
    if missing:
        raise InputError(f"industries file names no industry {missing[0]}", file="industries.csv",
                         column="industry2")
    return ("Industries (divisions of the Chinese Industrial Classification, CIC 2002): "
            + "; ".join(f"{c} {escape(names[c])}" for c in codes) + ". ")


def unused_fallback_sentence(lines: list[str]) -> str:
    """Where no industry falls back or is excluded, the note says so (the text defines those
    marks, so a reader looks for them)."""
    body = "\n".join(lines)
    if r"$^{\dagger}$" in body or r"$^{\S}$" in body:
        return ""
    return (r"No industry uses a fallback ($^{\dagger}$) or is excluded ($^{\S}$): every LP and ACF search "
            r"found an admissible solution. ")


def used_marks(legend: dict[str, str], lines: list[str]) -> str:
    """The legend sentences of the marks the table's rows use: a note defines no unused mark."""
    body = "\n".join(lines)
    return "".join(text for mark, text in legend.items() if mark in body)


def band_sentence(searched: pd.DataFrame, band: float | None) -> tuple[bool, str]:
    """(show the Band column?, the note's sentence on it). A column that says the same in every
    row of a method is one sentence of the note instead."""
    which = f" ({sci(band)})" if band is not None else ""
    in_band = searched["second_root_in_band"].astype(str) == "True"
    by_method = {m: set(in_band[searched["method"] == m]) for m in dict.fromkeys(searched["method"])}
    if any(len(v) > 1 for v in by_method.values()):
        return True, f"Band: whether another solution lies within the criterion band{which} of the chosen one."
    sentences: list[str] = []
    for m, v in by_method.items():
        band_text = f"the criterion band{which if not sentences else ''} of the chosen one"
        sentences.append(f"{m.upper()}: in every industry another solution lies within {band_text}." if True in v
                         else f"{m.upper()}: in no industry does another solution lie within {band_text}.")
    return False, " ".join(sentences)


# Starts each search adds to the Sobol points, by how many there are (upgrading.productivity:
# LP adds the OLS and within estimates; ACF with one free input also its fixed start).
ADDED_STARTS = {2: "the OLS and within estimates",
                3: "the OLS and within estimates and a fixed start at typical elasticities"}


def starts_sentence(el: pd.DataFrame, n_sobol: int | None) -> str:
    """Where the starts of each structural search come from, counted from the searches themselves
    (the `starts` column) and the number of Sobol points of the settings (productivity.starts)."""
    searched = el[el["method"].isin(["lp", "acf"]) & el["starts"].notna()]
    parts = []
    for m in dict.fromkeys(searched["method"]):
        for n in sorted({int(v) for v in searched.loc[searched["method"] == m, "starts"]}):
            if n_sobol is None or n < n_sobol:
                parts.append(f"{m.upper()} {n}")
                continue
            added = n - n_sobol
            what = ADDED_STARTS.get(added, f"{added} further starts")
            sobol = (f"the same {n_sobol} Sobol points" if parts else
                     f"the {n_sobol} seeded Sobol points of the search box")
            parts.append(f"{m.upper()} {n}: {sobol} and {added}, {what}")
    return ("Starts per industry: " + "; ".join(parts) + ".") if parts else ""


def search_table(el: pd.DataFrame, band: float | None = None,
                 n_sobol: int | None = None) -> tuple[str, pd.DataFrame]:
    structural = el[el["method"].isin(["lp", "acf"])].copy()
    # The order of the elasticities in each solution, as the estimator writes them.
    elasticities = "/".join(rf"$\beta_{{{escape(x)}}}$" for x in inputs_of(el))
    show_band, band_note = band_sentence(structural[structural["status"] != "too_few_obs"], band)
    lines: list[str] = []
    previous = None
    for _, r in structural.iterrows():
        if r["status"] == "too_few_obs":
            cells = [str(r["industry"]), r["method"].upper(), "--", "--", "--", "--"]
            cells += ["--"] if show_band else []
            cells += ["too few firm-years"]
        else:
            cells = [str(r["industry"]), r["method"].upper(), fmt_int(r["starts"]),
                     fmt_int(r["starts_converged"]), fmt_int(r["roots"]), sci(r["criterion"])]
            cells += ["yes" if str(r["second_root_in_band"]) == "True" else "no"] if show_band else []
            cells += [escape(str(r["solutions"]).replace("nan", "")).replace("-", r"\ensuremath{-}") + (
                r" $^{\dagger}$" if str(r["status"]).startswith("fallback")
                else MARKS.get(str(r["status"]), ""))]
        # An industry's LP and ACF rows stay on one page.
        if lines and previous == r["industry"]:
            lines[-1] = keep_with_next(lines[-1])
        previous = r["industry"]
        lines.append(" & ".join(cells) + r" \\")
    note = (starts_sentence(el, n_sobol) + r" Converged: ACF, the largest standardised moment below the root "
            r"tolerance; LP, the gradient of the mean squared residual below its tolerance. "
            r"Distinct: how many distinct solutions the converged starts reached. "
            r"Criterion, at the chosen solution: ACF, the sum of its squared moments (zero at an exact root); "
            r"LP, the mean squared residual of its second stage. "
            rf"Solutions found: those solutions, each as {elasticities}, the chosen one first; "
            r"ACF's exact roots tie on the criterion, so the admissible root nearest "
            rf"LP's first-stage labour elasticity is chosen. {band_note} "
            + used_marks({r"$^{\dagger}$": r"$^{\dagger}$: no admissible solution; the declared fallback is used "
                                            r"(Table~\ref{tab:production_elasticities})."}, lines))
    head = ("Industry & Method & Starts & Converged & Distinct & Criterion & "
            + ("Band & " if show_band else "") + r"Solutions found \\")
    ncol = 8 if show_band else 7
    tex = longtable(("llrrrrl" if show_band else "llrrrr") + r">{\raggedright\arraybackslash}p{0.3\linewidth}",
                    ncol, "Production-function search diagnostics by industry", "tab:production_search",
                    [head], lines, note)
    keep = ["industry", "method", "status", "reason", "starts", "starts_converged", "roots",
            "criterion", "second_root_in_band", "solutions"]
    return tex, structural[keep].reset_index(drop=True)


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="upgrading production-tables", description=__doc__.splitlines()[0])
    p.add_argument("--elasticities", required=True)
    p.add_argument("--truth", help="truth/parameters.json of the synthetic world (key production)")
    p.add_argument("--tfp-method", required=True, help="measures.tfp_method")
    p.add_argument("--settings", help="results/settings/productivity.json (criterion band and Sobol starts "
                                      "for the notes)")
    p.add_argument("--industries", help="industries.csv (industry2, industry2_name): the names of the codes")
    p.add_argument("--outdir", required=True)
    args = p.parse_args(argv)
    band, n_sobol = None, None
    if args.settings:
        with open(args.settings, encoding="utf-8") as fh:
            settings = json.load(fh)
        band, n_sobol = float(settings["criterion_band"]), int(settings["starts"])
    el = pd.read_csv(args.elasticities)
    truth = None
    if args.truth:
        with open(args.truth, encoding="utf-8") as fh:
            truth = json.load(fh)["production"]
    try:
        names = None
        if args.industries:
            ind = pd.read_csv(args.industries)
            lacking = [c for c in ("industry2", "industry2_name") if c not in ind.columns]
            if lacking:
                raise InputError(f"industries file lacks column(s) {lacking}", file=args.industries,
                                 column=lacking[0])
            names = dict(zip(ind["industry2"].astype(int), ind["industry2_name"].astype(str)))
        tex, csv = elasticity_table(el, truth, args.tfp_method, names)
    except InputError as exc:
        print(f"upgrading production-tables: {exc}", file=sys.stderr)
        return 1
    _write(tex, csv, f"{args.outdir}/production_elasticities")
    tex, csv = search_table(el, band, n_sobol)
    _write(tex, csv, f"{args.outdir}/production_search")
    return 0


def _write(tex: str, csv: pd.DataFrame, stem: str) -> None:
    io.write_text(tex, f"{stem}.tex")
    io.write_csv(csv, f"{stem}.csv", float_format="%.12g")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
